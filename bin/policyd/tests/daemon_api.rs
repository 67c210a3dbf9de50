//! policyd's HTTP API against the real binary: decisions, errors, status,
//! metrics, the decision log's redaction, startup and shutdown.

#[path = "daemon/harness.rs"]
mod harness;

use std::time::Duration;

use harness::{authorize, provider, Daemon, PolicyDir};
use serde_json::{json, Value};

const SEED: &str = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?client_id=00001111-aaaa-2222-bbbb-3333cccc4444&response_type=code&redirect_uri=https%3A%2F%2Fgateway.example.com%2Foauth%2Fcallback&scope=openid%20offline_access%20api%3A%2F%2F00001111-aaaa-2222-bbbb-3333cccc4444%2Fmcp.access&resource=https%3A%2F%2Fmcp.example.com&state=xyz123&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";

fn builtin_revision() -> String {
    oauth_policy::Policy::try_builtin()
        .unwrap()
        .revision()
        .to_string()
}

#[test]
fn seed_scenario_over_http_with_the_embedded_library() {
    let d = Daemon::start(&[]);
    assert!(
        d.stderr().contains("serving the embedded default library"),
        "{}",
        d.stderr()
    );
    let r = d.post("/v1/authorize", &authorize(SEED));
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["revision"], builtin_revision());
    assert_eq!(v["generation"], 1);
    assert_eq!(v["provider"], "microsoft-entra-v2");
    assert_eq!(v["denied"], Value::Null);
    let url = v["url"].as_str().unwrap();
    assert!(!url.contains("resource="), "{url}");
    // Everything else is byte-identical, in order.
    assert_eq!(
        url,
        SEED.replace("&resource=https%3A%2F%2Fmcp.example.com", "")
    );
    let changes = v["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["action"], "drop");
    assert_eq!(changes[0]["param"], "resource");

    // The same audience model on the token endpoint.
    let r = d.post(
        "/v1/token",
        &json!({
            "url": "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
            "body": "grant_type=refresh_token&refresh_token=r1&scope=openid%20api%3A%2F%2Fx%2F.default&resource=https%3A%2F%2Fmcp.example.com",
        }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["revision"], builtin_revision());
    assert_eq!(
        v["body"],
        "grant_type=refresh_token&refresh_token=r1&scope=openid%20api%3A%2F%2Fx%2F.default"
    );

    let p = d.policy();
    assert_eq!(p["source"], "builtin");
    assert_eq!(p["revision"], builtin_revision());
    assert_eq!(p["last_reload"]["result"], "initial");
    let r = d.get("/readyz");
    assert_eq!(
        (r.status, r.json()["status"].clone()),
        (200, json!("ready"))
    );
    assert_eq!(d.get("/livez").status, 200);
}

#[test]
fn classify_over_http() {
    let d = Daemon::start(&[]);
    // The seed's failure as it comes back from Entra.
    let r = d.post(
        "/v1/classify",
        &json!({
            "callback_url": "https://gateway.example.com/oauth/callback?error=invalid_target&error_description=AADSTS9010010%3A+The+resource+parameter+provided+in+the+request+doesn%27t+match&state=xyz123",
            "authorize_url": SEED,
            "expected_state": "xyz123",
        }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["revision"], builtin_revision());
    assert_eq!(v["outcome"], "provider_error");
    assert_eq!(v["category"], "invalid_target");
    assert_eq!(v["provider"], "microsoft-entra-v2");
    assert_eq!(v["provider_code"], "AADSTS9010010");

    // A form_post success hands back the code.
    let r = d.post(
        "/v1/classify",
        &json!({ "form": "code=abc&state=s1", "provider": "microsoft-entra-v2", "expected_state": "s1" }),
    );
    let v = r.json();
    assert_eq!(
        (v["outcome"].as_str(), v["code"].as_str()),
        (Some("success"), Some("abc"))
    );

    // RFC 9207: a callback without `iss` is refused when the flow requires
    // it, spelt `require_iss` or, as before, `iss_required`.
    for key in ["require_iss", "iss_required"] {
        let mut body = json!({ "callback_url": "https://gw.example/cb?code=c&state=s1", "expected_state": "s1" });
        body[key] = json!(true);
        let r = d.post("/v1/classify", &body);
        assert_eq!(r.json()["category"], "issuer_mismatch", "{key}: {}", r.body);
    }

    // No code, no error: the seed crash path is an explicit verdict.
    let r = d.post(
        "/v1/classify",
        &json!({ "callback_url": "https://gw.example/cb?state=s1", "expected_state": "s1" }),
    );
    assert_eq!(r.json()["category"], "missing_code");

    for (body, code) in [
        (json!({ "expected_state": "s1" }), "invalid_request"),
        (
            json!({ "callback_url": "https://gw/cb", "form": "a=b" }),
            "invalid_request",
        ),
        (
            json!({ "callback_url": "https://gw/cb?code=c&state=s", "provider": "x", "authorize_url": SEED }),
            "invalid_request",
        ),
        (
            json!({ "callback_url": "https://gw/cb?code=c&state=s", "provider": "microsoft-entra-v3" }),
            "unknown_provider",
        ),
        (json!({ "callback_url": "not a url" }), "invalid_url"),
    ] {
        let r = d.post("/v1/classify", &body);
        assert_eq!(r.status, 422, "{body}: {}", r.body);
        assert_eq!(r.error_code(), code, "{body}");
    }
    let r = d.post(
        "/v1/classify",
        &json!({ "callback_url": "https://gw/cb?code=c&state=s", "provider": "microsoft-entra-v3" }),
    );
    assert!(
        r.body.contains("did you mean `microsoft-entra-v2`"),
        "{}",
        r.body
    );
}

#[test]
fn classify_passes_no_state_and_response_mode_through() {
    let d = Daemon::start(&[]);
    // A PKCE-only flow that sent no state.
    let r = d.post(
        "/v1/classify",
        &json!({ "callback_url": "https://gw.example/cb?code=abc", "no_state": true }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["outcome"], "success");
    let r = d.post(
        "/v1/classify",
        &json!({ "callback_url": "https://gw.example/cb?code=abc" }),
    );
    assert_eq!(r.json()["category"], "missing_state");
    // The fragment is read only for a flow in fragment mode.
    let cb = "https://gw.example/cb#code=abc&state=s1";
    let r = d.post(
        "/v1/classify",
        &json!({ "callback_url": cb, "expected_state": "s1", "response_mode": "fragment" }),
    );
    assert_eq!(r.json()["outcome"], "success");
    let r = d.post(
        "/v1/classify",
        &json!({ "callback_url": cb, "expected_state": "s1" }),
    );
    assert_eq!(r.json()["category"], "missing_state");
}

#[test]
fn bad_requests_get_json_errors_with_stable_codes() {
    let d = Daemon::start(&[]);
    let long_url = format!("https://idp.example/auth?x={}", "a".repeat(70 * 1024));
    // (path, content type, body, status, code)
    type Case<'a> = (&'a str, Option<&'a str>, Vec<u8>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            "/v1/authorize",
            None,
            br#"{"url":"https://a.example/"}"#.to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "/v1/authorize",
            Some("text/plain"),
            br#"{"url":"https://a.example/"}"#.to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "/v1/authorize",
            Some("application/json"),
            b"{not json".to_vec(),
            400,
            "invalid_json",
        ),
        (
            "/v1/authorize",
            Some("application/json"),
            b"".to_vec(),
            400,
            "invalid_json",
        ),
        (
            "/v1/authorize",
            Some("application/json"),
            b"\xff\xfe{}".to_vec(),
            400,
            "invalid_json",
        ),
        (
            "/v1/authorize",
            Some("application/json"),
            br#"{"uri":"https://a.example/"}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "/v1/authorize",
            Some("application/json"),
            br#"{"url":5}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "/v1/authorize",
            Some("application/json"),
            br#"[]"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "/v1/authorize",
            Some("application/json"),
            br#"{"url":"not a url"}"#.to_vec(),
            422,
            "invalid_url",
        ),
        (
            "/v1/authorize",
            Some("application/json"),
            br#"{"url":"mailto:a@b.example"}"#.to_vec(),
            422,
            "no_host",
        ),
        (
            "/v1/authorize",
            Some("application/json"),
            br#"{"url":"https://a.example/?a=1\tb"}"#.to_vec(),
            422,
            "control_character",
        ),
        (
            "/v1/authorize",
            Some("application/json"),
            json!({ "url": long_url }).to_string().into_bytes(),
            413,
            "too_large",
        ),
        (
            "/v1/authorize",
            Some("application/json; charset=utf-8"),
            json!({ "url": format!("https://a.example/?{}", "a=1&".repeat(1001)) })
                .to_string()
                .into_bytes(),
            413,
            "too_many_parameters",
        ),
        (
            "/v1/token",
            Some("application/json"),
            br#"{"url":"https://a.example/token"}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "/v1/token",
            Some("application/json"),
            json!({ "url": "https://a.example/token", "body": "a".repeat(300 * 1024) })
                .to_string()
                .into_bytes(),
            413,
            "too_large",
        ),
    ];
    for (path, ct, body, status, code) in cases {
        let r = d.connect().send("POST", path, ct, &body).unwrap();
        let shown = String::from_utf8_lossy(&body[..body.len().min(60)]).to_string();
        assert_eq!(r.status, status, "{path} {ct:?} {shown}: {}", r.body);
        assert_eq!(r.error_code(), code, "{path} {shown}");
        assert!(r
            .header("content-type")
            .unwrap()
            .starts_with("application/json"));
    }
    // Past the 1 MiB envelope: refused from the declared length, unread.
    let r = d
        .connect()
        .send_head_only("/v1/token", 2 * 1024 * 1024)
        .unwrap();
    assert_eq!(
        (r.status, r.error_code()),
        (413, "body_too_large".to_string())
    );
    let r = d.get("/v1/authorize");
    assert_eq!(
        (r.status, r.error_code()),
        (405, "method_not_allowed".to_string())
    );
    let r = d.get("/v2/nothing");
    assert_eq!((r.status, r.error_code()), (404, "not_found".to_string()));

    // Errors are counted, and the daemon still decides afterwards.
    let m = d.get("/metrics").body;
    assert!(
        m.contains(r#"policyd_requests_total{endpoint="authorize",outcome="error"} 13"#),
        "{m}"
    );
    let r = d.post("/v1/authorize", &authorize(SEED));
    assert_eq!(r.status, 200);
}

#[test]
fn metrics_count_decisions_and_reloads() {
    let dir = PolicyDir::new();
    dir.write(
        "a.policy",
        &provider(
            "t",
            "idp.test",
            r#"deny "no prompt=none" if prompt == "none""#,
        ),
    );
    let d = Daemon::start(&["--policies", dir.arg(), "--debounce", "10ms"]);
    let mut c = d.connect();
    for url in [
        "https://idp.test/auth?resource=x",
        "https://idp.test/auth?prompt=none",
        "https://other.test/auth",
    ] {
        assert_eq!(
            c.post("/v1/authorize", &authorize(url)).unwrap().status,
            200
        );
    }
    dir.write_atomic("b.policy", &provider("u", "idp2.test", ""));
    d.wait_revision(&dir.revision());
    let r = d.get("/metrics");
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap()
        .contains("openmetrics-text"));
    let m = r.body;
    for line in [
        r#"policyd_requests_total{endpoint="authorize",outcome="rewritten"} 1"#,
        r#"policyd_requests_total{endpoint="authorize",outcome="denied"} 1"#,
        r#"policyd_requests_total{endpoint="authorize",outcome="unchanged"} 1"#,
        r#"policyd_request_duration_seconds_count{endpoint="authorize"} 3"#,
        r#"policyd_reloads_total{result="ok"} 1"#,
        "policyd_policy_generation 2",
        "policyd_policy_stale 0",
    ] {
        assert!(m.contains(line), "missing {line} in\n{m}");
    }
    assert!(m.contains("policyd_last_successful_reload_timestamp_seconds "));
    assert!(m.ends_with("# EOF\n"));
}

#[test]
fn decision_log_has_the_fields_and_never_a_secret() {
    let dir = PolicyDir::new();
    // Deny reasons that interpolate secrets: the log must still not show them.
    dir.write(
        "a.policy",
        r#"provider "t" {
  match host == "idp.test"
  authorize {
    deny "state ${state} for ${login_hint}" if prompt == "none"
    drop resource
  }
  token {
    deny "code ${code} verifier ${code_verifier} secret ${client_secret} assertion ${client_assertion}" if grant_type == "authorization_code"
    deny "refresh ${refresh_token}" if grant_type == "refresh_token"
  }
}
"#,
    );
    let log = dir.path().join("decisions.jsonl");
    let mut d = Daemon::start(&[
        "--policies",
        dir.arg(),
        "--decision-log",
        log.to_str().unwrap(),
    ]);
    let secrets = [
        "S3cr3tState",
        "hint@user.example",
        "C0deValue",
        "Verif1er",
        "CliS3cret",
        "Ass3rtion",
        "R3fresh",
        "Acc3ssTok",
        "IdT0ken",
    ];
    let mut c = d.connect();
    let calls = [
        (
            "/v1/authorize",
            json!({ "url": "https://idp.test/auth?state=S3cr3tState&login_hint=hint%40user.example&prompt=none" }),
        ),
        (
            "/v1/authorize",
            json!({ "url": "https://idp.test/auth?state=S3cr3tState&resource=x&code_verifier=Verif1er" }),
        ),
        (
            "/v1/token",
            json!({ "url": "https://idp.test/token", "body": "grant_type=authorization_code&code=C0deValue&code_verifier=Verif1er&client_secret=CliS3cret&client_assertion=Ass3rtion" }),
        ),
        (
            "/v1/token",
            json!({ "url": "https://idp.test/token", "body": "grant_type=refresh_token&refresh_token=R3fresh" }),
        ),
        (
            "/v1/classify",
            json!({ "callback_url": "https://gw.test/cb?code=C0deValue&state=S3cr3tState", "expected_state": "S3cr3tState", "provider": "t" }),
        ),
        (
            "/v1/classify",
            json!({ "callback_url": "https://gw.test/cb#access_token=Acc3ssTok&id_token=IdT0ken&state=S3cr3tState", "expected_state": "S3cr3tState" }),
        ),
        (
            "/v1/classify",
            json!({ "callback_url": "https://gw.test/cb?error=S3cr3tState&state=S3cr3tState" }),
        ),
        (
            "/v1/authorize",
            json!({ "url": "https://idp.test/auth?state=S3cr3tState&x=\u{7}" }),
        ),
    ];
    let mut answers = Vec::new();
    for (path, body) in &calls {
        answers.push(c.post(path, body).unwrap());
    }
    // The deny reasons really did carry the secrets to the caller…
    assert!(
        answers[0].body.contains("S3cr3tState"),
        "{}",
        answers[0].body
    );
    assert!(answers[2].body.contains("C0deValue"), "{}", answers[2].body);
    assert_eq!(answers[7].status, 422);
    drop(c);
    // …and SIGTERM flushes the log.
    d.signal("TERM");
    assert!(d.wait_exit(Duration::from_secs(10)).success());
    let text = std::fs::read_to_string(&log).unwrap();
    for s in secrets {
        assert!(
            !text.contains(s),
            "secret {s} leaked into the decision log:\n{text}"
        );
    }
    assert!(!text.contains("hint%40user.example"));
    assert!(text.contains("[redacted]"), "{text}");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), calls.len(), "{text}");
    let revision = dir.revision();
    for (line, (path, _)) in lines.iter().zip(&calls) {
        assert_eq!(format!("/v1/{}", line["endpoint"].as_str().unwrap()), *path);
        assert!(line["time"].as_str().unwrap().ends_with('Z'));
        assert!(line["latency_us"].is_u64());
        assert!(line["rules"].is_array());
        assert!(line.get("provider").is_some() && line.get("outcome").is_some());
    }
    assert_eq!(lines[0]["outcome"], "denied");
    assert_eq!(lines[0]["revision"], revision);
    assert_eq!(lines[0]["rules"], json!(["t/authorize#1"]));
    assert_eq!(lines[0]["denied"], "state [redacted] for [redacted]");
    assert_eq!(lines[1]["outcome"], "rewritten");
    assert_eq!(lines[4]["outcome"], "success");
    assert_eq!(lines[6]["error"], "[redacted]");
    assert_eq!(
        (lines[7]["outcome"].as_str(), lines[7]["status"].as_u64()),
        (Some("error"), Some(422))
    );
    assert_eq!(lines[7]["error"], "control_character");
}

