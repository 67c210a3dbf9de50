//! What each action does to the working parameter list.

use std::collections::HashSet;

use super::apply::Change;
use super::cond::{Ctx, RenderError};
use super::params::{list_items, list_separator, Params};
use super::request::Target;
use crate::compile::ir::{Action, Piece, Rule, Subject, Template};
use crate::vocab::Kind;

/// What running one rule did.
pub(crate) enum Effect {
    /// Its condition was false.
    NotHeld,
    /// It changed the request.
    Changed,
    /// It ran and changed nothing (e.g. dropping an absent parameter).
    Unchanged,
    /// It could not run, and why.
    Skipped(&'static str),
    /// It refused the request, with this reason.
    Denied(String),
    /// It ended rewriting.
    Stopped,
}

const ABSENT_VAR: &str = "a parameter it interpolates is absent";

/// Runs one rule whose condition held, recording each parameter it changed.
/// No value it writes may be longer than `cap` bytes (the request's size
/// limit): past it the rule denies, so evaluation stays total and bounded.
pub(crate) fn run(
    rule: &Rule,
    target: &Target,
    kind: Kind,
    params: &mut Params<'_>,
    changes: &mut Vec<Change>,
    cap: usize,
) -> Effect {
    let render = |params: &Params<'_>, t: &Template| {
        Ctx {
            target,
            kind,
            params,
        }
        .try_render(t, cap)
    };
    // A template that cannot be filled: skipped when a parameter is absent,
    // denied when it is ambiguous or too long.
    let unfilled = |e: RenderError| match e {
        RenderError::Absent => Effect::Skipped(ABSENT_VAR),
        RenderError::Repeated { name, count } => Effect::Denied(ambiguous(rule, &name, count)),
        RenderError::TooLong => Effect::Denied(too_long(rule, cap)),
    };
    // Each arm answers with the parameter it changed, or returns early.
    let touched: Option<&str> = match &rule.action {
        Action::Drop(p) => params.remove(p).then_some(p.as_str()),
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
            dropped.iter().for_each(|d| record(changes, rule, d));
            return if dropped.is_empty() {
                Effect::Unchanged
            } else {
                Effect::Changed
            };
        }
        Action::Set(p, t) => {
            let v = match render(params, t) {
                Ok(v) => v,
                Err(e) => return unfilled(e),
            };
            params.set(p, v).then_some(p.as_str())
        }
        Action::Default(p, t) => {
            if params.present(p) {
                None
            } else {
                let v = match render(params, t) {
                    Ok(v) => v,
                    Err(e) => return unfilled(e),
                };
                params.set(p, v).then_some(p.as_str())
            }
        }
        Action::Rename(from, to) => {
            if params.count(to) > 0 {
                return Effect::Skipped("the new name is already present");
            }
            params.rename(from, to).then_some(from.as_str())
        }
        Action::Add(t, p) => {
            let item = match render(params, t) {
                Ok(item) => item,
                Err(e) => return unfilled(e),
            };
            if let Some(why) = not_one_item(rule, t, p, &item) {
                return Effect::Denied(why);
            }
            if params
                .get(p)
                .is_some_and(|v| v.len().saturating_add(item.len()) >= cap)
            {
                return Effect::Denied(too_long(rule, cap));
            }
            let hit = match params.get(p) {
                None => params.set(p, item),
                Some(v) if list_items(v).any(|i| i == item) => false,
                Some(_) => params.map_values(p, |v| {
                    Some(if v.is_empty() {
                        item.clone()
                    } else {
                        format!("{v}{}{item}", list_separator(v))
                    })
                }),
            };
            hit.then_some(p.as_str())
        }
        Action::Remove(t, p) => {
            let item = match render(params, t) {
                Ok(item) => item,
                Err(e) => return unfilled(e),
            };
            if let Some(why) = not_one_item(rule, t, p, &item) {
                return Effect::Denied(why);
            }
            let hit = params.map_values(p, |v| {
                if !list_items(v).any(|i| i == item) {
                    return Some(v.to_string());
                }
                let kept: Vec<&str> = list_items(v).filter(|i| *i != item).collect();
                // A list emptied this way is dropped: empty means omitted.
                (!kept.is_empty()).then(|| kept.join(list_separator(v)))
            });
            hit.then_some(p.as_str())
        }
        Action::Convert(p, sep) => {
            let hit = params.map_values(p, |v| {
                Some(list_items(v).collect::<Vec<_>>().join(sep.as_str()))
            });
            hit.then_some(p.as_str())
        }
        Action::Dedupe(p) => {
            let items_hit = params.map_values(p, |v| {
                let mut seen = HashSet::new();
                let unique: Vec<&str> = list_items(v).filter(|i| seen.insert(*i)).collect();
                if unique.len() == list_items(v).count() {
                    Some(v.to_string())
                } else {
                    Some(unique.join(list_separator(v)))
                }
            });
            let mut values = HashSet::new();
            let repeats =
                params.remove_where(|e| e.name == *p && !values.insert(e.value.to_string()));
            (items_hit || repeats > 0).then_some(p.as_str())
        }
        Action::Deny(t) => {
            let reason = match render(params, t) {
                Ok(reason) => reason,
                Err(RenderError::Repeated { name, count }) => ambiguous(rule, &name, count),
                Err(_) => literal_text(t),
            };
            return Effect::Denied(reason);
        }
        Action::DenyRepeated(except) => {
            let names: Vec<&str> = params
                .iter()
                .map(|e| e.name.as_ref())
                .filter(|n| !n.is_empty() && !except.iter().any(|x| x == n))
                .collect();
            let repeated = first_repeat(&names);
            return match repeated {
                Some(name) => Effect::Denied(format!("{name} appears more than once")),
                None => Effect::Unchanged,
            };
        }
        Action::Stop => return Effect::Stopped,
        Action::Classify { .. } => return Effect::Skipped("classify only applies to callbacks"),
    };
    match touched {
        Some(p) => {
            record(changes, rule, p);
            Effect::Changed
        }
        None => Effect::Unchanged,
    }
}

