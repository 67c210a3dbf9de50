//! `apply`: choose the provider, run global then provider rules, rebuild the
//! request.

use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};
use smallvec::SmallVec;

use super::actions::{run, Effect};
use super::cond::Ctx;
use super::effect::Effect as StepEffect;
use super::params::Params;
use super::redact;
use super::request::{Request, Target};
use crate::compile::ir::Rule;
use crate::compile::Program;
use crate::source::Location;
use crate::vocab::{Action, Kind};
use crate::RuleId;

/// One change a rule made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Change {
    /// The rule's id (`PROVIDER/SECTION/NAME`, or `PROVIDER/SECTION#N` if unnamed).
    pub rule: RuleId,
    /// The action (`drop`, `set`, …).
    pub action: Action,
    /// The parameter it changed.
    pub param: String,
    /// Where the rule is written.
    pub location: Location,
}

/// A refusal: the gateway must not send the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Denial {
    /// Why, for the operator.
    pub reason: String,
    /// The rule's id.
    pub rule: RuleId,
    /// Where the rule is written.
    pub location: Location,
}

/// The result of `Policy::apply`.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Outcome {
    url: Text,
    body: Option<String>,
    /// Shared with the compiled provider: no copy per request.
    provider: Option<Arc<str>>,
    #[serde(serialize_with = "as_slice")]
    changes: Changes,
    denied: Option<Denial>,
}

/// Text an outcome sends: the request's own, shared (an unchanged URL costs
/// no copy), or written for this outcome. Compares and serializes as the
/// text it is.
#[derive(Clone)]
enum Text {
    Shared(Arc<str>),
    Own(String),
}

impl Text {
    fn as_str(&self) -> &str {
        match self {
            Text::Shared(s) => s,
            Text::Own(s) => s,
        }
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The changes of one evaluation: inline for the usual one, so a request
/// that changes one parameter allocates no list.
pub(crate) type Changes = SmallVec<[Change; 1]>;

/// Serializes the changes as the list they are.
fn as_slice<S: Serializer>(changes: &Changes, s: S) -> Result<S::Ok, S::Error> {
    changes.as_slice().serialize(s)
}

impl Outcome {
    /// The URL to send: rewritten for authorize requests, as given for token
    /// requests (and for denied ones).
    pub fn url(&self) -> &str {
        self.url.as_str()
    }
    /// The rewritten form body of a token request.
    pub fn body(&self) -> Option<&str> {
        self.body.as_deref()
    }
    /// The provider block that applied, if any.
    pub fn provider(&self) -> Option<&str> {
        self.provider.as_deref()
    }
    /// Every change, in the order made.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }
    /// The refusal, when a `deny` rule fired.
    pub fn denied(&self) -> Option<&Denial> {
        self.denied.as_ref()
    }
}

/// Debug hides secret parameter values in the URL and body, and in a deny
/// reason that copied one (`deny "… ${state}"`), so `{:?}` is safe to log.
impl fmt::Debug for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sources = [self.url(), self.body.as_deref().unwrap_or("")];
        let denied = self.denied.as_ref().map(|d| Denial {
            reason: redact::scrub(&d.reason, &sources),
            ..d.clone()
        });
        f.debug_struct("Outcome")
            .field("url", &redact::Url(self.url()))
            .field("body", &self.body.as_deref().map(redact::Form))
            .field("provider", &self.provider)
            .field("changes", &self.changes)
            .field("denied", &denied)
            .finish()
    }
}

/// How one rule went, for `explain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Step {
    /// The rule's id (`builtin/…` for a built-in callback check).
    pub rule: RuleId,
    /// Where it is written.
    pub location: Location,
    /// Whether its condition held.
    pub held: bool,
    /// What it did; prints as `changed`, `no effect`, `denied: …`, ….
    pub effect: StepEffect,
}

/// How the provider was chosen, for `explain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Candidate {
    /// The provider tried.
    pub provider: String,
    /// Where it is written.
    pub location: Location,
    /// Whether its `match` held.
    pub matched: bool,
    /// Which `match` held: the provider's own or an overlay's `also match`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_by: Option<Location>,
}

/// A full trace of one evaluation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Trace {
    /// Providers the host index proposed, in the order tried.
    pub candidates: Vec<Candidate>,
    /// Every rule considered, in order.
    pub steps: Vec<Step>,
}

/// The provider for a target: first candidate (best tier, load order) whose
/// `match` holds on the request as received. Only a provider endpoint can
/// match: see [`is_endpoint`].
pub(crate) fn select(
    program: &Program,
    target: &Target,
    kind: Kind,
    params: &Params<'_>,
    mut trace: Option<&mut Trace>,
) -> Option<usize> {
    if !is_endpoint(target) {
        return None;
    }
    let ctx = Ctx {
        target,
        kind,
        params,
    };
    for i in program.index.candidates(target.host()) {
        let Some(p) = program.providers.get(i) else {
            continue;
        };
        let matched_by = p.matchers.iter().find(|m| ctx.holds(&m.cond));
        let matched = matched_by.is_some();
        if let Some(t) = trace.as_deref_mut() {
            t.candidates.push(Candidate {
                provider: p.name.clone(),
                location: p.location.clone(),
                matched,
                matched_by: matched_by.map(|m| m.location.clone()),
            });
        }
        if matched {
            return Some(i);
        }
    }
    None
}

