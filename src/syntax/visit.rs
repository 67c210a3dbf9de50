//! A visitor over the AST: one walk, in source order, that passes needing
//! only some nodes override the methods for those (the default of each
//! method visits the node's children through the `walk_*` function of the
//! same name, which an override calls to keep walking).

use super::ast::{
    Action, Cond, CondKind, Extension, File, Item, Name, Operand, Part, Provider, Rule, Section,
    Spanned, Test, Value,
};

/// Visits nodes of a file in source order; every method defaults to
/// walking the node's children.
pub trait Visit<'a> {
    /// A whole file: its items in order.
    fn visit_file(&mut self, f: &'a File) {
        walk_file(self, f);
    }
    /// A top-level item.
    fn visit_item(&mut self, i: &'a Item) {
        walk_item(self, i);
    }
    /// A provider block: its `match`, then its sections.
    fn visit_provider(&mut self, p: &'a Provider) {
        walk_provider(self, p);
    }
    /// An `extend` block: its `also match`es, then its sections.
    fn visit_extension(&mut self, e: &'a Extension) {
        walk_extension(self, e);
    }
    /// A section: its rules in order.
    fn visit_section(&mut self, s: &'a Section) {
        walk_section(self, s);
    }
    /// A rule: `when`, `if`, then the action.
    fn visit_rule(&mut self, r: &'a Rule) {
        walk_rule(self, r);
    }
    /// A condition and everything in it.
    fn visit_cond(&mut self, c: &'a Cond) {
        walk_cond(self, c);
    }
    /// One comparison (`NAME [test]`) inside a condition.
    fn visit_test(&mut self, _operand: &'a Operand, _test: Option<&'a Test>) {}
    /// An action: its values.
    fn visit_action(&mut self, a: &'a Spanned<Action>) {
        walk_action(self, a);
    }
    /// A template value: its `${…}` names.
    fn visit_value(&mut self, v: &'a Value) {
        walk_value(self, v);
    }
    /// A `${…}` name in a value.
    fn visit_var(&mut self, _name: &'a Name) {}
}

/// Visits each item.
pub fn walk_file<'a, V: Visit<'a> + ?Sized>(v: &mut V, f: &'a File) {
    f.items.iter().for_each(|i| v.visit_item(i));
}

/// Visits the item's node.
pub fn walk_item<'a, V: Visit<'a> + ?Sized>(v: &mut V, i: &'a Item) {
    match i {
        Item::Provider(p) => v.visit_provider(p),
        Item::Section(s) => v.visit_section(s),
        Item::Rule(r) => v.visit_rule(r),
        Item::Extend(e) => v.visit_extension(e),
    }
}

/// Visits the `match`, then the sections.
pub fn walk_provider<'a, V: Visit<'a> + ?Sized>(v: &mut V, p: &'a Provider) {
    v.visit_cond(&p.matcher);
    p.sections.iter().for_each(|s| v.visit_section(s));
}

/// Visits each `also match`, then the sections.
pub fn walk_extension<'a, V: Visit<'a> + ?Sized>(v: &mut V, e: &'a Extension) {
    e.also.iter().for_each(|c| v.visit_cond(c));
    e.sections.iter().for_each(|s| v.visit_section(s));
}

/// Visits each rule.
pub fn walk_section<'a, V: Visit<'a> + ?Sized>(v: &mut V, s: &'a Section) {
    s.rules.iter().for_each(|r| v.visit_rule(r));
}

/// Visits `when`, `if`, then the action.
pub fn walk_rule<'a, V: Visit<'a> + ?Sized>(v: &mut V, r: &'a Rule) {
    if let Some(c) = &r.when {
        v.visit_cond(c);
    }
    if let Some(c) = &r.guard {
        v.visit_cond(c);
    }
    v.visit_action(&r.action);
}

/// Visits the parts of `and`/`or`/`not`, and each comparison.
pub fn walk_cond<'a, V: Visit<'a> + ?Sized>(v: &mut V, c: &'a Cond) {
    match &c.node {
        CondKind::Or(parts) | CondKind::And(parts) => parts.iter().for_each(|p| v.visit_cond(p)),
        CondKind::Not(inner) => v.visit_cond(inner),
        CondKind::Test(operand, test) => v.visit_test(operand, test.as_ref()),
    }
}

/// Visits the action's template values.
pub fn walk_action<'a, V: Visit<'a> + ?Sized>(v: &mut V, a: &'a Spanned<Action>) {
    match &a.node {
        Action::Set(_, value)
        | Action::Default(_, value)
        | Action::Add(value, _)
        | Action::Remove(value, _)
        | Action::Deny(value) => v.visit_value(value),
        Action::Classify(c) => {
            if let Some(h) = &c.hint {
                v.visit_value(h);
            }
        }
        Action::Drop(_)
        | Action::DropEmpty(_)
        | Action::Rename(..)
        | Action::Convert(..)
        | Action::Dedupe(_)
        | Action::DenyRepeated(_)
        | Action::Stop => {}
    }
}

/// Visits each `${…}` name.
pub fn walk_value<'a, V: Visit<'a> + ?Sized>(v: &mut V, value: &'a Value) {
    for p in &value.parts {
        if let Part::Var(n) = p {
            v.visit_var(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    /// Records the names each kind of node shows, in visiting order.
    #[derive(Default)]
    struct Seen(Vec<String>);

    impl<'a> Visit<'a> for Seen {
        fn visit_test(&mut self, operand: &'a Operand, _: Option<&'a Test>) {
            let (Operand::Name(n) | Operand::Param(n) | Operand::Repeated(n) | Operand::Empty(n)) =
                operand;
            self.0.push(format!("test {}", n.node));
        }
        fn visit_var(&mut self, name: &'a Name) {
            self.0.push(format!("var {}", name.node));
        }
    }

    #[test]
    fn every_condition_and_value_is_visited_in_source_order() {
        let file = parse(
            "provider \"p\" {\n  match host == \"h\"\n  authorize {\n    when a set b = \"${c}\" if not (d or e)\n  }\n  callback { classify unknown_error hint \"${f}\" }\n}\nextend provider \"q\" { also match g }\ndeny \"${h}\" if repeated(i)\n",
        )
        .unwrap();
        let mut seen = Seen::default();
        seen.visit_file(&file);
        assert_eq!(
            seen.0,
            [
                "test host",
                "test a",
                "test d",
                "test e",
                "var c",
                "var f",
                "test g",
                "test i",
                "var h"
            ]
        );
    }
}
