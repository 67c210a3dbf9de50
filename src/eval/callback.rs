//! Callback classification: turn any redirect back from a provider into a
//! safe verdict, so a gateway never assumes `code` is there.
//!
//! Built-in order (RFC 6749 §3.1, RFC 9207, oauth4webapi): repeated
//! `code`/`state`/`error`/`iss` → wrong `iss` → missing `state` → missing
//! required `iss` → wrong `state` → `error` with `code` → provider error
//! (standard codes, then provider rules) → missing code → malformed code.

use std::fmt;

use percent_encoding::percent_decode_str;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::apply::{is_off, select, Step, Trace};
use super::cond::Ctx;
use super::effect::Effect;
use super::expect::{ExpectationError, Expectations};
use super::params::Params;
use super::redact;
use super::request::{
    parse_params, parse_target, Limits, Part, RawParam, RawParams, RequestError, Target,
};
use crate::compile::ir::{Action, Rule};
use crate::compile::Program;
use crate::source::Location;
use crate::vocab::{Category, Kind};
use crate::RuleId;

/// A redirect back to the client: its parameters, from a URL's query (or
/// fragment, when the flow asked for `response_mode=fragment`) or from a
/// `form_post` body.
///
/// ```
/// use oauth_policy::Callback;
///
/// let cb = Callback::from_url("https://gw.example/cb?code=abc&state=xyz")?;
/// assert_eq!(cb.params().find(|(k, _)| *k == "state"), Some(("state", "xyz")));
/// // Debug never shows `code` or `state`.
/// assert!(!format!("{cb:?}").contains("abc"));
/// # Ok::<(), oauth_policy::RequestError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Callback {
    target: Target,
    /// The query (or the form body).
    source: String,
    params: RawParams,
    /// The fragment, read only for a flow in fragment mode (see
    /// [`Expectations::response_mode`]).
    fragment: String,
    fragment_params: RawParams,
}

impl Callback {
    /// A callback URL, with default limits.
    pub fn from_url(url: &str) -> Result<Self, RequestError> {
        Self::from_url_with(url, &Limits::default())
    }

    /// A callback URL.
    pub fn from_url_with(url: &str, limits: &Limits) -> Result<Self, RequestError> {
        let target = parse_target(url, limits)?;
        let source = target.query_str().to_string();
        let params = parse_params(&source, Part::Query, limits)?;
        // Both are kept: which one holds the response depends on the flow's
        // response mode, known only at classification.
        let fragment = target
            .url()
            .split_once('#')
            .map_or("", |(_, fragment)| fragment)
            .to_string();
        let fragment_params = parse_params(&fragment, Part::Query, limits)?;
        Ok(Self {
            target,
            source,
            params,
            fragment,
            fragment_params,
        })
    }

    /// Every parameter as the engine read it, in order: `(name, value)`,
    /// decoded; the query's (or form's), then the fragment's (read only for
    /// a flow in fragment mode, but listed here so secrets in it can be
    /// scrubbed whatever the mode).
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        let query = self
            .params
            .iter()
            .map(|p| (p.name(&self.source), p.value(&self.source)));
        let fragment = self
            .fragment_params
            .iter()
            .map(|p| (p.name(&self.fragment), p.value(&self.fragment)));
        query.chain(fragment)
    }

    /// A `response_mode=form_post` body, with default limits.
    pub fn from_form(body: &str) -> Result<Self, RequestError> {
        Self::from_form_with(body, &Limits::default())
    }

    /// A `response_mode=form_post` body.
    pub fn from_form_with(body: &str, limits: &Limits) -> Result<Self, RequestError> {
        let params = parse_params(body, Part::Body, limits)?;
        Ok(Self {
            target: Target::empty(),
            source: body.to_string(),
            params,
            fragment: String::new(),
            fragment_params: RawParams::new(),
        })
    }

    /// The response parameters and the text they were read from: the
    /// fragment for a flow in fragment mode, else the query (or form body).
    fn response(&self, fragment: bool) -> (&str, &[RawParam]) {
        if fragment {
            (&self.fragment, &self.fragment_params)
        } else {
            (&self.source, &self.params)
        }
    }
}

