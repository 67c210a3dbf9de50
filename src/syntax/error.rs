//! Errors found while reading a file, before any name is resolved.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

/// A file that could not be parsed.
#[derive(Debug, Clone, Error, Diagnostic, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyntaxError {
    /// The text does not follow the grammar.
    #[error("expected {expected}, found {found}")]
    #[diagnostic(code(policy::E001))]
    Unexpected {
        /// What the grammar allowed here, in words.
        expected: String,
        /// What was written instead.
        found: String,
        /// Where.
        #[label("{found} is not allowed here")]
        span: SourceSpan,
        /// A suggestion, e.g. a keyword close to a misspelt one.
        #[help]
        help: Option<String>,
    },
    /// Parentheses or brackets nested deeper than the parser allows.
    #[error("nesting is deeper than {limit} levels")]
    #[diagnostic(
        code(policy::E002),
        help("split the condition into several rules or simplify it")
    )]
    TooDeep {
        /// The deepest level allowed.
        limit: usize,
        /// The bracket that went over the limit.
        #[label("this bracket is level {}", limit + 1)]
        span: SourceSpan,
    },
    /// The file is not UTF-8 (e.g. binary data).
    #[error("the file is not valid UTF-8")]
    #[diagnostic(
        code(policy::E003),
        help("policy files are UTF-8 text; is this the right file?")
    )]
    NotUtf8 {
        /// The first byte that is not UTF-8.
        #[label("invalid byte here")]
        span: SourceSpan,
    },
    /// The file is larger than the loader accepts.
    #[error("the file is {size} bytes, more than the {limit} byte limit")]
    #[diagnostic(
        code(policy::E004),
        help("split the policy into several files in one directory")
    )]
    TooLarge {
        /// The file's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A `${…}` in a string is not a name.
    #[error("`${{…}}` must hold one parameter or attribute name")]
    #[diagnostic(
        code(policy::E005),
        help("write `${{name}}`, or `\\$` for a literal dollar sign")
    )]
    BadInterpolation {
        /// The interpolation.
        #[label("not a name")]
        span: SourceSpan,
    },
    /// `${…}` where only fixed text is allowed: a comparison, a regex, an
    /// `in` list, a provider name, `param("…")`.
    #[error("interpolation is not allowed in {place}")]
    #[diagnostic(
        code(policy::E016),
        help("{place} is fixed text: `${{…}}` would not be filled in here; compare the two parameters in separate conditions, or write `\\$` for a literal dollar sign")
    )]
    InterpolationNotAllowed {
        /// Where it was written, in words (`a comparison`, `a provider name`).
        place: &'static str,
        /// The interpolation.
        #[label("`${{…}}` is not filled in here")]
        span: SourceSpan,
    },
}
