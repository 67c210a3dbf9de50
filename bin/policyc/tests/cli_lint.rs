//! `policyc lint` end to end: every rule, every output format, exit codes
//! and errors, as snapshots (no colour).

mod cli_support;

use cli_support::{repo, run_in, tests_for, Fixture};

/// Lints `policy` (as `a.policy`, with cases naming `tested`) and snapshots
/// the human output.
fn lint_one(name: &str, policy: &str, tested: &[&str]) -> String {
    let f = Fixture::new(name)
        .file("a.policy", policy)
        .file("tests/cases.json", &tests_for(tested));
    f.run(&["lint", "."]).all()
}

#[test]
fn l001_unanchored_host_regex() {
    insta::assert_snapshot!(lint_one(
        "l001",
        "provider \"p\" {\n  match host ~ r\"login\\.example\\.com$\"\n}\n\
         drop a if host ~ r\"(a|b)\\.example\\.com\"\n",
        &["p"],
    ));
}

#[test]
fn l002_unescaped_dot_in_host_regex() {
    insta::assert_snapshot!(lint_one(
        "l002",
        "provider \"p\" {\n  match host ~ r\"^login.example\\.com$\"\n}\n\
         # `.*` and `.+` are deliberate wildcards: no finding\n\
         drop a if host ~ r\"^.+\\.example\\.com$\"\n",
        &["p"],
    ));
}

#[test]
fn l001_l002_the_design_card_line() {
    insta::assert_snapshot!(lint_one(
        "l001-l002",
        "when host ~ \"login.microsoftonline.com\" and path ~ \"/v2.0/\" drop resource if scope\n",
        &[],
    ));
}

#[test]
fn l003_misspelt_names() {
    insta::assert_snapshot!(lint_one(
        "l003",
        "provider \"p\" {\n  match host == \"p.example\" and paht ~ \"^/v2/\"\n  authorize {\n    drop resource if scpoe\n    drop empyt\n    set prompt = \"${hots}\"\n    drop param(\"scpoe\")\n  }\n}\n",
        &["p"],
    ));
}

#[test]
fn l004_rules_that_can_never_fire() {
    insta::assert_snapshot!(lint_one(
        "l004",
        r#"provider "p" {
  match host == "p.example" and path ~ r"^/v2/"
  authorize {
    drop a if kind == "token"
    drop b if host == "q.example"
    drop c if path == "/v1/authorize"
    drop d if scope and not scope
    deny "no scope" if not scope
    drop e if not scope and prompt
    stop
    drop f
  }
  callback {
    when error == "access_denied" classify access_denied
    when error == "access_denied" and error_description ~ "^AADSTS65004" classify consent_required
    when error in ["server_error", "temporarily_unavailable"] classify server_error
    when error == "server_error" classify temporarily_unavailable
  }
}
# A top-level rule runs for authorize and token: `kind == "token"` is fine.
drop g if kind == "token"
"#,
        &["p"],
    ));
}

#[test]
fn l005_conflicting_set() {
    insta::assert_snapshot!(lint_one(
        "l005",
        r#"provider "p" {
  match host == "p.example"
  authorize {
    set prompt = "consent" if scope contains "offline_access"
    set prompt = "login" if max_age
    # exclusive conditions: no finding
    set response_mode = "query" if response_type == "code"
    set response_mode = "fragment" if response_type == "token"
    # same value: no finding
    default access_type = "offline" if scope
    default access_type = "offline"
  }
}
"#,
        &["p"],
    ));
}

#[test]
fn l006_overlapping_providers() {
    insta::assert_snapshot!(lint_one(
        "l006",
        r#"provider "a" {
  match host == "login.example.com"
}

provider "b" {
  match host in ["login.example.com", "login.example.org"] and path == "/authorize"
}

provider "c" {
  match host ~ r"^[a-z]+\.example\.net$"
}

provider "d" {
  match host ~ r"^[a-z]+\.example\.net$"
}

# Told apart by path: no finding.
provider "v2" {
  match host == "id.example" and path ~ r"^/v2/"
}

provider "v1" {
  match host == "id.example" and path ~ r"^/v1/"
}
"#,
        &["a", "b", "c", "d", "v1", "v2"],
    ));
}

#[test]
fn l007_untested_provider() {
    insta::assert_snapshot!(lint_one(
        "l007",
        "provider \"tested\" {\n  match host == \"a.example\"\n}\n\nprovider \"untested\" {\n  match host == \"b.example\"\n}\n",
        &["tested"],
    ));
}

#[test]
fn l007_without_a_tests_directory_every_provider_is_untested() {
    let f = Fixture::new("l007-none").file(
        "a.policy",
        "provider \"p\" {\n  match host == \"a.example\"\n}\n",
    );
    let run = f.run(&["lint", "--format", "github", "a.policy"]);
    insta::assert_snapshot!(run.all());
}

#[test]
fn l008_and_ignore_comments() {
    insta::assert_snapshot!(lint_one(
        "l008",
        r#"provider "p" {
  match host == "p.example"
  authorize {
    stop
    drop a # policyc: ignore[L004] kept for the next release
    # policyc: ignore[unreachable-rule, L003]
    drop b
      if scpoe
    drop c # policyc: ignore[L005]
    drop d # policyc: ignore[L0004]
    drop e # policyc: ignore[E013]
    drop f # policyc: ignore
  }
}
"#,
        &["p"],
    ));
}

