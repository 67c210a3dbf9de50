//! `policyc test`: run the test cases beside a policy.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use miette::Diagnostic as _;
use oauth_policy::testing::{CaseFile, CaseFileError, CaseResult};
use oauth_policy::{Kind, LoadError, Policy, Request};
use serde_json::json;

use crate::common::{self, Format, EXIT_ERROR};
use crate::errors;

/// Arguments of `policyc test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy directories (their `tests/*.json` are run), `.policy` files,
    /// and case files (`.json`). Without a policy path the embedded library
    /// is tested. Default: `.`.
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Run only the cases whose id contains this text.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// Also list the rules no case exercised.
    #[arg(long)]
    coverage: bool,
    /// An overlay directory layered on the policy under test; its
    /// `tests/*.json` run too. Repeatable, applied in order.
    #[arg(long = "overlay", value_name = "DIR")]
    overlays: Vec<PathBuf>,
}

/// Runs the subcommand: exit 0 when every case passes, 1 otherwise.
pub fn run(args: Args) -> ExitCode {
    // With overlays and no path, the overlays are tested on the embedded library.
    let paths = if args.paths.is_empty() && !args.overlays.is_empty() {
        &[][..]
    } else {
        &crate::common::paths_or_cwd(&args.paths)[..]
    };
    let is_json = |p: &Path| p.extension().is_some_and(|e| e == "json") && !p.is_dir();
    let policy_paths: Vec<PathBuf> = paths.iter().filter(|p| !is_json(p)).cloned().collect();
    let mut case_paths: Vec<PathBuf> = Vec::new();
    for p in &policy_paths {
        if p.is_dir() {
            case_paths.extend(crate::lint::case_files(p));
        }
    }
    case_paths.extend(paths.iter().filter(|p| is_json(p)).cloned());
    for dir in &args.overlays {
        if dir.is_dir() {
            case_paths.extend(crate::lint::case_files(dir));
        }
    }

    let policy = if policy_paths.is_empty() {
        Policy::try_builtin()
    } else {
        let inputs = crate::lint::inputs(&policy_paths);
        if !inputs.errors.is_empty() {
            return common::report_load_errors(args.format, inputs.errors);
        }
        if !inputs.bad_files.is_empty() {
            let diagnostics = inputs.bad_files.into_iter().map(|(_, d)| d).collect();
            return common::report_load_error(args.format, LoadError::Invalid { diagnostics });
        }
        Policy::from_files(inputs.files)
    };
    let policy = policy.and_then(|mut p| {
        for dir in &args.overlays {
            p = p.with_overlay(dir)?;
        }
        Ok(p)
    });
    let policy = match policy {
        Ok(p) => p,
        Err(e) => return common::report_load_error(args.format, e),
    };
    if case_paths.is_empty() {
        let looked: Vec<String> = policy_paths
            .iter()
            .map(|p| p.join("tests").join("*.json").display().to_string())
            .collect();
        let message = format!(
            "no test cases found{}",
            if looked.is_empty() {
                String::new()
            } else {
                format!(" (looked for {})", looked.join(", "))
            }
        );
        let help = "case files are `DIR/tests/*.json` or `.json` paths; see docs/testing.md";
        return common::report_error(args.format, errors::NO_CASES, &message, Some(help.into()));
    }

    let mut results: Vec<(String, CaseResult, Option<Actual>)> = Vec::new();
    // Case files that cannot be read: reported, the others still run.
    let mut file_errors = Vec::new();
    let mut exercised = BTreeSet::new();
    for path in &case_paths {
        let name = path.display().to_string();
        let mut cases = match common::read_cases(path) {
            Ok(c) => c,
            Err(e) => {
                file_errors.push(case_file_error(path, &e));
                if args.format == Format::Human {
                    eprintln!("{:?}", miette::Report::new(e));
                }
                continue;
            }
        };
        if let Some(f) = &args.filter {
            cases.authorize.retain(|c| c.id.contains(f.as_str()));
            cases.token.retain(|c| c.id.contains(f.as_str()));
            cases.callback.retain(|c| c.id.contains(f.as_str()));
        }
        if args.coverage {
            exercise(&policy, &cases, &mut exercised);
        }
        for r in cases.run(&policy) {
            let actual = if r.passed() {
                None
            } else {
                actual(&policy, &cases, &r)
            };
            results.push((name.clone(), r, actual));
        }
    }
    let passed = results.iter().filter(|(_, r, _)| r.passed()).count();
    let failed = results.len() - passed;
    let unexercised = args.coverage.then(|| unexercised(&policy, &exercised));
    match args.format {
        Format::Json => common::print_json(&json!({
            "results": results.iter().map(|(file, r, _)| json!({
                "file": file,
                "kind": r.kind,
                "id": r.id,
                "provider": r.provider,
                "passed": r.passed(),
                "failures": r.failures,
            })).collect::<Vec<_>>(),
            "passed": passed,
            "failed": failed,
            "file_errors": file_errors,
            "coverage": unexercised.as_ref().map(|u| json!({
                "rules": u.1,
                "unexercised": u.0.iter().map(|(rule, at)| json!({ "rule": rule, "location": at })).collect::<Vec<_>>(),
            })),
        })),
        Format::Human => {
            for (file, r, actual) in &results {
                human(file, r, actual.as_ref());
            }
            if let Some((rules, total)) = &unexercised {
                println!();
                println!(
                    "coverage: {} of {total} rules exercised",
                    total - rules.len()
                );
                if !rules.is_empty() {
                    println!("rules no case exercised:");
                    for (rule, at) in rules {
                        println!("  {rule}  {at}");
                    }
                }
                println!();
            }
            println!("{passed} passed, {failed} failed");
        }
    }
    if failed > 0 || !file_errors.is_empty() {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    }
}

