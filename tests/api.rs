//! The public API as an embedder sees it (this file is its own crate, so
//! `#[non_exhaustive]` applies): typed errors for expectations that do not
//! fit the policy, enums that print and serialize as the strings they
//! replaced, and builders for the types a literal can no longer build.

use miette::Diagnostic;
use oauth_policy::testing::CaseFile;
use oauth_policy::{
    Action, Callback, Category, Effect, ExpectationError, Expectations, Kind, Limits, Part, Policy,
    Request, RequestError, RuleId,
};
use serde_json::json;

const CB: &str = "https://gw.example/cb?code=c&state=s1";

fn unknown(e: &ExpectationError) -> (&str, Option<&str>) {
    match e {
        ExpectationError::UnknownProvider { name, suggestion } => {
            (name.as_str(), suggestion.as_deref())
        }
        other => panic!("not an unknown provider: {other:?}"),
    }
}

#[test]
fn an_unknown_provider_is_a_typed_error_with_a_suggestion() {
    let policy = Policy::builtin();
    let cb = Callback::from_url(CB).unwrap();
    let typo = Expectations::new()
        .with_provider("microsoft-entra-v3")
        .with_expected_state("s1");
    let err = policy.classify(&cb, &typo).unwrap_err();
    assert_eq!(
        unknown(&err),
        ("microsoft-entra-v3", Some("microsoft-entra-v2"))
    );
    assert_eq!(
        err.to_string(),
        "no provider named `microsoft-entra-v3` in the policy"
    );
    assert_eq!(err.code().unwrap().to_string(), "policy::E022");
    assert_eq!(
        err.help().unwrap().to_string(),
        "did you mean `microsoft-entra-v2`?"
    );
    // explain_callback refuses it the same way.
    assert_eq!(policy.explain_callback(&cb, &typo).unwrap_err(), err);

    // A stranger gets no suggestion, and no help.
    let stranger = Expectations::new().with_provider("zzzzzzzzzzzz");
    let err = policy.classify(&cb, &stranger).unwrap_err();
    assert_eq!(unknown(&err), ("zzzzzzzzzzzz", None));
    assert!(err.help().is_none());

    // A known provider, or none at all, classifies.
    let known = Expectations::new()
        .with_provider("microsoft-entra-v2")
        .with_expected_state("s1");
    assert_eq!(
        policy.classify(&cb, &known).unwrap().provider.as_deref(),
        Some("microsoft-entra-v2")
    );
    let none = Expectations::new().with_expected_state("s1");
    assert_eq!(policy.classify(&cb, &none).unwrap().category, Category::Ok);
    // The empty policy has no providers at all.
    let err = Policy::empty().classify(&cb, &known).unwrap_err();
    assert_eq!(unknown(&err), ("microsoft-entra-v2", None));
}

#[test]
fn a_case_naming_an_unknown_provider_fails_with_the_libraries_message() {
    let cases = CaseFile::parse(
        "cases.json",
        r#"{"callback": [{"id": "c", "provider": "auth00",
            "callback_url": "https://gw.example/cb?code=c&state=s1",
            "context": {"expected_state": "s1"},
            "expect": {"outcome": "success", "category": "ok", "retryable": false}}]}"#,
    )
    .unwrap();
    let results = cases.run(&Policy::builtin());
    assert_eq!(results[0].kind, Kind::Callback);
    assert_eq!(
        results[0].failures,
        ["no provider named `auth00` in the policy; did you mean `auth0`?"]
    );
}

/// The keyword each action had as a string before it was an enum.
const ACTION_WORDS: [(Action, &str); 13] = [
    (Action::Drop, "drop"),
    (Action::DropEmpty, "drop_empty"),
    (Action::Set, "set"),
    (Action::Default, "default"),
    (Action::Rename, "rename"),
    (Action::Add, "add"),
    (Action::Remove, "remove"),
    (Action::Convert, "convert"),
    (Action::Dedupe, "dedupe"),
    (Action::Deny, "deny"),
    (Action::DenyRepeated, "deny_repeated"),
    (Action::Stop, "stop"),
    (Action::Classify, "classify"),
];

