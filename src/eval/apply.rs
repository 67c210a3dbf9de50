//! `apply`: choose the provider, run global then provider rules, rebuild the
//! request.

use serde::Serialize;

use super::cond::Ctx;
use super::params::{list_items, list_separator, Params};
use super::request::{Request, Target};
use crate::compile::ir::{Action, Rule};
use crate::compile::Program;
use crate::source::Location;
use crate::vocab::Kind;

/// One change a rule made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The rule's id (`PROVIDER/SECTION#N`).
    pub rule: String,
    /// The action keyword (`drop`, `set`, …).
    pub action: &'static str,
    /// The parameter it changed.
    pub param: String,
    /// Where the rule is written.
    pub location: Location,
}

/// A refusal: the gateway must not send the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Denial {
    /// Why, for the operator.
    pub reason: String,
    /// The rule's id.
    pub rule: String,
    /// Where the rule is written.
    pub location: Location,
}

/// The result of `Policy::apply`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    url: String,
    body: Option<String>,
    provider: Option<String>,
    changes: Vec<Change>,
    denied: Option<Denial>,
}

impl Outcome {
    /// The URL to send: rewritten for authorize requests, as given for token
    /// requests (and for denied ones).
    pub fn url(&self) -> &str {
        &self.url
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

/// How one rule went, for `explain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The rule's id.
    pub rule: String,
    /// Where it is written.
    pub location: Location,
    /// Whether its condition held.
    pub held: bool,
    /// What it did: `changed`, `no effect`, `denied`, `stopped`, `skipped: …`.
    pub effect: String,
}

/// How the provider was chosen, for `explain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// The provider tried.
    pub provider: String,
    /// Where it is written.
    pub location: Location,
    /// Whether its `match` held.
    pub matched: bool,
}

/// A full trace of one evaluation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Trace {
    /// Providers the host index proposed, in the order tried.
    pub candidates: Vec<Candidate>,
    /// Every rule considered, in order.
    pub steps: Vec<Step>,
}

