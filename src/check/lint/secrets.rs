//! `L009` a secret parameter interpolated into a `deny` reason or a `hint`:
//! reasons and hints go to callers, logs and dashboards.

use super::{Raw, L009};
use crate::syntax::ast::{Action, File, Item, Rule, Value};

pub(super) fn lint(file: usize, tree: &File, out: &mut Vec<Raw>) {
    for item in &tree.items {
        match item {
            Item::Provider(p) => p
                .sections
                .iter()
                .flat_map(|s| &s.rules)
                .for_each(|r| rule(file, r, out)),
            Item::Section(s) => s.rules.iter().for_each(|r| rule(file, r, out)),
            Item::Rule(r) => rule(file, r, out),
            Item::Extend(e) => e
                .sections
                .iter()
                .flat_map(|s| &s.rules)
                .for_each(|r| rule(file, r, out)),
        }
    }
}

fn rule(file: usize, r: &Rule, out: &mut Vec<Raw>) {
    let (value, what): (&Value, &str) = match &r.action.node {
        Action::Deny(v) => (v, "a `deny` reason"),
        Action::Classify(c) => match &c.hint {
            Some(h) => (h, "a `hint`"),
            None => return,
        },
        _ => return,
    };
    for var in value.vars() {
        if crate::vocab::is_secret_param(&var.node) {
            out.push(
                Raw::new(
                    &L009,
                    file,
                    var.span,
                    format!("the secret parameter `{}` is copied into {what}", var.node),
                )
                .label("secret value interpolated")
                .help(format!(
                    "reasons and hints reach callers and logs; name the parameter instead (\"bad `{}`\") or drop the interpolation",
                    var.node
                )),
            );
        }
    }
}
