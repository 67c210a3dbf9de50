//! policyd against hostile clients and unlucky operators, with the real
//! binary: slow or idle connections, an unwritable decision log, secrets in
//! odd spellings, malformed URLs. Every wait is bounded.
#![cfg(feature = "daemon")]

#[path = "daemon/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use harness::{authorize, Daemon, PolicyDir};
use serde_json::json;

/// A policy that copies `state` into a deny reason, the way a careless
/// policy author would.
fn state_echo() -> PolicyDir {
    let dir = PolicyDir::new();
    dir.write(
        "a.policy",
        r#"provider "t" {
  match host == "idp.test"
  authorize {
    deny "bad state ${state}" if state
  }
}
"#,
    );
    dir
}

/// Polls `/metrics` until `line` shows (bounded); returns the text.
fn wait_metric(d: &Daemon, line: &str) -> String {
    let deadline = Instant::now() + harness::DEADLINE;
    loop {
        let m = d.get("/metrics").body;
        if m.contains(line) {
            return m;
        }
        assert!(Instant::now() < deadline, "never saw {line} in\n{m}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_decision_log_scrubs_secrets_as_the_engine_read_them() {
    let dir = state_echo();
    let log = dir.path().join("decisions.jsonl");
    let mut d = Daemon::start(&[
        "--policies",
        dir.arg(),
        "--decision-log",
        log.to_str().unwrap(),
    ]);
    let mut c = d.connect();
    // The engine trims the URL, so `MARKER ` is read as `MARKER`; the
    // others are spellings the engine decodes.
    let urls = [
        "https://idp.test/a?state=MARKER ",
        " https://idp.test/a?state=MARKER",
        "https://idp.test/a?state=MARKER%20",
        "https://idp.test/a?state=MARKER+",
        "https://idp.test/a?state=%4DARKER",
        "https://idp.test/a?st%61te=MARKER",
        "https://idp.test/a?state=MARKER%",
    ];
    for url in urls {
        let r = c.post("/v1/authorize", &authorize(url)).unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
        // The caller does get the reason, secret and all.
        assert!(r.body.contains("bad state MARKER"), "{url}: {}", r.body);
    }
    drop(c);
    d.signal("TERM");
    assert!(d.wait_exit(harness::DEADLINE).success());
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(text.lines().count(), urls.len(), "{text}");
    assert!(!text.contains("MARKER"), "a secret leaked:\n{text}");
    for line in text.lines() {
        assert!(line.contains(r#""denied":"bad state [redacted]"#), "{line}");
    }
}

#[test]
fn an_unwritable_decision_log_counts_every_lost_line_and_warns_rarely() {
    let dir = state_echo();
    let started = Instant::now();
    let mut d = Daemon::start(&["--policies", dir.arg(), "--decision-log", "/dev/full"]);
    let mut c = d.connect();
    let n = 300;
    for i in 0..n {
        let url = format!("https://idp.test/a?state=s{i}");
        assert_eq!(
            c.post("/v1/authorize", &authorize(&url)).unwrap().status,
            200
        );
    }
    wait_metric(&d, &format!("policyd_decision_log_dropped_total {n}\n"));
    let elapsed = started.elapsed();
    d.signal("TERM");
    assert!(d.wait_exit(harness::DEADLINE).success());
    let err = d.stderr();
    let warnings = err.matches("cannot write the decision log").count();
    // One warning per 10 s at most (plus the first), each with its count.
    let allowed = 1 + elapsed.as_secs() as usize / 10;
    assert!(
        (1..=allowed).contains(&warnings),
        "{warnings} warnings in {elapsed:?}:\n{err}"
    );
    assert!(err.contains("lost="), "{err}");
}

#[test]
fn classify_refuses_an_unparsable_authorize_url() {
    let d = Daemon::start(&[]);
    let cb = "https://gw.example/cb?code=c&state=s";
    for (url, code) in [
        ("not a url", "invalid_url"),
        ("https://", "invalid_url"),
        ("mailto:a@b.example", "no_host"),
        ("https://a.example/?x=\u{7}", "control_character"),
    ] {
        let r = d.post(
            "/v1/classify",
            &json!({ "callback_url": cb, "authorize_url": url }),
        );
        assert_eq!(
            (r.status, r.error_code()),
            (422, code.to_string()),
            "{url}: {}",
            r.body
        );
        assert!(r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("authorize_url"));
    }
    let r = d.post(
        "/v1/classify",
        &json!({ "callback_url": cb, "authorize_url": "https://login.microsoftonline.com/t/oauth2/v2.0/authorize?state=s" }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["provider"], "microsoft-entra-v2");
}
