//! Overlays: `extend provider` blocks, named and optional rules, layers.
//! Through the library here; `policyc --overlay` at the end.

mod cli_support;
#[path = "../../../tests/support/render.rs"]
mod support;

use cli_support::Fixture;
use oauth_policy::{Effect, LoadError, Policy, Request};
use support::render;

const BASE: &str = r#"
provider "idp" {
  match host == "id.example"
  authorize {
    optional resource-scope: add "${resource}/.default" to scope if resource
    drop-resource: drop resource
    strip-groups: remove "groups" from scope
  }
  token {
    drop-resource: drop resource
  }
}
provider "other" {
  match host ~ r"^[a-z]+\.other\.example$"
}
"#;

fn base() -> Policy {
    Policy::parse("base.policy", BASE).unwrap()
}

fn overlay(text: &str) -> Result<Policy, LoadError> {
    base().with_overlay_sources("overlay", [("overlay.policy", text)])
}

fn apply(p: &Policy, url: &str) -> (String, Option<String>, Vec<String>) {
    let out = p.apply(&Request::authorize(url).unwrap());
    let rules = out.changes().iter().map(|c| c.rule.to_string()).collect();
    (
        out.url().to_string(),
        out.provider().map(str::to_string),
        rules,
    )
}

#[test]
fn named_rules_have_stable_ids_and_optional_rules_start_off() {
    let (url, provider, rules) = apply(
        &base(),
        "https://id.example/a?scope=openid%20groups&resource=https%3A%2F%2Fapi",
    );
    assert_eq!(provider.as_deref(), Some("idp"));
    assert_eq!(url, "https://id.example/a?scope=openid");
    assert_eq!(
        rules,
        ["idp/authorize/drop-resource", "idp/authorize/strip-groups"]
    );
}

#[test]
fn also_match_adds_a_host_and_keeps_the_provider_rules() {
    let p = overlay(r#"extend provider "idp" { also match host == "login.acme.com" }"#).unwrap();
    let (url, provider, _) = apply(&p, "https://login.acme.com/a?resource=x&state=s");
    assert_eq!(provider.as_deref(), Some("idp"));
    assert_eq!(url, "https://login.acme.com/a?state=s");
    // The base's own match still holds, and a lookalike host still does not.
    assert_eq!(
        apply(&p, "https://id.example/a?resource=x").1.as_deref(),
        Some("idp")
    );
    assert_eq!(
        apply(&p, "https://login.acme.com.evil.example/a?resource=x").1,
        None
    );
    assert_eq!(
        apply(&p, "https://LOGIN.ACME.COM./a").1.as_deref(),
        Some("idp")
    );
}

#[test]
fn enable_turns_an_optional_rule_on_and_disable_turns_a_rule_off() {
    let p = overlay(
        r#"extend provider "idp" {
  enable resource-scope
  disable strip-groups
}"#,
    )
    .unwrap();
    let (url, _, rules) = apply(
        &p,
        "https://id.example/a?scope=groups&resource=https%3A%2F%2Fapi",
    );
    assert_eq!(
        url,
        "https://id.example/a?scope=groups%20https%3A%2F%2Fapi%2F.default"
    );
    assert_eq!(
        rules,
        [
            "idp/authorize/resource-scope",
            "idp/authorize/drop-resource"
        ]
    );
    // `disable NAME` reaches every section with that name.
    let p = overlay(r#"extend provider "idp" { disable drop-resource }"#).unwrap();
    let body = "grant_type=refresh_token&resource=x";
    let out = p.apply(&Request::token("https://id.example/token", body).unwrap());
    assert_eq!(out.body(), Some(body));
}

#[test]
fn an_extension_appends_rules_after_the_providers_own() {
    let p = overlay(
        r#"extend provider "idp" {
  authorize {
    tenant: default prompt = "login"
  }
}"#,
    )
    .unwrap();
    let (url, _, rules) = apply(&p, "https://id.example/a?resource=x");
    assert_eq!(url, "https://id.example/a?prompt=login");
    assert_eq!(
        rules,
        ["idp/authorize/drop-resource", "idp/authorize/tenant"]
    );
}