/// The verdict's top-level outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CallbackOutcome {
    /// A code bound to the pending state: redeem it.
    Success,
    /// The provider reported an error.
    ProviderError,
    /// The callback cannot be trusted or used.
    Invalid,
}

impl CallbackOutcome {
    /// `success`, `provider_error` or `invalid`, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackOutcome::Success => "success",
            CallbackOutcome::ProviderError => "provider_error",
            CallbackOutcome::Invalid => "invalid",
        }
    }
}

impl fmt::Display for CallbackOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What a gateway should do with a callback.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Verdict {
    /// success, provider_error or invalid.
    pub outcome: CallbackOutcome,
    /// The normalized category.
    pub category: Category,
    /// Whether the gateway may start a new authorization by itself.
    pub retryable: bool,
    /// The provider block used for refinement, if any.
    pub provider: Option<String>,
    /// `AADSTS…`/`AADB2C…` from the description, or a non-standard `error`
    /// value a provider rule recognised.
    pub provider_code: Option<String>,
    /// The `error` value.
    pub error: Option<String>,
    /// The `error_description` value.
    pub error_description: Option<String>,
    /// A short operator-facing fix.
    pub hint: Option<String>,
    /// The rule that decided: a provider rule id, or `builtin/…`.
    pub rule: RuleId,
    /// The authorization code (success only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The state (success only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// Debug output never shows the code or state, so a stray `{:?}` in a log
/// cannot leak them.
impl fmt::Debug for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verdict")
            .field("outcome", &self.outcome)
            .field("category", &self.category)
            .field("retryable", &self.retryable)
            .field("provider", &self.provider)
            .field("provider_code", &self.provider_code)
            .field("error", &self.error)
            .field("error_description", &self.error_description)
            .field("hint", &self.hint)
            .field("rule", &self.rule)
            .field("code", &redact::Secret(self.code.as_deref()))
            .field("state", &redact::Secret(self.state.as_deref()))
            .finish()
    }
}

/// Debug shows the callback with secret values (code, state, tokens) hidden.
impl fmt::Debug for Callback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callback")
            .field("url", &redact::Url(self.target.url()))
            .field("params", &redact::Form(&self.source))
            .field("fragment", &redact::Form(&self.fragment))
            .finish()
    }
}

/// Parameters the built-in checks refuse to see more than once.
const SINGLE: [&str; 4] = ["code", "state", "error", "iss"];

/// Classifies a callback, recording the decision in `trace` when given.
/// Total once the expectations fit the program: every callback gets a verdict.
pub(crate) fn classify(
    program: &Program,
    cb: &Callback,
    expect: &Expectations,
    mut trace: Option<&mut Trace>,
) -> Result<Verdict, ExpectationError> {
    let named = expect.validate(program)?;
    let verdict = decide(program, cb, expect, named, trace.as_deref_mut());
    if let Some(t) = trace {
        if verdict.rule.is_builtin() {
            t.steps.push(Step {
                rule: verdict.rule.clone(),
                location: Location {
                    file: "<builtin>".into(),
                    line: 0,
                    column: 0,
                },
                held: true,
                effect: Effect::Decided {
                    category: verdict.category,
                },
            });
        }
    }
    Ok(verdict)
}

