//! Callback classification: the built-in order and hostile inputs.

use oauth_policy::{Callback, CallbackOutcome, Category, Effect, Expectations, Policy};

fn expect_state() -> Expectations {
    Expectations::new().with_expected_state("xyz123")
}

fn verdict(p: &Policy, url: &str, e: &Expectations) -> oauth_policy::Verdict {
    p.classify(&Callback::from_url(url).unwrap(), e).unwrap()
}

const CB: &str = "https://gateway.example.com/oauth/callback";

#[test]
fn built_in_order() {
    let p = Policy::empty();
    let e = expect_state().with_expected_issuer("https://issuer");
    let cases = [
        ("code=a&state=xyz123&state=xyz123", Category::Ambiguous),
        ("iss=a&iss=a&code=c&state=xyz123", Category::Ambiguous),
        (
            "iss=https%3A%2F%2Fevil&code=c&state=xyz123",
            Category::IssuerMismatch,
        ),
        ("iss=https%3A%2F%2Fissuer&code=c", Category::MissingState),
        ("code=c&state=other", Category::StateMismatch),
        ("error=access_denied&state=other", Category::StateMismatch),
        (
            "error=access_denied&code=c&state=xyz123",
            Category::Ambiguous,
        ),
        ("error=access_denied&state=xyz123", Category::AccessDenied),
        (
            "error=account_selection_required&state=xyz123",
            Category::InteractionRequired,
        ),
        ("error=vendor_thing&state=xyz123", Category::UnknownError),
        ("state=xyz123", Category::MissingCode),
        ("code=&state=xyz123", Category::MissingCode),
        ("code=c&state=xyz123", Category::Ok),
    ];
    for (query, want) in cases {
        let v = verdict(&p, &format!("{CB}?{query}"), &e);
        assert_eq!(v.category, want, "{query}");
    }
    // iss required but absent.
    let e = expect_state().with_require_iss(true);
    let v = verdict(&p, &format!("{CB}?code=c&state=xyz123"), &e);
    assert_eq!(v.category, Category::IssuerMismatch);
}

#[test]
fn default_retryable_per_category() {
    let p = Policy::empty();
    for (error, retryable) in [
        ("login_required", true),
        ("interaction_required", true),
        ("consent_required", true),
        ("server_error", true),
        ("temporarily_unavailable", true),
        ("access_denied", false),
        ("invalid_scope", false),
        ("invalid_target", false),
    ] {
        let v = verdict(
            &p,
            &format!("{CB}?error={error}&state=xyz123"),
            &expect_state(),
        );
        assert_eq!(v.outcome, CallbackOutcome::ProviderError);
        assert_eq!(v.retryable, retryable, "{error}");
    }
}

#[test]
fn provider_rules_refine_first_match_wins() {
    let p = Policy::parse(
        "t.policy",
        r#"provider "entra" {
  match host == "login.microsoftonline.com"
  callback {
    when error_description ~ "^AADSTS9010010" classify invalid_target hint "drop ${error} cause"
    when error == "access_denied" and error_subcode == "cancel" classify access_denied
    when error == "org_internal" classify misconfiguration
    when error_description ~ "^AADSTS(50076|50079)" classify interaction_required retryable
    when error_description ~ "^AADSTS50076" classify server_error not retryable
  }
}"#,
    )
    .unwrap();
    let by_name = expect_state().with_provider("entra");
    let v = verdict(
        &p,
        &format!("{CB}?error=invalid_target&error_description=AADSTS9010010%3A+x&state=xyz123"),
        &by_name,
    );
    assert_eq!(v.provider_code.as_deref(), Some("AADSTS9010010"));
    assert_eq!(v.hint.as_deref(), Some("drop invalid_target cause"));
    assert_eq!(v.rule, "entra/callback#1");
    let v = verdict(
        &p,
        &format!("{CB}?error=access_denied&error_description=AADSTS50076+mfa&state=xyz123"),
        &by_name,
    );
    assert_eq!(v.category, Category::InteractionRequired);
    assert!(v.retryable);
    assert_eq!(v.rule, "entra/callback#4");
    // A non-standard error a rule recognised is the provider code.
    let v = verdict(
        &p,
        &format!("{CB}?error=org_internal&state=xyz123"),
        &by_name,
    );
    assert_eq!(v.provider_code.as_deref(), Some("org_internal"));
    // The provider can also come from the authorize URL.
    let by_url = expect_state()
        .with_authorize_url("https://login.microsoftonline.com/t/oauth2/v2.0/authorize?x=1");
    let v = verdict(
        &p,
        &format!("{CB}?error=org_internal&state=xyz123"),
        &by_url,
    );
    assert_eq!(v.provider.as_deref(), Some("entra"));
    assert_eq!(v.category, Category::Misconfiguration);
    // Unrecognised: no provider code for a vendor error nobody classified.
    let v = verdict(&p, &format!("{CB}?error=weird&state=xyz123"), &by_name);
    assert_eq!(v.category, Category::UnknownError);
    assert_eq!(v.provider_code, None);
}

