//! Requests as the evaluator sees them: a URL parsed once, and the raw
//! parameter list (query or form body) split without re-encoding anything.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use percent_encoding::percent_decode_str;
use serde::Serialize;
use url::Url;

use super::redact;
use crate::compile::normalize_host;
use crate::vocab::Kind;

/// Size limits for incoming requests; inputs past them are refused, not cut.
///
/// ```
/// use oauth_policy::{Limits, Request};
/// let limits = Limits::default().with_max_url_bytes(100);
/// assert!(Request::authorize_with(&format!("https://a.example/?x={}", "y".repeat(100)), &limits).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest URL accepted, in bytes.
    pub max_url_bytes: usize,
    /// Longest form body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Most parameters accepted in one query or body.
    pub max_params: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_url_bytes: 64 * 1024,
            max_body_bytes: 256 * 1024,
            max_params: 1000,
        }
    }
}

/// Limits with each field set by a builder, for callers outside the crate
/// (the struct is `#[non_exhaustive]`: new limits may come).
impl Limits {
    /// The longest URL accepted, in bytes.
    pub fn with_max_url_bytes(mut self, bytes: usize) -> Self {
        self.max_url_bytes = bytes;
        self
    }

    /// The longest form body accepted, in bytes.
    pub fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// The most parameters accepted in one query or body.
    pub fn with_max_params(mut self, count: usize) -> Self {
        self.max_params = count;
        self
    }
}

/// The part of a request a [`RequestError`] is about. Prints and
/// serializes as `url`, `query` or `body`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Part {
    /// The whole URL.
    Url,
    /// The URL's query (or a callback's fragment).
    Query,
    /// A form body.
    Body,
}

impl Part {
    /// `url`, `query` or `body`.
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Url => "url",
            Part::Query => "query",
            Part::Body => "body",
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Why a request could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RequestError {
    /// The URL does not parse.
    #[error("invalid URL: {reason}")]
    #[diagnostic(code(request::invalid_url))]
    InvalidUrl {
        /// The parser's reason.
        reason: String,
    },
    /// The URL has no host (e.g. `mailto:`), so no provider can match it.
    #[error("the URL has no host")]
    #[diagnostic(code(request::no_host))]
    NoHost,
    /// Tabs, newlines or other control characters inside the URL or body.
    #[error("control character at byte {offset}")]
    #[diagnostic(
        code(request::control_character),
        help("percent-encode it; browsers would silently drop it, which changes the request")
    )]
    ControlCharacter {
        /// Byte offset of the first one.
        offset: usize,
    },
    /// Longer than the limit.
    #[error("the {what} is {size} bytes, over the {limit} byte limit")]
    #[diagnostic(code(request::too_large))]
    TooLarge {
        /// The URL or the body.
        what: Part,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// More parameters than the limit.
    #[error("the {what} has {count} parameters, over the limit of {limit}")]
    #[diagnostic(code(request::too_many_parameters))]
    TooManyParams {
        /// The query or the body.
        what: Part,
        /// How many.
        count: usize,
        /// The limit.
        limit: usize,
    },
}

/// One `name=value` piece of a query or body, as received.
#[derive(Clone, PartialEq, Eq)]
pub struct RawParam {
    /// The whole piece, in the parameter source.
    pub segment: Range<usize>,
    /// Where the `=` is, if there is one.
    pub eq: Option<usize>,
    /// The decoded name, when decoding changed it (else it is the raw text).
    decoded_name: Option<String>,
    /// The decoded value, when decoding changed it (else it is the raw text).
    decoded_value: Option<String>,
}

impl RawParam {
    /// The decoded name (`+` is a space, invalid UTF-8 becomes U+FFFD);
    /// `source` is the text the parameter was read from.
    pub fn name<'s>(&'s self, source: &'s str) -> &'s str {
        match &self.decoded_name {
            Some(n) => n,
            None => source.get(self.name_range()).unwrap_or(""),
        }
    }

    /// The decoded value; `source` is the text the parameter was read from.
    pub fn value<'s>(&'s self, source: &'s str) -> &'s str {
        match &self.decoded_value {
            Some(v) => v,
            None => self.value_range().and_then(|r| source.get(r)).unwrap_or(""),
        }
    }

    /// The raw value text (after `=`), if there is an `=`.
    pub fn raw_value<'s>(&self, source: &'s str) -> Option<&'s str> {
        self.value_range().and_then(|r| source.get(r))
    }

    fn name_range(&self) -> Range<usize> {
        self.segment.start..self.eq.unwrap_or(self.segment.end)
    }

    fn value_range(&self) -> Option<Range<usize>> {
        self.eq.map(|e| e + 1..self.segment.end)
    }
}

