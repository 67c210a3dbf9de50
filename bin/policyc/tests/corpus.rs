//! The provider library against its test data: `tests/corpus/public.json`
//! (the shared real-world cases) and `policies/tests/*.json` (one file per
//! provider file), through the library and through the `policyc` binary.
//! Also checks the library's own hygiene: every rule exercised by some case,
//! every provider file with a case file and a pass-through case, and every
//! host regex anchored.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use oauth_policy::testing::{
    AuthorizeCase, CallbackCase, CaseFile, CaseResult, RewriteExpect, TokenCase, NO_PROVIDER,
};
use oauth_policy::unstable::compile::ir::{Check, Cond, Rule, Subject};
use oauth_policy::unstable::compile::program;
use oauth_policy::vocab::Attr;
use oauth_policy::{Kind, Policy, Request};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .canonicalize()
        .unwrap()
}

fn public() -> CaseFile {
    CaseFile::read(&root().join("tests/corpus/public.json")).unwrap()
}

/// The public corpus names a self-managed GitLab (`gitlab.example.com`): a
/// host the shipped library cannot know, so the corpus runs with the overlay
/// an operator of that instance would write.
fn public_overlay() -> PathBuf {
    root().join("tests/corpus/overlay")
}

fn public_policy() -> Policy {
    Policy::builtin().with_overlay(public_overlay()).unwrap()
}

/// `policies/tests/*.json`, by file stem, in name order.
fn provider_case_files() -> BTreeMap<String, CaseFile> {
    let dir = root().join("policies/tests");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
            out.insert(stem, CaseFile::read(&path).unwrap());
        }
    }
    assert!(!out.is_empty(), "no case files in {}", dir.display());
    out
}

/// Every case file, with the overlay it runs with: the public corpus first,
/// then the provider files.
fn all_case_files() -> Vec<(String, CaseFile, Option<PathBuf>)> {
    let mut files = vec![(
        "tests/corpus/public.json".to_string(),
        public(),
        Some(public_overlay()),
    )];
    files.extend(
        provider_case_files()
            .into_iter()
            .map(|(stem, f)| (format!("policies/tests/{stem}.json"), f, None)),
    );
    files
}

/// A case file's overlay and the library policy with it, built once per file.
struct FileLayer {
    overlay: Option<PathBuf>,
    policy: Policy,
}

impl FileLayer {
    fn new(overlay: Option<PathBuf>) -> Self {
        let policy = match &overlay {
            Some(path) => Policy::builtin().with_overlay(path).unwrap(),
            None => Policy::builtin(),
        };
        Self { overlay, policy }
    }
}

/// The `--overlay` arguments and the library policy for one case: the file's
/// overlay, then the case's own (written to a temporary file for policyc).
struct Layers {
    args: Vec<String>,
    policy: Policy,
    _case_file: Option<tempfile::NamedTempFile>,
}

fn layers(file: &FileLayer, case_overlay: Option<&str>) -> Layers {
    let mut args = Vec::new();
    let mut policy = file.policy.clone();
    if let Some(path) = &file.overlay {
        args.extend(["--overlay".to_string(), path.display().to_string()]);
    }
    let case_file = case_overlay.map(|text| {
        let mut f = tempfile::Builder::new()
            .suffix(".policy")
            .tempfile()
            .unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        args.extend(["--overlay".to_string(), f.path().display().to_string()]);
        policy = policy.with_overlay(f.path()).unwrap();
        f
    });
    Layers {
        args,
        policy,
        _case_file: case_file,
    }
}

fn report(label: &str, results: &[CaseResult]) -> Vec<String> {
    results
        .iter()
        .filter(|r| !r.passed())
        .map(|r| {
            format!(
                "{label}: {} case `{}` ({}):\n    {}",
                r.kind,
                r.id,
                r.provider,
                r.failures.join("\n    ")
            )
        })
        .collect()
}

