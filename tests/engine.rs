//! The core engine: the seed scenario, provider selection, every action and
//! operator, byte-identical output, and bad input.

use oauth_policy::{Action, Limits, LoadError, Part, Policy, Request, RequestError};

const SEED: &str = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?client_id=00001111-aaaa-2222-bbbb-3333cccc4444&response_type=code&redirect_uri=https%3A%2F%2Fgateway.example.com%2Foauth%2Fcallback&scope=openid%20offline_access%20api%3A%2F%2F00001111-aaaa-2222-bbbb-3333cccc4444%2Fmcp.access&resource=https%3A%2F%2Fmcp.example.com&state=xyz123&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";

fn policy(text: &str) -> Policy {
    match Policy::parse("test.policy", text) {
        Ok(p) => p,
        Err(e) => panic!("{:?}", miette::Report::new(e)),
    }
}

fn authorize(p: &Policy, url: &str) -> oauth_policy::Outcome {
    p.apply(&Request::authorize(url).unwrap())
}

/// The query of the rewritten URL for an `idp.example.com` request with `query`.
fn rewrite(p: &Policy, query: &str) -> String {
    let out = authorize(p, &format!("https://idp.example.com/authorize?{query}"));
    if let Some(d) = out.denied() {
        return format!("DENIED: {}", d.reason);
    }
    out.url()
        .split_once('?')
        .map(|(_, q)| q.to_string())
        .unwrap_or_default()
}

fn on_idp(rules: &str) -> Policy {
    policy(&format!(
        "provider \"idp\" {{\n match host == \"idp.example.com\"\n authorize {{\n{rules}\n }}\n}}"
    ))
}

#[test]
fn seed_scenario_drops_resource_and_keeps_everything_else_byte_identical() {
    let out = authorize(&Policy::try_builtin().unwrap(), SEED);
    assert_eq!(out.provider(), Some("microsoft-entra-v2"));
    assert_eq!(
        out.url(),
        SEED.replace("&resource=https%3A%2F%2Fmcp.example.com", "")
    );
    assert_eq!(out.changes().len(), 1);
    assert_eq!(out.changes()[0].action, Action::Drop);
    assert_eq!(out.changes()[0].param, "resource");
    assert!(out.changes()[0]
        .location
        .file
        .ends_with("microsoft-entra.policy"));
    assert!(out.denied().is_none());
}

#[test]
fn the_design_card_line_works_verbatim_at_top_level() {
    let p = policy(
        r#"when host ~ "login.microsoftonline.com" and path ~ "/v2.0/" drop resource if scope"#,
    );
    let out = authorize(&p, SEED);
    assert_eq!(out.provider(), None);
    assert!(!out.url().contains("resource="));
    assert_eq!(out.changes()[0].rule, "global/authorize#1");
    // Without scope the guard is false.
    let no_scope = "https://login.microsoftonline.com/t/oauth2/v2.0/authorize?resource=x";
    assert_eq!(authorize(&p, no_scope).url(), no_scope);
}

#[test]
fn entra_v1_keeps_resource() {
    let url = "https://login.microsoftonline.com/common/oauth2/authorize?client_id=c&response_type=code&resource=https%3A%2F%2Fgraph.microsoft.com&scope=openid&state=s";
    let out = authorize(&Policy::try_builtin().unwrap(), url);
    assert_eq!(out.provider(), Some("microsoft-entra-v1"));
    assert_eq!(out.url(), url);
    assert!(out.changes().is_empty());
}

