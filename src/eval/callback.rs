//! Callback classification: turn any redirect back from a provider into a
//! safe verdict, so a gateway never assumes `code` is there.
//!
//! Built-in order (RFC 6749 §3.1, RFC 9207, oauth4webapi): repeated
//! `code`/`state`/`error`/`iss` → wrong `iss` → missing `state` → missing
//! required `iss` → wrong `state` → `error` with `code` → provider error
//! (standard codes, then provider rules) → missing code.

use std::fmt;

use percent_encoding::percent_decode_str;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::apply::{select, Step, Trace};
use super::cond::Ctx;
use super::params::Params;
use super::request::{parse_params, parse_target, Limits, RawParam, Request, RequestError, Target};
use crate::compile::ir::{Action, Rule};
use crate::compile::Program;
use crate::source::Location;
use crate::vocab::{Category, Kind};

/// A redirect back to the client: its parameters, from a URL's query (or
/// fragment, for implicit-style responses) or from a `form_post` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    target: Target,
    source: String,
    params: Vec<RawParam>,
}

impl Callback {
    /// A callback URL, with default limits.
    pub fn from_url(url: &str) -> Result<Self, RequestError> {
        Self::from_url_with(url, &Limits::default())
    }

    /// A callback URL.
    pub fn from_url_with(url: &str, limits: &Limits) -> Result<Self, RequestError> {
        let target = parse_target(url, limits)?;
        let query = target.query_str();
        // Responses with response_mode=fragment carry their parameters after
        // `#`; read them there only when the query has none.
        let source = if query.is_empty() {
            target
                .url
                .split_once('#')
                .map_or("", |(_, fragment)| fragment)
        } else {
            query
        }
        .to_string();
        let params = parse_params(&source, "query", limits)?;
        Ok(Self {
            target,
            source,
            params,
        })
    }

    /// Every parameter as the engine read it, in order: `(name, value)`,
    /// decoded.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params
            .iter()
            .map(|p| (p.name(&self.source), p.value(&self.source)))
    }

    /// A `response_mode=form_post` body, with default limits.
    pub fn from_form(body: &str) -> Result<Self, RequestError> {
        Self::from_form_with(body, &Limits::default())
    }

    /// A `response_mode=form_post` body.
    pub fn from_form_with(body: &str, limits: &Limits) -> Result<Self, RequestError> {
        let params = parse_params(body, "body", limits)?;
        Ok(Self {
            target: Target {
                url: String::new(),
                scheme: String::new(),
                host: String::new(),
                port: None,
                path: String::new(),
                query: None,
            },
            source: body.to_string(),
            params,
        })
    }
}

/// What the gateway knows about the pending authorization.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Expectations {
    /// The provider block's name, if known.
    pub provider: Option<String>,
    /// The authorize URL the flow started with (picks the provider when
    /// `provider` is not given).
    pub authorize_url: Option<String>,
    /// The `state` the gateway sent.
    pub expected_state: Option<String>,
    /// The issuer the gateway expects in `iss` (RFC 9207).
    pub expected_issuer: Option<String>,
    /// The AS advertises `authorization_response_iss_parameter_supported`.
    pub iss_required: bool,
}

/// The verdict's top-level outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackOutcome {
    /// A code bound to the pending state: redeem it.
    Success,
    /// The provider reported an error.
    ProviderError,
    /// The callback cannot be trusted or used.
    Invalid,
}

/// What a gateway should do with a callback.
#[derive(Clone, PartialEq, Eq, Serialize)]
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
    pub rule: String,
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
        let redact = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
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
            .field("code", &redact(&self.code))
            .field("state", &redact(&self.state))
            .finish()
    }
}

/// Parameters the built-in checks refuse to see more than once.
const SINGLE: [&str; 4] = ["code", "state", "error", "iss"];

