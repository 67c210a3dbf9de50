//! `Debug` output without secrets: a stray `{:?}` in a log must not leak a
//! code, a state or a client secret. Every public type that holds request
//! text formats it through these helpers, so there is one notion of "secret"
//! (`vocab::SECRET_PARAMS`) and one way to hide it.

use std::fmt;

use super::request::decode;
use crate::vocab::is_secret_param;

/// What a secret value is shown as.
pub(crate) const REDACTED: &str = "<redacted>";

/// A URL: values of secret query and fragment parameters, and any userinfo
/// (`user:password@`), replaced by [`REDACTED`]. Shown as a quoted string.
pub(crate) struct Url<'a>(pub &'a str);

/// A form-encoded query or body, secret values replaced.
pub(crate) struct Form<'a>(pub &'a str);

/// A URL or a form body, whichever the text looks like (test fixtures hold
/// both in one field).
pub(crate) struct Text<'a>(pub &'a str);

/// A value that is secret whatever it is: only whether it is there shows.
pub(crate) struct Secret<'a>(pub Option<&'a str>);

impl fmt::Debug for Url<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&url(self.0), f)
    }
}

impl fmt::Debug for Form<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&form(self.0), f)
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = if looks_like_url(self.0) {
            url(self.0)
        } else {
            form(self.0)
        };
        fmt::Debug::fmt(&shown, f)
    }
}

impl fmt::Debug for Secret<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Unquoted, so it cannot be mistaken for the value itself.
        match self.0 {
            Some(_) => write!(f, "Some({REDACTED})"),
            None => f.write_str("None"),
        }
    }
}

/// `scheme://` at the start (a body's `redirect_uri=https://…` is a form).
fn looks_like_url(s: &str) -> bool {
    s.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// A URL with userinfo and secret parameter values replaced.
pub(crate) fn url(s: &str) -> String {
    let (head, fragment) = match s.split_once('#') {
        Some((h, frag)) => (h, Some(frag)),
        None => (s, None),
    };
    let (base, query) = match head.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (head, None),
    };
    let mut out = userinfo(base);
    if let Some(q) = query {
        out.push('?');
        out.push_str(&form(q));
    }
    if let Some(frag) = fragment {
        out.push('#');
        out.push_str(&form(frag));
    }
    out
}

/// `scheme://user:pass@host/…` without `user:pass`.
fn userinfo(base: &str) -> String {
    let Some((scheme, rest)) = base.split_once("://") else {
        return base.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://{REDACTED}@{host}{path}"),
        None => base.to_string(),
    }
}

/// Form text with the value of every secret parameter replaced (names and
/// other values kept byte for byte, so the output still reads as the input).
pub(crate) fn form(s: &str) -> String {
    s.split('&')
        .map(|piece| match piece.split_once('=') {
            Some((name, value)) if !value.is_empty() && is_secret_param(&decode(name)) => {
                format!("{name}={REDACTED}")
            }
            _ => piece.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `text` with every value of a secret parameter found in `sources` (URLs
/// or forms) replaced — raw, decoded and trimmed, longest first — for text
/// such as a deny reason that may have copied one through `${…}`.
pub(crate) fn scrub(text: &str, sources: &[&str]) -> String {
    let mut values: Vec<String> = Vec::new();
    for source in sources {
        let (head, fragment) = source.split_once('#').unwrap_or((source, ""));
        let query = head.split_once('?').map_or(head, |(_, q)| q);
        for piece in query.split('&').chain(fragment.split('&')) {
            let Some((name, raw)) = piece.split_once('=') else {
                continue;
            };
            if !is_secret_param(&decode(name)) {
                continue;
            }
            let decoded = decode(raw);
            values.push(raw.to_string());
            values.push(decoded.trim().to_string());
            values.push(decoded.into_owned());
        }
    }
    values.retain(|v| !v.is_empty());
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values.dedup();
    let mut out = text.to_string();
    for v in values {
        if out.contains(&v) {
            out = out.replace(&v, REDACTED);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_everything_but_secrets() {
        assert_eq!(
            url("https://u:pw@h.example/cb?code=c1&x=keep&%73tate=s1&state=#id_token=t&y=z"),
            "https://<redacted>@h.example/cb?code=<redacted>&x=keep&%73tate=<redacted>&state=#id_token=<redacted>&y=z"
        );
        assert_eq!(url("https://h.example/a"), "https://h.example/a");
    }

    #[test]
    fn text_tells_urls_from_forms() {
        assert_eq!(
            format!("{:?}", Text("redirect_uri=https://x/&client_secret=s")),
            "\"redirect_uri=https://x/&client_secret=<redacted>\""
        );
        assert_eq!(
            format!("{:?}", Text("https://h/?Code=c")),
            "\"https://h/?Code=<redacted>\""
        );
    }

    #[test]
    fn scrub_finds_decoded_and_trimmed_values() {
        let out = scrub(
            "bad state MARKER, was MARKER%20",
            &["https://h/?state=MARKER%20&a=b"],
        );
        assert_eq!(out, "bad state <redacted>, was <redacted>");
    }
}
