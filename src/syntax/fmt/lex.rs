//! The tokens and comments of a file that parsed, with byte positions.
//!
//! The grammar's `COMMENT` rule is silent, so the AST has no comments. They
//! are recovered from the shared tokenizer (`crate::syntax::lexer`), which
//! reads strings, raw strings and comments exactly as the grammar does, so a
//! `#` inside a string is never taken for a comment.

use crate::syntax::error::SyntaxError;
use crate::syntax::lexer::tokenize;
use crate::syntax::Span;

/// One token: a word, a string, a number, an operator or a punctuation mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Where it is.
    pub span: Span,
}

/// A `# …` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// From the `#` to the end of the line, without the line break.
    pub span: Span,
    /// The text from `#` on, trailing whitespace removed.
    pub text: String,
    /// Whether code precedes it on its line (`drop x  # why`).
    pub trailing: bool,
    /// Whether a blank line separates it from what comes before.
    pub blank_before: bool,
}

/// The tokens and comments of one file, in source order.
#[derive(Debug, Clone, Default)]
pub struct Lexed {
    /// Every token.
    pub tokens: Vec<Token>,
    /// Every comment.
    pub comments: Vec<Comment>,
}

/// Splits a file that parses into tokens and comments.
pub fn lex(text: &str) -> Result<Lexed, SyntaxError> {
    // `parse` bounds the nesting and words errors the project's way; only
    // text it accepts is split.
    crate::syntax::parse(text)?;
    Ok(lex_parsed(text))
}

/// [`lex`] without parsing first: any text is split (the tokenizer never
/// fails), but only text that parses has tokens the printer can use.
pub fn lex_parsed(text: &str) -> Lexed {
    let raw = tokenize(text);
    Lexed {
        tokens: raw.tokens.iter().map(|t| Token { span: t.span }).collect(),
        comments: raw
            .comments
            .iter()
            .map(|&span| {
                let body = text.get(span.start..span.end).unwrap_or("#");
                Comment {
                    span,
                    text: body.trim_end().to_string(),
                    trailing: is_trailing(text, span.start),
                    blank_before: blank_before(text, span.start),
                }
            })
            .collect(),
    }
}

/// Whether code precedes offset `at` on its line (a `#` earlier on the line
/// would have made this text part of that comment, so any non-blank
/// character before `at` on the line is code).
fn is_trailing(text: &str, at: usize) -> bool {
    let before = text.get(..at).unwrap_or("");
    let line = before.rsplit('\n').next().unwrap_or("");
    line.chars().any(|c| !c.is_whitespace() && c != '\u{FEFF}')
}

/// Whether a blank line lies between offset `at` and the last non-blank
/// character before it.
pub fn blank_before(text: &str, at: usize) -> bool {
    let before = text.get(..at).unwrap_or("");
    let trimmed = before.trim_end_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    if trimmed.is_empty() {
        return false;
    }
    before
        .get(trimmed.len()..)
        .is_some_and(|ws| ws.matches('\n').count() >= 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> (Vec<&str>, Vec<(String, bool, bool)>) {
        let l = lex(src).unwrap();
        let toks = l
            .tokens
            .iter()
            .map(|t| &src[t.span.start..t.span.end])
            .collect();
        let comments = l
            .comments
            .into_iter()
            .map(|c| (c.text, c.trailing, c.blank_before))
            .collect();
        (toks, comments)
    }

    #[test]
    fn comments_are_not_taken_from_strings() {
        let src = "# head\n\nprovider \"a#b\" { # open\n  match host == r#\"x#\"# # tail\n}\n";
        let (toks, comments) = texts(src);
        assert_eq!(
            toks,
            [
                "provider",
                "\"a#b\"",
                "{",
                "match",
                "host",
                "==",
                "r#\"x#\"#",
                "}"
            ]
        );
        assert_eq!(
            comments,
            [
                ("# head".to_string(), false, false),
                ("# open".to_string(), true, false),
                ("# tail".to_string(), true, false),
            ]
        );
    }

    #[test]
    fn blank_lines_before_comments() {
        let src = "drop a\n\n# one\n# two\ndrop b\n";
        let (_, comments) = texts(src);
        assert_eq!(comments[0], ("# one".to_string(), false, true));
        assert_eq!(comments[1], ("# two".to_string(), false, false));
    }
}
