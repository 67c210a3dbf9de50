//! The properties the fuzz targets check, one function per target. Shared
//! (via `#[path]`) by the cargo-fuzz targets in `fuzz/` and by
//! `tests/fuzz_regressions.rs`, so every crash the fuzzer saves replays under
//! plain `cargo test` through exactly the same code.
//!
//! Each function takes the raw fuzz input and panics when a property breaks.
//! Inputs the library refuses (bad UTF-8, invalid URL, over a limit) are fine:
//! refusing is an answer; panicking, or answering wrongly, is not.

#![allow(dead_code)]

use std::borrow::Cow;
use std::collections::HashSet;

use oauth_policy::fmt::format;
use oauth_policy::unstable::syntax::{lex, parse};
use oauth_policy::{
    Action, Callback, CallbackOutcome, Expectations, Limits, Outcome, Policy, Request,
};

/// One target's checks: panics when a property breaks.
pub type Check = fn(&[u8]);

/// Every target by name, as `fuzz/fuzz_targets/<name>.rs` and
/// `tests/fuzz_regressions/<name>/` spell it.
pub const TARGETS: &[(&str, Check)] = &[
    ("policy_fmt", policy_fmt),
    ("authorize", authorize),
    ("token", token),
    ("callback", callback),
];

/// Policy text → load → `fmt` round trip.
///
/// - parsing and loading agree (a file that loads parses);
/// - `format` succeeds exactly when `parse` does;
/// - the output parses to the same AST (spans aside), keeps every comment in
///   order, and formatting it again changes nothing;
/// - the formatted file loads exactly when the original does, and rewrites a
///   few fixed requests the same way.
pub fn policy_fmt(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let loaded = Policy::parse("fuzz.policy", text);
    let ast = parse(text);
    if loaded.is_ok() {
        assert!(ast.is_ok(), "the policy loads but does not parse");
    }
    let formatted = format(text);
    let (Ok(ast), Ok(out)) = (ast, formatted.as_ref()) else {
        assert!(
            formatted.is_err(),
            "format succeeded on text that does not parse"
        );
        return;
    };
    let reparsed = parse(out)
        .unwrap_or_else(|e| panic!("formatted output does not parse: {e:?}\n--- output\n{out}"));
    // AST equality leaves spans out.
    assert_eq!(
        ast, reparsed,
        "formatting changed the AST\n--- output\n{out}"
    );
    let again = format(out).expect("formatted output formats");
    assert_eq!(*out, again, "formatting is not idempotent");
    let comments = |s: &str| -> Vec<String> {
        lex(s)
            .expect("parsed text lexes")
            .comments
            .into_iter()
            .map(|c| c.text)
            .collect()
    };
    assert_eq!(comments(text), comments(out), "formatting changed comments");

    let Ok(a) = loaded else {
        // Loading a file already in canonical layout again proves nothing.
        if *out != text {
            let reloaded = Policy::parse("fuzz.policy", out);
            assert!(reloaded.is_err(), "formatting made an invalid policy load");
        }
        return;
    };
    let b = if *out == text {
        a.clone()
    } else {
        Policy::parse("fuzz.policy", out)
            .unwrap_or_else(|e| panic!("formatting made the policy fail to load: {e:?}"))
    };
    for url in FIXED_AUTHORIZE {
        let req = Request::authorize(url).expect("fixed URL is valid");
        let (x, y) = (a.apply(&req), b.apply(&req));
        assert_eq!(essence(&x), essence(&y), "formatting changed {url}");
        check_request(&req, &x, None);
    }
    let req = Request::token(FIXED_TOKEN.0, FIXED_TOKEN.1).expect("fixed token is valid");
    let x = a.apply(&req);
    assert_eq!(
        essence(&x),
        essence(&b.apply(&req)),
        "formatting changed a token request"
    );
    check_request(&req, &x, Some(FIXED_TOKEN.1));
    let cb = Callback::from_url(FIXED_CALLBACK).expect("fixed callback is valid");
    let expect = Expectations::new().with_expected_state("s1");
    check_verdict(&a, &cb, callback_source(FIXED_CALLBACK, &expect), &expect);
}