/// The provider for a target: first candidate (best tier, load order) whose
/// `match` holds on the request as received.
pub(crate) fn select(
    program: &Program,
    target: &Target,
    kind: Kind,
    params: &Params<'_>,
    mut trace: Option<&mut Trace>,
) -> Option<usize> {
    let ctx = Ctx {
        target,
        kind,
        params,
    };
    for i in program.index.candidates(&target.host) {
        let Some(p) = program.providers.get(i) else {
            continue;
        };
        let matched = ctx.holds(&p.matcher);
        if let Some(t) = trace.as_deref_mut() {
            t.candidates.push(Candidate {
                provider: p.name.clone(),
                location: p.location.clone(),
                matched,
            });
        }
        if matched {
            return Some(i);
        }
    }
    None
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

    let mut changes = Vec::new();
    let mut denied = None;
    for rule in rules {
        let held = {
            let ctx = Ctx {
                target: &req.target,
                kind: req.kind,
                params: &params,
            };
            rule.cond.as_ref().is_none_or(|c| ctx.holds(c))
        };
        let effect = if held {
            run(rule, &req.target, req.kind, &mut params, &mut changes)
        } else {
            Effect::NotHeld
        };
        if let Some(t) = trace.as_deref_mut() {
            t.steps.push(Step {
                rule: rule.id.clone(),
                location: rule.location.clone(),
                held,
                effect: effect.words(),
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
            _ => {}
        }
    }

    let provider = provider
        .and_then(|i| program.providers.get(i))
        .map(|p| p.name.clone());
    let rewritten = (denied.is_none() && params.changed()).then(|| params.render());
    let (url, body) = match (&req.body, rewritten) {
        (None, Some(query)) => (with_query(&req.target, &query), None),
        (None, None) => (req.target.url.clone(), None),
        (Some(_), Some(body)) => (req.target.url.clone(), Some(body)),
        (Some(body), None) => (req.target.url.clone(), Some(body.clone())),
    };
    Outcome {
        url,
        body,
        provider,
        changes: if denied.is_some() {
            Vec::new()
        } else {
            changes
        },
        denied,
    }
}

/// What running one rule did.
enum Effect {
    NotHeld,
    Changed,
    Unchanged,
    Skipped(&'static str),
    Denied(String),
    Stopped,
}

impl Effect {
    fn words(&self) -> String {
        match self {
            Effect::NotHeld => "condition false".into(),
            Effect::Changed => "changed".into(),
            Effect::Unchanged => "no effect".into(),
            Effect::Skipped(why) => format!("skipped: {why}"),
            Effect::Denied(reason) => format!("denied: {reason}"),
            Effect::Stopped => "stopped".into(),
        }
    }
}

fn run(
    rule: &Rule,
    target: &Target,
    kind: Kind,
    params: &mut Params<'_>,
    changes: &mut Vec<Change>,
) -> Effect {
    let mut record = |param: &str| {
        changes.push(Change {
            rule: rule.id.clone(),
            action: rule.action.keyword(),
            param: param.to_string(),
            location: rule.location.clone(),
        })
    };
    let render = |params: &Params<'_>, t| {
        Ctx {
            target,
            kind,
            params,
        }
        .render(t)
    };
    let changed = match &rule.action {
        Action::Drop(p) => {
            let hit = params.remove(p);
            if hit {
                record(p);
            }
            hit
        }
        Action::DropEmpty(except) => {
            let mut dropped: Vec<String> = Vec::new();
            params.remove_where(|e| {
                let hit = e.value.is_empty()
                    && !e.name.is_empty()
                    && !except.iter().any(|x| *x == e.name);
                if hit && !dropped.iter().any(|d| *d == e.name) {
                    dropped.push(e.name.to_string());
                }
                hit
            });
            dropped.iter().for_each(|d| record(d));
            !dropped.is_empty()
        }
        Action::Set(p, t) => {
            let Some(v) = render(params, t) else {
                return Effect::Skipped("a parameter it interpolates is absent");
            };
            let hit = params.set(p, v);
            if hit {
                record(p);
            }
            hit
        }
        Action::Default(p, t) => {
            if params.present(p) {
                false
            } else {
                let Some(v) = render(params, t) else {
                    return Effect::Skipped("a parameter it interpolates is absent");
                };
                let hit = params.set(p, v);
                if hit {
                    record(p);
                }
                hit
            }
        }
        Action::Rename(from, to) => {
            if params.count(to) > 0 {
                return Effect::Skipped("the new name is already present");
            }
            let hit = params.rename(from, to);
            if hit {
                record(from);
            }
            hit
        }
        Action::Add(t, p) => {
            let Some(item) = render(params, t) else {
                return Effect::Skipped("a parameter it interpolates is absent");
            };
            let hit = match params.get(p) {
                None => {
                    params.set(p, item);
                    true
                }
                Some(v) if list_items(v).any(|i| i == item) => false,
                Some(_) => params.map_values(p, |v| {
                    let sep = list_separator(v);
                    Some(if v.is_empty() {
                        item.clone()
                    } else {
                        format!("{v}{sep}{item}")
                    })
                }),
            };
            if hit {
                record(p);
            }
            hit
        }
        Action::Remove(t, p) => {
            let Some(item) = render(params, t) else {
                return Effect::Skipped("a parameter it interpolates is absent");
            };
            let hit = params.map_values(p, |v| {
                if !list_items(v).any(|i| i == item) {
                    return Some(v.to_string());
                }
                let sep = list_separator(v);
                let kept: Vec<&str> = list_items(v).filter(|i| *i != item).collect();
                // A list emptied this way is dropped: empty means omitted.
                (!kept.is_empty()).then(|| kept.join(sep))
            });
            if hit {
                record(p);
            }
            hit
        }
        Action::Convert(p, sep) => {
            let hit = params.map_values(p, |v| {
                Some(list_items(v).collect::<Vec<_>>().join(sep.as_str()))
            });
            if hit {
                record(p);
            }
            hit
        }
        Action::Dedupe(p) => {
            let mut hit = params.map_values(p, |v| {
                let mut seen: Vec<&str> = Vec::new();
                for i in list_items(v) {
                    if !seen.contains(&i) {
                        seen.push(i);
                    }
                }
                if seen.len() == list_items(v).count() {
                    Some(v.to_string())
                } else {
                    Some(seen.join(list_separator(v)))
                }
            });
            let mut values: Vec<String> = Vec::new();
            hit |= params.remove_where(|e| {
                if e.name != *p {
                    return false;
                }
                let dup = values.iter().any(|v| *v == e.value);
                if !dup {
                    values.push(e.value.to_string());
                }
                dup
            }) > 0;
            if hit {
                record(p);
            }
            hit
        }
        Action::Deny(t) => {
            let ctx = Ctx {
                target,
                kind,
                params,
            };
            return Effect::Denied(ctx.render(t).unwrap_or_else(|| literal_text(t)));
        }
        Action::DenyRepeated(except) => {
            let mut seen: Vec<&str> = Vec::new();
            for e in params.iter() {
                if e.name.is_empty() || except.iter().any(|x| *x == e.name) {
                    continue;
                }
                if seen.contains(&e.name.as_ref()) {
                    return Effect::Denied(format!("{} appears more than once", e.name));
                }
                seen.push(&e.name);
            }
            false
        }
        Action::Stop => return Effect::Stopped,
        Action::Classify { .. } => return Effect::Skipped("classify only applies to callbacks"),
    };
    if changed {
        Effect::Changed
    } else {
        Effect::Unchanged
    }
}

/// A template's fixed text, used when a deny reason names an absent parameter.
fn literal_text(t: &crate::compile::ir::Template) -> String {
    use crate::compile::ir::Piece;
    t.parts
        .iter()
        .map(|p| match p {
            Piece::Text(s) => s.as_str(),
            Piece::Var(_) => "",
        })
        .collect()
}

/// The target URL with its query replaced by `query` (fragment kept).
fn with_query(target: &Target, query: &str) -> String {
    let url = &target.url;
    let (head, tail) = match &target.query {
        Some(r) => (
            url.get(..r.start.saturating_sub(1)).unwrap_or(url),
            url.get(r.end..).unwrap_or(""),
        ),
        None => {
            let end = url.find('#').unwrap_or(url.len());
            (url.get(..end).unwrap_or(url), url.get(end..).unwrap_or(""))
        }
    };
    if query.is_empty() {
        format!("{head}{tail}")
    } else {
        format!("{head}?{query}{tail}")
    }
}