#[test]
fn token_bodies_for_code_exchange_and_refresh() {
    let p = Policy::try_builtin().unwrap();
    let url = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token";
    for body in [
        "grant_type=authorization_code&code=abc&redirect_uri=https%3A%2F%2Fgw%2Fcb&resource=https%3A%2F%2Fmcp.example.com&scope=api%3A%2F%2Fx%2F.default+offline_access&code_verifier=v",
        "grant_type=refresh_token&refresh_token=r.t&resource=https%3A%2F%2Fmcp.example.com&scope=api%3A%2F%2Fx%2F.default+offline_access",
    ] {
        let out = p.apply(&Request::token(url, body).unwrap());
        assert_eq!(out.provider(), Some("microsoft-entra-v2"));
        assert_eq!(out.url(), url);
        let want = body.replace("&resource=https%3A%2F%2Fmcp.example.com", "");
        assert_eq!(out.body(), Some(want.as_str()));
    }
    // A resource-only refresh loses `resource` and gains nothing: the
    // shipped library never adds a scope (issue 9).
    let body =
        "grant_type=refresh_token&refresh_token=r&resource=https%3A%2F%2Fgraph.microsoft.com%2F";
    let out = p.apply(&Request::token(url, body).unwrap());
    assert_eq!(out.body(), Some("grant_type=refresh_token&refresh_token=r"));
    // An added value in a form body is written like the rest of the body.
    let p = policy(
        "provider \"t\" {\n match host == \"login.microsoftonline.com\"\n token {\n add \"${resource}/.default\" to scope if resource\n drop resource\n }\n}",
    );
    let out = p.apply(&Request::token(url, body).unwrap());
    assert_eq!(
        out.body(),
        Some("grant_type=refresh_token&refresh_token=r&scope=https%3A%2F%2Fgraph.microsoft.com%2F%2F.default")
    );
}

#[test]
fn lookalike_hosts_never_match() {
    let p = Policy::try_builtin().unwrap();
    let path = "/contoso/oauth2/v2.0/authorize?scope=openid&resource=x";
    for url in [
        format!("https://login.microsoftonline.com.evil.example{path}"),
        format!("https://login.microsoftonline.com@evil.example{path}"),
        format!("https://evil.example/login.microsoftonline.com{path}"),
        format!("https://evil.example\\@login.microsoftonline.com{path}"),
        format!("https://loginXmicrosoftonline.com{path}"),
        format!("https://xlogin.microsoftonline.com{path}"),
        format!("https://login.microsoftonline.com%2eevil.example{path}"),
        format!("https://login.microsoftonline.co{path}"),
        format!("https://login.microsoftonIine.com{path}"),
        format!("https://login.mіcrosoftonline.com{path}"), // Cyrillic і
    ] {
        let Ok(req) = Request::authorize(&url) else {
            continue; // refusing to parse is also safe
        };
        let out = p.apply(&req);
        assert_eq!(out.provider(), None, "{url} matched");
        assert_eq!(out.url(), url.trim(), "{url} was rewritten");
    }
}