#[test]
fn every_action_round_trips_to_its_old_keyword() {
    assert_eq!(Action::ALL.len(), ACTION_WORDS.len());
    for (action, word) in ACTION_WORDS {
        assert!(Action::ALL.contains(&action));
        assert_eq!(action.as_str(), word);
        assert_eq!(action.to_string(), word);
        assert_eq!(serde_json::to_value(action).unwrap(), json!(word));
        assert_eq!(
            serde_json::from_value::<Action>(json!(word)).unwrap(),
            action
        );
        assert_eq!(Action::from_name(word), Some(action));
    }
}

#[test]
fn every_effect_prints_and_serializes_as_its_old_words() {
    let at = Policy::parse("t.policy", "authorize { drop x }")
        .unwrap()
        .explain(&Request::authorize("https://a.example/?x=1").unwrap())
        .1
        .steps[0]
        .location
        .clone();
    let cases: [(Effect, &str); 10] = [
        (Effect::ConditionFalse, "condition false"),
        (Effect::Changed, "changed"),
        (Effect::NoEffect, "no effect"),
        (
            Effect::Skipped {
                reason: "a parameter it interpolates is absent".into(),
            },
            "skipped: a parameter it interpolates is absent",
        ),
        (
            Effect::Denied {
                reason: "no".into(),
            },
            "denied: no",
        ),
        (Effect::Stopped, "stopped"),
        (Effect::NotEnabled, "off: optional rule, not enabled"),
        (
            Effect::Disabled { at: at.clone() },
            "off: disabled at t.policy:1:13",
        ),
        (
            Effect::Classified {
                category: Category::LoginRequired,
            },
            "classified login_required",
        ),
        (
            Effect::Decided {
                category: Category::MissingState,
            },
            "decided missing_state",
        ),
    ];
    for (effect, words) in cases {
        assert_eq!(effect.to_string(), words);
        assert_eq!(serde_json::to_value(&effect).unwrap(), json!(words));
        assert_eq!(
            effect.is_off(),
            words.starts_with("off:"),
            "{words}: is_off"
        );
    }
}

#[test]
fn evaluation_reports_the_old_strings_in_json() {
    let policy = Policy::parse(
        "t.policy",
        "authorize {\n  drop prompt\n  set scope = \"${missing}\"\n  drop absent\n  when x == \"1\" stop\n  deny \"no\"\n}\n",
    )
    .unwrap();
    let req = Request::authorize("https://a.example/?prompt=login&x=2").unwrap();
    let (out, trace) = policy.explain(&req);
    let steps = serde_json::to_value(&trace).unwrap()["steps"].clone();
    let effects: Vec<&str> = steps
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["effect"].as_str().unwrap())
        .collect();
    assert_eq!(
        effects,
        [
            "changed",
            "skipped: a parameter it interpolates is absent",
            "no effect",
            "condition false",
            "denied: no",
        ]
    );
    assert_eq!(steps[0]["rule"], "global/authorize#1");
    let denied = out.denied().unwrap();
    assert_eq!(denied.rule, "global/authorize#5");
    assert_eq!(
        serde_json::to_value(denied).unwrap()["rule"],
        "global/authorize#5"
    );
    // Without the deny, the change is reported with its keyword.
    let out = Policy::parse("t.policy", "authorize { drop prompt }")
        .unwrap()
        .apply(&req);
    let change = &out.changes()[0];
    assert_eq!(change.action, Action::Drop);
    assert_eq!(
        serde_json::to_value(change).unwrap(),
        json!({"rule": "global/authorize#1", "action": "drop", "param": "prompt",
               "location": serde_json::to_value(&change.location).unwrap()})
    );
}

#[test]
fn rule_ids_read_compare_and_serialize_as_strings() {
    let id = RuleId::from("auth0/authorize/drop-prompt");
    assert_ne!(id, RuleId::from("auth0/authorize/other"));
    assert_eq!(id, "auth0/authorize/drop-prompt");
    assert_eq!(id.as_str(), "auth0/authorize/drop-prompt");
    assert_eq!(format!("[{id:<30}]"), "[auth0/authorize/drop-prompt   ]");
    assert!(!id.is_builtin());
    assert!(RuleId::from("builtin/state".to_string()).is_builtin());
    assert_eq!(
        serde_json::to_value(&id).unwrap(),
        json!("auth0/authorize/drop-prompt")
    );
    let back: RuleId = serde_json::from_value(json!("x/y#1")).unwrap();
    assert_eq!(back, "x/y#1");
    let set: std::collections::BTreeSet<RuleId> = [id].into();
    assert!(set.contains("auth0/authorize/drop-prompt"));
}