/// A case file that cannot be read, as a `file_errors` entry (the shape of
/// an error diagnostic: docs/cli.md).
fn case_file_error(path: &Path, e: &CaseFileError) -> serde_json::Value {
    let (line, column) = match e {
        CaseFileError::Format { line, column, .. } => (Some(*line), Some(*column)),
        _ => (None, None),
    };
    json!({
        "code": e.code().map(|c| c.to_string()),
        "message": e.to_string(),
        "file": path.display().to_string(),
        "line": line,
        "column": column,
        "help": e.help().map(|h| h.to_string()),
    })
}

/// What a failed rewrite case actually produced, for the diff.
struct Actual {
    expected: String,
    got: String,
}

fn actual(policy: &Policy, cases: &CaseFile, r: &CaseResult) -> Option<Actual> {
    let (req, expected) = match r.kind {
        Kind::Authorize => {
            let c = cases.authorize.iter().find(|c| c.id == r.id)?;
            (
                Request::authorize(&c.input_url).ok()?,
                c.expect.output.clone()?,
            )
        }
        Kind::Token => {
            let c = cases.token.iter().find(|c| c.id == r.id)?;
            (
                Request::token(&c.url, &c.body).ok()?,
                c.expect.output.clone()?,
            )
        }
        _ => return None,
    };
    let out = policy.apply(&req);
    let got = out.body().unwrap_or(out.url()).to_string();
    Some(Actual { expected, got })
}

fn human(file: &str, r: &CaseResult, actual: Option<&Actual>) {
    if r.passed() {
        println!("ok    {} {}", r.kind, r.id);
        return;
    }
    println!("FAIL  {} {} ({file})", r.kind, r.id);
    for f in &r.failures {
        // The parameter diff below says the same, more readably.
        if actual.is_some() && f.starts_with("output:") {
            continue;
        }
        for line in diff_lines(f) {
            println!("      {line}");
        }
    }
    if let Some(a) = actual {
        println!("      output, parameter by parameter (- expected, + got):");
        for line in param_diff(&a.expected, &a.got) {
            println!("        {line}");
        }
    }
}