#[test]
fn refuses_to_start_on_an_invalid_policy() {
    let dir = PolicyDir::new();
    dir.write("good.policy", &provider("t", "idp.test", ""));
    dir.write(
        "broken.policy",
        "provider \"x\" {\n  match host = \"a\"\n}\n",
    );
    let err = Daemon::try_start(&["--policies", dir.arg()])
        .err()
        .expect("an invalid policy must not start");
    assert_eq!(err.status.and_then(|s| s.code()), Some(1), "{}", err.stderr);
    assert!(err.stderr.contains("broken.policy:2:"), "{}", err.stderr);
    assert!(err.stderr.contains("policy::E"), "{}", err.stderr);
    assert!(!err.stderr.contains("listening"), "{}", err.stderr);

    let empty = PolicyDir::new();
    let err = Daemon::try_start(&["--policies", empty.arg()])
        .err()
        .unwrap();
    assert!(err.stderr.contains("no .policy files"), "{}", err.stderr);
}

#[test]
fn sigterm_stops_cleanly_with_an_idle_keep_alive_connection_open() {
    let mut d = Daemon::start(&[]);
    let mut c = d.connect();
    assert_eq!(
        c.post("/v1/authorize", &authorize(SEED)).unwrap().status,
        200
    );
    d.signal("TERM");
    // Well under the 10 s grace: idle connections are closed, not waited for.
    let status = d.wait_exit(Duration::from_secs(5));
    assert!(status.success(), "{status:?}\n{}", d.stderr());
    let err = d.wait_stderr("stopped");
    assert!(
        err.contains("SIGTERM: shutting down") && err.contains("stopped"),
        "{err}"
    );
}