/// Requests a fuzzed policy is run on (hosts and names the seeds use).
const FIXED_AUTHORIZE: &[&str] = &[
    "https://idp.example.com/authorize?client_id=a&scope=openid%20email+x&prompt=&state=s1&resource=https%3A%2F%2Fr&a=1&a=2&%73cope=y#frag",
    "https://login.microsoftonline.com/t/oauth2/v2.0/authorize?client_id=c&response_type=code&redirect_uri=https%3A%2F%2Fg%2Fcb&scope=openid,offline_access&resource=r",
];
const FIXED_TOKEN: (&str, &str) = (
    "https://idp.example.com/token",
    "grant_type=authorization_code&code=c&redirect_uri=https%3A%2F%2Fg&client_id=a&client_secret=&scope=a+b",
);
const FIXED_CALLBACK: &str = "https://gateway.example.com/cb?code=c&state=s1&iss=https%3A%2F%2Fidp";

/// What an outcome says, without source locations (which move when a file
/// is reformatted).
fn essence(
    o: &Outcome,
) -> (
    String,
    Option<String>,
    Option<String>,
    Vec<String>,
    Option<String>,
) {
    (
        o.url().to_string(),
        o.body().map(str::to_string),
        o.provider().map(str::to_string),
        o.changes()
            .iter()
            .map(|c| format!("{} {}", c.action, c.param))
            .collect(),
        o.denied().map(|d| d.reason.clone()),
    )
}

/// Bytes → authorize URL → the built-in library.
pub fn authorize(data: &[u8]) {
    let url = String::from_utf8_lossy(data);
    let Ok(req) = Request::authorize(&url) else {
        return;
    };
    let policy = Policy::builtin();
    let out = policy.apply(&req);
    check_request(&req, &out, None);
    assert_eq!(out, policy.explain(&req).0, "apply and explain disagree");
}

/// Bytes → token request (`URL\nBODY`, split at the first newline) → the
/// built-in library.
pub fn token(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (url, body) = text.split_once('\n').unwrap_or((&text, ""));
    let Ok(req) = Request::token(url, body) else {
        return;
    };
    let policy = Policy::builtin();
    let out = policy.apply(&req);
    check_request(&req, &out, Some(body));
    assert_eq!(out, policy.explain(&req).0, "apply and explain disagree");
}

/// Bytes → callback → `classify` with the built-in library. The input is
/// newline-separated fields: the callback URL (or `form:` and a form_post
/// body), then the expectations: provider, authorize URL, expected state,
/// expected issuer, `1` for `require_iss`, `1` for `no_state`, and the
/// response mode. Empty fields are absent.
pub fn callback(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut fields = text.splitn(8, '\n');
    let source = fields.next().unwrap_or("");
    let mut field = || fields.next().filter(|f| !f.is_empty()).map(str::to_string);
    let mut expect = Expectations::new();
    expect.provider = field();
    expect.authorize_url = field();
    expect.expected_state = field();
    expect.expected_issuer = field();
    expect.require_iss = field().is_some_and(|f| f == "1");
    expect.no_state = field().is_some_and(|f| f == "1");
    expect.response_mode = field();
    let (cb, params) = match source.strip_prefix("form:") {
        Some(body) => (Callback::from_form(body), body),
        None => (Callback::from_url(source), callback_source(source, &expect)),
    };
    let Ok(cb) = cb else {
        return;
    };
    check_verdict(&Policy::builtin(), &cb, params, &expect);
}

