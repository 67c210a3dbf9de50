//! `policyc explain` end to end.

mod cli_support;

use cli_support::Fixture;

const POLICY: &str = r#"authorize {
  stop if request_uri
}

provider "v2" {
  match host == "id.example" and path ~ r"^/v2/"
  authorize {
    # v2 has no resource parameter
    drop resource if scope
    deny "prompt=none is not allowed"
      if prompt == "none"
  }
  token {
    drop resource
  }
  callback {
    when error == "access_denied" classify access_denied not retryable hint "ask the admin"
  }
}

provider "v1" {
  match host == "id.example"
}
"#;

fn fixture() -> Fixture {
    Fixture::new("explain").file("p.policy", POLICY)
}

#[test]
fn authorize_human() {
    let run = fixture().run(&[
        "explain",
        "--policies",
        "p.policy",
        "https://id.example/v2/authorize?scope=openid&resource=https%3A%2F%2Fapi&state=s",
    ]);
    insta::assert_snapshot!(run.all());
}

#[test]
fn authorize_json() {
    let run = fixture().run(&[
        "explain",
        "--policies",
        "p.policy",
        "--format",
        "json",
        "https://id.example/v2/authorize?prompt=none",
    ]);
    insta::assert_snapshot!(run.all());
}

#[test]
fn other_provider_and_no_provider() {
    let f = fixture();
    insta::assert_snapshot!(format!(
        "{}\n{}",
        f.run(&[
            "explain",
            "--policies",
            "p.policy",
            "https://id.example/v1/authorize?a=b"
        ])
        .all(),
        f.run(&[
            "explain",
            "--policies",
            "p.policy",
            "https://other.example/authorize?request_uri=urn%3Ax"
        ])
        .all(),
    ));
}

#[test]
fn token() {
    let run = fixture().run(&[
        "explain",
        "--policies",
        "p.policy",
        "--token",
        "--body",
        "grant_type=refresh_token&refresh_token=r&resource=x",
        "https://id.example/v2/token",
    ]);
    insta::assert_snapshot!(run.all());
}

#[test]
fn callback() {
    let f = fixture();
    insta::assert_snapshot!(format!(
        "{}\n{}",
        f.run(&[
            "explain",
            "--policies",
            "p.policy",
            "--callback",
            "--provider",
            "v2",
            "--expected-state",
            "s",
            "https://gw.example/cb?error=access_denied&state=s",
        ])
        .all(),
        f.run(&[
            "explain",
            "--policies",
            "p.policy",
            "--callback",
            "--authorize-url",
            "https://id.example/v2/authorize?client_id=c",
            "--format",
            "json",
            "https://gw.example/cb?error=access_denied&state=s",
        ])
        .all(),
    ));
}

#[test]
fn errors() {
    let f = fixture().file("bad.policy", "provider \"p\" {\n  match hst ~ \"(\"\n}\n");
    insta::assert_snapshot!(format!(
        "{}\n{}\n{}",
        f.run(&["explain", "--policies", "p.policy", "not a url"])
            .all(),
        f.run(&["explain", "--policies", "bad.policy", "https://id.example/"])
            .all(),
        f.run(&[
            "explain",
            "--policies",
            "p.policy",
            "--format",
            "json",
            "mailto:x@y"
        ])
        .all(),
    ));
}