#[test]
fn hostile_and_odd_callbacks() {
    let p = Policy::try_builtin().unwrap();
    let e = expect_state();
    // No query at all.
    assert_eq!(verdict(&p, CB, &e).category, Category::MissingState);
    // Percent-encoded state compares decoded.
    let e2 = Expectations::new().with_expected_state("a b/c");
    assert_eq!(
        verdict(&p, &format!("{CB}?code=c&state=a%20b%2Fc"), &e2).category,
        Category::Ok
    );
    // A 20 kB description.
    let long = "A".repeat(20_000);
    let v = verdict(
        &p,
        &format!("{CB}?error=server_error&error_description={long}&state=xyz123"),
        &e,
    );
    assert_eq!(v.category, Category::ServerError);
    assert_eq!(v.error_description.as_deref().map(str::len), Some(20_000));
    // Invalid UTF-8 in code: not a code any provider issued (RFC 6749 A.11).
    let v = verdict(&p, &format!("{CB}?code=%FF%FE&state=xyz123"), &e);
    assert_eq!(v.category, Category::InvalidRequest);
    assert_eq!(v.code, None);
    // `error=` empty is omitted (RFC 6749 §3.1).
    let v = verdict(&p, &format!("{CB}?error=&code=c&state=xyz123"), &e);
    assert_eq!(v.category, Category::Ok);
    let v = verdict(&p, &format!("{CB}?error=&state=xyz123"), &e);
    assert_eq!(v.category, Category::MissingCode);
    // Fragment responses (for a flow in fragment mode) and form_post bodies.
    let fragment = expect_state().with_response_mode("fragment");
    let v = verdict(&p, &format!("{CB}#code=c&state=xyz123"), &fragment);
    assert_eq!(v.code.as_deref(), Some("c"));
    let v = p
        .classify(
            &Callback::from_form("error=user_cancelled_authorize&state=xyz123").unwrap(),
            &e,
        )
        .unwrap();
    assert_eq!(v.outcome, CallbackOutcome::ProviderError);
    // Malformed input is an error, never a panic.
    assert!(Callback::from_url("not a url").is_err());
    assert!(Callback::from_form(&"a=1&".repeat(5000)).is_err());
}

#[test]
fn debug_output_never_shows_code_or_state() {
    let p = Policy::empty();
    let v = verdict(
        &p,
        &format!("{CB}?code=SECRETCODE&state=xyz123"),
        &expect_state(),
    );
    assert_eq!(v.code.as_deref(), Some("SECRETCODE"));
    let debug = format!("{v:?}");
    assert!(
        !debug.contains("SECRETCODE") && !debug.contains("xyz123"),
        "{debug}"
    );
    assert!(debug.contains("<redacted>"));
}

#[test]
fn explain_callback_traces_rules_and_the_built_in_decision() {
    let p = Policy::parse(
        "t.policy",
        r#"provider "idp" { match host == "idp.example.com"
  callback {
    when error == "a" classify access_denied
    when error == "b" classify misconfiguration hint "fix it"
  } }"#,
    )
    .unwrap();
    let e = expect_state().with_authorize_url("https://idp.example.com/authorize");
    let cb = Callback::from_url(&format!("{CB}?error=b&state=xyz123")).unwrap();
    let (v, trace) = p.explain_callback(&cb, &e).unwrap();
    assert_eq!(v.rule, "idp/callback#2");
    assert_eq!(trace.candidates.len(), 1);
    let effects: Vec<_> = trace.steps.iter().map(|s| s.effect.clone()).collect();
    assert_eq!(
        effects,
        [
            Effect::ConditionFalse,
            Effect::Classified {
                category: Category::Misconfiguration
            }
        ]
    );
    let words: Vec<_> = effects.iter().map(ToString::to_string).collect();
    assert_eq!(words, ["condition false", "classified misconfiguration"]);
    let cb = Callback::from_url(&format!("{CB}?state=xyz123")).unwrap();
    let (_, trace) = p.explain_callback(&cb, &e).unwrap();
    assert_eq!(trace.steps.last().unwrap().rule, "builtin/code");
}

// Issue 9: fragment only in fragment mode, RFC 6749 A.11 codes, PKCE-only flows.

