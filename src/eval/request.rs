//! Requests as the evaluator sees them: a URL parsed once, and the raw
//! parameter list (query or form body) split without re-encoding anything.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use serde::Serialize;
use smallvec::SmallVec;
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
    /// Longest URL accepted, in bytes (at most `u32::MAX - 1` whatever
    /// this says: parameters are held as 32-bit offsets).
    pub max_url_bytes: usize,
    /// Longest form body accepted, in bytes (at most `u32::MAX - 1`, as
    /// for URLs).
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

/// One `name=value` piece of a query or body, as received: offsets into
/// the text it was read from. A value is decoded the first time something
/// reads it (most are never read, most that are need no decoding).
#[derive(Clone)]
pub struct RawParam {
    /// Where the piece starts in the parameter source. Offsets are `u32`
    /// (a parameter source is capped at [`MAX_SOURCE_BYTES`]): the inline
    /// list of a dozen is moved a few times while a request is read, and
    /// its size is what those moves cost.
    start: u32,
    /// Where the piece ends.
    end: u32,
    /// Where the `=` is, or [`NO_EQ`] when there is none.
    eq: u32,
    /// The decoded name, when decoding changed it (else it is the raw text).
    decoded_name: Option<Box<str>>,
    /// The decoded value, once read, when decoding changes it. Whether it
    /// does is asked only when the value is read: most values never are.
    decoded_value: OnceLock<String>,
}

/// `RawParam::eq` when the piece has no `=`.
const NO_EQ: u32 = u32::MAX;

/// The longest text parameters are read from (a URL, a query, a body),
/// whatever [`Limits`] say: offsets into it are `u32`. Longer input is
/// refused as [`RequestError::TooLarge`] with this as the limit.
pub(crate) const MAX_SOURCE_BYTES: usize = u32::MAX as usize - 1;

/// An offset known to be under [`MAX_SOURCE_BYTES`] as `u32`.
fn offset(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(NO_EQ)
}

/// Two parameters are equal when they are the same piece of the same text;
/// whether a value has been decoded yet does not matter.
impl PartialEq for RawParam {
    fn eq(&self, other: &Self) -> bool {
        (self.start, self.end, self.eq) == (other.start, other.end, other.eq)
            && self.decoded_name == other.decoded_name
    }
}

impl Eq for RawParam {}

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
        if let Some(decoded) = self.decoded_value.get() {
            return decoded;
        }
        let raw = self.raw_value(source).unwrap_or("");
        if !needs_decoding(raw) {
            return raw;
        }
        self.decoded_value
            .get_or_init(|| decode(raw).into_owned())
            .as_str()
    }

    /// Whether the value is empty (no decoding needed to tell: a non-empty
    /// raw value never decodes to nothing).
    pub fn value_is_empty(&self) -> bool {
        self.value_range().is_none_or(|r| r.is_empty())
    }

    /// The raw value text (after `=`), if there is an `=`.
    pub fn raw_value<'s>(&self, source: &'s str) -> Option<&'s str> {
        self.value_range().and_then(|r| source.get(r))
    }

    /// The whole piece, in the parameter source.
    pub fn segment(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// Where the `=` is, if there is one.
    pub fn eq_offset(&self) -> Option<usize> {
        (self.eq != NO_EQ).then_some(self.eq as usize)
    }

    fn name_range(&self) -> Range<usize> {
        self.start as usize..self.eq_offset().unwrap_or(self.end as usize)
    }

    fn value_range(&self) -> Option<Range<usize>> {
        self.eq_offset().map(|e| e + 1..self.end as usize)
    }
}

/// A part of the target URL: a range of the URL text when the text is
/// already in normal form (the usual case, no copy), else its own string.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    In(Range<usize>),
    Own(String),
    Static(&'static str),
}

