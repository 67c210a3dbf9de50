//! `Policy::analyze`: one call reports load errors and lint findings alike,
//! each a miette diagnostic with a level, a code and a file index.

use miette::{Diagnostic, Severity};
use oauth_policy::lint::{Config, Level};
use oauth_policy::{AnalyzeOptions, Policy, SourceFile};

fn analyze(files: &[(&str, &str)]) -> oauth_policy::Analysis {
    let files = files.iter().map(|(n, t)| SourceFile::new(*n, *t)).collect();
    Policy::analyze(files, &AnalyzeOptions::default())
}

#[test]
fn analyze_finds_the_regex_size_error_that_only_compiling_finds() {
    // `policyc lint` reported E030 by compiling after linting; the library's
    // lint did not. One call now does both.
    let a = analyze(&[("a.policy", "drop a if b ~ r\"\\w{1,200}\"\n")]);
    assert!(a.policy.is_none());
    let d = a
        .diagnostics
        .iter()
        .find(|d| d.code_str() == "policy::E030")
        .expect("E030 reported");
    assert_eq!(d.level(), Level::Error);
    assert!(d.is_load_error());
    assert_eq!(d.file_index(), 0);
    assert_eq!(d.severity(), Some(Severity::Error));
}

#[test]
fn a_lint_and_a_load_error_come_out_of_one_call_with_their_levels() {
    let a = analyze(&[
        (
            "ok.policy",
            "provider \"p\" {\n  match host ~ \"^login\\.example\\.com$\"\n  authorize {\n    set prompt = \"login\"\n    drop promt\n  }\n}\n",
        ),
        ("bad.policy", "authorize {\n  frobnicate x\n}\n"),
    ]);
    assert!(
        a.policy.is_none(),
        "a syntax error keeps the policy from loading"
    );
    let error = a
        .diagnostics
        .iter()
        .find(|d| d.is_load_error())
        .expect("the syntax error");
    assert_eq!(error.file_index(), 1);
    assert_eq!(error.level(), Level::Error);
    assert_eq!(error.severity(), Some(Severity::Error));
    assert!(error.code_str().starts_with("policy::E0"));
    let lint = a
        .diagnostics
        .iter()
        .find(|d| d.code_str() == "policy::L003")
        .expect("the misspelt name");
    assert_eq!(lint.file_index(), 0);
    assert_eq!(lint.level(), Level::Warn);
    assert_eq!(lint.severity(), Some(Severity::Warning));
    assert_eq!(lint.rule().map(|r| r.name), Some("misspelt-name"));
    assert!(lint.labels().is_some_and(|mut l| l.next().is_some()));
    // Files in order, positions in order.
    let files: Vec<usize> = a.diagnostics.iter().map(|d| d.file_index()).collect();
    assert!(files.windows(2).all(|w| w[0] <= w[1]), "{files:?}");
}

#[test]
fn the_config_sets_a_lint_level_and_a_clean_policy_loads() {
    let text = "provider \"p\" {\n  match host ~ \"^login\\.example\\.com$\"\n  authorize {\n    drop promt\n  }\n}\n";
    let config = Config::parse("c.json", r#"{"lints": {"L003": "error"}}"#).unwrap();
    let a = Policy::analyze(
        vec![SourceFile::new("p.policy", text)],
        &AnalyzeOptions::default().with_config(config),
    );
    let policy = a.policy.as_ref().expect("lints never stop a load");
    assert_eq!(policy.providers().collect::<Vec<_>>(), ["p"]);
    assert_eq!(a.count(Level::Error), 1);
    assert_eq!(a.diagnostics[0].severity(), Some(Severity::Error));
}
