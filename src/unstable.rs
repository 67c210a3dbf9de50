//! Internals exposed for the project's own tests, fuzz targets and
//! benches. **Not part of the public API**: nothing here follows semver,
//! and any of it may change or go in any release. Embedders use the crate
//! root ([`crate::Policy`], [`crate::Policy::analyze`], [`crate::fmt`]).
//!
//! Sections are kept apart (one per area) so that changes to one do not
//! touch another.

// ---- syntax: the parser, the AST and the formatter's lexer -----------------

/// The parser and the AST (spans included; equality leaves them out).
pub mod syntax {
    pub use crate::syntax::ast;
    pub use crate::syntax::fmt::{lex, lex_parsed, Comment, Lexed, Token};
    pub use crate::syntax::parse;
    pub use crate::syntax::visit;
}

// ---- compile: the compiled program the evaluator runs ----------------------

/// The compiler and its IR (which holds `regex` types).
pub mod compile {
    pub use crate::compile::{
        compile, compile_with, host_index, ir, Program, RegexLimits, REGEX_MAX_PATTERNS,
        REGEX_PATTERN_LIMIT, REGEX_POLICY_LIMIT,
    };

    /// The compiled program of a policy.
    pub fn program(policy: &crate::Policy) -> &Program {
        policy.program()
    }
}
