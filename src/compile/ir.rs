//! The compiled form the evaluator runs: names resolved, regexes built.

use regex::Regex;

use crate::source::Location;
use crate::syntax::Span;
use crate::vocab::{Attr, Category};

/// What a condition reads.
#[derive(Debug, Clone)]
pub enum Subject {
    /// A request attribute.
    Attr(Attr),
    /// The first non-removed occurrence of a parameter.
    Param(String),
}

/// A compiled condition.
#[derive(Debug, Clone)]
pub enum Cond {
    /// Every part holds.
    And(Vec<Cond>),
    /// Some part holds.
    Or(Vec<Cond>),
    /// The part does not hold.
    Not(Box<Cond>),
    /// The subject is present (a parameter: with a non-empty value).
    Present(Subject),
    /// The parameter occurs more than once.
    Repeated(String),
    /// The parameter occurs with an empty value.
    Empty(String),
    /// A test on the subject's value; false when the subject is absent.
    Test(Subject, Check),
}

/// A test on one value.
#[derive(Debug, Clone)]
pub enum Check {
    /// Equal to the text (case-insensitive for `host`).
    Eq(String),
    /// The regex finds a match.
    Matches(Regex),
    /// Equal to one of the texts.
    In(Vec<String>),
    /// Every list item (space/comma separated) is one of the texts.
    Within(Vec<String>),
    /// One list item (space/comma separated) equals the text.
    Contains(String),
    /// One list item matches the regex.
    ContainsMatch(Regex),
}

/// A string with `${…}` holes.
#[derive(Debug, Clone)]
pub struct Template {
    /// The pieces in order.
    pub parts: Vec<Piece>,
}

/// One piece of a template.
#[derive(Debug, Clone)]
pub enum Piece {
    /// Fixed text.
    Text(String),
    /// The value of an attribute or parameter.
    Var(Subject),
}

/// The separator `convert` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sep {
    /// `,`
    Comma,
    /// ` `
    Space,
}

impl Sep {
    /// The separator character.
    pub fn as_str(self) -> &'static str {
        match self {
            Sep::Comma => ",",
            Sep::Space => " ",
        }
    }
}

/// A compiled action.
#[derive(Debug, Clone)]
pub enum Action {
    /// Remove every occurrence.
    Drop(String),
    /// Remove every parameter with an empty value, except these.
    DropEmpty(Vec<String>),
    /// Replace (or append) the value.
    Set(String, Template),
    /// Append only when absent.
    Default(String, Template),
    /// Rename every occurrence, unless the new name is taken.
    Rename(String, String),
    /// Append one list item when missing.
    Add(Template, String),
    /// Remove one list item.
    Remove(Template, String),
    /// Rewrite the list separator.
    Convert(String, Sep),
    /// Remove repeated list items and identical repeated occurrences.
    Dedupe(String),
    /// Refuse the request.
    Deny(Template),
    /// Refuse a request in which a parameter repeats, except these.
    DenyRepeated(Vec<String>),
    /// Stop rewriting.
    Stop,
    /// Decide a callback's category.
    Classify {
        /// The category.
        category: Category,
        /// An explicit retryable flag, or the category's default.
        retryable: Option<bool>,
        /// A hint for operators.
        hint: Option<Template>,
    },
}

impl Action {
    /// The action's keyword, as reported in changes.
    pub fn keyword(&self) -> &'static str {
        match self {
            Action::Drop(_) => "drop",
            Action::DropEmpty(_) => "drop_empty",
            Action::Set(..) => "set",
            Action::Default(..) => "default",
            Action::Rename(..) => "rename",
            Action::Add(..) => "add",
            Action::Remove(..) => "remove",
            Action::Convert(..) => "convert",
            Action::Dedupe(_) => "dedupe",
            Action::Deny(_) => "deny",
            Action::DenyRepeated(_) => "deny_repeated",
            Action::Stop => "stop",
            Action::Classify { .. } => "classify",
        }
    }
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Stable id: `PROVIDER/SECTION/NAME` for a named rule, else
    /// `PROVIDER/SECTION#N` (N from 1); `global` for rules outside providers.
    pub id: crate::RuleId,
    /// The rule's name (`NAME:`), if it has one.
    pub name: Option<String>,
    /// Whether the rule runs: an `optional` rule starts off, and an overlay's
    /// `enable`/`disable` switches it.
    pub enabled: bool,
    /// The `enable`/`disable` that last switched this rule, if any.
    pub switched_at: Option<Location>,
    /// `when` and `if` joined; `None` means always.
    pub cond: Option<Cond>,
    /// What it does.
    pub action: Action,
    /// Where it was written.
    pub location: Location,
    /// Its text in the policy's files (what `policyc explain` shows).
    pub text: TextRef,
}

/// Rules per request kind, in order.
#[derive(Debug, Clone, Default)]
pub struct Sections {
    /// Rules for authorize URLs.
    pub authorize: Vec<Rule>,
    /// Rules for token bodies.
    pub token: Vec<Rule>,
    /// Rules for callbacks.
    pub callback: Vec<Rule>,
}

impl Sections {
    /// The rules for `kind`.
    pub fn get(&self, kind: crate::vocab::Kind) -> &[Rule] {
        match kind {
            crate::vocab::Kind::Authorize => &self.authorize,
            crate::vocab::Kind::Token => &self.token,
            crate::vocab::Kind::Callback => &self.callback,
        }
    }

    /// The rules for `kind`, to append to.
    pub fn get_mut(&mut self, kind: crate::vocab::Kind) -> &mut Vec<Rule> {
        match kind {
            crate::vocab::Kind::Authorize => &mut self.authorize,
            crate::vocab::Kind::Token => &mut self.token,
            crate::vocab::Kind::Callback => &mut self.callback,
        }
    }
}

/// One `match` (or an overlay's `also match`) of a provider.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// The condition, tested on the request as received.
    pub cond: Cond,
    /// Where it is written.
    pub location: Location,
    /// The condition's text in the policy's files.
    pub text: TextRef,
}

/// Where a rule's or condition's text is: the index of its file among the
/// policy's files, and its span there. The IR keeps this rather than the
/// text, which is read (and tidied) only when a tool asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TextRef {
    /// Index into [`crate::Policy::files`].
    pub file: usize,
    /// Byte span in that file.
    pub span: Span,
}

/// A compiled provider block.
#[derive(Debug, Clone)]
pub struct Provider {
    /// Its name.
    pub name: String,
    /// The same name, shared: what an [`crate::Outcome`] and a verdict
    /// hold, so naming the provider costs a reference count, not a copy.
    pub shared_name: std::sync::Arc<str>,
    /// Its own `match` first, then each `also match` in load order: the
    /// provider applies when any of them holds.
    pub matchers: Vec<Matcher>,
    /// Its rules.
    pub sections: Sections,
    /// Where the block starts.
    pub location: Location,
}
