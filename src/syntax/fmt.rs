//! The canonical layout of a policy file (`policyc fmt`), every comment kept.
//!
//! The AST has no comments (the grammar's `COMMENT` rule is silent), so they
//! are recovered from the text by [`lex()`] and put back by position while the
//! AST is printed: comments on their own lines stay before the item they
//! preceded, comments at the end of a line stay at the end of that line.
//! Words and literals are printed exactly as written; only layout changes:
//! two-space indentation, one space between tokens, one blank line at most
//! (always one between blocks), lines broken at [`WIDTH`] columns,
//! redundant parentheses, `not not` pairs and trailing commas dropped, and an
//! `and` inside an `or` always parenthesised.

mod doc;
pub mod lex;
mod print;
#[cfg(test)]
mod tests;

use super::ast::{
    Action, Classify, Cond, CondKind, File, Item, Operand, Part, Provider, Rule, Section, Test,
    Value,
};
use super::{Span, SyntaxError};

pub use lex::{lex, lex_parsed, Comment, Lexed, Token};
pub use print::WIDTH;

/// Formats one file's text. Fails only when the text does not parse.
pub fn format(text: &str) -> Result<String, SyntaxError> {
    let file = super::parse(text)?;
    let lexed = lex_parsed(text);
    Ok(print::Printer::new(text, &lexed).file(&file))
}

/// A copy of `file` with every span set to zero: two files with equal
/// erased ASTs mean the same thing, whatever their layout.
pub fn without_spans(file: &File) -> File {
    let mut f = file.clone();
    for item in &mut f.items {
        match item {
            Item::Provider(p) => erase_provider(p),
            Item::Section(s) => erase_section(s),
            Item::Rule(r) => erase_rule(r),
            Item::Extend(e) => {
                e.span = Span::default();
                e.provider.span = Span::default();
                e.also.iter_mut().for_each(erase_cond);
                for s in &mut e.switches {
                    s.span = Span::default();
                    s.name.span = Span::default();
                }
                e.sections.iter_mut().for_each(erase_section);
            }
        }
    }
    f
}

fn erase_provider(p: &mut Provider) {
    p.span = Span::default();
    p.name.span = Span::default();
    erase_cond(&mut p.matcher);
    p.sections.iter_mut().for_each(erase_section);
}

fn erase_section(s: &mut Section) {
    s.span = Span::default();
    s.name.span = Span::default();
    s.rules.iter_mut().for_each(erase_rule);
}

fn erase_rule(r: &mut Rule) {
    r.span = Span::default();
    if let Some(n) = &mut r.name {
        n.span = Span::default();
    }
    r.action.span = Span::default();
    if let Some(c) = &mut r.when {
        erase_cond(c);
    }
    if let Some(c) = &mut r.guard {
        erase_cond(c);
    }
    match &mut r.action.node {
        Action::Drop(n) | Action::Dedupe(n) | Action::Convert(n, _) => n.span = Span::default(),
        Action::DropEmpty(ns) | Action::DenyRepeated(ns) => {
            ns.iter_mut().for_each(|n| n.span = Span::default())
        }
        Action::Set(n, v) | Action::Default(n, v) | Action::Add(v, n) | Action::Remove(v, n) => {
            n.span = Span::default();
            erase_value(v);
        }
        Action::Rename(a, b) => {
            a.span = Span::default();
            b.span = Span::default();
        }
        Action::Deny(v) => erase_value(v),
        Action::Stop => {}
        Action::Classify(Classify {
            category,
            retryable,
            hint,
        }) => {
            category.span = Span::default();
            if let Some(r) = retryable {
                r.span = Span::default();
            }
            if let Some(h) = hint {
                erase_value(h);
            }
        }
    }
}

fn erase_value(v: &mut Value) {
    v.span = Span::default();
    for part in &mut v.parts {
        if let Part::Var(n) = part {
            n.span = Span::default();
        }
    }
}

fn erase_cond(c: &mut Cond) {
    c.span = Span::default();
    match &mut c.node {
        CondKind::Or(parts) | CondKind::And(parts) => parts.iter_mut().for_each(erase_cond),
        CondKind::Not(inner) => erase_cond(inner),
        CondKind::Test(operand, test) => {
            match operand {
                Operand::Name(n) | Operand::Param(n) | Operand::Repeated(n) | Operand::Empty(n) => {
                    n.span = Span::default()
                }
            }
            match test {
                Some(Test::Eq(v))
                | Some(Test::Ne(v))
                | Some(Test::Matches(v))
                | Some(Test::NotMatches(v))
                | Some(Test::Contains(v))
                | Some(Test::ContainsMatch(v)) => v.span = Span::default(),
                Some(Test::In(vs)) | Some(Test::Within(vs)) => {
                    vs.iter_mut().for_each(|v| v.span = Span::default())
                }
                None => {}
            }
        }
    }
}
