//! Errors in a file that parsed: unknown names, bad regexes, duplicates.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

/// A policy that parsed but cannot be loaded.
#[derive(Debug, Clone, Error, Diagnostic, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckError {
    /// A section name that is not `authorize`, `token` or `callback`.
    #[error("unknown section `{name}`")]
    #[diagnostic(code(policy::E010))]
    UnknownSection {
        /// The name as written.
        name: String,
        /// Where.
        #[label("not a section")]
        span: SourceSpan,
        /// "did you mean" or the list of sections.
        #[help]
        help: String,
    },
    /// The same section twice in one block.
    #[error("section `{name}` appears twice in this block")]
    #[diagnostic(
        code(policy::E011),
        help("merge the two sections: rules run in the order written")
    )]
    DuplicateSection {
        /// The section's name.
        name: String,
        /// The second one.
        #[label("second `{name}` section")]
        span: SourceSpan,
        /// The first one.
        #[label("first one here")]
        first: SourceSpan,
    },
    /// Two provider blocks with one name.
    #[error("provider `{name}` is defined twice")]
    #[diagnostic(code(policy::E012))]
    DuplicateProvider {
        /// The name.
        name: String,
        /// The later definition.
        #[label("defined again here")]
        span: SourceSpan,
        /// Where the first one is.
        #[help]
        help: String,
    },
    /// A regex that does not compile.
    #[error("invalid regular expression")]
    #[diagnostic(code(policy::E013))]
    InvalidRegex {
        /// The literal.
        #[label("{message}")]
        span: SourceSpan,
        /// The regex engine's complaint, first line.
        message: String,
        /// How to fix it.
        #[help]
        help: String,
    },
    /// A `classify` category outside the fixed list.
    #[error("unknown category `{name}`")]
    #[diagnostic(code(policy::E014))]
    UnknownCategory {
        /// The name as written.
        name: String,
        /// Where.
        #[label("not a category")]
        span: SourceSpan,
        /// "did you mean" or the list.
        #[help]
        help: String,
    },
    /// An action in a section that cannot use it (e.g. `drop` in `callback`).
    #[error("`{action}` cannot be used in {place}")]
    #[diagnostic(code(policy::E015))]
    MisplacedAction {
        /// The action's keyword.
        action: String,
        /// Where it was found, in words.
        place: String,
        /// Where.
        #[label("not allowed here")]
        span: SourceSpan,
        /// What is allowed instead.
        #[help]
        help: String,
    },
    // E016 (interpolation where fixed text is required) is refused by the
    // parser: see `SyntaxError::InterpolationNotAllowed`.
    /// `kind == "…"` with a value that is not a request kind.
    #[error("`{value}` is not a request kind")]
    #[diagnostic(code(policy::E017))]
    UnknownKind {
        /// The value as written.
        value: String,
        /// Where.
        #[label("never equal to `kind`")]
        span: SourceSpan,
        /// "did you mean" or the list.
        #[help]
        help: String,
    },
    /// `add`/`remove` with a fixed item that is not exactly one list item.
    #[error("`{action}` takes one list item, but this is {what}")]
    #[diagnostic(
        code(policy::E018),
        help("lists are split on spaces and commas: write one `{action}` rule per item")
    )]
    NotOneItem {
        /// `add` or `remove`.
        action: &'static str,
        /// `empty`, `several items`.
        what: &'static str,
        /// The value.
        #[label("not one item")]
        span: SourceSpan,
    },
    /// One regex whose compiled form is over the per-pattern limit.
    #[error("this regular expression is too large to compile")]
    #[diagnostic(
        code(policy::E030),
        help("compiled, it would exceed {limit} KiB; large repetitions of classes (`\\w{{1,100}}`, `.{{500}}`) are the usual cause: use an ASCII class such as `[a-z0-9_]`, `+` instead of a counted repetition, or a shorter pattern")
    )]
    RegexTooLarge {
        /// The literal.
        #[label("over the size limit")]
        span: SourceSpan,
        /// The limit in KiB.
        limit: usize,
    },
    /// The policy's regexes together are over the policy's regex budget.
    #[error("the policy's regular expressions exceed the budget ({limit} MiB compiled, {patterns} distinct patterns)")]
    #[diagnostic(code(policy::E031))]
    RegexBudget {
        /// The largest pattern seen.
        #[label("the largest pattern: {size} KiB compiled")]
        span: SourceSpan,
        /// Its compiled size in KiB.
        size: usize,
        /// The budget in MiB.
        limit: usize,
        /// The most distinct patterns.
        patterns: usize,
        /// Where the budget ran out, and what to do.
        #[help]
        help: String,
    },
}