fn assert_no_failures(failures: Vec<String>, total: usize) {
    assert!(total > 0, "no cases ran");
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn public_corpus_passes_through_the_library() {
    let corpus = public();
    assert!(!corpus.authorize.is_empty() && !corpus.callback.is_empty());
    let results = corpus.run(&public_policy());
    assert_eq!(
        results.len(),
        corpus.authorize.len() + corpus.callback.len()
    );
    assert_no_failures(report("public.json", &results), results.len());
}

#[test]
fn provider_case_files_pass_through_the_library() {
    let policy = Policy::builtin();
    let mut failures = Vec::new();
    let mut total = 0;
    for (stem, file) in provider_case_files() {
        let results = file.run(&policy);
        total += results.len();
        failures.extend(report(&format!("policies/tests/{stem}.json"), &results));
    }
    assert_no_failures(failures, total);
}

#[test]
fn case_ids_are_unique() {
    let mut seen = BTreeSet::new();
    for (name, file, _) in all_case_files() {
        let ids = file
            .authorize
            .iter()
            .map(|c| &c.id)
            .chain(file.token.iter().map(|c| &c.id))
            .chain(file.callback.iter().map(|c| &c.id));
        for id in ids {
            assert!(
                seen.insert(id.clone()),
                "duplicate case id `{id}` in {name}"
            );
        }
    }
}

// ---- through the binary -------------------------------------------------

fn policyc(args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_policyc"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "policyc {args:?} (exit {code}) printed no JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, json)
}