/// The first name (in order) seen before: a scan for the usual handful of
/// parameters, a hash set past that so 10 000 of them stay linear.
fn first_repeat<'n>(names: &[&'n str]) -> Option<&'n str> {
    if names.len() <= 32 {
        return names
            .iter()
            .enumerate()
            .find(|(i, n)| names.get(..*i).is_some_and(|before| before.contains(n)))
            .map(|(_, n)| *n);
    }
    let mut seen = HashSet::new();
    names.iter().copied().find(|n| !seen.insert(*n))
}

/// The reason for a rule whose `${name}` has several values.
fn ambiguous(rule: &Rule, name: &str, count: usize) -> String {
    format!(
        "rule {}: `{name}` has {count} values, so `${{{name}}}` is ambiguous; the request is refused rather than using one of them",
        rule.id
    )
}

/// The reason for a rule that would write a value over the limit.
fn too_long(rule: &Rule, cap: usize) -> String {
    format!(
        "rule {}: the value it writes would be longer than the {cap} byte request limit",
        rule.id
    )
}

/// Why an interpolated `add`/`remove` item is not exactly one list item
/// (empty, or holding a separator that would split it), if it is not. Fixed
/// items are checked at load time (E018). The reason names the parameters,
/// never their values (they may be secrets).
fn not_one_item(rule: &Rule, t: &Template, list: &str, item: &str) -> Option<String> {
    let vars: Vec<String> = t
        .parts
        .iter()
        .filter_map(|p| match p {
            Piece::Var(Subject::Param(n)) => Some(format!("`${{{n}}}`")),
            Piece::Var(Subject::Attr(a)) => Some(format!("`${{{}}}`", a.name())),
            Piece::Text(_) => None,
        })
        .collect();
    if vars.is_empty() {
        return None;
    }
    let what = if item.is_empty() {
        "is empty"
    } else if item.contains([' ', ',']) {
        "contains a space or comma, which would split it"
    } else {
        return None;
    };
    Some(format!(
        "rule {}: the item {} fills in for `{list}` {what}; an interpolated value must be exactly one list item",
        rule.id,
        vars.join(", ")
    ))
}

fn record(changes: &mut Vec<Change>, rule: &Rule, param: &str) {
    changes.push(Change {
        rule: rule.id.clone(),
        action: (&rule.action).into(),
        param: param.to_string(),
        location: rule.location.clone(),
    });
}

/// A template's fixed text, used when a deny reason names an absent parameter.
fn literal_text(t: &Template) -> String {
    t.parts
        .iter()
        .map(|p| match p {
            Piece::Text(s) => s.as_str(),
            Piece::Var(_) => "",
        })
        .collect()
}