/// The target URL's parts that conditions can test.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    /// The URL exactly as given (surrounding whitespace trimmed).
    pub url: String,
    /// The scheme, lower-case.
    pub scheme: String,
    /// The host, lower-case, IDNA-encoded, without a trailing dot.
    pub host: String,
    /// The explicit port or the scheme's default.
    pub port: Option<u16>,
    /// The path as the URL parser normalised it, with percent-encoded
    /// unreserved characters decoded and other escapes upper-cased (RFC 3986
    /// §6.2.2.1–2), so `/v2%2E0/` matches like `/v2.0/`. Used for matching
    /// only: the output keeps the path exactly as given.
    pub path: String,
    /// Where the query (after `?`, before `#`) is in `url`.
    pub query: Option<Range<usize>>,
}

/// A request to rewrite: an authorize URL or a token body.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    pub(crate) kind: Kind,
    pub(crate) target: Target,
    pub(crate) body: Option<String>,
    pub(crate) params: Vec<RawParam>,
    /// The limits it was read with; they also cap what rules may write.
    pub(crate) limits: Limits,
}

impl Request {
    /// An authorization request URL, with default limits.
    pub fn authorize(url: &str) -> Result<Self, RequestError> {
        Self::authorize_with(url, &Limits::default())
    }

    /// An authorization request URL.
    pub fn authorize_with(url: &str, limits: &Limits) -> Result<Self, RequestError> {
        let target = parse_target(url, limits)?;
        let params = parse_params(target.query_str(), Part::Query, limits)?;
        Ok(Self {
            kind: Kind::Authorize,
            target,
            body: None,
            params,
            limits: *limits,
        })
    }

    /// A token request (code exchange or refresh) to `url` with a
    /// form-encoded `body`, with default limits.
    pub fn token(url: &str, body: &str) -> Result<Self, RequestError> {
        Self::token_with(url, body, &Limits::default())
    }

    /// A token request with explicit limits.
    pub fn token_with(url: &str, body: &str, limits: &Limits) -> Result<Self, RequestError> {
        let target = parse_target(url, limits)?;
        let params = parse_params(body, Part::Body, limits)?;
        Ok(Self {
            kind: Kind::Token,
            target,
            body: Some(body.to_string()),
            params,
            limits: *limits,
        })
    }

    /// `authorize` or `token`.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The URL as given.
    pub fn url(&self) -> &str {
        &self.target.url
    }

    /// The host used for provider matching.
    pub fn host(&self) -> &str {
        &self.target.host
    }

    /// Every parameter as the engine read it, in order: `(name, value)`,
    /// decoded. What rules test and interpolate, so what a log must scrub.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        let source = self.param_source();
        self.params
            .iter()
            .map(move |p| (p.name(source), p.value(source)))
    }

    /// The text the parameters were read from: the query or the body.
    pub(crate) fn param_source(&self) -> &str {
        match &self.body {
            Some(body) => body,
            None => self.target.query_str(),
        }
    }
}

impl Target {
    /// The raw query (after `?`, before `#`; empty when there is none).
    pub fn query_str(&self) -> &str {
        self.query
            .clone()
            .and_then(|r| self.url.get(r))
            .unwrap_or("")
    }
}

// Debug never shows a secret parameter's value (see `redact`): requests
// carry codes, client secrets and refresh tokens, and `{:?}` ends up in logs.

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("kind", &self.kind)
            .field("url", &redact::Url(&self.target.url))
            .field("body", &self.body.as_deref().map(redact::Form))
            .field("params", &self.params.len())
            .finish()
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("url", &redact::Url(&self.url))
            .field("scheme", &self.scheme)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("path", &self.path)
            .field("query", &self.query)
            .finish()
    }
}

impl fmt::Debug for RawParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Without its source the parameter cannot tell whether it is a
        // secret one, so a decoded value is never shown.
        f.debug_struct("RawParam")
            .field("segment", &self.segment)
            .field("eq", &self.eq)
            .field("decoded_name", &self.decoded_name)
            .field(
                "decoded_value",
                &redact::Secret(self.decoded_value.as_deref()),
            )
            .finish()
    }
}