/// A failure message with its expected/got parts as `-`/`+` lines.
fn diff_lines(failure: &str) -> Vec<String> {
    let mut lines = failure.lines();
    let head = lines.next().unwrap_or("");
    let rest: Vec<&str> = lines.collect();
    if let [a, b] = rest.as_slice() {
        let a = a.trim_start();
        let b = b.trim_start();
        let pair = a
            .strip_prefix("expected")
            .zip(b.strip_prefix("got"))
            .or_else(|| a.strip_prefix("before").zip(b.strip_prefix("after")));
        if let Some((x, y)) = pair {
            return vec![
                head.to_string(),
                format!("- {}", x.trim()),
                format!("+ {}", y.trim()),
            ];
        }
    }
    if let Some((field, rest)) = head.split_once(": expected ") {
        if let Some((want, got)) = rest.rsplit_once(", got ") {
            return vec![format!("{field}:"), format!("- {want}"), format!("+ {got}")];
        }
    }
    let mut out = vec![format!("• {head}")];
    out.extend(rest.iter().map(|l| format!("  {l}")));
    out
}

/// A line diff of two URLs or bodies split at `?` and `&`.
fn param_diff(expected: &str, got: &str) -> Vec<String> {
    let split = |s: &str| -> Vec<String> {
        let (head, query) = match s.split_once('?') {
            Some((h, q)) => (Some(format!("{h}?")), q),
            None => (None, s),
        };
        head.into_iter()
            .chain(
                query
                    .split('&')
                    .filter(|p| !p.is_empty())
                    .map(str::to_string),
            )
            .collect()
    };
    let (a, b) = (split(expected), split(got));
    // Longest common subsequence; the lists are a few dozen items at most.
    let mut table = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            let v = if a.get(i) == b.get(j) {
                lcs(&table, i + 1, j + 1) + 1
            } else {
                lcs(&table, i + 1, j).max(lcs(&table, i, j + 1))
            };
            if let Some(cell) = table.get_mut(i).and_then(|r| r.get_mut(j)) {
                *cell = v;
            }
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                out.push(format!("  {x}"));
                i += 1;
                j += 1;
            }
            (Some(x), Some(_)) if lcs(&table, i + 1, j) >= lcs(&table, i, j + 1) => {
                out.push(format!("- {x}"));
                i += 1;
            }
            (_, Some(y)) => {
                out.push(format!("+ {y}"));
                j += 1;
            }
            (Some(x), None) => {
                out.push(format!("- {x}"));
                i += 1;
            }
            (None, None) => break,
        }
    }
    out
}

fn lcs(table: &[Vec<usize>], i: usize, j: usize) -> usize {
    table.get(i).and_then(|r| r.get(j)).copied().unwrap_or(0)
}

/// Records the rules whose condition held for some case.
fn exercise(policy: &Policy, cases: &CaseFile, into: &mut BTreeSet<String>) {
    let record = |steps: &[oauth_policy::Step], into: &mut BTreeSet<String>| {
        into.extend(steps.iter().filter(|s| s.held).map(|s| s.rule.to_string()));
    };
    for c in &cases.authorize {
        if let Ok(req) = Request::authorize(&c.input_url) {
            record(&policy.explain(&req).1.steps, into);
        }
    }
    for c in &cases.token {
        if let Ok(req) = Request::token(&c.url, &c.body) {
            record(&policy.explain(&req).1.steps, into);
        }
    }
    for c in &cases.callback {
        let explained = c
            .parse()
            .ok()
            .and_then(|cb| policy.explain_callback(&cb, &c.expectations()).ok());
        if let Some((verdict, trace)) = explained {
            record(&trace.steps, into);
            into.insert(verdict.rule.into());
        }
    }
}

/// The rules never exercised (id, location), and the number of rules.
fn unexercised(policy: &Policy, exercised: &BTreeSet<String>) -> (Vec<(String, String)>, usize) {
    let mut total = 0;
    let mut missed = Vec::new();
    for (id, location) in policy.rule_ids() {
        total += 1;
        if !exercised.contains(id) {
            missed.push((id.to_string(), location.to_string()));
        }
    }
    (missed, total)
}