#[test]
fn sigterm_lets_an_in_flight_request_finish() {
    let mut d = Daemon::start(&[]);
    let mut c = d.connect();
    // A full exchange first, so the server has accepted this connection
    // (one still in the listen backlog is reset by shutdown, rightly).
    assert_eq!(
        c.post("/v1/authorize", &authorize(SEED)).unwrap().status,
        200
    );
    let body = authorize(SEED).to_string();
    let (first, rest) = body.as_bytes().split_at(10);
    let head = format!(
        "POST /v1/authorize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    c.write_raw(head.as_bytes());
    c.write_raw(first);
    // Give the server a moment to read the head: the request is then in
    // flight, not an idle keep-alive connection (which shutdown closes).
    std::thread::sleep(Duration::from_millis(100));
    d.signal("TERM");
    let deadline = std::time::Instant::now() + harness::DEADLINE;
    while !d.stderr().contains("shutting down") {
        assert!(std::time::Instant::now() < deadline, "{}", d.stderr());
        std::thread::sleep(Duration::from_millis(5));
    }
    // The rest of the body arrives after shutdown began: still answered.
    c.write_raw(rest);
    let r = c.read().unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["provider"], "microsoft-entra-v2");
    assert!(d.wait_exit(Duration::from_secs(5)).success());
}

