//! `{:?}` of every public type that can hold a request's secrets never shows
//! them: each secret below carries a marker, and no Debug output may contain
//! one. Non-secret values stay visible, so the output is still useful.

use oauth_policy::testing::CaseFile;
use oauth_policy::{Callback, Expectations, Policy, Request};

/// A value containing `MARKER`, distinct per parameter so a failure says which.
fn secret(name: &str) -> String {
    format!("MARKER-{name}")
}

/// `name=MARKER-name` for every secret parameter the library knows, plus a
/// percent-encoded name and a userinfo password.
fn secrets_query() -> String {
    let mut pieces: Vec<String> = oauth_policy::vocab::SECRET_PARAMS
        .iter()
        .map(|n| format!("{n}={}", secret(n)))
        .collect();
    pieces.push(format!("%73tate={}%20", secret("encoded")));
    pieces.push("client_id=visible-client".into());
    pieces.join("&")
}

fn assert_clean(what: &str, debug: String) {
    assert!(
        !debug.contains("MARKER"),
        "{what} Debug shows a secret: {debug}"
    );
    assert!(
        !debug.contains("pw-secret"),
        "{what} Debug shows a userinfo password: {debug}"
    );
}

#[test]
fn request_and_outcome_hide_secrets() {
    let q = secrets_query();
    let url = format!("https://user:pw-secret@id.example/authorize?{q}#code=MARKER-frag");
    let req = Request::authorize(&url).unwrap();
    let debug = format!("{req:?}");
    assert_clean("authorize Request", debug.clone());
    assert!(debug.contains("visible-client"), "{debug}");

    let token = Request::token("https://id.example/token", &q).unwrap();
    assert_clean("token Request", format!("{token:?}"));
    assert_clean("token Request (pretty)", format!("{token:#?}"));

    let policy = Policy::parse(
        "p.policy",
        "deny \"bad state ${state} for ${client_secret}\" if state\n",
    )
    .unwrap();
    let out = policy.apply(&req);
    assert!(out.denied().is_some());
    assert_clean("denied Outcome", format!("{out:?}"));
    let out = policy.apply(&token);
    assert_clean("denied token Outcome", format!("{out:?}"));

    let pass = Policy::parse("p.policy", "drop nothing_here\n").unwrap();
    assert_clean("Outcome", format!("{:?}", pass.apply(&req)));
    assert_clean("token Outcome", format!("{:?}", pass.apply(&token)));
}

#[test]
fn callback_expectations_and_verdict_hide_secrets() {
    let url = "https://gw.example/cb?code=MARKER-code&state=MARKER-state&iss=https%3A%2F%2Fid";
    let cb = Callback::from_url(url).unwrap();
    assert_clean("Callback", format!("{cb:?}"));
    let frag =
        Callback::from_url("https://gw.example/cb#access_token=MARKER-at&state=MARKER-s").unwrap();
    assert_clean("fragment Callback", format!("{frag:?}"));
    let form = Callback::from_form("code=MARKER-code&state=MARKER-state").unwrap();
    assert_clean("form Callback", format!("{form:?}"));

    let expect = Expectations::new()
        .with_provider("p")
        .with_authorize_url(
            "https://id.example/authorize?state=MARKER-state&login_hint=MARKER-hint",
        )
        .with_expected_state("MARKER-state")
        .with_response_mode("query");
    assert_clean("Expectations", format!("{expect:?}"));

    let verdict = Policy::empty()
        .classify(
            &cb,
            &Expectations::new().with_expected_state("MARKER-state"),
        )
        .unwrap();
    assert_eq!(verdict.code.as_deref(), Some("MARKER-code"));
    assert_clean("Verdict", format!("{verdict:?}"));
}

#[test]
fn test_cases_hide_secrets() {
    let cases = CaseFile::parse(
        "cases.json",
        r#"{
          "authorize": [{"id": "a", "provider": "generic",
            "input_url": "https://id.example/a?state=MARKER-1&x=1",
            "expect": {"set": {"client_secret": "MARKER-2", "x": "2"},
                       "output": "https://id.example/a?state=MARKER-3&x=2"}}],
          "token": [{"id": "t", "provider": "generic", "url": "https://id.example/token",
            "body": "grant_type=refresh_token&refresh_token=MARKER-4",
            "expect": {"output": "grant_type=refresh_token&refresh_token=MARKER-5"}}],
          "callback": [{"id": "c", "provider": "generic",
            "callback_url": "https://gw.example/cb?code=MARKER-6&state=MARKER-7",
            "context": {"expected_state": "MARKER-8",
                        "authorize_url": "https://id.example/a?state=MARKER-9"},
            "expect": {"outcome": "success", "category": "ok", "retryable": false}},
            {"id": "f", "provider": "generic", "form": "code=MARKER-10&state=MARKER-11",
            "expect": {"outcome": "invalid", "category": "missing_state", "retryable": false}}]
        }"#,
    )
    .unwrap();
    let debug = format!("{cases:?}");
    assert_clean("CaseFile", debug.clone());
    assert!(debug.contains("\"x\": \"2\""), "{debug}");
}
