//! README.md shows real output of real commands: the first command's output,
//! the tour's policy and the overlay example are run here.

use std::process::Command;

use oauth_policy::{Policy, Request};

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap()
}

/// The fenced blocks of a kind (`sh`, `text`), in order.
fn blocks(text: &str, kind: &str) -> Vec<String> {
    text.split(&format!("```{kind}\n"))
        .skip(1)
        .map(|b| b.split("```").next().unwrap().to_string())
        .collect()
}

#[test]
fn the_first_command_prints_what_the_readme_shows() {
    let text = readme();
    let first = blocks(&text, "sh")[0].lines().next().unwrap().to_string();
    let url = first
        .strip_prefix("cargo run --bin policyc -- apply '")
        .and_then(|r| r.strip_suffix('\''))
        .expect("the README's first command is `cargo run --bin policyc -- apply 'URL'`");
    let out = Command::new(env!("CARGO_BIN_EXE_policyc"))
        .args(["apply", url])
        .output()
        .unwrap();
    assert!(out.status.success());
    let shown = &blocks(&text, "text")[0];
    assert_eq!(String::from_utf8(out.stdout).unwrap(), *shown);
    // Only `resource` went: the rest of the query is byte-identical.
    assert_eq!(
        shown.trim(),
        url.replace("&resource=https%3A%2F%2Fmcp.example.com", "")
    );
}

#[test]
fn the_tour_policy_drops_resource_and_nothing_else() {
    let text = readme();
    let tour = blocks(&text, "text")
        .into_iter()
        .find(|b| b.contains("provider \"microsoft-entra-v2\""))
        .unwrap();
    let policy = Policy::parse("tour.policy", &tour).unwrap();
    let seed = "https://login.microsoftonline.com/t/oauth2/v2.0/authorize?client_id=c&scope=openid%20User.Read&resource=https%3A%2F%2Fmcp.example.com&state=s";
    let out = policy.apply(&Request::authorize(seed).unwrap());
    assert_eq!(
        out.url(),
        "https://login.microsoftonline.com/t/oauth2/v2.0/authorize?client_id=c&scope=openid%20User.Read&state=s"
    );
    // The shipped library does the same on the same request.
    let shipped = Policy::builtin().apply(&Request::authorize(seed).unwrap());
    assert_eq!(shipped.url(), out.url());
}

#[test]
fn the_overlay_example_gives_auth0_a_custom_domain() {
    let text = readme();
    let overlay = blocks(&text, "text")
        .into_iter()
        .find(|b| b.starts_with("extend provider"))
        .unwrap();
    let policy = Policy::builtin()
        .with_overlay_sources("readme", [("overlay.policy", overlay.as_str())])
        .unwrap();
    let req = Request::authorize("https://login.acme.com/authorize?client_id=c&response_type=code")
        .unwrap();
    assert_eq!(policy.apply(&req).provider(), Some("auth0"));
}

/// docs/daemon.md's `/v1/authorize` example is what the engine answers for
/// the request its first example sends (revision and generation aside).
#[test]
fn the_daemon_docs_authorize_example_is_real_output() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/daemon.md"))
        .unwrap();
    let url = doc
        .split("-d '{\"url\":\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the first example posts a url");
    let example = doc
        .split("For the request in the first example:")
        .nth(1)
        .map(|r| blocks(r, "json")[0].clone())
        .expect("the /v1/authorize example");
    let shown: serde_json::Value = serde_json::from_str(&example).unwrap();
    let out = Policy::builtin().apply(&Request::authorize(url).unwrap());
    let real = serde_json::to_value(&out).unwrap();
    for field in ["url", "body", "provider", "changes", "denied"] {
        assert_eq!(shown[field], real[field], "docs/daemon.md `{field}`");
    }
}
