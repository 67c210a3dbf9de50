//! The second layer: resolves names and validates a parsed policy. A policy
//! that passes `check` always compiles, except for regexes over the engine's
//! size limit, which only compiling can tell.

mod error;
pub mod lint;
mod overlay;

use std::collections::HashMap;

pub use error::CheckError;
pub use overlay::OverlayError;

use crate::source::{PolicyDiagnostic, SourceFile};
use crate::suggest;
use crate::syntax::ast::{self, Action, Literal, Operand, Test};
use crate::syntax::visit::Visit;
use crate::syntax::Span;
use crate::vocab::{Attr, Category, Kind};

/// Where a rule lives, which decides the actions it may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// A bare rule at the top of a file (authorize and token requests).
    TopLevel,
    /// A section of the given kind.
    Section(Kind),
}

/// Checks every file of a policy together (provider names are global).
/// Returns every error found, in file order.
pub fn check(files: &[(SourceFile, ast::File)]) -> Vec<PolicyDiagnostic> {
    let mut out = Vec::new();
    let mut providers: HashMap<&str, (usize, Span)> = HashMap::new();
    for (index, (source, file)) in files.iter().enumerate() {
        let mut errors = Vec::new();
        for item in &file.items {
            match item {
                ast::Item::Provider(p) => {
                    if let Some((first_file, first_span)) = providers.get(p.name.node.as_str()) {
                        let first = files
                            .get(*first_file)
                            .map(|(f, _)| f.location(*first_span).to_string())
                            .unwrap_or_default();
                        errors.push(CheckError::DuplicateProvider {
                            name: p.name.node.clone(),
                            span: p.name.span.into(),
                            help: format!(
                                "first defined at {first}; provider names must be unique across all files"
                            ),
                        });
                    } else {
                        providers.insert(&p.name.node, (index, p.name.span));
                    }
                    cond(&p.matcher, &mut errors);
                    sections(&p.sections, &mut errors);
                }
                ast::Item::Section(s) => sections(std::slice::from_ref(s), &mut errors),
                ast::Item::Rule(r) => rule(r, Place::TopLevel, &mut errors),
                ast::Item::Extend(e) => {
                    e.also.iter().for_each(|c| cond(c, &mut errors));
                    sections(&e.sections, &mut errors);
                }
            }
        }
        out.extend(errors.into_iter().map(|e| PolicyDiagnostic::new(e, source)));
    }
    out.extend(overlay::check(files));
    out
}

fn sections(list: &[ast::Section], errors: &mut Vec<CheckError>) {
    let mut seen: HashMap<Kind, Span> = HashMap::new();
    for s in list {
        let Some(kind) = Kind::from_name(&s.name.node) else {
            errors.push(CheckError::UnknownSection {
                name: s.name.node.clone(),
                span: s.name.span.into(),
                help: did_you_mean(&s.name.node, Kind::ALL.iter().map(|k| k.name())),
            });
            continue;
        };
        if let Some(first) = seen.insert(kind, s.name.span) {
            errors.push(CheckError::DuplicateSection {
                name: s.name.node.clone(),
                span: s.name.span.into(),
                first: first.into(),
            });
        }
        for r in &s.rules {
            rule(r, Place::Section(kind), errors);
        }
    }
}

fn rule(r: &ast::Rule, place: Place, errors: &mut Vec<CheckError>) {
    if let Some(c) = &r.when {
        cond(c, errors);
    }
    if let Some(c) = &r.guard {
        cond(c, errors);
    }
    if let Action::Add(v, _) | Action::Remove(v, _) = &r.action.node {
        one_item(&r.action.node, v, errors);
    }
    let is_callback = place == Place::Section(Kind::Callback);
    let action = &r.action;
    let keyword = action_keyword(&action.node);
    match (&action.node, is_callback) {
        (Action::Classify(c), true) if Category::from_name(&c.category.node).is_none() => {
            errors.push(CheckError::UnknownCategory {
                name: c.category.node.clone(),
                span: c.category.span.into(),
                help: did_you_mean(&c.category.node, Category::ALL.iter().map(|c| c.name())),
            });
        }
        (Action::Classify(_), true) => {}
        (Action::Classify(_), false) => errors.push(CheckError::MisplacedAction {
            action: keyword.into(),
            place: place_words(place),
            span: action.span.into(),
            help: "`classify` belongs in a `callback` section".into(),
        }),
        (_, true) => errors.push(CheckError::MisplacedAction {
            action: keyword.into(),
            place: place_words(place),
            span: action.span.into(),
            help: "a `callback` section only classifies: `[when COND] classify CATEGORY [retryable] [hint \"…\"]`".into(),
        }),
        _ => {}
    }
}