/// The target URL's parts that conditions can test.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    /// The URL exactly as given (surrounding whitespace trimmed); shared,
    /// so an outcome that sends it unchanged holds it without a copy.
    url: Arc<str>,
    scheme: Piece,
    host: Piece,
    port: Option<u16>,
    path: Piece,
    /// Where the query (after `?`, before `#`) is in `url`.
    query: Option<Range<usize>>,
}

impl Target {
    /// No URL at all (a `form_post` callback).
    pub(crate) fn empty() -> Self {
        Self {
            url: Arc::from(""),
            scheme: Piece::Static(""),
            host: Piece::Static(""),
            port: None,
            path: Piece::Static(""),
            query: None,
        }
    }

    fn part<'s>(&'s self, part: &'s Piece) -> &'s str {
        match part {
            Piece::In(r) => self.url.get(r.clone()).unwrap_or(""),
            Piece::Own(s) => s,
            Piece::Static(s) => s,
        }
    }

    /// The URL exactly as given (surrounding whitespace trimmed).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL, shared.
    pub(crate) fn shared_url(&self) -> &Arc<str> {
        &self.url
    }

    /// The scheme, lower-case.
    pub fn scheme(&self) -> &str {
        self.part(&self.scheme)
    }

    /// The host, lower-case, IDNA-encoded, without a trailing dot.
    pub fn host(&self) -> &str {
        self.part(&self.host)
    }

    /// The explicit port or the scheme's default.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The path as the URL parser normalised it, with percent-encoded
    /// unreserved characters decoded and other escapes upper-cased (RFC 3986
    /// §6.2.2.1–2), so `/v2%2E0/` matches like `/v2.0/`. Used for matching
    /// only: the output keeps the path exactly as given.
    pub fn path(&self) -> &str {
        self.part(&self.path)
    }

    /// Where the query (after `?`, before `#`) is in [`Target::url`].
    pub fn query(&self) -> Option<Range<usize>> {
        self.query.clone()
    }
}

/// A request to rewrite: an authorize URL or a token body.
///
/// Reading one is where bad input is refused (control bytes, a URL that is
/// not absolute, sizes over [`Limits`]), with a [`RequestError`] naming the
/// part; a request that was read always gets an [`Outcome`](crate::Outcome).
///
/// ```
/// use oauth_policy::{Limits, Part, Request, RequestError};
///
/// let req = Request::authorize("https://idp.example/authorize?scope=openid&state=s")?;
/// let small = Limits::default().with_max_body_bytes(8);
/// let err = Request::token_with("https://idp.example/token", "code=abcdefgh", &small);
/// assert!(matches!(err, Err(RequestError::TooLarge { what: Part::Body, .. })));
/// # let _ = req;
/// # Ok::<(), oauth_policy::RequestError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    pub(crate) kind: Kind,
    pub(crate) target: Target,
    pub(crate) body: Option<String>,
    pub(crate) params: RawParams,
    /// The limits it was read with; they also cap what rules may write.
    pub(crate) limits: Limits,
}

impl Request {
    /// The byte limit of the part rules rewrite: the body of a token
    /// request, else the URL.
    pub(crate) fn size_limit(&self) -> usize {
        if self.body.is_some() {
            self.limits.max_body_bytes
        } else {
            self.limits.max_url_bytes
        }
    }

    /// An authorization request URL, with default limits.
    pub fn authorize(url: &str) -> Result<Self, RequestError> {
        Self::authorize_with(url, &Limits::default())
    }

    /// An authorization request URL.
    pub fn authorize_with(url: &str, limits: &Limits) -> Result<Self, RequestError> {
        // Built in place, parameters read into it last: the inline list is
        // most of the request's size, and every move of it is a memcpy.
        let mut req = Self {
            kind: Kind::Authorize,
            target: parse_target(url, limits)?,
            body: None,
            params: RawParams::new(),
            limits: *limits,
        };
        read_params(&mut req.params, req.target.query_str(), Part::Query, limits)?;
        Ok(req)
    }

    /// A token request (code exchange or refresh) to `url` with a
    /// form-encoded `body`, with default limits.
    pub fn token(url: &str, body: &str) -> Result<Self, RequestError> {
        Self::token_with(url, body, &Limits::default())
    }