fn decide(
    program: &Program,
    cb: &Callback,
    expect: &Expectations,
    named: Option<usize>,
    mut trace: Option<&mut Trace>,
) -> Verdict {
    let authorize = expect.authorize_request();
    // The provider named in the expectations, or chosen from the authorize URL.
    let provider = named.or_else(|| {
        let req = authorize.as_ref()?;
        let params = Params::new(req.param_source(), &req.params, false);
        select(
            program,
            &req.target,
            Kind::Authorize,
            &params,
            trace.as_deref_mut(),
        )
    });
    let provider_name = provider
        .and_then(|i| program.providers.get(i))
        .map(|p| p.name.clone());
    let (source, raw) = cb.response(expect.fragment_mode(authorize.as_ref()));
    let params = Params::new(source, raw, false);
    let value = |name: &str| params.get(name).filter(|v| !v.is_empty());
    let error = value("error").map(str::to_string);
    let error_description = value("error_description").map(str::to_string);
    let invalid = |category: Category, rule: &str, hint: &str| Verdict {
        outcome: CallbackOutcome::Invalid,
        category,
        retryable: false,
        provider: provider_name.clone(),
        provider_code: None,
        error: error.clone(),
        error_description: error_description.clone(),
        hint: Some(hint.to_string()),
        rule: RuleId::from(format!("builtin/{rule}")),
        code: None,
        state: None,
    };

    // 1. Parameter pollution: Go takes the first value, Python the last.
    if let Some(name) = SINGLE.iter().find(|n| params.count(n) > 1) {
        return invalid(
            Category::Ambiguous,
            "repeated",
            &format!("`{name}` appears more than once: parameter pollution; restart the login"),
        );
    }
    // 2. RFC 9207: an `iss` that is there must be the expected one.
    if let (Some(iss), Some(want)) = (value("iss"), expect.expected_issuer.as_deref()) {
        if iss != want {
            return invalid(
                Category::IssuerMismatch,
                "issuer",
                "`iss` is not the expected issuer: possible mix-up attack; never redeem this code",
            );
        }
    }
    // 3. State binds the response to the pending transaction. A response
    // with neither `state` nor `iss` is first of all unbound: it cannot be
    // tied to any login (public case keycloak-authentication-expired-no-state).
    // A flow that sent no `state` (PKCE only, RFC 9700 §2.1) is bound by its
    // code_verifier instead, and then a `state` answers some other request.
    let state = value("state");
    let stateless = expect.no_state && expect.expected_state.is_none();
    match (state, stateless) {
        (None, false) => {
            return invalid(
                Category::MissingState,
                "state",
                "the callback has no `state` and cannot be bound to a pending login; restart the login",
            )
        }
        (Some(_), true) => {
            return invalid(
                Category::StateMismatch,
                "state",
                "the flow sent no `state` but the callback has one: it answers another request; restart the login",
            )
        }
        _ => {}
    }
    if expect.require_iss && value("iss").is_none() {
        return invalid(
            Category::IssuerMismatch,
            "issuer",
            "the provider advertises `iss` in responses but this one has none; never redeem this code",
        );
    }
    if let (Some(state), Some(want)) = (state, expect.expected_state.as_deref()) {
        if !bool::from(state.as_bytes().ct_eq(want.as_bytes())) {
            return invalid(
                Category::StateMismatch,
                "state",
                "`state` is not the pending one: possible CSRF or a stale tab; restart the login",
            );
        }
    }
    let code = value("code");
    // 4. Both an error and a code: refuse to guess.
    if error.is_some() && code.is_some() {
        return invalid(
            Category::Ambiguous,
            "error-and-code",
            "the callback carries both `error` and `code`; restart the login",
        );
    }
    // 5. Provider errors.
    if let Some(err) = &error {
        let (standard, category) = standard_category(err);
        let mut verdict = Verdict {
            outcome: CallbackOutcome::ProviderError,
            category,
            retryable: category.default_retryable(),
            provider: provider_name.clone(),
            provider_code: error_description.as_deref().and_then(microsoft_code),
            error: error.clone(),
            error_description: error_description.clone(),
            hint: None,
            rule: RuleId::from("builtin/error"),
            code: None,
            state: None,
        };
        let ctx = Ctx {
            target: &cb.target,
            kind: Kind::Callback,
            params: &params,
        };
        let provider_rules = provider
            .and_then(|i| program.providers.get(i))
            .map_or(&[][..], |p| p.sections.get(Kind::Callback));
        let rules = provider_rules
            .iter()
            .chain(program.global.get(Kind::Callback));
        if let Some(rule) = first_match(rules, &ctx, trace) {
            if let Action::Classify {
                category,
                retryable,
                hint,
            } = &rule.action
            {
                verdict.category = *category;
                verdict.retryable = retryable.unwrap_or(category.default_retryable());
                verdict.hint = hint.as_ref().and_then(|h| ctx.render(h));
                verdict.rule = rule.id.clone();
                if verdict.provider_code.is_none() && !standard {
                    verdict.provider_code = error.clone();
                }
            }
        }
        return verdict;
    }
    // 6. No error and no code: the seed crash path.
    let Some(code) = code else {
        return invalid(
            Category::MissingCode,
            "code",
            "no `error` and no `code`: do not redeem; restart the login",
        );
    };
    // A code is 1*VSCHAR (RFC 6749 A.11: %x20-7E). Anything else (NUL,
    // control characters, bytes that are not UTF-8, which the lossy decoding
    // turned into U+FFFD) is not a code any provider issued: the callback is
    // malformed, and passing on a corrupted copy would help no one.
    if !code_is_vschar(source, raw) {
        return invalid(
            Category::InvalidRequest,
            "code-syntax",
            "the `code` has characters an authorization code cannot have (RFC 6749 A.11): do not redeem; restart the login",
        );
    }
    Verdict {
        outcome: CallbackOutcome::Success,
        category: Category::Ok,
        retryable: false,
        provider: provider_name,
        provider_code: None,
        error: None,
        error_description: None,
        hint: None,
        rule: RuleId::from("builtin/success"),
        code: Some(code.to_string()),
        state: state.map(str::to_string),
    }
}