/// A fixed `add`/`remove` item must be one list item (interpolated ones are
/// checked on each request: see `eval::actions`).
fn one_item(action: &Action, v: &ast::Value, errors: &mut Vec<CheckError>) {
    let Some(text) = v.literal() else { return };
    let what = if text.is_empty() {
        "empty"
    } else if crate::eval::params::list_items(&text).count() > 1 {
        "several items"
    } else if text.contains([' ', ',']) {
        "an item with a separator around it"
    } else {
        return;
    };
    errors.push(CheckError::NotOneItem {
        action: action_keyword(action),
        what,
        span: v.span.into(),
    });
}

/// The keyword that starts an action, for messages.
pub fn action_keyword(action: &Action) -> &'static str {
    match action {
        Action::Drop(_) | Action::DropEmpty(_) => "drop",
        Action::Set(..) => "set",
        Action::Default(..) => "default",
        Action::Rename(..) => "rename",
        Action::Add(..) => "add",
        Action::Remove(..) => "remove",
        Action::Convert(..) => "convert",
        Action::Dedupe(_) => "dedupe",
        Action::Deny(_) | Action::DenyRepeated(_) => "deny",
        Action::Stop => "stop",
        Action::Classify(_) => "classify",
    }
}

fn place_words(place: Place) -> String {
    match place {
        Place::TopLevel => "a top-level rule".into(),
        Place::Section(kind) => format!("a `{}` section", kind.name()),
    }
}

fn cond(c: &ast::Cond, errors: &mut Vec<CheckError>) {
    /// Checks each comparison of a condition.
    struct Tests<'e>(&'e mut Vec<CheckError>);
    impl<'a> Visit<'a> for Tests<'_> {
        fn visit_test(&mut self, operand: &'a Operand, t: Option<&'a Test>) {
            let attr = match operand {
                Operand::Name(n) => Attr::from_name(&n.node),
                _ => None,
            };
            if let Some(t) = t {
                test(attr, t, self.0);
            }
        }
    }
    Tests(errors).visit_cond(c);
}

fn test(attr: Option<Attr>, t: &Test, errors: &mut Vec<CheckError>) {
    match t {
        Test::Matches(v) | Test::NotMatches(v) | Test::ContainsMatch(v) => {
            regex(&v.text, v.span, errors);
        }
        Test::Eq(v) | Test::Ne(v) | Test::Contains(v) => {
            if attr == Some(Attr::Kind) {
                kind_value(v, errors);
            }
        }
        Test::In(values) | Test::Within(values) => {
            if attr == Some(Attr::Kind) {
                values.iter().for_each(|v| kind_value(v, errors));
            }
        }
    }
}

fn kind_value(v: &Literal, errors: &mut Vec<CheckError>) {
    if Kind::from_name(&v.text).is_none() {
        errors.push(CheckError::UnknownKind {
            value: v.text.clone(),
            span: v.span.into(),
            help: did_you_mean(&v.text, Kind::ALL.iter().map(|k| k.name())),
        });
    }
}

fn regex(pattern: &str, span: Span, errors: &mut Vec<CheckError>) {
    if let Err(e) = regex_syntax::Parser::new().parse(pattern) {
        errors.push(invalid_regex(&e.to_string(), span));
    }
}

/// The E013 error for a regex the engine refused with `message`.
pub fn invalid_regex(message: &str, span: Span) -> CheckError {
    // regex-syntax messages are multi-line with their own caret drawing;
    // the last line is the reason.
    let reason = message
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(message)
        .trim()
        .trim_start_matches("error: ")
        .to_string();
    CheckError::InvalidRegex {
        span: span.into(),
        message: reason,
        help: "regexes use Rust `regex` syntax; write them as raw strings (r\"…\") to avoid double escaping".into(),
    }
}

/// "did you mean `x`?" or, failing that, the list of valid names.
fn did_you_mean<'a>(word: &str, valid: impl Iterator<Item = &'a str> + Clone) -> String {
    match suggest::closest(word, valid.clone()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!(
            "expected one of: {}",
            valid
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