    /// A token request with explicit limits.
    pub fn token_with(url: &str, body: &str, limits: &Limits) -> Result<Self, RequestError> {
        let target = parse_target(url, limits)?;
        // As in `authorize_with`: no move of the parameter list.
        let mut req = Self {
            kind: Kind::Token,
            target,
            body: None,
            params: RawParams::new(),
            limits: *limits,
        };
        read_params(&mut req.params, body, Part::Body, limits)?;
        req.body = Some(body.to_string());
        Ok(req)
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
        self.target.host()
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
            .field("scheme", &self.scheme())
            .field("host", &self.host())
            .field("port", &self.port)
            .field("path", &self.path())
            .field("query", &self.query)
            .finish()
    }
}

impl fmt::Debug for RawParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Without its source the parameter cannot tell whether it is a
        // secret one, so a decoded value is never shown.
        f.debug_struct("RawParam")
            .field("segment", &self.segment())
            .field("eq", &self.eq_offset())
            .field("decoded_name", &self.decoded_name)
            .field(
                "decoded_value",
                &redact::Secret(self.decoded_value.get().map(String::as_str)),
            )
            .finish()
    }
}

/// Parses and validates a URL, remembering where its query is in the text.
pub(crate) fn parse_target(url: &str, limits: &Limits) -> Result<Target, RequestError> {
    let url = url.trim_matches(|c: char| c.is_ascii_whitespace());
    let limit = limits.max_url_bytes.min(MAX_SOURCE_BYTES);
    if url.len() > limit {
        return Err(RequestError::TooLarge {
            what: Part::Url,
            size: url.len(),
            limit,
        });
    }
    // The WHATWG parser silently deletes tabs and newlines; refusing them
    // keeps the text we edit identical to the URL we matched.
    if let Some(offset) = first_control(url.as_bytes()) {
        return Err(RequestError::ControlCharacter { offset });
    }
    // Neither authority nor path can hold a raw `?` or `#`, so the first of
    // each in the text are the ones a URL parser uses. Only the part before
    // them is read as a URL: the query is ours to read, byte for byte.
    let bytes = url.as_bytes();
    let first = memchr::memchr2(b'#', b'?', bytes);
    let (question, hash) = match first {
        Some(q) if bytes.get(q) == Some(&b'?') => {
            let after = bytes.get(q..).unwrap_or(&[]);
            let hash = memchr::memchr(b'#', after);
            (Some(q), hash.map(|h| q + h))
        }
        other => (None, other),
    };
    let end = hash.unwrap_or(url.len());
    let head = url.get(..question.unwrap_or(end)).unwrap_or(url);
    let query = question.map(|q| q + 1..end);
    let (scheme, host, port, path) = match fast_head(head) {
        Some(parts) => parts,
        None => url_crate_head(head)?,
    };
    Ok(Target {
        url: Arc::from(url),
        scheme,
        host,
        port,
        path,
        query,
    })
}

/// The parts of a URL head (before `?`/`#`) as the `url` crate reads them.
type Head = (Piece, Piece, Option<u16>, Piece);

/// The usual head, `https://host[:port]/path` in normal form, read without
/// the `url` crate: a lower-case ASCII host name (no IDNA label, no IP
/// address, no trailing dot), a port of at most five digits, and a path of
/// characters the URL parser keeps as they are, with no `%` escape and no
/// `.`/`..` segment. Anything else is `None`, and the `url` crate reads
/// it; the property test in this module checks both agree.
fn fast_head(head: &str) -> Option<Head> {
    let (scheme, rest, default_port) = if let Some(rest) = head.strip_prefix("https://") {
        ("https", rest, 443)
    } else if let Some(rest) = head.strip_prefix("http://") {
        ("http", rest, 80)
    } else {
        return None;
    };
    let start = head.len() - rest.len();
    let slash = rest.bytes().position(|b| b == b'/')?;
    let authority = rest.get(..slash)?;
    let path = rest.get(slash..)?;
    let (host, port) = match authority.bytes().position(|b| b == b':') {
        Some(colon) => {
            let port = authority.get(colon + 1..)?;
            if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (authority.get(..colon)?, port.parse::<u16>().ok()?)
        }
        None => (authority, default_port),
    };
    if !plain_host(host) || !plain_path(path) {
        return None;
    }
    let host_range = start..start + host.len();
    let path_range = start + slash..head.len();
    Some((
        Piece::Static(scheme),
        Piece::In(host_range),
        Some(port),
        Piece::In(path_range),
    ))
}