/// Whether a URL can be a provider's endpoint: `https`, or `http` on a
/// loopback host (a local test server, RFC 8252 §8.3's loopback exception).
/// An `ftp://` or plain `http://` URL on a provider's host is not that
/// provider, so no provider block applies to it (global rules still do).
pub(crate) fn is_endpoint(target: &Target) -> bool {
    match target.scheme() {
        "https" => true,
        "http" => is_loopback(target.host()),
        _ => false,
    }
}

/// `localhost` (and names under it, RFC 6761 §6.3), 127.0.0.0/8 and `::1`.
fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether `rule` is switched off (an opt-in not enabled, or disabled by an
/// overlay); the trace records why.
pub(crate) fn is_off(rule: &Rule, trace: Option<&mut Trace>) -> bool {
    if rule.enabled {
        return false;
    }
    // The reason is written only for a trace (it allocates).
    let Some(t) = trace else {
        return true;
    };
    if let Some(off) = StepEffect::off(rule) {
        t.steps.push(Step {
            rule: rule.id.clone(),
            location: rule.location.clone(),
            held: false,
            effect: off,
        });
    }
    true
}

/// Runs the policy on a request.
pub(crate) fn apply(program: &Program, req: &Request, mut trace: Option<&mut Trace>) -> Outcome {
    let source = req.param_source();
    let mut params = Params::new(source, &req.params, req.body.is_some());
    let provider = select(
        program,
        &req.target,
        req.kind,
        &params,
        trace.as_deref_mut(),
    );
    let provider_rules = provider
        .and_then(|i| program.providers.get(i))
        .map_or(&[][..], |p| p.sections.get(req.kind));
    let rules = program.global.get(req.kind).iter().chain(provider_rules);

    // What a rule may write: a value no longer than the request itself may be.
    let cap = req.size_limit();
    let mut changes = Changes::new();
    let mut denied = None;
    let mut last_rule = None;
    for rule in rules {
        if is_off(rule, trace.as_deref_mut()) {
            continue;
        }
        let held = {
            let ctx = Ctx {
                target: &req.target,
                kind: req.kind,
                params: &params,
            };
            rule.cond.as_ref().is_none_or(|c| ctx.holds(c))
        };
        let effect = if held {
            run(rule, &req.target, req.kind, &mut params, &mut changes, cap)
        } else {
            Effect::NotHeld
        };
        if let Some(t) = trace.as_deref_mut() {
            t.steps.push(Step {
                rule: rule.id.clone(),
                location: rule.location.clone(),
                held,
                effect: (&effect).into(),
            });
        }
        match effect {
            Effect::Denied(reason) => {
                denied = Some(Denial {
                    reason,
                    rule: rule.id.clone(),
                    location: rule.location.clone(),
                });
                break;
            }
            Effect::Stopped => break,
            Effect::Changed => last_rule = Some(rule),
            _ => {}
        }
    }

    let provider = provider
        .and_then(|i| program.providers.get(i))
        .map(|p| Arc::clone(&p.shared_name));
    // The output is written once, into a buffer sized from the input.
    let rewrite = denied.is_none() && params.changed();
    let unchanged = || Text::Shared(Arc::clone(req.target.shared_url()));
    let (mut url, mut body) = match (&req.body, rewrite) {
        (None, true) => (Text::Own(with_query(&req.target, &params)), None),
        (None, false) => (unchanged(), None),
        (Some(_), true) => (unchanged(), Some(params.render())),
        (Some(body), false) => (unchanged(), Some(body.clone())),
    };
    // Each value is capped as it is written; the whole output (values grow
    // when encoded, rules may add parameters) is held to the same limits.
    if let (None, Some(rule)) = (&denied, last_rule) {
        if let Some(reason) = over_limits(req, url.as_str(), body.as_deref(), params.iter().count())
        {
            denied = Some(Denial {
                reason: format!("rule {}: {reason}", rule.id),
                rule: rule.id.clone(),
                location: rule.location.clone(),
            });
            url = unchanged();
            body = req.body.clone();
        }
    }
    Outcome {
        url,
        body,
        provider,
        changes: if denied.is_some() {
            Changes::new()
        } else {
            changes
        },
        denied,
    }
}

/// Why a rewritten request is over the limits it was read with, if it is.
fn over_limits(req: &Request, url: &str, body: Option<&str>, params: usize) -> Option<String> {
    let limits = &req.limits;
    let limit = req.size_limit();
    let (what, size) = match body {
        Some(b) => ("body", b.len()),
        None => ("URL", url.len()),
    };
    if size > limit {
        return Some(format!(
            "the rewritten {what} would be {size} bytes, over the {limit} byte limit"
        ));
    }
    (params > limits.max_params).then(|| {
        format!(
            "the rewritten request would have {params} parameters, over the limit of {}",
            limits.max_params
        )
    })
}

/// The target URL with its query replaced by the rendered `params`
/// (fragment kept), written once into a buffer of the right size.
fn with_query(target: &Target, params: &Params<'_>) -> String {
    let url = target.url();
    let (head, tail) = match target.query() {
        Some(r) => (
            url.get(..r.start.saturating_sub(1)).unwrap_or(url),
            url.get(r.end..).unwrap_or(""),
        ),
        None => {
            let end = url.find('#').unwrap_or(url.len());
            (url.get(..end).unwrap_or(url), url.get(end..).unwrap_or(""))
        }
    };
    let mut out = String::with_capacity(head.len() + 1 + params.render_len() + tail.len());
    out.push_str(head);
    out.push('?');
    let mark = out.len();
    params.render_into(&mut out);
    if out.len() == mark {
        // An emptied query loses its `?` too.
        out.pop();
    }
    out.push_str(tail);
    out
}