#[test]
fn host_case_trailing_dot_and_default_port_are_the_same_origin() {
    let p = Policy::try_builtin().unwrap();
    for url in [
        "https://LOGIN.MicrosoftOnline.com/t/oauth2/v2.0/authorize?scope=api%3A%2F%2Fx%2Fy&resource=b",
        "https://login.microsoftonline.com:443/t/oauth2/v2.0/authorize?scope=api%3A%2F%2Fx%2Fy&resource=b",
        "https://login.microsoftonline.com./t/oauth2/v2.0/authorize?scope=api%3A%2F%2Fx%2Fy&resource=b",
    ] {
        let out = authorize(&p, url);
        assert_eq!(out.provider(), Some("microsoft-entra-v2"), "{url}");
        assert_eq!(out.url(), url.replace("&resource=b", ""));
    }
    // Another port is another origin only if a rule says so; the attribute tells.
    let q = on_idp(r#"set p = "${port}""#);
    assert_eq!(rewrite(&q, "a=1"), "a=1&p=443");
}

#[test]
fn untouched_parameters_stay_byte_identical() {
    let p = on_idp("drop x");
    let q = "a=b%2fc&sp=one+two&pct=one%20two&&flag&e=&u=%C3%A9&odd=%zz&x=1&last=%E2%82";
    assert_eq!(
        rewrite(&p, q),
        "a=b%2fc&sp=one+two&pct=one%20two&&flag&e=&u=%C3%A9&odd=%zz&last=%E2%82"
    );
    // No change at all: the URL is returned as given, fragment included.
    let url = "https://idp.example.com/authorize?a=%7e#frag";
    assert_eq!(authorize(&p, url).url(), url);
}

#[test]
fn drop_and_drop_empty() {
    let p = on_idp("drop x\ndrop empty except [keep]");
    assert_eq!(rewrite(&p, "x=1&a=&keep=&b=2&x=3&c"), "keep=&b=2");
}

#[test]
fn set_replaces_in_place_collapses_repeats_and_appends() {
    let p = on_idp(r#"set a = "new value""#);
    assert_eq!(
        rewrite(&p, "z=0&a=old&b=1&a=again"),
        "z=0&a=new%20value&b=1"
    );
    assert_eq!(rewrite(&p, "b=1"), "b=1&a=new%20value");
    // Same value: no change recorded, nothing re-encoded.
    assert_eq!(rewrite(&p, "a=new%20value"), "a=new%20value");
    // Spaces follow the request's own style.
    assert_eq!(rewrite(&p, "b=x+y"), "b=x+y&a=new+value");
}

#[test]
fn default_only_when_absent_or_empty() {
    let p = on_idp(r#"default owner = "user""#);
    assert_eq!(rewrite(&p, "a=1"), "a=1&owner=user");
    assert_eq!(rewrite(&p, "owner=workspace"), "owner=workspace");
    assert_eq!(rewrite(&p, "owner="), "owner=user");
}

#[test]
fn rename_keeps_the_raw_value_and_never_overwrites() {
    let p = on_idp("rename resource to audience");
    assert_eq!(
        rewrite(&p, "resource=https%3A%2F%2Fapi&x=1"),
        "audience=https%3A%2F%2Fapi&x=1"
    );
    assert_eq!(
        rewrite(&p, "resource=r&audience=a"),
        "resource=r&audience=a"
    );
}

#[test]
fn add_and_remove_list_items() {
    let p = on_idp(r#"add "offline_access" to scope"#);
    assert_eq!(rewrite(&p, "scope=openid"), "scope=openid%20offline_access");
    assert_eq!(rewrite(&p, "scope=a,b"), "scope=a%2Cb%2Coffline_access");
    assert_eq!(
        rewrite(&p, "scope=openid+offline_access"),
        "scope=openid+offline_access"
    );
    assert_eq!(rewrite(&p, "x=1"), "x=1&scope=offline_access");
    let p = on_idp(r#"remove "groups" from scope"#);
    assert_eq!(
        rewrite(&p, "scope=openid%20groups%20email"),
        "scope=openid%20email"
    );
    assert_eq!(rewrite(&p, "scope=groups&x=1"), "x=1");
    assert_eq!(rewrite(&p, "scope=groupsX"), "scope=groupsX");
}

#[test]
fn convert_separators_and_dedupe() {
    let p = on_idp("convert scope to space");
    assert_eq!(
        rewrite(&p, "scope=read_user%2Copenid"),
        "scope=read_user%20openid"
    );
    assert_eq!(rewrite(&p, "scope=a%20b"), "scope=a%20b");
    let p = on_idp("convert scope to comma");
    assert_eq!(rewrite(&p, "scope=read%20write"), "scope=read%2Cwrite");
    let p = on_idp("dedupe scope");
    assert_eq!(
        rewrite(&p, "scope=a%20b%20a&scope=a%20b%20a&x=1"),
        "scope=a%20b&x=1"
    );
    assert_eq!(rewrite(&p, "scope=a%20b"), "scope=a%20b");
}

#[test]
fn deny_with_interpolation_and_deny_repeated() {
    let p = on_idp(
        r#"deny "method ${code_challenge_method} is not allowed" if code_challenge_method == "plain""#,
    );
    assert_eq!(
        rewrite(&p, "code_challenge_method=plain"),
        "DENIED: method plain is not allowed"
    );
    assert_eq!(
        rewrite(&p, "code_challenge_method=S256"),
        "code_challenge_method=S256"
    );
    let p = on_idp("deny repeated except [resource]");
    assert_eq!(
        rewrite(&p, "scope=a&scope=b"),
        "DENIED: scope appears more than once"
    );
    assert_eq!(
        rewrite(&p, "resource=a&resource=b"),
        "resource=a&resource=b"
    );
    // A denied request comes back unchanged, with no changes listed.
    let p = on_idp("drop a\ndeny \"no\"");
    let out = authorize(&p, "https://idp.example.com/authorize?a=1");
    assert_eq!(out.url(), "https://idp.example.com/authorize?a=1");
    assert!(out.changes().is_empty());
    assert_eq!(out.denied().unwrap().rule, "idp/authorize#2");
}

#[test]
fn stop_ends_rewriting_including_provider_rules() {
    let p = policy(
        "authorize { stop if request_uri }\nprovider \"idp\" { match host == \"idp.example.com\" authorize { drop client_id } }",
    );
    assert_eq!(
        rewrite(&p, "client_id=c&request_uri=urn%3Ax"),
        "client_id=c&request_uri=urn%3Ax"
    );
    assert_eq!(rewrite(&p, "client_id=c&x=1"), "x=1");
}

#[test]
fn guards_see_the_request_as_earlier_rules_left_it() {
    let p =
        on_idp("set a = \"1\"\ndrop b if a\ndrop c if resource\ndrop resource\ndrop d if resource");
    assert_eq!(rewrite(&p, "b=1&c=1&d=1&resource=r"), "d=1&a=1");
}

#[test]
fn interpolation_of_an_absent_parameter_skips_the_action() {
    let p = on_idp(r#"set scope = "${resource}/.default""#);
    assert_eq!(rewrite(&p, "scope=openid"), "scope=openid");
    assert_eq!(
        rewrite(&p, "resource=https%3A%2F%2Fx"),
        "resource=https%3A%2F%2Fx&scope=https%3A%2F%2Fx%2F.default"
    );
}

#[test]
fn operators() {
    let cases: &[(&str, &str, bool)] = &[
        (r#"a == "1""#, "a=1", true),
        (r#"a == "1""#, "a=2", false),
        (r#"a == "1""#, "b=1", false),
        (r#"a != "1""#, "a=2", true),
        (r#"a != "1""#, "b=1", true),
        (r#"a ~ r"^v\d$""#, "a=v2", true),
        (r#"a ~ "^v\d$""#, "a=v22", false),
        (r#"a !~ "x""#, "a=abc", true),
        (r#"a in ["x", "y"]"#, "a=y", true),
        (r#"a in ["x", "y"]"#, "a=z", false),
        (r#"scope contains "email""#, "scope=openid%20email", true),
        (r#"scope contains "email""#, "scope=openid,email", true),
        (r#"scope contains "email""#, "scope=openid_email", false),
        (
            r#"scope contains ~ "/""#,
            "scope=openid%20api%3A%2F%2Fx%2Fy",
            true,
        ),
        (r#"scope contains ~ "^api:""#, "scope=openid", false),
        ("repeated(a)", "a=1&a=2", true),
        ("repeated(a)", "a=1", false),
        ("empty(a)", "a=", true),
        ("empty(a)", "a=1", false),
        ("a", "a=", false),
        ("a", "a=0", true),
        ("not a", "b=1", true),
        ("a and b", "a=1", false),
        ("a or b", "b=1", true),
        ("not (a or b) and c", "c=1", true),
        ("not not a", "a=1", true),
        (r#"param("if") == "x""#, "if=x", true),
        (r#"param("host")"#, "host=x", true),
        (r#"host == "IDP.example.com""#, "", true),
        (r#"host in ["other", "idp.example.com"]"#, "", true),
        (r#"path == "/authorize""#, "", true),
        (r#"path ~ "^/auth""#, "", true),
        (r#"scheme == "https""#, "", true),
        ("port == 443", "", true),
        (r#"kind == "authorize""#, "", true),
        (r#"kind == "token""#, "", false),
    ];
    for (cond, query, want) in cases {
        let p = on_idp(&format!("set hit = \"yes\" if {cond}"));
        let got = rewrite(&p, query).contains("hit=yes");
        assert_eq!(got, *want, "`{cond}` on `{query}`");
    }
}

#[test]
fn comments_raw_strings_and_escapes() {
    let p = policy(
        r##"# a comment
provider "idp" { # trailing
  match host == "idp.example.com" # another
  authorize {
    set a = r#"quote " and \d"#   # raw
    set b = "tab\there \"q\" \$x ${c}"
  }
}"##,
    );
    let out = authorize(&p, "https://idp.example.com/authorize?c=C");
    let q = out.url().split_once('?').unwrap().1;
    assert_eq!(
        q,
        "c=C&a=quote%20%22%20and%20%5Cd&b=tab%09here%20%22q%22%20%24x%20C"
    );
}

#[test]
fn exact_hosts_beat_patterns_and_any_host_whatever_the_file_order() {
    let files = [
        (
            "a.policy",
            r#"provider "any" { match path ~ "^/authorize$" authorize { set who = "any" } }"#,
        ),
        (
            "b.policy",
            r#"provider "pattern" { match host ~ r"^[a-z]+\.example\.com$" authorize { set who = "pattern" } }"#,
        ),
        (
            "c.policy",
            r#"provider "exact" { match host == "idp.example.com" and path == "/authorize" authorize { set who = "exact" } }
               provider "exact-later" { match host == "idp.example.com" authorize { set who = "exact-later" } }"#,
        ),
    ];
    let p = Policy::from_sources(files).unwrap();
    let who = |url: &str| authorize(&p, url).provider().map(str::to_string);
    assert_eq!(
        who("https://idp.example.com/authorize").as_deref(),
        Some("exact")
    );
    assert_eq!(
        who("https://idp.example.com/other").as_deref(),
        Some("exact-later")
    );
    assert_eq!(
        who("https://sso.example.com/other").as_deref(),
        Some("pattern")
    );
    assert_eq!(
        who("https://sso.other.org/authorize").as_deref(),
        Some("any")
    );
    assert_eq!(who("https://sso.other.org/else"), None);
}

#[test]
fn a_thousand_providers_each_reach_their_own_block() {
    let mut text = String::new();
    for i in 0..1000 {
        text.push_str(&format!(
            "provider \"p{i}\" {{ match host == \"h{i}.example\" authorize {{ set n = \"{i}\" }} }}\n"
        ));
    }
    for i in 0..50 {
        text.push_str(&format!(
            "provider \"r{i}\" {{ match host ~ r\"^t{i}-[a-z]+\\.example$\" authorize {{ set n = \"r{i}\" }} }}\n"
        ));
    }
    let p = policy(&text);
    for i in [0, 1, 499, 999] {
        let out = authorize(&p, &format!("https://h{i}.example/a"));
        assert_eq!(out.provider(), Some(format!("p{i}").as_str()));
    }
    let out = authorize(&p, "https://t42-abc.example/a");
    assert_eq!(out.provider(), Some("r42"));
}

#[test]
fn bad_urls_are_errors_not_panics() {
    for url in [
        "",
        "not a url",
        "https://",
        "mailto:someone@example.com",
        "https://exa mple.com/",
        "https://idp.example.com/a?x=1\n&y=2",
        "https://[::1/",
        "https://idp.example.com:99999/",
    ] {
        assert!(Request::authorize(url).is_err(), "{url:?} was accepted");
    }
}

#[test]
fn odd_encodings_are_matched_leniently_and_written_back_untouched() {
    let p = on_idp(r#"drop x if y == "é�""#);
    // %FF is not UTF-8: it decodes to U+FFFD for matching, and stays %FF.
    assert_eq!(rewrite(&p, "x=1&y=%C3%A9%FF&z=%FF"), "y=%C3%A9%FF&z=%FF");
}

#[test]
fn huge_inputs_are_refused_with_limits() {
    let big = format!("https://idp.example.com/a?x={}", "a".repeat(1 << 20));
    assert!(matches!(
        Request::authorize(&big),
        Err(RequestError::TooLarge {
            what: Part::Url,
            ..
        })
    ));
    let many = format!("https://idp.example.com/a?{}", "p=1&".repeat(10_000));
    assert!(matches!(
        Request::authorize(&many),
        Err(RequestError::TooManyParams { count: 10_001, .. })
    ));
    let limits = Limits::default()
        .with_max_url_bytes(1 << 21)
        .with_max_params(20_000);
    // Within raised limits the same inputs work, and quickly enough for a test.
    let req = Request::authorize_with(&many, &limits).unwrap();
    let out = on_idp("deny repeated").apply(&req);
    assert_eq!(out.denied().unwrap().reason, "p appears more than once");
    let req = Request::authorize_with(&big, &limits).unwrap();
    assert_eq!(on_idp("drop y").apply(&req).url(), big);
    let body = "a=".to_string() + &"b".repeat(1 << 20);
    assert!(Request::token("https://idp.example.com/token", &body).is_err());
}

#[test]
fn policy_errors_are_reported_not_panicked() {
    // Deep nesting is refused before the parser recurses.
    let deep = format!(
        "provider \"p\" {{ match {}host{} }}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let err = Policy::parse("deep.policy", &deep).unwrap_err();
    assert_eq!(err.diagnostics()[0].code_str(), "policy::E002");
    // A long run of `not` is iterative.
    let nots = format!(
        "provider \"p\" {{ match host == \"x\" authorize {{ drop a if {}b }} }}",
        "not ".repeat(100_000)
    );
    assert!(Policy::parse("nots.policy", &nots).is_ok());

    let dir = tempdir();
    std::fs::write(dir.join("garbage.policy"), [0u8, 159, 146, 150, 255, 1, 2]).unwrap();
    let err = Policy::load(&dir).unwrap_err();
    assert_eq!(err.diagnostics()[0].code_str(), "policy::E003");
    std::fs::remove_file(dir.join("garbage.policy")).unwrap();

    let huge = "# filler\n".repeat(10 * 1024 * 1024 / 9 + 1);
    std::fs::write(dir.join("huge.policy"), huge).unwrap();
    let err = Policy::load(&dir).unwrap_err();
    assert_eq!(err.diagnostics()[0].code_str(), "policy::E004");
    std::fs::remove_file(dir.join("huge.policy")).unwrap();

    assert!(matches!(Policy::load(&dir), Err(LoadError::Empty { .. })));
    assert!(matches!(
        Policy::load(dir.join("missing")),
        Err(LoadError::Io { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();

    for garbage in [
        "\u{0}\u{1}\u{2}",
        "{{{{",
        "provider",
        "provider \"x\" {",
        "drop",
    ] {
        let err = Policy::parse("g.policy", garbage).unwrap_err();
        assert_eq!(
            err.diagnostics()[0].code_str(),
            "policy::E001",
            "{garbage:?}"
        );
    }
}

#[test]
fn directories_load_in_name_order_skipping_hidden_and_other_files() {
    let dir = tempdir();
    std::fs::write(dir.join("b.policy"), "set who = \"b\"").unwrap();
    std::fs::write(dir.join("a.policy"), "set who = \"a\"").unwrap();
    std::fs::write(dir.join(".hidden.policy"), "this does not parse").unwrap();
    std::fs::write(dir.join("notes.txt"), "neither does this").unwrap();
    let p = Policy::load(&dir).unwrap();
    let names: Vec<_> = p.files().iter().map(|f| f.name.to_string()).collect();
    assert!(names[0].ends_with("a.policy") && names[1].ends_with("b.policy"));
    assert_eq!(names.len(), 2);
    // Both global rules run, in file order: the later `set` wins.
    let out = authorize(&p, "https://idp.example.com/a");
    assert_eq!(out.url(), "https://idp.example.com/a?who=b");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn revision_is_a_content_hash() {
    let a = policy("drop a");
    assert_eq!(a.revision(), policy("drop a").revision());
    assert_ne!(a.revision(), policy("drop b").revision());
    assert_eq!(a.revision().len(), 16);
}

#[test]
fn policy_is_send_sync_and_outcomes_serialize() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Policy>();
    let out = authorize(&Policy::try_builtin().unwrap(), SEED);
    let json = serde_json::to_value(&out).unwrap();
    assert_eq!(json["provider"], "microsoft-entra-v2");
    assert_eq!(json["changes"][0]["param"], "resource");
    assert!(json["denied"].is_null());
}

fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "oauth-policy-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_match_mixing_exact_hosts_and_patterns_is_indexed_as_a_pattern() {
    let p = policy(
        r#"provider "any" { match path == "/x" authorize { set who = "any" } }
           provider "mixed" { match (host == "a.example" or host ~ r"^[a-z]+\.b\.example$") and path == "/x" authorize { set who = "mixed" } }"#,
    );
    let who = |url: &str| authorize(&p, url).provider().map(str::to_string);
    // The pattern tier beats the any-host tier (though `any` is loaded
    // first), for both halves of the `or`.
    assert_eq!(who("https://a.example/x").as_deref(), Some("mixed"));
    assert_eq!(who("https://q.b.example/x").as_deref(), Some("mixed"));
    assert_eq!(who("https://xa.example/x").as_deref(), Some("any"));
    assert_eq!(who("https://a.example.evil/x").as_deref(), Some("any"));
}

// Provider endpoints: scheme and percent-encoded paths (issue 9).

#[test]
fn only_https_or_loopback_http_selects_a_provider() {
    let p = policy(
        "provider \"idp\" {\n match host in [\"idp.example.com\", \"localhost\", \"127.0.0.1\", \"::1\"]\n authorize { drop resource }\n}\nprovider \"any\" {\n match path ~ \"^/authorize$\"\n authorize { drop other }\n}",
    );
    let q = "/authorize?client_id=c&resource=r&other=o";
    for url in [
        "https://idp.example.com",
        "http://localhost:8080",
        "http://app.localhost",
        "http://127.0.0.1:9000",
        "http://[::1]:9000",
    ] {
        let out = authorize(&p, &format!("{url}{q}"));
        assert!(out.provider().is_some(), "{url} should select a provider");
    }
    for url in [
        "http://idp.example.com",
        "ftp://idp.example.com",
        "wss://idp.example.com",
        "http://localhost.example.com",
        "http://128.0.0.1",
    ] {
        let out = authorize(&p, &format!("{url}{q}"));
        assert_eq!(out.provider(), None, "{url} must not select a provider");
        assert!(out.changes().is_empty(), "{url}: no provider rule may run");
        assert_eq!(out.url(), format!("{url}{q}"));
    }
}

#[test]
fn global_rules_still_run_on_urls_that_are_no_provider_endpoint() {
    let p = policy(
        "authorize { drop empty }\nprovider \"idp\" {\n match host == \"idp.example.com\"\n authorize { drop resource }\n}",
    );
    let out = authorize(&p, "http://idp.example.com/authorize?resource=r&x=");
    assert_eq!(out.provider(), None);
    assert_eq!(out.url(), "http://idp.example.com/authorize?resource=r");
}

#[test]
fn ftp_url_on_an_entra_host_is_not_entra() {
    let builtin = Policy::try_builtin().unwrap();
    let ftp = SEED.replacen("https://", "ftp://", 1);
    let out = authorize(&builtin, &ftp);
    assert_eq!(out.provider(), None);
    assert!(out
        .url()
        .contains("&resource=https%3A%2F%2Fmcp.example.com"));
    let http = SEED.replacen("https://", "http://", 1);
    assert_eq!(authorize(&builtin, &http).provider(), None);
}

#[test]
fn path_matching_decodes_unreserved_escapes_but_the_output_keeps_them() {
    let builtin = Policy::try_builtin().unwrap();
    for (from, to) in [
        ("/oauth2/v2.0/", "/oauth2/v2%2E0/"),
        ("/oauth2/v2.0/", "/oauth2/v2%2e0/"),
        ("/oauth2/v2.0/", "/%6Fauth2/v%32.0/"),
    ] {
        let url = SEED.replacen(from, to, 1);
        let out = authorize(&builtin, &url);
        assert_eq!(out.provider(), Some("microsoft-entra-v2"), "{to}");
        assert_eq!(
            out.url(),
            url.replace("&resource=https%3A%2F%2Fmcp.example.com", ""),
            "the path is sent as received"
        );
    }
}

#[test]
fn path_matching_keeps_reserved_escapes_and_upper_cases_their_hex() {
    let p = policy(
        "provider \"slash\" {\n match host == \"idp.example.com\" and path == \"/a%2Fb/authorize\"\n authorize { drop resource }\n}",
    );
    // An encoded `/` is data, not a separator: it stays an escape (upper-cased
    // for comparison, RFC 3986 §6.2.2.1) and never equals a real `/`.
    let out = authorize(&p, "https://idp.example.com/a%2fb/authorize?resource=r");
    assert_eq!(out.provider(), Some("slash"));
    assert_eq!(out.url(), "https://idp.example.com/a%2fb/authorize");
    let out = authorize(&p, "https://idp.example.com/a/b/authorize?resource=r");
    assert_eq!(out.provider(), None);
    // A lone `%` or a bad escape is left as it is.
    let p = policy("provider \"pct\" {\n match host == \"idp.example.com\" and path ~ \"^/x%zz%$\"\n authorize { drop resource }\n}");
    let out = authorize(&p, "https://idp.example.com/x%zz%?resource=r");
    assert_eq!(out.provider(), Some("pct"));
}
