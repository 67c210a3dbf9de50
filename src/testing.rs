//! Policy tests as data: the format of `tests/corpus/public.json` and of the
//! `*.json` files under `policies/tests/`, and the one runner that checks
//! them (used by `cargo test` and `policyc test`).
//!
//! A file is a JSON object with optional `authorize`, `token` and
//! `callback` arrays of cases; see docs/testing.md.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::eval::redact;
use crate::eval::request::{parse_params, Limits, Part};
use crate::vocab::is_secret_param;
use crate::{
    Callback, CallbackOutcome, Category, Expectations, Kind, Outcome, Policy, Request,
    RequestError, Verdict,
};

/// The provider name tests use for "no provider block matched".
pub const NO_PROVIDER: &str = "generic";

/// A file of test cases.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CaseFile {
    /// Authorize URL cases.
    #[serde(default)]
    pub authorize: Vec<AuthorizeCase>,
    /// Token body cases.
    #[serde(default)]
    pub token: Vec<TokenCase>,
    /// Callback cases.
    #[serde(default)]
    pub callback: Vec<CallbackCase>,
}

/// A callback and the verdict the policy must give.
#[derive(Clone, Deserialize, Serialize)]
#[non_exhaustive]
pub struct CallbackCase {
    /// Unique id.
    pub id: String,
    /// The provider the flow was started with (`generic`: none).
    pub provider: String,
    /// The callback URL (query or fragment response).
    #[serde(default)]
    pub callback_url: Option<String>,
    /// A `form_post` body, instead of `callback_url`.
    #[serde(default)]
    pub form: Option<String>,
    /// The pending transaction.
    #[serde(default)]
    pub context: CallbackContext,
    /// Policy text layered on the policy under test for this case only,
    /// e.g. `extend provider "x" { enable y }` to test an opt-in.
    #[serde(default)]
    pub overlay: Option<String>,
    /// The verdict fields that must match.
    pub expect: VerdictExpect,
    /// Where the expectation comes from.
    #[serde(default)]
    pub source: Option<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// What the gateway knew when the callback arrived.
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CallbackContext {
    /// The `state` sent.
    #[serde(default)]
    pub expected_state: Option<String>,
    /// The issuer expected in `iss`.
    #[serde(default)]
    pub expected_issuer: Option<String>,
    /// The AS advertises `authorization_response_iss_parameter_supported`,
    /// so a callback without `iss` is refused ([`Expectations::require_iss`]).
    /// Read from `require_iss`, or from `iss_parameter_supported` as the
    /// shared public corpus spells it.
    #[serde(default, alias = "iss_parameter_supported")]
    pub require_iss: bool,
    /// The authorize URL the flow started with (then `provider` is only checked).
    #[serde(default)]
    pub authorize_url: Option<String>,
    /// The flow sent no `state` (PKCE only, RFC 9700 §2.1).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_state: bool,
    /// The `response_mode` the flow asked for (`fragment` reads the URL's fragment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_mode: Option<String>,
}

/// Expected verdict fields; `hint` and `rule` are checked only when given.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct VerdictExpect {
    /// `success`, `provider_error` or `invalid`.
    pub outcome: CallbackOutcome,
    /// The category.
    pub category: Category,
    /// Whether a retry is allowed.
    pub retryable: bool,
    /// The provider's own code.
    #[serde(default)]
    pub provider_code: Option<String>,
    /// The hint, when it must match.
    #[serde(default)]
    pub hint: Option<String>,
    /// The deciding rule id, when it must match.
    #[serde(default)]
    pub rule: Option<String>,
}