/// Classifies a callback, recording the decision in `trace` when given.
/// Total: every input gets a verdict.
pub(crate) fn classify(
    program: &Program,
    cb: &Callback,
    expect: &Expectations,
    mut trace: Option<&mut Trace>,
) -> Verdict {
    let verdict = decide(program, cb, expect, trace.as_deref_mut());
    if let Some(t) = trace {
        if verdict.rule.starts_with("builtin/") {
            t.steps.push(Step {
                rule: verdict.rule.clone(),
                location: Location {
                    file: "<builtin>".into(),
                    line: 0,
                    column: 0,
                },
                held: true,
                effect: format!("decided {}", verdict.category.name()),
            });
        }
    }
    verdict
}

fn decide(
    program: &Program,
    cb: &Callback,
    expect: &Expectations,
    mut trace: Option<&mut Trace>,
) -> Verdict {
    let provider = provider_for(program, expect, trace.as_deref_mut());
    let provider_name = provider
        .and_then(|i| program.providers.get(i))
        .map(|p| p.name.clone());
    let params = Params::new(&cb.source, &cb.params, false);
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
        rule: format!("builtin/{rule}"),
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
    let Some(state) = value("state") else {
        return invalid(
            Category::MissingState,
            "state",
            "the callback has no `state` and cannot be bound to a pending login; restart the login",
        );
    };
    if expect.iss_required && value("iss").is_none() {
        return invalid(
            Category::IssuerMismatch,
            "issuer",
            "the provider advertises `iss` in responses but this one has none; never redeem this code",
        );
    }
    if let Some(want) = expect.expected_state.as_deref() {
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
            rule: "builtin/error".into(),
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
    // 6. No error and no usable code: the seed crash path.
    let Some(code) = code.filter(|_| code_is_utf8(cb)) else {
        return invalid(
            Category::MissingCode,
            "code",
            "no `error` and no usable `code`: do not redeem; restart the login",
        );
    };
    Verdict {
        outcome: CallbackOutcome::Success,
        category: Category::Ok,
        retryable: false,
        provider: provider_name,
        provider_code: None,
        error: None,
        error_description: None,
        hint: None,
        rule: "builtin/success".into(),
        code: Some(code.to_string()),
        state: Some(state.to_string()),
    }
}

/// The provider named in the expectations, or chosen from the authorize URL.
fn provider_for(
    program: &Program,
    expect: &Expectations,
    trace: Option<&mut Trace>,
) -> Option<usize> {
    if let Some(name) = &expect.provider {
        return program.providers.iter().position(|p| p.name == *name);
    }
    let req = Request::authorize(expect.authorize_url.as_deref()?).ok()?;
    let params = Params::new(req.param_source(), &req.params, false);
    select(program, &req.target, Kind::Authorize, &params, trace)
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
        let held = rule.cond.as_ref().is_none_or(|c| ctx.holds(c));
        if let Some(t) = trace.as_deref_mut() {
            t.steps.push(Step {
                rule: rule.id.clone(),
                location: rule.location.clone(),
                held,
                effect: if held {
                    format!("classified {}", category.name())
                } else {
                    "condition false".into()
                },
            });
        }
        if held {
            return Some(rule);
        }
    }
    None
}

/// Whether the raw `code` decodes to valid UTF-8 (a code that does not is
/// not one any provider issued, and passing on a lossy copy would corrupt it).
fn code_is_utf8(cb: &Callback) -> bool {
    cb.params
        .iter()
        .filter(|p| p.name(&cb.source) == "code")
        .filter_map(|p| p.raw_value(&cb.source))
        .all(|raw| {
            percent_decode_str(&raw.replace('+', " "))
                .decode_utf8()
                .is_ok()
        })
}

/// The category of a standard error code (RFC 6749 §4.1.2.1, OIDC Core
/// §3.1.2.6, RFC 8707), and whether the code is standard at all.
pub fn standard_category(error: &str) -> (bool, Category) {
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
pub fn microsoft_code(description: &str) -> Option<String> {
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
