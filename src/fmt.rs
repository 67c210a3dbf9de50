//! The canonical layout of a policy file (what `policyc fmt` writes), every
//! comment kept: two-space indentation, one space between tokens, lines
//! broken at [`WIDTH`] columns. Only layout changes: the formatted file
//! means the same as the original.

pub use crate::syntax::fmt::WIDTH;
use crate::syntax::SyntaxError;

/// Formats one file's text; fails only when the text does not parse.
///
/// ```
/// let out = oauth_policy::fmt::format("drop   x   if y # why\n")?;
/// assert_eq!(out, "drop x if y # why\n");
/// # Ok::<(), oauth_policy::SyntaxError>(())
/// ```
pub fn format(text: &str) -> Result<String, SyntaxError> {
    crate::syntax::fmt::format(text)
}
