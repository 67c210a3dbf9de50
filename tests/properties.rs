//! Properties over generated input: nothing panics, untouched parameters
//! survive byte for byte.

use oauth_policy::{Callback, Expectations, Policy, Request};
use proptest::prelude::*;

/// Raw query pieces, including odd encodings and empty pieces.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_]{1,8}=[A-Za-z0-9%+._~-]{0,12}",
        "[a-z]{1,4}",
        Just(String::new()),
        "[a-z]{1,4}=%[0-9A-Fa-f]{2}%[0-9A-Fa-f]{2}",
        "[a-z]{1,4}=%[g-z]{2}",
        "x=[a-z]{1,5}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn requests_never_panic(s in "\\PC{0,200}") {
        let _ = Request::authorize(&s);
        let _ = Request::token(&s, &s);
        let _ = Callback::from_url(&s);
        let _ = Callback::from_form(&s);
    }

    #[test]
    fn dropping_one_parameter_leaves_the_rest_byte_identical(pieces in prop::collection::vec(piece(), 0..12)) {
        let policy = Policy::parse("p.policy", r#"provider "p" { match host == "idp.example.com" authorize { drop x } }"#).unwrap();
        let query = pieces.join("&");
        let url = format!("https://idp.example.com/authorize?{query}");
        let out = policy.apply(&Request::authorize(&url).unwrap());
        let kept: Vec<&str> = pieces.iter().map(String::as_str).filter(|p| !p.starts_with("x=") && *p != "x").collect();
        let got = out.url().split_once('?').map_or("", |(_, q)| q);
        if pieces.iter().any(|p| p.starts_with("x=") || p == "x") {
            prop_assert_eq!(got, kept.join("&"));
        } else {
            prop_assert_eq!(out.url(), url.as_str());
        }
    }

    #[test]
    fn builtin_policy_and_classify_never_panic(pieces in prop::collection::vec(piece(), 0..12), state in "[a-z0-9]{0,8}") {
        let policy = Policy::builtin();
        let query = pieces.join("&");
        for host in ["login.microsoftonline.com/t/oauth2/v2.0/authorize", "idp.example.com/authorize"] {
            if let Ok(req) = Request::authorize(&format!("https://{host}?{query}")) {
                let _ = policy.apply(&req);
            }
        }
        let cb = Callback::from_url(&format!("https://gw.example/cb?{query}")).unwrap();
        let expect = Expectations::new().with_expected_state(state);
        let _ = policy.classify(&cb, &expect);
    }

    #[test]
    fn policy_parsing_never_panics(s in "[a-z \"(){}\\[\\]=~!#,\\n$r]{0,120}") {
        let _ = Policy::parse("fuzz.policy", &s);
    }

    #[test]
    fn policy_parsing_of_near_valid_text_never_panics(
        words in prop::collection::vec(prop_oneof![
            Just("provider"), Just("\"p\""), Just("{"), Just("}"), Just("match"), Just("host"),
            Just("=="), Just("~"), Just("\"x\""), Just("authorize"), Just("callback"), Just("drop"),
            Just("a"), Just("if"), Just("not"), Just("and"), Just("("), Just(")"), Just("classify"),
            Just("access_denied"), Just("set"), Just("="), Just("\"${a}\""), Just("when"), Just("in"),
            Just("["), Just("]"), Just(","), Just("deny"), Just("repeated"), Just("except"),
        ], 0..40)
    ) {
        let _ = Policy::parse("fuzz.policy", &words.join(" "));
    }
}
