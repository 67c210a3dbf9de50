//! What each action does to the working parameter list.

use std::borrow::Cow;
use std::collections::HashSet;

use super::apply::{Change, Changes};
use super::cond::{Ctx, RenderError};
use super::params::{list_items, list_separator, Edit, Params};
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
pub(crate) fn run<'a>(
    rule: &'a Rule,
    target: &Target,
    kind: Kind,
    params: &mut Params<'a>,
    changes: &mut Changes,
    cap: usize,
) -> Effect {
    let render = |params: &Params<'a>, t: &'a Template| {
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
                let hit = e.value_is_empty()
                    && !e.name().is_empty()
                    && !except.iter().any(|x| x == e.name());
                if hit && !dropped.iter().any(|d| d == e.name()) {
                    dropped.push(e.name().to_string());
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
            // One look at the current value: absent, already listed, or to extend.
            let listed = match params.get(p) {
                None => None,
                Some(v) if v.len().saturating_add(item.len()) >= cap => {
                    return Effect::Denied(too_long(rule, cap));
                }
                Some(v) => Some(list_items(v).any(|i| i == item)),
            };
            let hit = match listed {
                None => params.set(p, item),
                Some(true) => false,
                Some(false) => params.map_values(p, |v| {
                    Edit::Set(if v.is_empty() {
                        item.clone()
                    } else {
                        Cow::Owned(format!("{v}{}{item}", list_separator(v)))
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
            // Most requests do not have the item: tell without decoding.
            if !params.any_list_contains(p, &item) {
                return Effect::Unchanged;
            }
            let hit = params.map_values(p, |v| {
                if !list_items(v).any(|i| i == item) {
                    return Edit::Keep;
                }
                let sep = list_separator(v);
                let mut kept = String::with_capacity(v.len());
                for i in list_items(v).filter(|i| *i != item) {
                    if !kept.is_empty() {
                        kept.push_str(sep);
                    }
                    kept.push_str(i);
                }
                // A list emptied this way is dropped: empty means omitted.
                if kept.is_empty() {
                    Edit::Remove
                } else {
                    Edit::Set(Cow::Owned(kept))
                }
            });
            hit.then_some(p.as_str())
        }
        Action::Convert(p, sep) => {
            let hit = params.map_values(p, |v| {
                Edit::Set(Cow::Owned(
                    list_items(v).collect::<Vec<_>>().join(sep.as_str()),
                ))
            });
            hit.then_some(p.as_str())
        }
        Action::Dedupe(p) => {
            let items_hit = params.map_values(p, |v| {
                let mut seen = HashSet::new();
                let unique: Vec<&str> = list_items(v).filter(|i| seen.insert(*i)).collect();
                if unique.len() == list_items(v).count() {
                    Edit::Keep
                } else {
                    Edit::Set(Cow::Owned(unique.join(list_separator(v))))
                }
            });
            let mut values = HashSet::new();
            let repeats =
                params.remove_where(|e| e.name() == p && !values.insert(e.value().to_string()));
            (items_hit || repeats > 0).then_some(p.as_str())
        }
        Action::Deny(t) => {
            let reason = match render(params, t) {
                Ok(reason) => reason.into_owned(),
                Err(RenderError::Repeated { name, count }) => ambiguous(rule, &name, count),
                Err(_) => literal_text(t),
            };
            return Effect::Denied(reason);
        }
        Action::DenyRepeated(except) => {
            return match first_repeat(params, except) {
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

/// The first live parameter name (in order) seen before, skipping empty
/// names and `except`. No allocation for the usual handful of parameters:
/// a 64-bit filter of (length, first byte, last byte) says which names
/// cannot have been seen, and only a name whose bit is already set is
/// compared with the earlier ones. Past 64 names, a hash set keeps 10 000
/// of them linear.
fn first_repeat<'p>(params: &'p Params<'_>, except: &[String]) -> Option<&'p str> {
    let counted = |n: &str| !n.is_empty() && !except.iter().any(|x| x == n);
    let names = || params.iter().map(|e| e.name()).filter(|n| counted(n));
    if names().nth(64).is_some() {
        let mut seen = HashSet::new();
        return names().find(|n| !seen.insert(*n));
    }
    let mut filter = 0u64;
    for (i, name) in names().enumerate() {
        let b = name.as_bytes();
        let key = b.len()
            ^ (usize::from(b.first().copied().unwrap_or(0)) << 2)
            ^ (usize::from(b.last().copied().unwrap_or(0)) << 4);
        let bit = 1u64 << (key % 64);
        if filter & bit != 0 && names().take(i).any(|n| n == name) {
            return Some(name);
        }
        filter |= bit;
    }
    None
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

fn record(changes: &mut Changes, rule: &Rule, param: &str) {
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
