//! The first layer: text → AST with spans. Nothing here knows what a name means.

pub mod ast;
pub mod error;
pub mod fmt;
pub mod lexer;
pub mod parse;
pub mod span;
pub mod strings;
pub mod visit;

pub use error::SyntaxError;
pub use parse::parse;
pub use span::{LineCol, LineIndex, Span};
