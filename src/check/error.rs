//! Errors in a file that parsed: unknown names, bad regexes, duplicates.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

/// A policy that parsed but cannot be loaded.
#[derive(Debug, Clone, Error, Diagnostic, PartialEq, Eq)]
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
    /// `${…}` where only a fixed text is allowed (regexes, lists, names).
    #[error("interpolation is not allowed here")]
    #[diagnostic(
        code(policy::E016),
        help("regexes, `in` lists and provider names must be fixed text; compare parameters with separate conditions")
    )]
    InterpolationNotAllowed {
        /// The literal.
        #[label("this value interpolates `${{…}}`")]
        span: SourceSpan,
    },
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
}