#[test]
fn the_fragment_is_read_only_when_the_flow_asked_for_fragment_mode() {
    let p = Policy::empty();
    let url = format!("{CB}#code=c&state=xyz123");
    // Nothing says fragment: the query (empty here) is the response.
    let v = verdict(&p, &url, &expect_state());
    assert_eq!(v.category, Category::MissingState);
    // A query-mode flow ignores a fragment even beside its own query.
    let both = format!("{CB}?state=xyz123#code=injected&state=xyz123");
    let v = verdict(&p, &both, &expect_state());
    assert_eq!(v.category, Category::MissingCode);
    assert_eq!(v.code, None);
    let with = |mode: Option<&str>, authorize_url: Option<&str>| {
        let mut e = expect_state();
        e.response_mode = mode.map(str::to_string);
        e.authorize_url = authorize_url.map(str::to_string);
        e
    };
    let az = "https://idp.example.com/authorize?client_id=c";
    for (e, fragment) in [
        (with(Some("fragment"), None), true),
        (with(Some("query"), None), false),
        (with(Some("form_post"), None), false),
        (
            with(None, Some(&format!("{az}&response_mode=fragment"))),
            true,
        ),
        (with(None, Some(&format!("{az}&response_type=code"))), false),
        // OAuth 2.0 Multiple Response Type Encoding Practices §5: a response
        // type with a token or ID token defaults to fragment.
        (
            with(None, Some(&format!("{az}&response_type=code%20id_token"))),
            true,
        ),
        (
            with(None, Some(&format!("{az}&response_type=id_token+token"))),
            true,
        ),
        (
            with(
                None,
                Some(&format!(
                    "{az}&response_type=code+id_token&response_mode=form_post"
                )),
            ),
            false,
        ),
        // The explicit mode wins over the authorize URL.
        (
            with(Some("query"), Some(&format!("{az}&response_mode=fragment"))),
            false,
        ),
    ] {
        let v = verdict(&p, &url, &e);
        let want = if fragment {
            Category::Ok
        } else {
            Category::MissingState
        };
        assert_eq!(v.category, want, "{e:?}");
    }
}

#[test]
fn a_code_outside_rfc_6749_a11_is_a_malformed_callback() {
    let p = Policy::empty();
    let e = expect_state();
    for code in ["a%00b", "a%0Ab", "%7F", "%FF%FE", "caf%C3%A9", "%09"] {
        let v = verdict(&p, &format!("{CB}?code={code}&state=xyz123"), &e);
        assert_eq!(v.outcome, CallbackOutcome::Invalid, "{code}");
        assert_eq!(v.category, Category::InvalidRequest, "{code}");
        assert_eq!(v.rule, "builtin/code-syntax", "{code}");
        assert!(!v.retryable);
        assert_eq!(v.code, None);
    }
    // Every VSCHAR is fine, spaces (`+`) and `~` included.
    let v = verdict(&p, &format!("{CB}?code=A-z_0.9~%21%7E+x&state=xyz123"), &e);
    assert_eq!(v.category, Category::Ok);
    assert_eq!(v.code.as_deref(), Some("A-z_0.9~!~ x"));
    // No code at all is still missing_code.
    let v = verdict(&p, &format!("{CB}?state=xyz123"), &e);
    assert_eq!(v.category, Category::MissingCode);
}

#[test]
fn a_pkce_only_flow_can_say_it_sent_no_state() {
    let p = Policy::empty();
    let no_state = Expectations::new().with_no_state(true);
    let v = verdict(&p, &format!("{CB}?code=c"), &no_state);
    assert_eq!(v.outcome, CallbackOutcome::Success);
    assert_eq!(v.code.as_deref(), Some("c"));
    assert_eq!(v.state, None);
    let v = verdict(&p, &format!("{CB}?error=access_denied"), &no_state);
    assert_eq!(v.category, Category::AccessDenied);
    // A state the flow never sent answers some other request.
    let v = verdict(&p, &format!("{CB}?code=c&state=xyz123"), &no_state);
    assert_eq!(v.category, Category::StateMismatch);
    // Without the flag a missing state is still refused.
    let v = verdict(&p, &format!("{CB}?code=c"), &Expectations::default());
    assert_eq!(v.category, Category::MissingState);
    // An expected state always wins over the flag: it is checked.
    let both = expect_state().with_no_state(true);
    assert_eq!(
        verdict(&p, &format!("{CB}?code=c"), &both).category,
        Category::MissingState
    );
    assert_eq!(
        verdict(&p, &format!("{CB}?code=c&state=xyz123"), &both).category,
        Category::Ok
    );
    // The other checks still apply: `iss` required and missing.
    let iss = no_state.clone().with_require_iss(true);
    assert_eq!(
        verdict(&p, &format!("{CB}?code=c"), &iss).category,
        Category::IssuerMismatch
    );
}