#[test]
fn the_trace_says_which_match_held_and_why_a_rule_is_off() {
    let p = overlay(r#"extend provider "idp" { also match host == "login.acme.com" }"#).unwrap();
    let req = Request::authorize("https://login.acme.com/a?scope=x").unwrap();
    let (_, trace) = p.explain(&req);
    let c = &trace.candidates[0];
    assert!(c.matched);
    assert_eq!(&*c.matched_by.as_ref().unwrap().file, "overlay.policy");
    let off = trace
        .steps
        .iter()
        .find(|s| s.rule == "idp/authorize/resource-scope")
        .unwrap();
    assert_eq!(off.effect, Effect::NotEnabled);
    assert_eq!(off.effect.to_string(), "off: optional rule, not enabled");
    assert_eq!(p.layers().len(), 2);
    assert_eq!(p.layers()[1].name, "overlay");
    assert_eq!(p.layer_of("overlay.policy").unwrap().name, "overlay");
    assert_ne!(p.revision(), base().revision());
    assert_eq!(p.layers()[0].revision, base().layers()[0].revision);
}

#[test]
fn within_holds_when_every_list_item_is_listed() {
    let p = Policy::parse(
        "w.policy",
        r#"deny "x" if scope within ["openid", "profile"]"#,
    )
    .unwrap();
    let denied = |q: &str| {
        p.apply(&Request::authorize(&format!("https://h.example/a?{q}")).unwrap())
            .denied()
            .is_some()
    };
    assert!(denied("scope=openid"));
    assert!(denied("scope=openid%20profile"));
    assert!(denied("scope=profile,openid"));
    assert!(!denied("scope=openid%20User.Read"));
    assert!(!denied("client_id=c"), "absent: false, like every test");
}

#[test]
fn overlay_errors_point_at_the_overlay() {
    let err = overlay(
        r#"extend provider "ipd" { also match host == "a.example" }
extend provider "idp" {
  disable strip-grups
  enable nothing-like-it
  also match host == "x.other.example"
  authorize {
    drop-resource: drop foo
  }
}
"#,
    )
    .unwrap_err();
    insta::assert_snapshot!(render(&err));
}

#[test]
fn a_new_overlay_provider_cannot_take_a_base_providers_host() {
    let err = overlay(r#"provider "mine" { match host == "id.example" }"#).unwrap_err();
    let text = render(&err);
    assert!(text.contains("policy::E043"), "{text}");
    assert!(text.contains("`id.example` belongs to `idp`"), "{text}");
    // The base layer itself may overlap (e.g. Entra v1 and v2 share hosts).
    Policy::from_sources([
        (
            "a.policy",
            r#"provider "a" { match host == "h.example" and path == "/v1" }"#,
        ),
        (
            "b.policy",
            r#"provider "b" { match host == "h.example" and path == "/v2" }"#,
        ),
    ])
    .unwrap();
}

#[test]
fn an_auth0_custom_domain_is_three_lines_on_the_shipped_library() {
    let text = r#"extend provider "auth0" {
  also match host == "login.acme.com"
}"#;
    let p = Policy::builtin()
        .with_overlay_sources("acme", [("acme.policy", text)])
        .unwrap();
    let url = "https://login.acme.com/authorize?client_id=c&response_type=code&scope=openid";
    let out = p.apply(&Request::authorize(url).unwrap());
    assert_eq!(out.provider(), Some("auth0"));
    // Without the overlay the custom domain is nobody's.
    let out = Policy::builtin().apply(&Request::authorize(url).unwrap());
    assert_ne!(out.provider(), Some("auth0"));

    let fx = Fixture::new("overlay").file("acme/acme.policy", text);
    let run = fx.run(&["apply", "--overlay", "acme", "--format", "json", url]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout.contains(r#""provider": "auth0""#),
        "{}",
        run.all()
    );
    let run = fx.run(&["explain", "--overlay", "acme", url]);
    assert!(
        run.stdout
            .contains("also match (at acme/acme.policy:2:14 [acme])"),
        "{}",
        run.all()
    );
    let run = fx.run(&["lint", "--deny-warnings", "--overlay", "acme"]);
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn policyc_lint_reports_overlay_errors_with_spans() {
    let fx = Fixture::new("overlay-lint").file(
        "ov/bad.policy",
        "extend provider \"auth0\" {\n  also match host == \"login.microsoftonline.com\"\n}\n",
    );
    let run = fx.run(&["lint", "--overlay", "ov"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("policy::E043"), "{}", run.all());
    assert!(run.stderr.contains("ov/bad.policy:2"), "{}", run.all());
}

#[test]
fn docs_overlay_examples_load_on_the_shipped_library() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/language.md"
    ))
    .unwrap();
    let mut found = 0;
    for block in doc.split("```overlay\n").skip(1) {
        let text = block.split("```").next().unwrap();
        Policy::builtin()
            .with_overlay_sources("docs", [("docs.policy", text)])
            .unwrap_or_else(|e| panic!("{text}\n{}", render(&e)));
        oauth_policy::fmt::format(text).unwrap();
        found += 1;
    }
    assert!(found >= 3, "docs/language.md has {found} overlay examples");
}

#[test]
fn the_formatter_prints_overlays_names_and_within_canonically() {
    use oauth_policy::fmt;
    use oauth_policy::unstable::syntax::parse;
    let messy = r#"# overlay
extend   provider "idp" {
  # more hosts
  also match host=="login.acme.com"   # ours
  enable  resource-scope
  disable strip-groups
  authorize {
    optional   mine :  drop foo if scope   within ["openid","profile",]
    named: when kind=="authorize" deny "x"
  }
}
"#;
    let canonical = r#"# overlay
extend provider "idp" {
  # more hosts
  also match host == "login.acme.com" # ours
  enable resource-scope
  disable strip-groups

  authorize {
    optional mine: drop foo if scope within ["openid", "profile"]
    named: when kind == "authorize" deny "x"
  }
}
"#;
    assert_eq!(fmt::format(messy).unwrap(), canonical);
    assert_eq!(fmt::format(canonical).unwrap(), canonical);
    assert_eq!(parse(messy).unwrap(), parse(canonical).unwrap());
}

#[test]
fn extend_global_switches_the_generic_baseline_by_name() {
    let url = "https://h.example/authorize?client_id=c&audience=a&audience=b";
    let req = Request::authorize(url).unwrap();
    let shipped = Policy::builtin().apply(&req);
    assert_eq!(
        shipped.denied().map(|d| d.rule.as_str()),
        Some("global/authorize/deny-repeated")
    );
    let p = Policy::builtin()
        .with_overlay_sources(
            "mine",
            [("g.policy", "extend global {\n  disable deny-repeated\n}\n")],
        )
        .unwrap();
    let out = p.apply(&req);
    assert!(out.denied().is_none());
    assert_eq!(out.url(), url);
    // The token section's rule of that name is off too.
    let body = "grant_type=refresh_token&resource=a&scope=x&scope=y";
    let token = Request::token("https://h.example/token", body).unwrap();
    assert!(p.apply(&token).denied().is_none());
    assert!(Policy::builtin().apply(&token).denied().is_some());
}

#[test]
fn extend_global_has_no_match_and_global_is_not_a_provider_name() {
    let err = overlay(
        "extend global {\n  also match host == \"a.example\"\n  disable nope\n}\nprovider \"global\" { match host == \"g.example\" }\n",
    )
    .unwrap_err();
    let text = render(&err);
    assert!(text.contains("policy::E044"), "{text}");
    assert!(text.contains("policy::E045"), "{text}");
    assert!(text.contains("`global` has no rule named `nope`"), "{text}");
    let canonical = "extend global {\n  disable deny-repeated\n}\n";
    assert_eq!(
        oauth_policy::fmt::format("extend   global{disable deny-repeated}").unwrap(),
        canonical
    );
}