/// Lower-case LDH labels, none empty, none an IDNA (`xn--`) label, the last
/// one starting with a letter (so it is no IPv4 address in any notation).
fn plain_host(host: &str) -> bool {
    let bytes = host.as_bytes();
    let mut label_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'a'..=b'z' | b'0'..=b'9' => {}
            b'-' => {
                if bytes.get(label_start..i + 1) == Some(b"xn-".as_slice()) {
                    return false;
                }
            }
            b'.' if i > label_start => label_start = i + 1,
            _ => return false,
        }
    }
    bytes
        .get(label_start)
        .is_some_and(|b| b.is_ascii_lowercase())
}

/// A path the URL parser leaves byte for byte: unreserved characters,
/// sub-delimiters, `:`, `@` and `/`, no escape, no dot segment.
fn plain_path(path: &str) -> bool {
    let bytes = path.as_bytes();
    let mut segment_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'/' => {
                if is_dot_segment(bytes.get(segment_start..i)) {
                    return false;
                }
                segment_start = i + 1;
            }
            _ if PATH_BYTE.get(usize::from(b)).copied().unwrap_or(false) => {}
            _ => return false,
        }
    }
    !is_dot_segment(bytes.get(segment_start..))
}

/// The bytes [`plain_path`] accepts besides `/`: unreserved characters,
/// sub-delimiters, `:` and `@` (a table: one load per byte instead of a
/// chain of comparisons).
// Indexing a 256-entry table by a `u8` cannot go out of bounds (and in a
// constant it would not compile if it did).
#[allow(clippy::indexing_slicing)]
static PATH_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c: u8 = 0;
    loop {
        t[c as usize] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
            );
        if c == u8::MAX {
            break t;
        }
        c += 1;
    }
};

fn is_dot_segment(segment: Option<&[u8]>) -> bool {
    matches!(segment, Some(b".") | Some(b".."))
}

