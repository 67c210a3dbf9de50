//! `L009` a secret parameter interpolated into a `deny` reason or a `hint`:
//! reasons and hints go to callers, logs and dashboards.

use super::{Raw, L009};
use crate::syntax::ast::{Action, File, Spanned, Value};
use crate::syntax::visit::Visit;

pub(super) fn lint(file: usize, tree: &File, out: &mut Vec<Raw>) {
    Secrets { file, out }.visit_file(tree);
}

/// Checks every `deny` reason and `hint` of a file.
struct Secrets<'o> {
    file: usize,
    out: &'o mut Vec<Raw>,
}

impl<'a> Visit<'a> for Secrets<'_> {
    fn visit_action(&mut self, a: &'a Spanned<Action>) {
        action(self.file, &a.node, self.out);
    }
}

fn action(file: usize, a: &Action, out: &mut Vec<Raw>) {
    let (value, what): (&Value, &str) = match a {
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
