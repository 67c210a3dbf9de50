//! `L003` misspelt names: a parameter named like an attribute (`hots`), like
//! a well-known OAuth parameter (`scpoe`), or `drop empyt`. Any bare name
//! that is not an attribute is a parameter, so these load without error and
//! silently test or change the wrong thing.

use std::collections::HashMap;

use super::walk;
use super::{Raw, L003};
use crate::suggest;
use crate::syntax::ast::{Action, File, Item, Name, Operand, Part, Rule, Value};
use crate::vocab::Attr;

/// Parameters of OAuth 2.0, OpenID Connect and their extensions (RFC 6749,
/// 7636, 8707, 9126, 9207, 9449, OIDC Core) and common provider ones.
const KNOWN: &[&str] = &[
    "access_token",
    "access_type",
    "acr_values",
    "actor_token",
    "assertion",
    "audience",
    "authorization_details",
    "claims",
    "claims_locales",
    "client_assertion",
    "client_assertion_type",
    "client_id",
    "client_secret",
    "code",
    "code_challenge",
    "code_challenge_method",
    "code_verifier",
    "device_code",
    "display",
    "domain_hint",
    "dpop_jkt",
    "error",
    "error_description",
    "error_subcode",
    "error_uri",
    "expires_in",
    "grant_type",
    "id_token",
    "id_token_hint",
    "include_granted_scopes",
    "iss",
    "login_hint",
    "max_age",
    "nonce",
    "organization",
    "password",
    "prompt",
    "redirect_uri",
    "refresh_token",
    "registration",
    "request",
    "request_uri",
    "requested_token_type",
    "resource",
    "response_mode",
    "response_type",
    "scope",
    "session_state",
    "state",
    "subject_token",
    "subject_token_type",
    "token_type",
    "ui_locales",
    "user_code",
    "username",
];

pub(super) fn lint(file: usize, src: &str, tree: &File, out: &mut Vec<Raw>) {
    let mut cache: HashMap<String, Option<(String, String)>> = HashMap::new();
    let mut check = |n: &Name, role: Role| {
        if src
            .get(n.span.start..n.span.end)
            .is_some_and(|t| t.starts_with('"'))
        {
            return; // `param("…")`: written on purpose
        }
        if role == Role::Dropped && suggest::closest(&n.node, ["empty"]).is_some() {
            out.push(
                Raw::new(
                    &L003,
                    file,
                    n.span,
                    format!("`drop {}` drops a parameter named `{}`", n.node, n.node),
                )
                .label("a parameter name")
                .help("did you mean `drop empty`?"),
            );
            return;
        }
        let advice = cache
            .entry(format!("{role:?}/{}", n.node))
            .or_insert_with(|| advice(&n.node, role));
        if let Some((message, help)) = advice {
            out.push(
                Raw::new(&L003, file, n.span, message.clone())
                    .label("read as a parameter")
                    .help(help.clone()),
            );
        }
    };
    for item in &tree.items {
        match item {
            Item::Provider(p) => {
                conds(&p.matcher, &mut check);
                for s in &p.sections {
                    s.rules.iter().for_each(|r| rule(r, &mut check));
                }
            }
            Item::Section(s) => s.rules.iter().for_each(|r| rule(r, &mut check)),
            Item::Rule(r) => rule(r, &mut check),
            Item::Extend(e) => {
                e.also.iter().for_each(|c| conds(c, &mut check));
                for s in &e.sections {
                    s.rules.iter().for_each(|r| rule(r, &mut check));
                }
            }
        }
    }
}

/// How a name is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// In a condition or `${…}`: attributes are possible.
    Read,
    /// The target of `drop`.
    Dropped,
    /// Any other action argument: always a parameter.
    Written,
}

/// (message, help) for a suspicious name, or `None`.
fn advice(name: &str, role: Role) -> Option<(String, String)> {
    if KNOWN.contains(&name) || Attr::from_name(name).is_some() {
        return None;
    }
    if role == Role::Read {
        if let Some(attr) = suggest::closest(name, Attr::ALL.iter().map(|a| a.name())) {
            return Some((
                format!("`{name}` is a parameter, not the attribute `{attr}`"),
                format!("did you mean `{attr}`? (any name that is not an attribute reads a request parameter)"),
            ));
        }
    }
    let known = suggest::closest(name, KNOWN.iter().copied())?;
    Some((
        format!("`{name}` looks like a misspelling of `{known}`"),
        format!("did you mean `{known}`? (write `param(\"{name}\")` if `{name}` is meant)"),
    ))
}

fn rule(r: &Rule, check: &mut impl FnMut(&Name, Role)) {
    for c in walk::rule_conds(r) {
        conds(c, check);
    }
    let value = |v: &Value, check: &mut dyn FnMut(&Name, Role)| {
        for p in &v.parts {
            if let Part::Var(n) = p {
                check(n, Role::Read);
            }
        }
    };
    match &r.action.node {
        Action::Drop(p) => check(p, Role::Dropped),
        Action::DropEmpty(except) | Action::DenyRepeated(except) => {
            except.iter().for_each(|n| check(n, Role::Written))
        }
        Action::Set(p, v) | Action::Default(p, v) | Action::Add(v, p) | Action::Remove(v, p) => {
            check(p, Role::Written);
            value(v, check);
        }
        Action::Rename(p, q) => {
            check(p, Role::Written);
            check(q, Role::Written);
        }
        Action::Convert(p, _) | Action::Dedupe(p) => check(p, Role::Written),
        Action::Deny(v) => value(v, check),
        Action::Stop => {}
        Action::Classify(c) => {
            if let Some(h) = &c.hint {
                value(h, check);
            }
        }
    }
}

fn conds(c: &crate::syntax::ast::Cond, check: &mut impl FnMut(&Name, Role)) {
    walk::tests(c, &mut |op, _| match op {
        Operand::Name(n) => check(n, Role::Read),
        Operand::Repeated(n) | Operand::Empty(n) => check(n, Role::Written),
        Operand::Param(_) => {}
    });
}
