//! `L003` misspelt names: a parameter named like an attribute (`hots`), like
//! a well-known OAuth parameter (`scpoe`), or `drop empyt`. Any bare name
//! that is not an attribute is a parameter, so these load without error and
//! silently test or change the wrong thing.

use std::collections::HashMap;

use super::{Raw, L003};
use crate::suggest;
use crate::syntax::ast::{Action, File, Name, Operand, Spanned, Test};
use crate::syntax::visit::{walk_action, Visit};
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
    Names {
        file,
        src,
        out,
        cache: HashMap::new(),
    }
    .visit_file(tree);
}

/// Checks every name of a file, in source order.
struct Names<'s, 'o> {
    file: usize,
    src: &'s str,
    out: &'o mut Vec<Raw>,
    /// Advice by role and name (a policy repeats its names).
    cache: HashMap<String, Option<(String, String)>>,
}

impl Names<'_, '_> {
    fn check(&mut self, n: &Name, role: Role) {
        if self
            .src
            .get(n.span.start..n.span.end)
            .is_some_and(|t| t.starts_with('"'))
        {
            return; // `param("…")`: written on purpose
        }
        if role == Role::Dropped && suggest::closest(&n.node, ["empty"]).is_some() {
            self.out.push(
                Raw::new(
                    &L003,
                    self.file,
                    n.span,
                    format!("`drop {}` drops a parameter named `{}`", n.node, n.node),
                )
                .label("a parameter name")
                .help("did you mean `drop empty`?"),
            );
            return;
        }
        let advice = self
            .cache
            .entry(format!("{role:?}/{}", n.node))
            .or_insert_with(|| advice(&n.node, role));
        if let Some((message, help)) = advice {
            self.out.push(
                Raw::new(&L003, self.file, n.span, message.clone())
                    .label("read as a parameter")
                    .help(help.clone()),
            );
        }
    }
}

impl<'a> Visit<'a> for Names<'_, '_> {
    fn visit_test(&mut self, operand: &'a Operand, _test: Option<&'a Test>) {
        match operand {
            Operand::Name(n) => self.check(n, Role::Read),
            Operand::Repeated(n) | Operand::Empty(n) => self.check(n, Role::Written),
            Operand::Param(_) => {}
        }
    }

    /// The action's own names, then the `${…}` names of its values.
    fn visit_action(&mut self, a: &'a Spanned<Action>) {
        match &a.node {
            Action::Drop(p) => self.check(p, Role::Dropped),
            Action::DropEmpty(except) | Action::DenyRepeated(except) => {
                except.iter().for_each(|n| self.check(n, Role::Written))
            }
            Action::Set(p, _)
            | Action::Default(p, _)
            | Action::Add(_, p)
            | Action::Remove(_, p) => self.check(p, Role::Written),
            Action::Rename(p, q) => {
                self.check(p, Role::Written);
                self.check(q, Role::Written);
            }
            Action::Convert(p, _) | Action::Dedupe(p) => self.check(p, Role::Written),
            Action::Deny(_) | Action::Stop | Action::Classify(_) => {}
        }
        walk_action(self, a);
    }

    fn visit_var(&mut self, name: &'a Name) {
        self.check(name, Role::Read);
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
