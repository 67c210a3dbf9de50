//! `policyc test` end to end.

mod cli_support;

use cli_support::{repo, run_in, Fixture};

const POLICY: &str = r#"provider "p" {
  match host == "p.example"
  authorize {
    drop resource if scope
    deny "prompt=none is not allowed" if prompt == "none"
  }
  token {
    drop resource
  }
  callback {
    when error == "access_denied" classify access_denied not retryable hint "ask the admin"
    when error == "server_error" classify server_error
  }
}
"#;

const CASES: &str = r#"{
  "authorize": [
    {"id": "drops-resource", "provider": "p",
     "input_url": "https://p.example/authorize?scope=openid&resource=https%3A%2F%2Fapi&state=s",
     "expect": {"drop": ["resource"]}},
    {"id": "denies-prompt-none", "provider": "p",
     "input_url": "https://p.example/authorize?prompt=none",
     "expect": {"error": "prompt=none is not allowed"}}
  ],
  "token": [
    {"id": "token-drops-resource", "provider": "p", "url": "https://p.example/token",
     "body": "grant_type=authorization_code&code=c&resource=r",
     "expect": {"drop": ["resource"], "output": "grant_type=authorization_code&code=c"}}
  ],
  "callback": [
    {"id": "callback-denied", "provider": "p",
     "callback_url": "https://gw.example/cb?error=access_denied&state=s",
     "context": {"expected_state": "s"},
     "expect": {"outcome": "provider_error", "category": "access_denied", "retryable": false, "hint": "ask the admin"}}
  ]
}
"#;

const FAILING: &str = r#"{
  "authorize": [
    {"id": "wrong-output", "provider": "p",
     "input_url": "https://p.example/authorize?scope=openid&resource=r&state=s",
     "expect": {"output": "https://p.example/authorize?scope=openid%20profile&state=s"}},
    {"id": "wrong-provider", "provider": "q",
     "input_url": "https://p.example/authorize?a=b",
     "expect": {}}
  ],
  "callback": [
    {"id": "wrong-category", "provider": "p",
     "callback_url": "https://gw.example/cb?error=server_error&state=s",
     "context": {"expected_state": "s"},
     "expect": {"outcome": "provider_error", "category": "temporarily_unavailable", "retryable": true}}
  ]
}
"#;

fn passing() -> Fixture {
    Fixture::new("test-pass")
        .file("policies/p.policy", POLICY)
        .file("policies/tests/p.json", CASES)
}

#[test]
fn passing_cases() {
    insta::assert_snapshot!(passing().run(&["test", "policies"]).all());
}

#[test]
fn failing_cases_show_a_diff() {
    let f = passing().file("policies/tests/z.json", FAILING);
    insta::assert_snapshot!(f.run(&["test", "policies"]).all());
}

#[test]
fn json_format() {
    let f = passing().file("policies/tests/z.json", FAILING);
    insta::assert_snapshot!(f.run(&["test", "--format", "json", "policies"]).all());
}

#[test]
fn filter_and_coverage() {
    let f = passing();
    insta::assert_snapshot!(f
        .run(&["test", "--filter", "drops", "--coverage", "policies"])
        .all());
    let run = f.run(&["test", "--coverage", "--format", "json", "policies"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["coverage"]["rules"], 5);
    assert_eq!(v["coverage"]["unexercised"][0]["rule"], "p/callback#2");
}

#[test]
fn an_explicit_case_file() {
    let f = passing().file("extra.json", FAILING);
    let run = f.run(&["test", "policies/p.policy", "extra.json"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.ends_with("\n0 passed, 3 failed\n"),
        "{}",
        run.all()
    );
}

#[test]
fn errors() {
    let f = passing()
        .file("broken/p.policy", "provider \"p\" { match host == }\n")
        .file("nocases/p.policy", POLICY)
        .file("badcases/p.policy", POLICY)
        .file(
            "badcases/tests/bad.json",
            "{\"authorize\": [{\"id\": \"x\"}]}\n",
        );
    insta::assert_snapshot!(format!(
        "{}\n{}\n{}",
        f.run(&["test", "broken"]).all(),
        f.run(&["test", "nocases"]).all(),
        f.run(&["test", "badcases"]).all(),
    ));
}

#[test]
fn the_shipped_policies_pass() {
    let run = run_in(&repo(), &["test", "policies/"], &[("NO_COLOR", "1")]);
    assert_eq!(run.code, 0, "{}", run.all());
    let summary = run.stdout.lines().last().unwrap_or("");
    let (passed, failed) = summary.split_once(" passed, ").unwrap();
    assert!(passed.parse::<usize>().unwrap() > 0);
    assert_eq!(failed, "0 failed");
}