/// The first classify rule whose condition holds.
fn first_match<'a>(
    rules: impl Iterator<Item = &'a Rule>,
    ctx: &Ctx<'_, '_>,
    mut trace: Option<&mut Trace>,
) -> Option<&'a Rule> {
    for rule in rules {
        let Action::Classify { category, .. } = &rule.action else {
            continue;
        };
        if is_off(rule, trace.as_deref_mut()) {
            continue;
        }
        let held = rule.cond.as_ref().is_none_or(|c| ctx.holds(c));
        if let Some(t) = trace.as_deref_mut() {
            t.steps.push(Step {
                rule: rule.id.clone(),
                location: rule.location.clone(),
                held,
                effect: if held {
                    Effect::Classified {
                        category: *category,
                    }
                } else {
                    Effect::ConditionFalse
                },
            });
        }
        if held {
            return Some(rule);
        }
    }
    None
}

/// Whether every raw `code` decodes to VSCHARs only (RFC 6749 A.11), judged
/// on the decoded bytes, before any lossy UTF-8 conversion.
fn code_is_vschar(source: &str, params: &[RawParam]) -> bool {
    params
        .iter()
        .filter(|p| p.name(source) == "code")
        .filter_map(|p| p.raw_value(source))
        .all(|raw| percent_decode_str(&raw.replace('+', " ")).all(|b| (0x20..=0x7e).contains(&b)))
}

/// The category of a standard error code (RFC 6749 §4.1.2.1, OIDC Core
/// §3.1.2.6, RFC 8707), and whether the code is standard at all.
pub(crate) fn standard_category(error: &str) -> (bool, Category) {
    let category = match error {
        "access_denied" => Category::AccessDenied,
        "invalid_request" | "invalid_request_uri" | "invalid_request_object" => {
            Category::InvalidRequest
        }
        "unauthorized_client" => Category::UnauthorizedClient,
        "unsupported_response_type"
        | "request_not_supported"
        | "request_uri_not_supported"
        | "registration_not_supported" => Category::Misconfiguration,
        "invalid_scope" => Category::InvalidScope,
        "server_error" => Category::ServerError,
        "temporarily_unavailable" => Category::TemporarilyUnavailable,
        "interaction_required" | "account_selection_required" => Category::InteractionRequired,
        "login_required" => Category::LoginRequired,
        "consent_required" => Category::ConsentRequired,
        "invalid_target" => Category::InvalidTarget,
        _ => return (false, Category::UnknownError),
    };
    (true, category)
}

/// `AADSTS…` or `AADB2C…` at the start of an Entra error description.
pub(crate) fn microsoft_code(description: &str) -> Option<String> {
    let d = description.trim_start();
    let prefix = ["AADSTS", "AADB2C"]
        .into_iter()
        .find(|p| d.starts_with(p))?;
    let digits: String = d
        .get(prefix.len()..)?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then(|| format!("{prefix}{digits}"))
}
