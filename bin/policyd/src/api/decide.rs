//! The decision endpoints: `/v1/authorize`, `/v1/token`, `/v1/classify`.
//! Each answers with the decision and the revision that made it, counts it,
//! and logs it (scrubbed) when the decision log is on.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use oauth_policy::{Callback, ExpectationError, Expectations, Outcome, Request, RuleId, Verdict};
use serde::{Deserialize, Serialize};

use super::body::JsonBody;
use super::error::ApiError;
use crate::decision_log::Entry;
use crate::redact::Scrubber;
use crate::state::{rfc3339, AppState, Served};

/// `POST /v1/authorize`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeBody {
    url: String,
}

/// `POST /v1/token`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    url: String,
    body: String,
}

/// `POST /v1/classify`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifyBody {
    callback_url: Option<String>,
    form: Option<String>,
    provider: Option<String>,
    authorize_url: Option<String>,
    expected_state: Option<String>,
    expected_issuer: Option<String>,
    /// RFC 9207: a callback without `iss` is refused. `iss_required` is its
    /// earlier name, still accepted.
    #[serde(default, alias = "iss_required")]
    require_iss: bool,
    /// The flow sent no `state` (PKCE only, RFC 9700 §2.1).
    #[serde(default)]
    no_state: bool,
    /// The flow's `response_mode` (`fragment` reads the URL's fragment).
    response_mode: Option<String>,
}

/// A decision and the policy that made it.
#[derive(Serialize)]
struct Decided<'a, T: Serialize> {
    revision: &'a str,
    generation: u64,
    #[serde(flatten)]
    decision: &'a T,
}

/// What a handler learnt, for metrics and the log.
#[derive(Default)]
struct Facts {
    outcome: &'static str,
    provider: Option<String>,
    rules: Vec<RuleId>,
    denied: Option<String>,
    category: Option<String>,
    error: Option<String>,
    served: Option<Arc<Served>>,
}

/// Answers, counts and logs one decision request.
fn finish(
    state: &AppState,
    endpoint: &'static str,
    started: Instant,
    scrub: &Scrubber,
    result: Result<(Response, Facts), ApiError>,
) -> Response {
    let (response, facts) = match result {
        Ok(done) => done,
        Err(e) => {
            let outcome = if e.status == StatusCode::SERVICE_UNAVAILABLE {
                "unavailable"
            } else {
                "error"
            };
            let facts = Facts {
                outcome,
                error: Some(e.code.to_string()),
                ..Facts::default()
            };
            (e.into_response(), facts)
        }
    };
    let took = started.elapsed();
    state.metrics.request(endpoint, facts.outcome, took);
    if state.log.enabled() {
        let entry = Entry {
            time: rfc3339(SystemTime::now()),
            endpoint,
            status: response.status().as_u16(),
            outcome: facts.outcome,
            provider: facts.provider.as_deref(),
            rules: facts.rules.iter().map(RuleId::as_str).collect(),
            revision: facts.served.as_ref().map(|s| s.policy.revision()),
            generation: facts.served.as_ref().map(|s| s.generation),
            latency_us: u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
            denied: facts.denied.as_deref().map(|d| scrub.scrub(d)),
            category: facts.category,
            error: facts.error.as_deref().map(|e| scrub.scrub(e)),
        };
        if !state.log.write(&entry) {
            state.metrics.log_dropped();
        }
    }
    response
}

/// The policy to decide with, or 503 when fail-closed.
fn serving(state: &AppState) -> Result<Arc<Served>, ApiError> {
    let current = state.store.status();
    if current.serving {
        Ok(current)
    } else {
        Err(ApiError::unavailable())
    }
}

/// Runs evaluation so that a bug in it answers 500 instead of dropping the
/// connection.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, ApiError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| {
        tracing::error!("evaluation panicked; answered 500");
        ApiError::internal()
    })
}

fn apply_facts(out: &Outcome, served: Arc<Served>) -> Facts {
    // Ids are shared pointers: naming the rules copies no text.
    let mut rules: Vec<RuleId> = Vec::new();
    for c in out.changes() {
        if !rules.contains(&c.rule) {
            rules.push(c.rule.clone());
        }
    }
    if let Some(d) = out.denied() {
        rules.push(d.rule.clone());
    }
    let outcome = if out.denied().is_some() {
        "denied"
    } else if out.changes().is_empty() {
        "unchanged"
    } else {
        "rewritten"
    };
    Facts {
        outcome,
        provider: out.provider().map(str::to_string),
        rules,
        denied: out.denied().map(|d| d.reason.clone()),
        served: Some(served),
        ..Facts::default()
    }
}

fn respond<T: Serialize>(served: &Served, decision: &T) -> Response {
    Json(Decided {
        revision: served.policy.revision(),
        generation: served.generation,
        decision,
    })
    .into_response()
}