/// A verdict is consistent with the callback: a success carries exactly one
/// non-empty `code` and `state`, bound to what was expected; nothing else
/// hands out a code or state.
fn check_verdict(policy: &Policy, cb: &Callback, source: &str, expect: &Expectations) {
    let verdict = match policy.classify(cb, expect) {
        Ok(verdict) => verdict,
        Err(e) => {
            // Only a provider the policy lacks is refused, by both calls.
            let named = expect
                .provider
                .as_deref()
                .expect("refused without a provider");
            assert!(
                !policy.providers().any(|p| p == named),
                "refused a known provider: {e}"
            );
            assert!(
                policy.explain_callback(cb, expect).is_err(),
                "explain_callback took {named}"
            );
            return;
        }
    };
    let (explained, _) = policy
        .explain_callback(cb, expect)
        .expect("explain_callback refused what classify took");
    assert_eq!(verdict, explained, "classify and explain_callback disagree");
    if verdict.outcome != CallbackOutcome::Success {
        assert!(
            verdict.code.is_none() && verdict.state.is_none(),
            "a {:?} verdict carries a code or state",
            verdict.outcome
        );
        return;
    }
    let params = params_of(source);
    let values = |name: &str| -> Vec<&str> {
        params
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let code = verdict.code.as_deref().expect("a success carries a code");
    assert!(!code.is_empty(), "empty code");
    assert_eq!(values("code"), [code], "the code is not the one code sent");
    // A PKCE-only flow (no_state, nothing expected) succeeds only without a
    // state; every other success carries the one state sent.
    if expect.no_state && expect.expected_state.is_none() {
        assert!(
            verdict.state.is_none() && values("state").is_empty(),
            "a state-less flow's success with a state"
        );
    } else {
        let state = verdict.state.as_deref().expect("a success carries a state");
        assert!(!state.is_empty(), "empty state");
        assert_eq!(
            values("state"),
            [state],
            "the state is not the one state sent"
        );
        if let Some(want) = &expect.expected_state {
            assert_eq!(state, want, "a success with the wrong state");
        }
    }
    assert!(
        values("error").iter().all(|e| e.is_empty()),
        "a success with an error"
    );
    let iss = values("iss").into_iter().find(|v| !v.is_empty());
    if let (Some(iss), Some(want)) = (iss, &expect.expected_issuer) {
        assert_eq!(iss, want, "a success with the wrong issuer");
    }
    if expect.require_iss {
        assert!(iss.is_some(), "a success without the required iss");
    }
}

/// The decoded parameters of a callback's parameter text, read
/// independently of the library.
fn params_of(source: &str) -> Vec<(String, String)> {
    segments(source)
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(n).into_owned(), decode(v).into_owned())
        })
        .collect()
}

/// Where a callback URL carries its parameters: the fragment for a flow in
/// fragment mode (`response_mode`, or the authorize URL's `response_mode`
/// or token-bearing `response_type`), else the query.
fn callback_source<'a>(url: &'a str, expect: &Expectations) -> &'a str {
    let url = url.trim_matches(|c: char| c.is_ascii_whitespace());
    let (_, query, tail) = split_url(url);
    if fragment_mode(expect) {
        tail.strip_prefix('#').unwrap_or("")
    } else {
        query.unwrap_or("")
    }
}

/// Whether the flow's responses come in the fragment, read independently
/// of the library: an explicit mode wins, else the authorize URL's own
/// `response_mode`, else its `response_type`'s default (OAuth 2.0 Multiple
/// Response Type Encoding Practices §5: fragment when a token is returned).
fn fragment_mode(expect: &Expectations) -> bool {
    if let Some(mode) = &expect.response_mode {
        return mode == "fragment";
    }
    let Some(authorize) = &expect.authorize_url else {
        return false;
    };
    let (_, query, _) = split_url(authorize);
    let params = params_of(query.unwrap_or(""));
    let get = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    match get("response_mode") {
        Some(mode) => mode == "fragment",
        None => get("response_type")
            .is_some_and(|t| t.split(' ').any(|i| i == "token" || i == "id_token")),
    }
}