/// An authorize URL and what the policy must make of it.
#[derive(Clone, Deserialize, Serialize)]
#[non_exhaustive]
pub struct AuthorizeCase {
    /// Unique id.
    pub id: String,
    /// The provider block expected to apply (`generic`: none).
    pub provider: String,
    /// The URL given to `apply`.
    pub input_url: String,
    /// Policy text layered on the policy under test for this case only,
    /// e.g. `extend provider "x" { enable y }` to test an opt-in.
    #[serde(default)]
    pub overlay: Option<String>,
    /// What must come out.
    pub expect: RewriteExpect,
    /// Where the expectation comes from.
    #[serde(default)]
    pub source: Option<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// A token request and what the policy must make of it.
#[derive(Clone, Deserialize, Serialize)]
#[non_exhaustive]
pub struct TokenCase {
    /// Unique id.
    pub id: String,
    /// The provider block expected to apply (`generic`: none).
    pub provider: String,
    /// The token endpoint.
    pub url: String,
    /// The form body given to `apply`.
    pub body: String,
    /// Policy text layered on the policy under test for this case only,
    /// e.g. `extend provider "x" { enable y }` to test an opt-in.
    #[serde(default)]
    pub overlay: Option<String>,
    /// What must come out.
    pub expect: RewriteExpect,
    /// Where the expectation comes from.
    #[serde(default)]
    pub source: Option<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// Expectations on a rewritten request. Every parameter not named in
/// `drop` or `set` must come out byte-identical and in its original order.
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RewriteExpect {
    /// Parameters that must be gone.
    #[serde(default)]
    pub drop: Vec<String>,
    /// Parameters that must have these (decoded) values.
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    /// Parameters that must be present and untouched.
    #[serde(default)]
    pub keep: Vec<String>,
    /// The deny reason, or `null` when the request must pass.
    #[serde(default)]
    pub error: Option<String>,
    /// The exact output (URL for authorize, body for token), when given.
    #[serde(default)]
    pub output: Option<String>,
}

// Debug never shows secret parameter values: cases hold real-looking codes,
// states and client secrets, and a failing test prints `{:?}`.

impl fmt::Debug for CallbackCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackCase")
            .field("id", &self.id)
            .field("provider", &self.provider)
            .field(
                "callback_url",
                &self.callback_url.as_deref().map(redact::Url),
            )
            .field("form", &self.form.as_deref().map(redact::Form))
            .field("context", &self.context)
            .field("overlay", &self.overlay)
            .field("expect", &self.expect)
            .field("source", &self.source)
            .field("note", &self.note)
            .finish()
    }
}

impl fmt::Debug for CallbackContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackContext")
            .field(
                "expected_state",
                &redact::Secret(self.expected_state.as_deref()),
            )
            .field("expected_issuer", &self.expected_issuer)
            .field("require_iss", &self.require_iss)
            .field(
                "authorize_url",
                &self.authorize_url.as_deref().map(redact::Url),
            )
            .finish()
    }
}

impl fmt::Debug for AuthorizeCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizeCase")
            .field("id", &self.id)
            .field("provider", &self.provider)
            .field("input_url", &redact::Url(&self.input_url))
            .field("overlay", &self.overlay)
            .field("expect", &self.expect)
            .field("source", &self.source)
            .field("note", &self.note)
            .finish()
    }
}

impl fmt::Debug for TokenCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCase")
            .field("id", &self.id)
            .field("provider", &self.provider)
            .field("url", &redact::Url(&self.url))
            .field("body", &redact::Form(&self.body))
            .field("overlay", &self.overlay)
            .field("expect", &self.expect)
            .field("source", &self.source)
            .field("note", &self.note)
            .finish()
    }
}

impl fmt::Debug for RewriteExpect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set: BTreeMap<&str, &dyn fmt::Debug> = self
            .set
            .iter()
            .map(|(name, value)| {
                let shown: &dyn fmt::Debug = if is_secret_param(name) {
                    &redact::Secret(Some(""))
                } else {
                    value
                };
                (name.as_str(), shown)
            })
            .collect();
        f.debug_struct("RewriteExpect")
            .field("drop", &self.drop)
            .field("set", &set)
            .field("keep", &self.keep)
            .field("error", &self.error)
            .field("output", &self.output.as_deref().map(redact::Text))
            .finish()
    }
}

/// The result of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CaseResult {
    /// The case's section: `authorize`, `token` or `callback`.
    pub kind: Kind,
    /// The case id.
    pub id: String,
    /// The provider the case is about.
    pub provider: String,
    /// Empty when the case passed; otherwise one line per mismatch.
    pub failures: Vec<String>,
}

