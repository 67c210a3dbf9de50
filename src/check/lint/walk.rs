//! The rule lists several lint rules share: each request kind's rules in
//! evaluation order (a generic walk is `crate::syntax::visit`).

use crate::syntax::ast::{self, Cond, File, Item};
use crate::vocab::Kind;

/// A rule and the file it is in.
#[derive(Debug, Clone, Copy)]
pub(super) struct RuleRef<'a> {
    pub file: usize,
    pub rule: &'a ast::Rule,
}

/// The rules one request kind runs in one place, in evaluation order.
#[derive(Debug, Clone)]
pub(super) struct RuleList<'a> {
    pub kind: Kind,
    /// The provider block (with its file), or `None` for global rules.
    pub provider: Option<(usize, &'a ast::Provider)>,
    pub rules: Vec<RuleRef<'a>>,
}

/// Every rule list: one per provider section, and one global list per kind
/// (top-level sections and bare rules of every file, in load order).
pub(super) fn rule_lists<'a>(trees: &[(usize, &'a File)]) -> Vec<RuleList<'a>> {
    let mut global: Vec<RuleList<'a>> = Kind::ALL
        .iter()
        .map(|&kind| RuleList {
            kind,
            provider: None,
            rules: Vec::new(),
        })
        .collect();
    let mut out = Vec::new();
    for &(file, tree) in trees {
        for item in &tree.items {
            match item {
                Item::Provider(p) => {
                    for s in &p.sections {
                        let Some(kind) = Kind::from_name(&s.name.node) else {
                            continue;
                        };
                        out.push(RuleList {
                            kind,
                            provider: Some((file, p)),
                            rules: s.rules.iter().map(|rule| RuleRef { file, rule }).collect(),
                        });
                    }
                }
                Item::Section(s) => {
                    let Some(kind) = Kind::from_name(&s.name.node) else {
                        continue;
                    };
                    if let Some(list) = global.iter_mut().find(|l| l.kind == kind) {
                        list.rules
                            .extend(s.rules.iter().map(|rule| RuleRef { file, rule }));
                    }
                }
                Item::Rule(rule) => {
                    for list in &mut global {
                        if list.kind != Kind::Callback {
                            list.rules.push(RuleRef { file, rule });
                        }
                    }
                }
                // An extension's rules run after the provider's own; the
                // lints that compare rules within a list see them alone.
                Item::Extend(e) => {
                    for s in &e.sections {
                        let Some(kind) = Kind::from_name(&s.name.node) else {
                            continue;
                        };
                        out.push(RuleList {
                            kind,
                            provider: None,
                            rules: s.rules.iter().map(|rule| RuleRef { file, rule }).collect(),
                        });
                    }
                }
            }
        }
    }
    out.extend(global.into_iter().filter(|l| !l.rules.is_empty()));
    out
}

/// The rule's condition as one conjunction: `when` and `if` together.
pub(super) fn rule_conds(r: &ast::Rule) -> Vec<&Cond> {
    r.when.iter().chain(r.guard.iter()).collect()
}
