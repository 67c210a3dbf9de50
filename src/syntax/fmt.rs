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

use super::SyntaxError;

pub use lex::{lex, lex_parsed, Comment, Lexed, Token};
pub use print::WIDTH;

/// Formats one file's text. Fails only when the text does not parse.
pub fn format(text: &str) -> Result<String, SyntaxError> {
    let file = super::parse(text)?;
    let lexed = lex_parsed(text);
    Ok(print::Printer::new(text, &lexed).file(&file))
}