/// Decoded `(name, value)` pairs of a query or form body.
fn pairs(s: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(s.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn query(url: &str) -> &str {
    let url = url.split('#').next().unwrap_or("");
    url.split_once('?').map_or("", |(_, q)| q)
}

/// Checks `policyc apply --format json` output against a rewrite case, and
/// against the library's own result for the same request.
fn check_cli_rewrite(
    provider: &str,
    expect: &RewriteExpect,
    (code, json): (i32, Value),
    library: &oauth_policy::Outcome,
) -> Vec<String> {
    let mut failures = Vec::new();
    let got_provider = json["provider"].as_str().unwrap_or(NO_PROVIDER);
    if got_provider != provider {
        failures.push(format!("provider: expected {provider}, got {got_provider}"));
    }
    let reason = json["denied"]["reason"].as_str();
    match (&expect.error, reason) {
        (Some(want), Some(got)) if want != got => {
            failures.push(format!("deny reason: expected {want:?}, got {got:?}"))
        }
        (Some(want), None) => failures.push(format!("expected denial {want:?}, got none")),
        (None, Some(got)) => failures.push(format!("unexpected denial {got:?}")),
        _ => {}
    }
    let want_code = if expect.error.is_some() { 2 } else { 0 };
    if code != want_code {
        failures.push(format!("exit code: expected {want_code}, got {code}"));
    }
    if expect.error.is_none() {
        let body = json["body"].as_str();
        let params = pairs(body.unwrap_or_else(|| query(json["url"].as_str().unwrap_or(""))));
        for name in &expect.drop {
            if params.iter().any(|(n, _)| n == name) {
                failures.push(format!("`{name}` not dropped"));
            }
        }
        for (name, want) in &expect.set {
            match params.iter().find(|(n, _)| n == name) {
                Some((_, got)) if got == want => {}
                other => failures.push(format!("`{name}`: expected {want:?}, got {other:?}")),
            }
        }
        for name in &expect.keep {
            if !params.iter().any(|(n, _)| n == name) {
                failures.push(format!("`{name}` should be kept"));
            }
        }
        let got = body.unwrap_or_else(|| json["url"].as_str().unwrap_or(""));
        if let Some(want) = &expect.output {
            if want != got {
                failures.push(format!("output: expected {want}, got {got}"));
            }
        }
        let lib = library.body().unwrap_or(library.url());
        if lib != got {
            failures.push(format!("CLI and library differ:\n  cli {got}\n  lib {lib}"));
        }
    }
    failures
}

fn with(layers: &Layers, args: &[&str]) -> (i32, Value) {
    let mut all: Vec<&str> = layers.args.iter().map(String::as_str).collect();
    all.splice(0..0, args.get(..1).unwrap_or(&[]).iter().copied());
    all.extend(args.get(1..).unwrap_or(&[]));
    policyc(&all)
}

fn cli_authorize(overlay: &FileLayer, c: &AuthorizeCase) -> Vec<String> {
    let l = layers(overlay, c.overlay.as_deref());
    let out = with(&l, &["apply", "--format", "json", &c.input_url]);
    let library = l.policy.apply(&Request::authorize(&c.input_url).unwrap());
    check_cli_rewrite(&c.provider, &c.expect, out, &library)
}

fn cli_token(overlay: &FileLayer, c: &TokenCase) -> Vec<String> {
    let l = layers(overlay, c.overlay.as_deref());
    let out = with(
        &l,
        &[
            "apply", "--format", "json", "--token", "--body", &c.body, &c.url,
        ],
    );
    let library = l.policy.apply(&Request::token(&c.url, &c.body).unwrap());
    check_cli_rewrite(&c.provider, &c.expect, out, &library)
}

fn cli_callback(overlay: &FileLayer, c: &CallbackCase) -> Vec<String> {
    let l = layers(overlay, c.overlay.as_deref());
    let mut args: Vec<String> = vec!["classify".into(), "--format".into(), "json".into()];
    args.extend(l.args.iter().cloned());
    let ctx = &c.context;
    match &ctx.authorize_url {
        Some(url) => args.extend(["--authorize-url".into(), url.clone()]),
        None if c.provider != NO_PROVIDER => args.extend(["--provider".into(), c.provider.clone()]),
        None => {}
    }
    if let Some(s) = &ctx.expected_state {
        args.extend(["--expected-state".into(), s.clone()]);
    }
    if let Some(i) = &ctx.expected_issuer {
        args.extend(["--expected-issuer".into(), i.clone()]);
    }
    if ctx.require_iss {
        args.push("--require-iss".into());
    }
    if ctx.no_state {
        args.push("--no-state".into());
    }
    if let Some(mode) = &ctx.response_mode {
        args.extend(["--response-mode".into(), mode.clone()]);
    }
    match (&c.callback_url, &c.form) {
        (Some(url), None) => args.push(url.clone()),
        (None, Some(form)) => args.extend(["--form".into(), form.clone()]),
        _ => return vec!["needs exactly one of callback_url and form".into()],
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, v) = policyc(&argv);
    let e = &c.expect;
    let mut failures = Vec::new();
    if code != 0 {
        failures.push(format!("exit code {code}"));
    }
    let mut field = |name: &str, want: Value| {
        if v[name] != want {
            failures.push(format!("{name}: expected {want}, got {}", v[name]));
        }
    };
    field("outcome", serde_json::to_value(e.outcome).unwrap());
    field("category", serde_json::to_value(e.category).unwrap());
    field("retryable", Value::Bool(e.retryable));
    field(
        "provider_code",
        serde_json::to_value(&e.provider_code).unwrap(),
    );
    if let Some(hint) = &e.hint {
        field("hint", Value::String(hint.clone()));
    }
    if let Some(rule) = &e.rule {
        field("rule", Value::String(rule.clone()));
    }
    if ctx.authorize_url.is_some() {
        let want = (c.provider != NO_PROVIDER).then(|| c.provider.clone());
        field("provider", serde_json::to_value(want).unwrap());
    }
    failures
}

#[test]
fn every_case_passes_through_policyc() {
    let mut failures = Vec::new();
    let mut total = 0;
    for (name, file, overlay) in all_case_files() {
        let overlay = &FileLayer::new(overlay);
        let runs = file
            .authorize
            .iter()
            .map(|c| (&c.id, cli_authorize(overlay, c)))
            .chain(file.token.iter().map(|c| (&c.id, cli_token(overlay, c))))
            .chain(
                file.callback
                    .iter()
                    .map(|c| (&c.id, cli_callback(overlay, c))),
            );
        for (id, f) in runs {
            total += 1;
            if !f.is_empty() {
                failures.push(format!(
                    "{name}: `{id}` via policyc:\n    {}",
                    f.join("\n    ")
                ));
            }
        }
    }
    assert_no_failures(failures, total);
}

// ---- library hygiene ------------------------------------------------------

/// Ids of every rule, global and per provider, with its kind.
fn all_rules(policy: &Policy) -> Vec<(Kind, &Rule)> {
    let program = program(policy);
    let sections =
        std::iter::once(&program.global).chain(program.providers.iter().map(|p| &p.sections));
    let mut out = Vec::new();
    for s in sections {
        for kind in Kind::ALL {
            out.extend(s.get(kind).iter().map(|r| (kind, r)));
        }
    }
    out
}

/// Every rule of the builtin library fires (its condition holds, or for a
/// callback rule: it decides a verdict) in at least one case, so no rule
/// ships untested.
#[test]
fn every_rule_is_exercised_by_a_case() {
    let policy = Policy::builtin();
    // A case with an overlay (an opt-in switched on) runs on the layered policy.
    let layered = |overlay: &Option<String>| match overlay {
        Some(text) => policy
            .with_overlay_sources("case", [("case.policy", text.as_str())])
            .unwrap(),
        None => policy.clone(),
    };
    let mut hit = BTreeSet::new();
    for (_, file, _) in all_case_files() {
        for c in &file.authorize {
            let req = Request::authorize(&c.input_url).unwrap();
            let (_, trace) = layered(&c.overlay).explain(&req);
            hit.extend(trace.steps.into_iter().filter(|s| s.held).map(|s| s.rule));
        }
        for c in &file.token {
            let req = Request::token(&c.url, &c.body).unwrap();
            let (_, trace) = layered(&c.overlay).explain(&req);
            hit.extend(trace.steps.into_iter().filter(|s| s.held).map(|s| s.rule));
        }
        for c in &file.callback {
            let verdict = layered(&c.overlay)
                .classify(&c.parse().unwrap(), &c.expectations())
                .unwrap();
            hit.insert(verdict.rule);
        }
    }
    let missed: Vec<String> = all_rules(&policy)
        .into_iter()
        .filter(|(_, r)| !hit.contains(&r.id))
        .map(|(_, r)| format!("{} at {}", r.id, r.location))
        .collect();
    assert!(
        missed.is_empty(),
        "rules no case exercises:\n  {}",
        missed.join("\n  ")
    );
}

/// Each `policies/NAME.policy` has `policies/tests/NAME.json`, and each
/// provider it defines has a pass-through case (exact output equal to the
/// input) and at least one case naming it.
#[test]
fn every_provider_file_has_its_cases() {
    let policy = Policy::builtin();
    let cases = provider_case_files();
    let mut problems = Vec::new();
    for file in policy.files() {
        let stem = Path::new(file.name.as_ref())
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap()
            .to_string();
        let Some(cf) = cases.get(&stem) else {
            problems.push(format!("{}: no policies/tests/{stem}.json", file.name));
            continue;
        };
        let providers: Vec<&str> = program(&policy)
            .providers
            .iter()
            .filter(|p| p.location.file == file.name)
            .map(|p| p.name.as_str())
            .collect();
        // A file with only global rules is tested under the `generic` name.
        let names = if providers.is_empty() {
            vec![NO_PROVIDER]
        } else {
            providers
        };
        for name in names {
            let pass_through = cf.authorize.iter().any(|c| {
                c.provider == name && c.expect.output.as_deref() == Some(c.input_url.as_str())
            });
            if !pass_through {
                problems.push(format!(
                    "{stem}.json: no pass-through authorize case for `{name}` (expect.output == input_url)"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The providers the library promises (issue 5's coverage list).
#[test]
fn the_library_covers_the_promised_providers() {
    let policy = Policy::try_builtin().unwrap();
    let have: BTreeSet<&str> = policy.providers().collect();
    let promised = [
        "microsoft-entra-v1",
        "microsoft-entra-v2",
        "azure-ad-b2c",
        "entra-external-id",
        "google",
        "github",
        "github-enterprise",
        "gitlab",
        "auth0",
        "okta",
        "keycloak",
        "aws-cognito",
        "slack",
        "atlassian",
        "salesforce",
        "dropbox",
        "notion",
        "spotify",
        "linear",
        "zoom",
        "pingone",
        "pingfederate",
        "apple",
    ];
    let missing: Vec<&str> = promised
        .iter()
        .copied()
        .filter(|p| !have.contains(p))
        .collect();
    assert!(missing.is_empty(), "missing providers: {missing:?}");
    assert!(
        !program(&policy).global.authorize.is_empty(),
        "no generic baseline"
    );
}

/// Host regexes must be anchored at both ends, with no top-level
/// alternation that would escape the anchors (`^a|b$`).
#[test]
fn host_regexes_are_anchored() {
    fn walk<'a>(c: &'a Cond, out: &mut Vec<&'a str>) {
        match c {
            Cond::And(v) | Cond::Or(v) => v.iter().for_each(|c| walk(c, out)),
            Cond::Not(c) => walk(c, out),
            Cond::Test(Subject::Attr(Attr::Host), Check::Matches(re)) => out.push(re.as_str()),
            _ => {}
        }
    }
    let policy = Policy::builtin();
    let mut patterns = Vec::new();
    for p in &program(&policy).providers {
        for m in &p.matchers {
            walk(&m.cond, &mut patterns);
        }
    }
    for (_, r) in all_rules(&policy) {
        if let Some(c) = &r.cond {
            walk(c, &mut patterns);
        }
    }
    assert!(!patterns.is_empty());
    let bad: Vec<&&str> = patterns.iter().filter(|p| !anchored(p)).collect();
    assert!(bad.is_empty(), "unanchored host regexes: {bad:?}");
}

fn anchored(pattern: &str) -> bool {
    if !pattern.starts_with('^') || !pattern.ends_with('$') || pattern.ends_with("\\$") {
        return false;
    }
    // No `|` outside every group and class.
    let (mut depth, mut class, mut escaped) = (0i32, false, false);
    for ch in pattern.chars() {
        match (escaped, class, ch) {
            (true, _, _) => escaped = false,
            (false, _, '\\') => escaped = true,
            (false, true, ']') => class = false,
            (false, true, _) => {}
            (false, false, '[') => class = true,
            (false, false, '(') => depth += 1,
            (false, false, ')') => depth -= 1,
            (false, false, '|') if depth == 0 => return false,
            _ => {}
        }
    }
    true
}

#[test]
fn the_anchor_check_can_fail() {
    assert!(anchored(r"^[a-z0-9-]+\.b2clogin\.com$"));
    assert!(anchored(r"^(a|b)\.example\.com$"));
    assert!(!anchored(r"b2clogin\.com$"));
    assert!(!anchored(r"^a\.com|b\.com$"));
    assert!(!anchored(r"^a\.com\$"));
}

/// Overlays switch shipped rules by name, and ids must survive edits: every
/// rule of the shipped library has a name.
#[test]
fn every_shipped_rule_is_named() {
    let policy = Policy::builtin();
    let unnamed: Vec<String> = all_rules(&policy)
        .into_iter()
        .filter(|(_, r)| r.name.is_none())
        .map(|(_, r)| format!("{} at {}", r.id, r.location))
        .collect();
    assert!(unnamed.is_empty(), "unnamed rules:\n{}", unnamed.join("\n"));
}