#[test]
fn python_example_client() {
    let d = Daemon::start(&[]);
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/python/policyd_client.py"
    );
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(format!("http://{}", d.addr))
        .output()
        .expect("python3 must be installed to run the example client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["revision"], builtin_revision());
    assert_eq!(report["authorize"]["provider"], "microsoft-entra-v2");
    assert!(!report["authorize"]["url"]
        .as_str()
        .unwrap()
        .contains("resource="));
    assert_eq!(report["classify_error"]["category"], "invalid_target");
    assert_eq!(report["classify_success"]["outcome"], "success");
    assert_eq!(report["bad_request"]["status"], 422);
    assert_eq!(report["bad_request"]["code"], "invalid_url");
}

/// The public corpus through the daemon: every authorize case gets the
/// library's answer (which `bin/policyc/tests/corpus.rs` checks against the cases), and
/// every callback case the expected verdict, over HTTP.
#[test]
fn the_public_corpus_through_the_daemon() {
    use oauth_policy::testing::CaseFile;
    use oauth_policy::{Policy, Request};
    let root = &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap();
    let overlay = root.join("tests/corpus/overlay");
    let corpus = CaseFile::read(&root.join("tests/corpus/public.json")).unwrap();
    let library = Policy::builtin().with_overlay(&overlay).unwrap();
    let d = Daemon::start(&["--overlay", overlay.to_str().unwrap()]);
    let mut failures = Vec::new();
    for c in &corpus.authorize {
        let want = library.apply(&Request::authorize(&c.input_url).unwrap());
        let v = d.post("/v1/authorize", &authorize(&c.input_url)).json();
        let reason = v["denied"]["reason"].as_str();
        if v["url"] != want.url()
            || v["provider"].as_str() != want.provider()
            || reason != want.denied().map(|x| x.reason.as_str())
        {
            failures.push(format!("authorize {}: {v}", c.id));
        }
    }
    for c in &corpus.callback {
        let e = c.expectations();
        let mut body = json!({
            "expected_state": e.expected_state,
            "expected_issuer": e.expected_issuer,
            "require_iss": e.require_iss,
            "no_state": e.no_state,
        });
        let fields = [
            ("response_mode", e.response_mode.clone()),
            ("callback_url", c.callback_url.clone()),
            ("form", c.form.clone()),
            ("provider", e.provider.clone()),
            ("authorize_url", e.authorize_url.clone()),
        ];
        for (k, v) in fields {
            if let Some(v) = v {
                body[k] = json!(v);
            }
        }
        let r = d.post("/v1/classify", &body);
        let v = r.json();
        let x = &c.expect;
        if r.status != 200
            || v["outcome"] != serde_json::to_value(x.outcome).unwrap()
            || v["category"] != serde_json::to_value(x.category).unwrap()
            || v["retryable"] != x.retryable
            || v["provider_code"] != serde_json::to_value(&x.provider_code).unwrap()
        {
            failures.push(format!("callback {}: {} {v}", c.id, r.status));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        corpus.authorize.len() + corpus.callback.len(),
        failures.join("\n")
    );
}
