//! The compiled policy keeps where each rule and `match` was written, so a
//! trace's locations give their text without reading or parsing any file.

use oauth_policy::{Policy, Request};

#[test]
fn explain_shows_rule_text_from_the_compiled_policy_of_in_memory_sources() {
    let base = "provider \"p\" {\n  match host == \"p.example\"   # the host\n  authorize {\n    drop   x    # legacy\n      if y\n  }\n}\n";
    let overlay = "extend provider \"p\" {\n  also match host == \"q.example\"\n  authorize { set z = \"1\" }\n}\n";
    let policy = Policy::from_sources([("base.policy", base)])
        .unwrap()
        .with_overlay_sources("mine", [("mine.policy", overlay)])
        .unwrap();
    let req = Request::authorize("https://q.example/a?x=1&y=2").unwrap();
    let (_, trace) = policy.explain(&req);
    let texts: Vec<String> = trace
        .steps
        .iter()
        .map(|s| {
            policy
                .rule_text(&s.location)
                .expect("a rule is written there")
        })
        .collect();
    assert_eq!(texts, ["drop x if y", "set z = \"1\""]);
    let candidate = trace.candidates.first().expect("a candidate");
    assert_eq!(
        policy.match_text(&candidate.location).as_deref(),
        Some("host == \"p.example\"")
    );
    let also = candidate
        .matched_by
        .as_ref()
        .expect("matched by the overlay");
    assert_eq!(
        policy.match_text(also).as_deref(),
        Some("host == \"q.example\"")
    );
}