/// Parses and validates a URL, remembering where its query is in the text.
pub(crate) fn parse_target(url: &str, limits: &Limits) -> Result<Target, RequestError> {
    let url = url.trim_matches(|c: char| c.is_ascii_whitespace());
    if url.len() > limits.max_url_bytes {
        return Err(RequestError::TooLarge {
            what: Part::Url,
            size: url.len(),
            limit: limits.max_url_bytes,
        });
    }
    // The WHATWG parser silently deletes tabs and newlines; refusing them
    // keeps the text we edit identical to the URL we matched.
    if let Some(offset) = url.bytes().position(|b| b.is_ascii_control()) {
        return Err(RequestError::ControlCharacter { offset });
    }
    // Neither authority nor path can hold a raw `?` or `#`, so the first of
    // each in the text are the ones a URL parser uses. The URL parser only
    // sees the part before them (the query is ours to read, byte for byte),
    // which also spares it re-encoding a long query.
    let end = url.find('#').unwrap_or(url.len());
    let query_start = url.get(..end).and_then(|head| head.find('?'));
    let head = url.get(..query_start.unwrap_or(end)).unwrap_or(url);
    let parsed = Url::parse(head).map_err(|e| RequestError::InvalidUrl {
        reason: e.to_string(),
    })?;
    let host = parsed.host_str().ok_or(RequestError::NoHost)?;
    let query = query_start.map(|q| q + 1..end);
    Ok(Target {
        url: url.to_string(),
        scheme: parsed.scheme().to_string(),
        host: normalize_host(host.trim_start_matches('[').trim_end_matches(']')),
        port: parsed.port_or_known_default(),
        path: normalize_path(parsed.path()),
        query,
    })
}

/// RFC 3986 §6.2.2.1–2 normalisation of a path for matching: `%XX` for an
/// unreserved character (ALPHA, DIGIT, `-`, `.`, `_`, `~`) becomes that
/// character, every other escape gets upper-case hex digits. Nothing else
/// changes, so an encoded `/` (`%2F`) stays an escape and never splits a
/// segment.
pub(crate) fn normalize_path(path: &str) -> String {
    if !path.contains('%') {
        return path.to_string();
    }
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = match (bytes.get(i), bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(b'%'), Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| (h << 4) | l),
            _ => None,
        };
        match escape {
            Some(b) if b.is_ascii_alphanumeric() || b"-._~".contains(&b) => {
                out.push(char::from(b));
                i += 3;
            }
            Some(b) => {
                out.push_str(&format!("%{b:02X}"));
                i += 3;
            }
            None => {
                // Not an escape: copy one whole character (the path is a str,
                // so `i` is always on a character boundary here).
                let ch = path.get(i..).and_then(|rest| rest.chars().next());
                match ch {
                    Some(c) => {
                        out.push(c);
                        i += c.len_utf8();
                    }
                    None => break,
                }
            }
        }
    }
    out
}

/// The value of one hex digit.
fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Splits `source` on `&` into raw parameters, decoding names and values.
/// `what` is `query` or `body` (a body is held to `max_body_bytes`).
pub(crate) fn parse_params(
    source: &str,
    what: Part,
    limits: &Limits,
) -> Result<Vec<RawParam>, RequestError> {
    if what == Part::Body && source.len() > limits.max_body_bytes {
        return Err(RequestError::TooLarge {
            what,
            size: source.len(),
            limit: limits.max_body_bytes,
        });
    }
    if let Some(offset) = source.bytes().position(|b| b.is_ascii_control()) {
        return Err(RequestError::ControlCharacter { offset });
    }
    if source.is_empty() {
        return Ok(Vec::new());
    }
    let count = source.bytes().filter(|&b| b == b'&').count() + 1;
    if count > limits.max_params {
        return Err(RequestError::TooManyParams {
            what,
            count,
            limit: limits.max_params,
        });
    }
    let mut params = Vec::with_capacity(count);
    let mut start = 0;
    for piece in source.split('&') {
        let end = start + piece.len();
        let eq = piece.find('=');
        let (name, value) = match eq {
            Some(i) => (
                piece.get(..i).unwrap_or(""),
                piece.get(i + 1..).unwrap_or(""),
            ),
            None => (piece, ""),
        };
        // Most names and values need no decoding: keep only the ones that do.
        let owned = |raw: &str| match decode(raw) {
            Cow::Owned(s) => Some(s),
            Cow::Borrowed(_) => None,
        };
        params.push(RawParam {
            segment: start..end,
            eq: eq.map(|i| start + i),
            decoded_name: owned(name),
            decoded_value: owned(value),
        });
        start = end + 1;
    }
    Ok(params)
}

/// Form decoding: `+` is a space, `%XX` a byte; invalid UTF-8 becomes U+FFFD.
pub fn decode(s: &str) -> Cow<'_, str> {
    if !s.contains(['+', '%']) {
        return Cow::Borrowed(s);
    }
    if !s.contains('+') {
        return percent_decode_str(s).decode_utf8_lossy();
    }
    let spaced = s.replace('+', " ");
    Cow::Owned(percent_decode_str(&spaced).decode_utf8_lossy().into_owned())
}