/// `POST /v1/authorize {url}`.
pub async fn authorize(
    State(state): State<Arc<AppState>>,
    body: Result<JsonBody<AuthorizeBody>, ApiError>,
) -> Response {
    rewrite(&state, "authorize", || {
        let JsonBody(input) = body?;
        Ok(Request::authorize_with(&input.url, &state.limits)?)
    })
}

/// `POST /v1/token {url, body}`.
pub async fn token(
    State(state): State<Arc<AppState>>,
    body: Result<JsonBody<TokenBody>, ApiError>,
) -> Response {
    rewrite(&state, "token", || {
        let JsonBody(input) = body?;
        Ok(Request::token_with(&input.url, &input.body, &state.limits)?)
    })
}

/// The shared body of the rewrite endpoints: read the request (telling the
/// scrubber the secrets the engine parsed), apply the served policy, answer
/// and log.
fn rewrite(
    state: &AppState,
    endpoint: &'static str,
    read: impl FnOnce() -> Result<Request, ApiError>,
) -> Response {
    let started = Instant::now();
    let mut scrub = Scrubber::default();
    let result = read().and_then(|req| {
        scrub.add_params(req.params());
        let served = serving(state)?;
        let out = guarded(|| served.policy.apply(&req))?;
        Ok((respond(&served, &out), apply_facts(&out, served)))
    });
    finish(state, endpoint, started, &scrub, result)
}

/// `POST /v1/classify {callback_url | form, provider | authorize_url, …}`.
pub async fn classify(
    State(state): State<Arc<AppState>>,
    body: Result<JsonBody<ClassifyBody>, ApiError>,
) -> Response {
    let started = Instant::now();
    let mut scrub = Scrubber::default();
    let result = (|| {
        let JsonBody(input) = body?;
        let callback = match (&input.callback_url, &input.form) {
            (Some(url), None) => Callback::from_url_with(url, &state.limits)?,
            (None, Some(form)) => Callback::from_form_with(form, &state.limits)?,
            _ => {
                return Err(ApiError::invalid(
                    "give exactly one of `callback_url` (the redirect URL) or `form` (a form_post body)",
                ))
            }
        };
        scrub.add_params(callback.params());
        if let Some(s) = &input.expected_state {
            scrub.add_value(s);
        }
        if input.provider.is_some() && input.authorize_url.is_some() {
            return Err(ApiError::invalid(
                "give at most one of `provider` and `authorize_url`",
            ));
        }
        if let Some(url) = &input.authorize_url {
            check_authorize_url(url, &state)?;
        }
        let served = serving(&state)?;
        let expect = expectations(input);
        let verdict = guarded(|| served.policy.classify(&callback, &expect))?
            .map_err(|e| unknown_expectation(&served, &e))?;
        let facts = classify_facts(&verdict, served.clone());
        Ok((respond(&served, &verdict), facts))
    })();
    finish(&state, "classify", started, &scrub, result)
}

/// The engine skips an `authorize_url` it cannot parse and so picks no
/// provider; refuse it instead (422 `invalid_url`, `no_host`, …), as for the
/// other URLs, so a gateway bug is not answered with a provider-less verdict.
fn check_authorize_url(url: &str, state: &AppState) -> Result<(), ApiError> {
    Request::authorize_with(url, &state.limits)
        .map(drop)
        .map_err(|e| {
            let mut err = ApiError::from(e);
            err.message = format!("`authorize_url`: {}", err.message);
            err
        })
}

/// The library's expectations from the request body.
fn expectations(input: ClassifyBody) -> Expectations {
    let mut e = Expectations::new()
        .with_require_iss(input.require_iss)
        .with_no_state(input.no_state);
    e.provider = input.provider;
    e.authorize_url = input.authorize_url;
    e.expected_state = input.expected_state;
    e.expected_issuer = input.expected_issuer;
    e.response_mode = input.response_mode;
    e
}

/// 422 `unknown_provider` for a name the serving policy does not have (the
/// library refuses it: a typo would otherwise skip every provider rule).
fn unknown_expectation(served: &Served, e: &ExpectationError) -> ApiError {
    let message = match e {
        ExpectationError::UnknownProvider { name, suggestion } => {
            let mut message = format!(
                "no provider named `{name}` in policy {}",
                served.policy.revision()
            );
            if let Some(close) = suggestion {
                message.push_str(&format!("; did you mean `{close}`?"));
            }
            message
        }
        other => other.to_string(),
    };
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_provider",
        message,
    )
}

fn classify_facts(v: &Verdict, served: Arc<Served>) -> Facts {
    Facts {
        outcome: v.outcome.as_str(),
        provider: v.provider.clone(),
        rules: vec![v.rule.clone()],
        category: Some(v.category.name().to_string()),
        error: v.error.clone(),
        served: Some(served),
        ..Facts::default()
    }
}