#[test]
fn request_errors_name_the_part_as_before() {
    let limits = Limits::default().with_max_url_bytes(30).with_max_params(2);
    let err = Request::authorize_with("https://a.example/?x=1&y=2&z=3&w=4", &limits).unwrap_err();
    assert!(matches!(
        err,
        RequestError::TooLarge {
            what: Part::Url,
            size: 30..,
            limit: 30
        }
    ));
    let err = Request::authorize_with("https://a.example/?x&y&z", &limits).unwrap_err();
    assert!(matches!(
        err,
        RequestError::TooManyParams {
            what: Part::Query,
            count: 3,
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "the query has 3 parameters, over the limit of 2"
    );
    assert_eq!(
        serde_json::to_value(&err).unwrap(),
        json!({"code": "too_many_params", "what": "query", "count": 3, "limit": 2})
    );
    let err = Request::token_with("https://a.example/t", "a=1&b=2&c=3", &limits).unwrap_err();
    assert!(matches!(
        err,
        RequestError::TooManyParams {
            what: Part::Body,
            ..
        }
    ));
    for (part, word) in [
        (Part::Url, "url"),
        (Part::Query, "query"),
        (Part::Body, "body"),
    ] {
        assert_eq!(part.as_str(), word);
        assert_eq!(part.to_string(), word);
        assert_eq!(serde_json::to_value(part).unwrap(), json!(word));
    }
}

#[test]
fn non_exhaustive_types_are_built_with_their_builders() {
    let e = Expectations::new()
        .with_provider("auth0")
        .with_authorize_url("https://a.example/authorize")
        .with_expected_state("s")
        .with_expected_issuer("https://a.example/")
        .with_require_iss(true)
        .with_no_state(true)
        .with_response_mode("fragment");
    assert_eq!(e.provider.as_deref(), Some("auth0"));
    assert_eq!(
        e.authorize_url.as_deref(),
        Some("https://a.example/authorize")
    );
    assert_eq!(e.expected_state.as_deref(), Some("s"));
    assert_eq!(e.expected_issuer.as_deref(), Some("https://a.example/"));
    assert!(e.require_iss && e.no_state);
    assert_eq!(e.response_mode.as_deref(), Some("fragment"));

    let limits = Limits::default()
        .with_max_url_bytes(1)
        .with_max_body_bytes(2)
        .with_max_params(3);
    assert_eq!(
        (
            limits.max_url_bytes,
            limits.max_body_bytes,
            limits.max_params
        ),
        (1, 2, 3)
    );
}

#[test]
fn expectations_read_require_iss_under_both_names() {
    for key in ["require_iss", "iss_required"] {
        let e: Expectations = serde_json::from_value(json!({ key: true })).unwrap();
        assert!(e.require_iss, "{key}");
    }
    let out = serde_json::to_value(Expectations::new().with_require_iss(true)).unwrap();
    assert_eq!(out["require_iss"], true);
    // The case files' context: `require_iss`, or the shared corpus's name.
    for key in ["require_iss", "iss_parameter_supported"] {
        let text = json!({"callback": [{"id": "c", "provider": "generic",
            "callback_url": "https://gw.example/cb?code=c&state=s1",
            "context": {"expected_state": "s1", key: true},
            "expect": {"outcome": "invalid", "category": "issuer_mismatch", "retryable": false}}]});
        let cases = CaseFile::parse("c.json", &text.to_string()).unwrap();
        assert!(cases.callback[0].context.require_iss, "{key}");
        let results = cases.run(&Policy::empty());
        assert!(results[0].passed(), "{key}: {:?}", results[0].failures);
    }
}

#[test]
fn case_results_report_their_kind_as_before() {
    let cases = CaseFile::parse(
        "c.json",
        r#"{"authorize": [{"id": "a", "provider": "generic",
            "input_url": "https://a.example/?x=1", "expect": {}}]}"#,
    )
    .unwrap();
    let results = cases.run(&Policy::empty());
    assert_eq!(results[0].kind, Kind::Authorize);
    assert_eq!(
        serde_json::to_value(&results[0]).unwrap()["kind"],
        "authorize"
    );
}
