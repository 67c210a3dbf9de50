//! The fast path of `parse_target` against the `url` crate, and the lazy
//! parameter decoding against `form_urlencoded` (via `Url::query_pairs`).

use proptest::prelude::*;
use url::Url;

use super::*;

/// Host labels, mostly plain, some the fast path must hand to the `url`
/// crate (upper case, IDNA, numbers, odd characters).
fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-z][a-z0-9-]{0,10}",
        1 => "[0-9]{1,3}",
        1 => "0x[0-9a-f]{1,2}",
        1 => "xn--[a-z0-9]{1,6}",
        1 => "[A-Za-z][a-zA-Z0-9_]{0,6}",
        1 => Just(String::new()),
        1 => "[a-z]{1,3}(é|%41|\\*|@|!)",
    ]
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::collection::vec(label(), 1..5).prop_map(|l| l.join(".")),
        1 => prop::collection::vec(label(), 1..4).prop_map(|l| format!("{}.", l.join("."))),
        1 => "(127\\.0\\.0\\.1|\\[::1\\]|1\\.2\\.3|0x7f\\.1)",
        1 => "user(:pw)?@[a-z]{1,8}\\.com",
    ]
}

fn port() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(String::new()),
        2 => "[0-9]{1,5}".prop_map(|p| format!(":{p}")),
        1 => "[0-9]{0,7}".prop_map(|p| format!(":{p}")),
        1 => Just(":443".to_string()),
    ]
}

/// Path segments with the characters the URL parser treats specially.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[A-Za-z0-9._~!$&'()*+,;=:@-]{0,10}",
        1 => "(\\.|\\.\\.|%2e|%2E|\\.%2e|%2e%2e)",
        1 => "[a-z]{0,3}(%41|%2f|%7e|%zz|%| |\"|<|>|`|\\{|\\}|\\||\\^|é|\\\\)[a-z]{0,3}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::collection::vec(segment(), 1..6).prop_map(|s| format!("/{}", s.join("/"))),
        1 => Just(String::new()),
    ]
}

fn query() -> impl Strategy<Value = String> {
    let piece = "[a-z_]{0,6}(=([A-Za-z0-9._~-]|%[0-9A-Fa-f]{2}|\\+|%|%e9|%C3%A9|=){0,8})?";
    prop::collection::vec(piece, 0..6).prop_map(|p| p.join("&"))
}

fn scheme() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        6 => Just("https"),
        2 => Just("http"),
        1 => Just("HTTPS"),
        1 => Just("ftp"),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// Whenever the fast path reads a head, the `url` crate reads the same
    /// scheme, host, port and path from it.
    #[test]
    fn fast_head_agrees_with_the_url_crate(
        scheme in scheme(), host in host(), port in port(), path in path()
    ) {
        let head = format!("{scheme}://{host}{port}{path}");
        if let Some(fast) = fast_head(&head) {
            let slow = url_crate_head(&head);
            prop_assert!(slow.is_ok(), "{head}: the url crate refuses it: {slow:?}");
            let (scheme, host, port, path) = fast;
            let (s_scheme, s_host, s_port, s_path) = slow.unwrap();
            let text = |p: &Piece| match p {
                Piece::In(r) => head[r.clone()].to_string(),
                Piece::Own(s) => s.clone(),
                Piece::Static(s) => s.to_string(),
            };
            prop_assert_eq!(text(&scheme), text(&s_scheme), "scheme of {}", head);
            prop_assert_eq!(text(&host), text(&s_host), "host of {}", head);
            prop_assert_eq!(port, s_port, "port of {}", head);
            prop_assert_eq!(text(&path), text(&s_path), "path of {}", head);
        }
    }

    /// A whole URL: the request's host and decoded parameters are the ones
    /// the `url` crate and `form_urlencoded` read (which skip empty pieces).
    #[test]
    fn requests_agree_with_the_url_crate(
        scheme in scheme(), host in host(), port in port(), path in path(), query in query()
    ) {
        let url = format!("{scheme}://{host}{port}{path}?{query}");
        let (Ok(req), Ok(parsed)) = (Request::authorize(&url), Url::parse(&url)) else {
            return Ok(());
        };
        let want_host = normalize_host(
            parsed.host_str().unwrap_or("").trim_start_matches('[').trim_end_matches(']'),
        );
        prop_assert_eq!(req.host(), want_host.as_str());
        prop_assert_eq!(req.target.port(), parsed.port_or_known_default());
        let ours: Vec<(String, String)> = req
            .params()
            .filter(|(n, v)| !(n.is_empty() && v.is_empty()))
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let theirs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        // `query_pairs` also drops `=` alone (empty name and value).
        let theirs: Vec<_> = theirs.into_iter().filter(|(n, v)| !(n.is_empty() && v.is_empty())).collect();
        prop_assert_eq!(ours, theirs, "{}", url);
    }
}

#[test]
fn the_seed_takes_the_fast_path() {
    let head = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize";
    assert!(fast_head(head).is_some());
    for slow in [
        "https://Login.microsoftonline.com/t/authorize",
        "https://xn--bcher-kva.example/a",
        "https://127.0.0.1/a",
        "https://host./a",
        "https://a.b/x/../y",
        "https://a.b/x/%2e/y",
        "https://a.b:/x",
        "https://user@a.b/x",
        "https://a.b",
    ] {
        assert!(fast_head(slow).is_none(), "{slow}");
    }
}

#[test]
fn values_decode_when_read_and_compare_equal_before_and_after() {
    let req = Request::authorize("https://a.example/x?scope=a%20b+c&x=1").unwrap();
    let copy = req.clone();
    let params: Vec<_> = req.params().collect();
    assert_eq!(params, [("scope", "a b c"), ("x", "1")]);
    assert_eq!(req, copy, "a decoded value does not make requests unequal");
}

#[test]
fn errors_keep_their_order_and_offsets() {
    let limits = Limits {
        max_params: 2,
        ..Limits::default()
    };
    assert_eq!(
        parse_params("a&b&c\u{1}", Part::Query, &limits),
        Err(RequestError::ControlCharacter { offset: 5 })
    );
    assert_eq!(
        parse_params("a&b&c", Part::Query, &limits),
        Err(RequestError::TooManyParams {
            what: Part::Query,
            count: 3,
            limit: 2
        })
    );
    assert_eq!(
        parse_target("https://a.example/x?y#z\tq", &Limits::default()).map(|_| ()),
        Err(RequestError::ControlCharacter { offset: 23 })
    );
    let t = parse_target("https://a.example/x#frag?not-query", &Limits::default()).unwrap();
    assert_eq!(t.query(), None);
    let t = parse_target("https://a.example/x?q=1#f", &Limits::default()).unwrap();
    assert_eq!(t.query(), Some(20..23));
}
