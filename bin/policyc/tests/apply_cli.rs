//! `policyc apply` / `policyc classify` end to end: output and exit codes.

use std::process::Command;

fn policyc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_policyc"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const V2: &str = "https://login.microsoftonline.com/t/oauth2/v2.0/authorize?scope=openid%20api%3A%2F%2Fx%2Fy&resource=https%3A%2F%2Fmcp&state=s";

#[test]
fn apply_prints_the_rewritten_url_with_the_embedded_library() {
    let (code, out, _) = policyc(&["apply", V2]);
    assert_eq!(code, 0);
    assert_eq!(
        out.trim(),
        "https://login.microsoftonline.com/t/oauth2/v2.0/authorize?scope=openid%20api%3A%2F%2Fx%2Fy&state=s"
    );
}

#[test]
fn apply_json_has_the_documented_fields() {
    let (code, out, _) = policyc(&["apply", "--format", "json", V2]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for field in ["url", "body", "provider", "changes", "denied"] {
        assert!(v.get(field).is_some(), "missing {field}");
    }
    assert_eq!(v["provider"], "microsoft-entra-v2");
    assert_eq!(v["changes"][0]["param"], "resource");
}

#[test]
fn apply_token_body() {
    let (code, out, _) = policyc(&[
        "apply",
        "--token",
        "--body",
        "grant_type=refresh_token&refresh_token=r&scope=api%3A%2F%2Fx%2F.default&resource=https%3A%2F%2Fmcp",
        "https://login.microsoftonline.com/t/oauth2/v2.0/token",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        out.trim(),
        "grant_type=refresh_token&refresh_token=r&scope=api%3A%2F%2Fx%2F.default"
    );
}

#[test]
fn apply_exit_codes_denied_and_bad_input() {
    let dir = std::env::temp_dir().join(format!("policyc-apply-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("deny.policy");
    std::fs::write(&file, "deny \"nope\" if x").unwrap();
    let file = file.to_str().unwrap();
    let (code, out, err) = policyc(&["apply", "--policies", file, "https://a.example/?x=1"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("denied: nope"), "{err}");
    let (code, _, _) = policyc(&["apply", "--policies", file, "https://a.example/?y=1"]);
    assert_eq!(code, 0);
    let (code, out, _) = policyc(&["apply", "--format", "json", "not a url"]);
    assert_eq!(code, 1);
    assert!(out.contains("\"request::invalid_url\""), "{out}");
    std::fs::write(dir.join("bad.policy"), "dorp x").unwrap();
    let (code, _, err) = policyc(&[
        "apply",
        "--policies",
        dir.join("bad.policy").to_str().unwrap(),
        V2,
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("policy::E001") && err.contains("did you mean `drop`?"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn classify_prints_a_verdict_and_exits_zero_for_any_verdict() {
    let (code, out, _) = policyc(&[
        "classify",
        "--format",
        "json",
        "--expected-state",
        "xyz123",
        "https://gw.example/cb?state=xyz123",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["outcome"], "invalid");
    assert_eq!(v["category"], "missing_code");
    let (code, _, err) = policyc(&[
        "classify",
        "--provider",
        "microsoft-entra-v3",
        "https://gw.example/cb",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("did you mean `microsoft-entra-v2`?"), "{err}");
    // `explain --callback` refuses it the same way (the library's check).
    let (code, _, err) = policyc(&[
        "explain",
        "--callback",
        "--provider",
        "microsoft-entra-v3",
        "https://gw.example/cb",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no provider named `microsoft-entra-v3` in the policy")
            && err.contains("did you mean `microsoft-entra-v2`?"),
        "{err}"
    );
}

#[test]
fn classify_takes_no_state_and_response_mode() {
    let json = |args: &[&str]| {
        let (code, out, err) = policyc(args);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    let v = json(&[
        "classify",
        "--format",
        "json",
        "--no-state",
        "https://gw.example/cb?code=c",
    ]);
    assert_eq!(v["outcome"], "success");
    let v = json(&[
        "classify",
        "--format",
        "json",
        "https://gw.example/cb?code=c",
    ]);
    assert_eq!(v["category"], "missing_state");
    let cb = "https://gw.example/cb#code=c&state=s1";
    let v = json(&[
        "classify",
        "--format",
        "json",
        "--expected-state",
        "s1",
        "--response-mode",
        "fragment",
        cb,
    ]);
    assert_eq!(v["outcome"], "success");
    let v = json(&["classify", "--format", "json", "--expected-state", "s1", cb]);
    assert_eq!(v["category"], "missing_state");
    // A state was sent, or none was: not both.
    let (code, _, err) = policyc(&["classify", "--no-state", "--expected-state", "s1", cb]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot be used with"), "{err}");
}