impl CaseResult {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Why a case file could not be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum CaseFileError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    #[diagnostic(code(test::E001))]
    Io {
        /// The path.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid case file.
    #[error("{path}:{line}:{column}: {message}")]
    #[diagnostic(
        code(test::E002),
        help("a case file is a JSON object with `authorize`, `token` and `callback` arrays; see docs/testing.md")
    )]
    Format {
        /// The path.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

impl CaseFile {
    /// Reads a case file.
    pub fn read(path: &Path) -> Result<Self, CaseFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| CaseFileError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// Parses a case file's text; `name` is used in errors.
    pub fn parse(name: &str, text: &str) -> Result<Self, CaseFileError> {
        serde_json::from_str(text).map_err(|e| CaseFileError::Format {
            path: name.to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    }

    /// Runs every case against `policy` (with the case's `overlay`, if any).
    pub fn run(&self, policy: &Policy) -> Vec<CaseResult> {
        let authorize = self.authorize.iter().map(|c| CaseResult {
            kind: Kind::Authorize,
            id: c.id.clone(),
            provider: c.provider.clone(),
            failures: with_overlay(policy, &c.id, c.overlay.as_deref(), |policy| {
                match Request::authorize(&c.input_url) {
                    Ok(req) => check_rewrite(&c.provider, &req, &policy.apply(&req), &c.expect),
                    Err(e) => vec![format!("input_url is not a valid request: {e}")],
                }
            }),
        });
        let token = self.token.iter().map(|c| CaseResult {
            kind: Kind::Token,
            id: c.id.clone(),
            provider: c.provider.clone(),
            failures: with_overlay(policy, &c.id, c.overlay.as_deref(), |policy| {
                match Request::token(&c.url, &c.body) {
                    Ok(req) => check_rewrite(&c.provider, &req, &policy.apply(&req), &c.expect),
                    Err(e) => vec![format!("the case is not a valid request: {e}")],
                }
            }),
        });
        let callback = self.callback.iter().map(|c| CaseResult {
            kind: Kind::Callback,
            id: c.id.clone(),
            provider: c.provider.clone(),
            failures: with_overlay(policy, &c.id, c.overlay.as_deref(), |policy| {
                match c.parse() {
                    Ok(cb) => match policy.classify(&cb, &c.expectations()) {
                        Ok(verdict) => check_verdict(c, &verdict),
                        Err(e) => vec![expectation_failure(&e)],
                    },
                    Err(e) => vec![e],
                }
            }),
        });
        authorize.chain(token).chain(callback).collect()
    }
}

impl CallbackCase {
    /// The callback the case describes.
    pub fn parse(&self) -> Result<Callback, String> {
        match (&self.callback_url, &self.form) {
            (Some(url), None) => Callback::from_url(url).map_err(|e| e.to_string()),
            (None, Some(form)) => Callback::from_form(form).map_err(|e| e.to_string()),
            _ => Err("a callback case needs exactly one of `callback_url` and `form`".into()),
        }
    }

    /// The expectations the gateway would pass to `classify`.
    pub fn expectations(&self) -> Expectations {
        let by_url = self.context.authorize_url.is_some();
        Expectations {
            provider: (self.provider != NO_PROVIDER && !by_url).then(|| self.provider.clone()),
            authorize_url: self.context.authorize_url.clone(),
            expected_state: self.context.expected_state.clone(),
            expected_issuer: self.context.expected_issuer.clone(),
            require_iss: self.context.require_iss,
            no_state: self.context.no_state,
            response_mode: self.context.response_mode.clone(),
        }
    }
}

/// Runs `check` on `policy`, or on `policy` with the case's overlay; an
/// overlay that does not load is the case's failure.
fn with_overlay(
    policy: &Policy,
    id: &str,
    overlay: Option<&str>,
    check: impl FnOnce(&Policy) -> Vec<String>,
) -> Vec<String> {
    let Some(text) = overlay else {
        return check(policy);
    };
    let name = format!("case {id} overlay");
    match policy.with_overlay_sources(&name, [(name.as_str(), text)]) {
        Ok(layered) => check(&layered),
        Err(e) => e
            .diagnostics()
            .iter()
            .map(|d| format!("overlay does not load: {} at {}", d, d.location()))
            .chain(
                e.diagnostics()
                    .is_empty()
                    .then(|| format!("overlay does not load: {e}")),
            )
            .collect(),
    }
}

/// A case whose expectations do not fit the policy, as its failure line.
fn expectation_failure(e: &crate::ExpectationError) -> String {
    use miette::Diagnostic as _;
    match e.help() {
        Some(help) => format!("{e}; {help}"),
        None => e.to_string(),
    }
}

/// Compares a verdict with a callback case's expectations.
pub fn check_verdict(case: &CallbackCase, v: &Verdict) -> Vec<String> {
    let mut failures = Vec::new();
    let e = &case.expect;
    let mut field = |name: &str, want: String, got: String| {
        if want != got {
            failures.push(format!("{name}: expected {want}, got {got}"));
        }
    };
    field("outcome", json(&e.outcome), json(&v.outcome));
    field("category", json(&e.category), json(&v.category));
    field(
        "retryable",
        e.retryable.to_string(),
        v.retryable.to_string(),
    );
    field(
        "provider_code",
        json(&e.provider_code),
        json(&v.provider_code),
    );
    if let Some(hint) = &e.hint {
        field("hint", json(&Some(hint)), json(&v.hint));
    }
    if let Some(rule) = &e.rule {
        field("rule", rule.clone(), v.rule.to_string());
    }
    let want_provider = (case.provider != NO_PROVIDER).then_some(case.provider.as_str());
    if case.context.authorize_url.is_some() && v.provider.as_deref() != want_provider {
        failures.push(format!(
            "provider: expected {want_provider:?}, got {:?}",
            v.provider
        ));
    }
    if !failures.is_empty() {
        failures.push(format!("decided by rule `{}`", v.rule));
    }
    failures
}

/// Compact JSON of a small value, for failure messages.
fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
/// Compares an outcome with the expectations of a rewrite case.
pub fn check_rewrite(
    provider: &str,
    req: &Request,
    out: &Outcome,
    expect: &RewriteExpect,
) -> Vec<String> {
    let mut failures = Vec::new();
    let got_provider = out.provider().unwrap_or(NO_PROVIDER);
    if got_provider != provider {
        failures.push(format!(
            "provider: expected `{provider}`, got `{got_provider}`"
        ));
    }
    match (&expect.error, out.denied()) {
        (Some(want), Some(d)) if *want != d.reason => failures.push(format!(
            "deny reason: expected {want:?}, got {:?} ({})",
            d.reason, d.rule
        )),
        (Some(want), None) => failures.push(format!("expected a denial {want:?}, got none")),
        (None, Some(d)) => failures.push(format!(
            "unexpected denial {:?} by {} at {}",
            d.reason, d.rule, d.location
        )),
        _ => {}
    }
    if expect.error.is_some() {
        return failures;
    }
    let (before, after) = match out.body() {
        Some(body) => (req.param_source().to_string(), body.to_string()),
        None => (query_of(req.url()), query_of(out.url())),
    };
    if let Some(want) = &expect.output {
        let got = out.body().unwrap_or(out.url());
        if want != got {
            failures.push(format!("output:\n  expected {want}\n  got      {got}"));
        }
    }
    let limits = Limits {
        max_params: usize::MAX,
        ..Limits::default()
    };
    let pieces = |s: &str| -> Result<Vec<(String, String, String)>, RequestError> {
        Ok(parse_params(s, Part::Query, &limits)?
            .into_iter()
            .map(|p| {
                let raw = s.get(p.segment()).unwrap_or("").to_string();
                (p.name(s).to_string(), p.value(s).to_string(), raw)
            })
            .collect())
    };
    // A side that does not parse cannot be compared: that is the case's
    // failure, never an empty list that would make `drop` pass vacuously.
    let (before, after) = match (pieces(&before), pieces(&after)) {
        (Ok(b), Ok(a)) => (b, a),
        (b, a) => {
            for (side, r) in [("input", b), ("output", a)] {
                if let Err(e) = r {
                    failures.push(format!("the {side} parameters do not parse: {e}"));
                }
            }
            return failures;
        }
    };
    for name in &expect.drop {
        if after.iter().any(|(n, _, _)| n == name) {
            failures.push(format!("`{name}` should have been dropped"));
        }
    }
    for (name, want) in &expect.set {
        match after.iter().find(|(n, _, _)| n == name) {
            Some((_, got, _)) if got == want => {}
            Some((_, got, _)) => failures.push(format!("`{name}`: expected {want:?}, got {got:?}")),
            None => failures.push(format!("`{name}` should be {want:?} but is absent")),
        }
    }
    for name in &expect.keep {
        if !before.iter().any(|(n, _, _)| n == name) {
            failures.push(format!("`{name}` is in `keep` but not in the input"));
        }
    }
    // Everything not dropped or set must survive byte for byte, in order.
    let touched = |n: &str| expect.drop.iter().any(|d| d == n) || expect.set.contains_key(n);
    let kept_before: Vec<&String> = before
        .iter()
        .filter(|(n, _, _)| !touched(n))
        .map(|(_, _, raw)| raw)
        .collect();
    let kept_after: Vec<&String> = after
        .iter()
        .filter(|(n, _, _)| !touched(n))
        .map(|(_, _, raw)| raw)
        .collect();
    if kept_before != kept_after {
        failures.push(format!(
            "untouched parameters changed:\n  before {}\n  after  {}",
            join(&kept_before),
            join(&kept_after)
        ));
    }
    failures
}

fn join(raws: &[&String]) -> String {
    raws.iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join("&")
}

/// The raw query of a URL (empty when it has none).
fn query_of(url: &str) -> String {
    let end = url.find('#').unwrap_or(url.len());
    url.get(..end)
        .and_then(|h| h.split_once('?'))
        .map(|(_, q)| q.to_string())
        .unwrap_or_default()
}