/// Form decoding as RFC 6749 appendix B says: `+` is a space, `%XX` a byte,
/// invalid UTF-8 replaced.
fn decode(s: &str) -> Cow<'_, str> {
    if !s.contains(['+', '%']) {
        return Cow::Borrowed(s);
    }
    let spaced = s.replace('+', " ");
    Cow::Owned(
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// The properties of any rewrite:
/// - a denied request is sent nowhere, so its URL/body are as given and it
///   lists no changes;
/// - nothing outside the query (authorize) or the body (token) changes;
/// - every parameter whose name no change names is written back byte for
///   byte, in its original order, and nothing else under such a name appears
///   (a rename target aside);
/// - a request no rule changed comes back identical;
/// - the output is within the default request limits.
fn check_request(req: &Request, out: &Outcome, body: Option<&str>) {
    let limits = Limits::default();
    if let Some(d) = out.denied() {
        assert!(out.changes().is_empty(), "a denial lists changes: {d:?}");
    }
    let (before, after) = match body {
        None => {
            assert!(out.body().is_none(), "an authorize request got a body");
            let (head, query, tail) = split_url(req.url());
            let url = out.url();
            assert!(
                url.starts_with(head)
                    && url.ends_with(tail)
                    && url.len() >= head.len() + tail.len(),
                "the URL outside the query changed:\n{}\n{url}",
                req.url()
            );
            let middle = &url[head.len()..url.len() - tail.len()];
            let new_query = match middle.strip_prefix('?') {
                Some(q) => q,
                None => {
                    assert!(middle.is_empty(), "the query lost its `?`: {url}");
                    ""
                }
            };
            (query.unwrap_or(""), new_query)
        }
        Some(body) => {
            assert_eq!(out.url(), req.url(), "a token request's URL changed");
            let new_body = out.body().expect("a token request keeps a body");
            (body, new_body)
        }
    };
    if out.denied().is_some() || out.changes().is_empty() {
        assert_eq!(out.url(), req.url(), "an unchanged request's URL changed");
        if let Some(body) = body {
            assert_eq!(
                out.body(),
                Some(body),
                "an unchanged request's body changed"
            );
        }
    }
    let changed: HashSet<&str> = out.changes().iter().map(|c| c.param.as_str()).collect();
    let renamed = out.changes().iter().any(|c| c.action == Action::Rename);
    let untouched = |s: &str| -> Vec<String> {
        // An empty piece (`a&&b`) carries no parameter; where the library
        // keeps one alone it cannot be told from no query at all.
        segments(s)
            .filter(|seg| !seg.is_empty())
            .filter(|seg| {
                let name = seg.split_once('=').map_or(*seg, |(n, _)| n);
                !changed.contains(decode(name).as_ref())
            })
            .map(str::to_string)
            .collect()
    };
    let (kept, written) = (untouched(before), untouched(after));
    let mut rest = written.iter();
    for seg in &kept {
        assert!(
            rest.any(|w| w == seg),
            "untouched parameter `{seg}` is missing, moved or re-encoded\n--- before\n{before}\n--- after\n{after}\n--- changes\n{:?}",
            out.changes()
        );
    }
    if !renamed {
        assert_eq!(
            kept, written,
            "parameters no change names were added or removed\n--- before\n{before}\n--- after\n{after}"
        );
    }
    assert!(
        out.url().len() <= limits.max_url_bytes,
        "the output URL is {} bytes, over the {} byte limit",
        out.url().len(),
        limits.max_url_bytes
    );
    if let Some(b) = out.body() {
        assert!(
            b.len() <= limits.max_body_bytes,
            "the output body is {} bytes, over the limit",
            b.len()
        );
    }
    assert!(
        segments(after).count() <= limits.max_params,
        "the output has more parameters than the limit"
    );
}

/// `name=value` pieces of a query or body (none for an empty one, as the
/// library reads it).
fn segments(s: &str) -> impl Iterator<Item = &str> {
    (!s.is_empty()).then(|| s.split('&')).into_iter().flatten()
}

/// A URL as (everything before the query's `?`, the query, `#` and the
/// fragment): the first `#` ends the query, the first `?` before it starts it.
fn split_url(url: &str) -> (&str, Option<&str>, &str) {
    let end = url.find('#').unwrap_or(url.len());
    let (pre, tail) = url.split_at(end);
    match pre.find('?') {
        Some(q) => (&pre[..q], Some(&pre[q + 1..]), tail),
        None => (pre, None, tail),
    }
}