/// Any other head, read by the `url` crate.
fn url_crate_head(head: &str) -> Result<Head, RequestError> {
    let parsed = Url::parse(head).map_err(|e| RequestError::InvalidUrl {
        reason: e.to_string(),
    })?;
    let host = parsed.host_str().ok_or(RequestError::NoHost)?;
    Ok((
        Piece::Own(parsed.scheme().to_string()),
        Piece::Own(normalize_host(
            host.trim_start_matches('[').trim_end_matches(']'),
        )),
        parsed.port_or_known_default(),
        Piece::Own(normalize_path(parsed.path())),
    ))
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

/// The next byte of the form-decoding of `raw` from `*i` (advanced past it).
#[inline]
pub(crate) fn decoded_byte(raw: &[u8], i: &mut usize) -> Option<u8> {
    let r = *raw.get(*i)?;
    *i += 1;
    Some(match r {
        b'+' => b' ',
        b'%' => match (
            raw.get(*i).copied().and_then(hex),
            raw.get(*i + 1).copied().and_then(hex),
        ) {
            (Some(h), Some(l)) => {
                *i += 2;
                (h << 4) | l
            }
            _ => b'%',
        },
        _ => r,
    })
}

/// The value of one hex digit.
fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits `source` on `&` into raw parameters (offsets), noting which
/// names and values need decoding: names that do are decoded now (rare),
/// values only when something reads them.
/// `what` is `query` or `body` (a body is held to `max_body_bytes`).
pub(crate) fn parse_params(
    source: &str,
    what: Part,
    limits: &Limits,
) -> Result<RawParams, RequestError> {
    let mut params = RawParams::new();
    read_params(&mut params, source, what, limits)?;
    Ok(params)
}

/// [`parse_params`] into an empty list that is already where it will stay.
fn read_params(
    params: &mut RawParams,
    source: &str,
    what: Part,
    limits: &Limits,
) -> Result<(), RequestError> {
    let limit = match what {
        Part::Body => limits.max_body_bytes.min(MAX_SOURCE_BYTES),
        _ => MAX_SOURCE_BYTES,
    };
    if source.len() > limit {
        return Err(RequestError::TooLarge {
            what,
            size: source.len(),
            limit,
        });
    }
    if source.is_empty() {
        return Ok(());
    }
    if let Some(offset) = first_control(source.as_bytes()) {
        return Err(RequestError::ControlCharacter { offset });
    }
    // `&` found with memchr (SIMD), not byte by byte: most of a request
    // is long opaque values (codes, tokens, challenges).
    let mut start = 0;
    let mut count = 0;
    for end in memchr::memchr_iter(b'&', source.as_bytes()).chain([source.len()]) {
        count += 1;
        if count <= limits.max_params {
            params.push(raw_param(source, start..end));
        }
        start = end + 1;
    }
    if count > limits.max_params {
        return Err(RequestError::TooManyParams {
            what,
            count,
            limit: limits.max_params,
        });
    }
    Ok(())
}

/// A request's parameters: inline up to a dozen (most requests), so
/// reading one needs no allocation for them.
pub(crate) type RawParams = SmallVec<[RawParam; 12]>;

/// The parameter `segment` of `source`.
fn raw_param(source: &str, segment: Range<usize>) -> RawParam {
    let eq = source
        .as_bytes()
        .get(segment.clone())
        .and_then(|s| memchr::memchr(b'=', s))
        .map(|i| segment.start + i);
    let name = source
        .get(segment.start..eq.unwrap_or(segment.end))
        .unwrap_or("");
    RawParam {
        start: offset(segment.start),
        end: offset(segment.end),
        eq: eq.map_or(NO_EQ, offset),
        // Names that need decoding are rare: decode them now.
        decoded_name: needs_decoding(name).then(|| decode(name).into()),
        decoded_value: OnceLock::new(),
    }
}

/// Whether form decoding would change `s` (it has a `+` or `%`).
fn needs_decoding(s: &str) -> bool {
    // memchr's setup costs more than it saves on a short name or value.
    if s.len() < 32 {
        return s.bytes().any(|b| b == b'+' || b == b'%');
    }
    memchr::memchr2(b'+', b'%', s.as_bytes()).is_some()
}

/// The offset of the first ASCII control character.
fn first_control(bytes: &[u8]) -> Option<usize> {
    // Blocks of 32 bytes tested without an early exit inside the block,
    // which the compiler turns into vector compares; only a block that has
    // one is searched byte by byte.
    let mut offset = 0;
    for block in bytes.chunks(32) {
        let any = block
            .iter()
            .fold(false, |acc, &b| acc | (b < 0x20) | (b == 0x7f));
        if any {
            return block
                .iter()
                .position(|b| b.is_ascii_control())
                .map(|i| offset + i);
        }
        offset += block.len();
    }
    None
}

/// Form decoding: `+` is a space, `%XX` a byte; invalid UTF-8 becomes U+FFFD.
/// One pass into a buffer the size of the input (decoding never grows it).
pub fn decode(s: &str) -> Cow<'_, str> {
    if !needs_decoding(s) {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    // The same step as `decoded_byte`, written out: byte by byte through an
    // `Option` it costs 1-2 % more on the callback path (callgrind).
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let byte = match (bytes.get(i + 1), bytes.get(i + 2)) {
                    (Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| (h << 4) | l),
                    _ => None,
                };
                match byte {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            _ => out.push(b),
        }
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
