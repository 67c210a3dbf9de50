//! policyd against hostile clients and unlucky operators, with the real
//! binary: slow or idle connections, an unwritable decision log, secrets in
//! odd spellings, malformed URLs. Every wait is bounded.

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
    let err = d.wait_stderr("stopped");
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

/// Reads until the server closes the connection; how long that took, or
/// `None` if it was still open after `harness::DEADLINE`.
fn wait_closed(stream: &mut std::net::TcpStream) -> Option<Duration> {
    use std::io::Read;
    let started = Instant::now();
    stream.set_read_timeout(Some(harness::DEADLINE)).unwrap();
    let mut buf = [0; 256];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Some(started.elapsed()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Some(started.elapsed())
            }
            Err(_) => return None,
        }
    }
}

/// A connection that sent the start of a request head and stalled.
fn half_head(d: &Daemon) -> std::net::TcpStream {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(d.addr).unwrap();
    s.write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    s
}

#[test]
fn a_half_sent_request_head_is_closed_at_the_header_read_timeout() {
    let d = Daemon::start(&["--header-read-timeout", "300ms"]);
    let mut slow = half_head(&d);
    let took = wait_closed(&mut slow).expect("a half-sent head was never timed out");
    eprintln!("half-sent head closed after {took:?} (--header-read-timeout 300ms)");
    // A connection that sends nothing is closed by the same timer (hyper
    // starts it whenever a connection waits for a request: idle keep-alive too).
    let mut c = d.connect();
    assert_eq!(c.send("GET", "/livez", None, b"").unwrap().status, 200);
    assert!(c.send("GET", "/livez", None, b"").is_ok());
    let mut idle = std::net::TcpStream::connect(d.addr).unwrap();
    assert!(
        wait_closed(&mut idle).is_some(),
        "an idle connection was never closed"
    );
    assert_eq!(d.get("/livez").status, 200);
}

#[test]
fn a_slow_request_body_is_cut_off_with_408() {
    let d = Daemon::start(&["--body-read-timeout", "300ms"]);
    let mut c = d.connect();
    let body = authorize("https://idp.test/a").to_string();
    let head = format!(
        "POST /v1/authorize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    c.write_raw(head.as_bytes());
    c.write_raw(&body.as_bytes()[..5]);
    let started = Instant::now();
    let r = c.read().unwrap();
    eprintln!(
        "slow body answered after {:?} (--body-read-timeout 300ms)",
        started.elapsed()
    );
    assert_eq!(
        (r.status, r.error_code()),
        (408, "body_timeout".to_string()),
        "{}",
        r.body
    );
    // The error is counted like any refused request.
    let m = d.get("/metrics").body;
    assert!(
        m.contains(r#"policyd_requests_total{endpoint="authorize",outcome="error"} 1"#),
        "{m}"
    );
}

/// Many idle and stalled connections, then `/livez` and a decision on new
/// connections: both must be answered.
fn flood_then_probe(d: &Daemon, n: usize) {
    let mut held = Vec::new();
    for i in 0..n {
        if i % 2 == 0 {
            held.push(half_head(d));
        } else {
            held.push(std::net::TcpStream::connect(d.addr).unwrap());
        }
    }
    let r = d.get("/livez");
    assert_eq!(r.status, 200, "{}", r.body);
    let r = d.post("/v1/authorize", &authorize("https://idp.test/a?state=x"));
    assert_eq!(r.status, 200, "{}", r.body);
    // The cap closed the oldest of the flood to make room.
    assert!(held.iter_mut().any(is_closed));
}

/// Whether the server has closed `s` (without waiting).
fn is_closed(s: &mut std::net::TcpStream) -> bool {
    s.set_nonblocking(true).unwrap();
    let mut b = [0; 1];
    match std::io::Read::read(s, &mut b) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
    }
}

#[test]
fn idle_and_stalled_connections_beyond_the_cap_do_not_lock_out_livez() {
    let d = Daemon::start(&["--max-connections", "8", "--header-read-timeout", "1h"]);
    flood_then_probe(&d, 60);
}

#[test]
fn with_a_low_file_descriptor_limit_the_cap_fits_under_it() {
    // 64 descriptors: 200 held connections would exhaust them without a cap.
    let d = Daemon::start_with_fd_limit(64, &["--header-read-timeout", "1h"]);
    d.wait_stderr("lowering the connection cap");
    flood_then_probe(&d, 200);
}

#[test]
fn a_chunked_body_is_read_against_the_limit_as_it_streams() {
    let d = Daemon::start(&[]);
    let mut c = d.connect();
    // No Content-Length to refuse it by: 1 MiB in 64 KiB chunks, then one
    // byte more (so every write happens before the server can refuse).
    c.write_raw(
        b"POST /v1/authorize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
    for _ in 0..16 {
        c.write_raw(chunk.as_bytes());
    }
    c.write_raw(b"1\r\n \r\n");
    let r = c.read().unwrap();
    assert_eq!(
        (r.status, r.error_code()),
        (413, "body_too_large".to_string()),
        "{}",
        r.body
    );
}

#[test]
fn shutdown_does_not_wait_for_a_half_sent_head() {
    let mut d = Daemon::start(&["--shutdown-grace", "1h", "--header-read-timeout", "1h"]);
    let _slow = half_head(&d);
    assert_eq!(d.get("/livez").status, 200);
    d.signal("TERM");
    // No request was in progress on it: closed, not waited for.
    assert!(d.wait_exit(harness::DEADLINE).success());
}

#[test]
fn fragment_secrets_are_scrubbed_when_the_engine_reads_the_fragment() {
    let dir = PolicyDir::new();
    let log = dir.path().join("decisions.jsonl");
    let mut d = Daemon::start(&["--decision-log", log.to_str().unwrap()]);
    // An implicit-style flow: the response is in the fragment, and its
    // `error` (logged) happens to equal its token.
    let r = d.post(
        "/v1/classify",
        &json!({
            "callback_url": "https://gw.example/cb#error=T0kenValue&access_token=T0kenValue&state=St4te",
            "authorize_url": "https://login.microsoftonline.com/t/oauth2/v2.0/authorize?response_type=token&state=St4te",
            "expected_state": "St4te",
        }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["error"],
        "T0kenValue",
        "the engine read the fragment"
    );
    d.signal("TERM");
    assert!(d.wait_exit(harness::DEADLINE).success());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text.contains("T0kenValue"),
        "a fragment secret leaked:\n{text}"
    );
    assert!(text.contains(r#""error":"[redacted]""#), "{text}");
}
