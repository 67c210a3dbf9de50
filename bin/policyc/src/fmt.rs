//! `policyc fmt`: the canonical layout, every comment kept.

use std::path::PathBuf;
use std::process::ExitCode;

use oauth_policy::fmt::format;
use oauth_policy::{is_policy_file, LoadError, PolicyDiagnostic, SourceFile};

use crate::common::EXIT_ERROR;

/// Arguments of `policyc fmt`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Change nothing: list the files that would change and exit 1 if any.
    #[arg(long)]
    check: bool,
    /// Policy files or directories (their top-level `*.policy` files);
    /// `-` formats standard input to standard output. Default: `.`.
    paths: Vec<PathBuf>,
}

/// Runs the subcommand. Prints the files changed (or, with `--check`, that
/// would change), one per line.
pub fn run(args: Args) -> ExitCode {
    let paths = &crate::common::paths_or_cwd(&args.paths)[..];
    let mut failed = false;
    let mut changed = 0usize;
    for path in paths {
        if path.as_os_str() == "-" {
            let text = match crate::common::read_limited(std::io::stdin()) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: cannot read standard input: {e}");
                    failed = true;
                    continue;
                }
            };
            match format(&text) {
                Ok(out) if args.check => {
                    if out != text {
                        println!("<stdin>");
                        changed += 1;
                    }
                }
                Ok(out) => print!("{out}"),
                Err(e) => {
                    report(PolicyDiagnostic::new(e, &SourceFile::new("<stdin>", text)));
                    failed = true;
                }
            }
            continue;
        }
        let files = if path.is_dir() {
            match std::fs::read_dir(path) {
                Ok(rd) => {
                    let mut v: Vec<PathBuf> = rd
                        .filter_map(Result::ok)
                        .map(|e| e.path())
                        .filter(|p| is_policy_file(p))
                        .map(|p| p.strip_prefix(".").map(PathBuf::from).unwrap_or(p))
                        .collect();
                    v.sort();
                    if v.is_empty() {
                        eprintln!("error: no .policy files in {}", path.display());
                        failed = true;
                    }
                    v
                }
                Err(e) => {
                    eprintln!("error: cannot read {}: {e}", path.display());
                    failed = true;
                    continue;
                }
            }
        } else {
            vec![path.clone()]
        };
        for file in files {
            match one(&file, args.check) {
                Ok(true) => {
                    println!("{}", file.display());
                    changed += 1;
                }
                Ok(false) => {}
                Err(()) => failed = true,
            }
        }
    }
    if failed || (args.check && changed > 0) {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    }
}

/// Formats one file; `Ok(true)` when it changed (or would, with `check`).
fn one(path: &std::path::Path, check: bool) -> Result<bool, ()> {
    let name = path.display().to_string();
    // The loader's reader: regular files only, size-limited, UTF-8 errors
    // shown in the source.
    let text = match oauth_policy::read_sources(path) {
        Ok(files) => files
            .into_iter()
            .next()
            .map(|f| f.text.to_string())
            .unwrap_or_default(),
        Err(LoadError::Invalid { diagnostics }) => {
            for d in diagnostics {
                report(d);
            }
            return Err(());
        }
        Err(e) => {
            eprintln!("error: {e}");
            return Err(());
        }
    };
    let out = match format(&text) {
        Ok(o) => o,
        Err(e) => {
            report(PolicyDiagnostic::new(e, &SourceFile::new(name, text)));
            return Err(());
        }
    };
    if out == text {
        return Ok(false);
    }
    if !check {
        if let Err(e) = std::fs::write(path, out) {
            eprintln!("error: cannot write {name}: {e}");
            return Err(());
        }
    }
    Ok(true)
}

fn report(d: PolicyDiagnostic) {
    eprintln!("{:?}", miette::Report::new(d));
}