#[test]
fn load_errors_are_reported_with_lints() {
    let f = Fixture::new("load")
        .file(
            "a.policy",
            "provider \"dup\" {\n  match host == \"a.example\" and path ~ r\"^/(v2\"\n}\n",
        )
        .file(
            "b.policy",
            "provider \"dup\" {\n  match host == \"b.example\"\n  autorize { drop x }\n}\n",
        )
        .file(
            "c.policy",
            "provider \"c\" {\n  match host == \"c.example\"\n  authorize { dorp x }\n}\n",
        )
        .file("d.policy", "drop a if hots\n")
        .file("tests/cases.json", &tests_for(&["dup", "c"]));
    insta::assert_snapshot!(f.run(&["lint"]).all());
}

/// A policy with an error and several warnings, for the machine formats.
fn mixed() -> Fixture {
    Fixture::new("formats")
        .file(
            "policies/p.policy",
            "provider \"p\" {\n  match host ~ \"p.example.com\"\n  authorize {\n    stop\n    drop resource if hots\n  }\n}\n",
        )
        .file(
            "policies/q.policy",
            "provider \"q\" {\n  match host == \"q.example\"\n}\n\nprovider \"r\" {\n  match host == \"q.example\"\n}\n",
        )
        .file("policies/tests/cases.json", &tests_for(&["p", "r"]))
}

#[test]
fn format_json() {
    insta::assert_snapshot!(mixed().run(&["lint", "--format", "json", "policies"]).all());
}

#[test]
fn format_sarif() {
    let run = mixed().run(&["lint", "--format", "sarif", "policies/"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    insta::assert_snapshot!(run.all());
}

#[test]
fn format_github() {
    insta::assert_snapshot!(mixed()
        .run(&["lint", "--format", "github", "policies"])
        .all());
}

#[test]
fn format_human() {
    insta::assert_snapshot!(mixed().run(&["lint", "policies"]).all());
}

#[test]
fn exit_codes() {
    let clean = Fixture::new("exit-clean")
        .file(
            "a.policy",
            "provider \"p\" {\n  match host == \"a.example\"\n}\n",
        )
        .file("tests/t.json", &tests_for(&["p"]));
    assert_eq!(clean.run(&["lint", "--deny-warnings"]).code, 0);
    let warn = Fixture::new("exit-warn").file(
        "a.policy",
        "provider \"p\" {\n  match host == \"a.example\"\n}\n",
    );
    assert_eq!(warn.run(&["lint"]).code, 0);
    assert_eq!(warn.run(&["lint", "--deny-warnings"]).code, 2);
    let error = Fixture::new("exit-error").file("a.policy", "drop a if host ~ \"x.y\"\n");
    assert_eq!(error.run(&["lint"]).code, 1);
    assert_eq!(error.run(&["lint", "--deny-warnings"]).code, 1);
}

#[test]
fn config_sets_levels() {
    let f = Fixture::new("config")
        .file("a.policy", "provider \"p\" {\n  match host == \"a.example\"\n  authorize {\n    stop\n    drop a\n  }\n}\n")
        .file(".policyc.json", "{\"lints\": {\"untested-provider\": \"allow\", \"L004\": \"error\"}}\n");
    insta::assert_snapshot!(f.run(&["lint", "--deny-warnings"]).all());
    let other = f.file("strict.json", "{\"lints\": {\"L004\": \"allow\"}}");
    let run = other.run(&["lint", "--config", "strict.json"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stderr.contains("0 errors, 1 warning"), "{}", run.all());
}

#[test]
fn bad_config_and_bad_case_file() {
    let f = Fixture::new("bad-config")
        .file(
            "a.policy",
            "provider \"p\" {\n  match host == \"a.example\"\n}\n",
        )
        .file(
            ".policyc.json",
            "{\n  \"lints\": {\"L0007\": \"allow\"}\n}\n",
        )
        .file("tests/broken.json", "{\"authorize\": [{\"id\": 1}]}\n");
    insta::assert_snapshot!(f.run(&["lint", "--format", "json"]).all());
}

#[test]
fn path_errors() {
    let f = Fixture::new("paths").file("empty/README", "nothing here\n");
    insta::assert_snapshot!(f.run(&["lint", "missing.policy", "empty"]).all());
}

#[test]
fn the_shipped_policies_are_clean() {
    let run = run_in(
        &repo(),
        &["lint", "--deny-warnings", "policies/"],
        &[("NO_COLOR", "1")],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stderr.contains("0 errors, 0 warnings"), "{}", run.all());
}

#[test]
fn no_colour_when_output_is_not_a_terminal() {
    let f = Fixture::new("colour").file("a.policy", "drop a if host ~ \"x.y\"\n");
    // NO_COLOR unset: output is piped, so still no escape codes.
    let run = run_in(&f.dir, &["lint"], &[]);
    assert_eq!(run.code, 1);
    assert!(!run.stderr.contains('\u{1b}'), "{}", run.stderr);
    assert!(run.stderr.contains("L001"), "{}", run.stderr);
}
