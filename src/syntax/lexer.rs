//! The one tokenizer of the language, shared by the nesting check that runs
//! before pest, the formatter and ignore comments.
//!
//! It reads strings, raw strings and comments exactly as
//! `grammar/policy.pest` does, so no text can look like a string to one
//! reader and like code to another (which is how a nesting limit gets
//! bypassed). The one context-dependent token is the raw string: `r#"…"#` is
//! a raw string only where the grammar expects a value (after `=`, a
//! comparison operator, `contains`, `add`, `remove`, `deny`, `hint`, or in
//! an `in [..]` list); anywhere else `r` is a name and `#` starts a comment, as in the
//! grammar. A prefix the grammar accepts is therefore always tokenized the
//! way pest reads it; text after a point where pest fails may differ, but
//! pest never gets past that point.
//!
//! Tokenizing never fails: an unterminated string runs to the end of the
//! text (pest reports it).

use super::span::Span;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A name or keyword (`drop`, `client_id`, `v2.0`).
    Word,
    /// Digits.
    Number,
    /// A `"…"` string.
    String,
    /// A `r#"…"#` raw string.
    RawString,
    /// An operator (`==`, `!=`, `!~`, `~`, `=`) or punctuation mark; any other
    /// character the grammar does not know is one of these too.
    Punct,
}

/// One token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tok {
    /// What it is.
    pub kind: TokenKind,
    /// Where it is.
    pub span: Span,
}

/// The tokens and comment spans of a text, in source order.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    /// Every token.
    pub tokens: Vec<Tok>,
    /// Every `#` comment: from the `#` up to (not including) the line feed.
    pub comments: Vec<Span>,
}

/// The grammar's `WHITESPACE`.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{FEFF}')
}

/// The grammar's `ident_char`.
fn is_word_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.')
}

/// Words after which the grammar reads a value.
const VALUE_AFTER: &[&str] = &[
    "=", "==", "!=", "~", "!~", "add", "remove", "deny", "hint", "contains",
];

/// Splits `text` into tokens and comments.
pub fn tokenize(text: &str) -> Tokens {
    let bytes = text.as_bytes();
    let mut out = Tokens::default();
    // Inside `in [ … ]`, where `[` and `,` are followed by values.
    let mut value_list = false;
    let mut i = 0;
    while let Some(c) = text.get(i..).and_then(|r| r.chars().next()) {
        if is_space(c) {
            i += c.len_utf8();
            continue;
        }
        let prev = out
            .tokens
            .last()
            .map(|t| text.get(t.span.start..t.span.end).unwrap_or(""));
        let value_pos = prev
            .is_some_and(|p| VALUE_AFTER.contains(&p) || (value_list && (p == "[" || p == ",")));
        let (kind, end) = match c {
            '#' => {
                let end = text
                    .get(i..)
                    .and_then(|r| r.find('\n'))
                    .map_or(text.len(), |n| i + n);
                out.comments.push(Span::new(i, end));
                i = end;
                continue;
            }
            '"' => (TokenKind::String, string_end(bytes, i + 1)),
            'r' if value_pos && raw_start(bytes, i + 1).is_some() => {
                let hashes = raw_start(bytes, i + 1).unwrap_or(0);
                (TokenKind::RawString, raw_end(bytes, i + 2 + hashes, hashes))
            }
            c if c.is_ascii_digit() => {
                let end = run(bytes, i, u8::is_ascii_digit);
                // `12ab` is not a number to the grammar; keep it one token.
                if bytes.get(end).copied().is_some_and(is_word_char) {
                    (TokenKind::Word, run(bytes, i, |b| is_word_char(*b)))
                } else {
                    (TokenKind::Number, end)
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                (TokenKind::Word, run(bytes, i, |b| is_word_char(*b)))
            }
            '=' | '!' if bytes.get(i + 1) == Some(&b'=') => (TokenKind::Punct, i + 2),
            '!' if bytes.get(i + 1) == Some(&b'~') => (TokenKind::Punct, i + 2),
            c => (TokenKind::Punct, i + c.len_utf8()),
        };
        let span = Span::new(i, end);
        if kind == TokenKind::Punct {
            match text.get(i..end) {
                Some("[") => value_list = prev == Some("in"),
                Some("]") => value_list = false,
                _ => {}
            }
        }
        out.tokens.push(Tok { kind, span });
        i = end;
    }
    out
}

/// The end of a run of bytes from `start` satisfying `f`.
fn run(bytes: &[u8], start: usize, f: impl Fn(&u8) -> bool) -> usize {
    start
        + bytes
            .get(start..)
            .map_or(0, |r| r.iter().take_while(|b| f(b)).count())
}

/// Just past the `"` closing a string whose text starts at `i` (escapes
/// skip any one character), or the end of the text.
fn string_end(bytes: &[u8], mut i: usize) -> usize {
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => return i + 1,
            // The escaped character may be multi-byte; its continuation
            // bytes are never `"` or `\`, so stepping one byte is enough.
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// After an `r` at `i - 1`: the number of `#` before a `"`, if a raw string
/// starts here.
fn raw_start(bytes: &[u8], i: usize) -> Option<usize> {
    let hashes = run(bytes, i, |b| *b == b'#') - i;
    (bytes.get(i + hashes) == Some(&b'"')).then_some(hashes)
}

/// Just past the `"` + `hashes` × `#` closing a raw string whose text starts
/// at `i`, or the end of the text.
fn raw_end(bytes: &[u8], mut i: usize, hashes: usize) -> usize {
    while let Some(&b) = bytes.get(i) {
        if b == b'"' && run(bytes, i + 1, |b| *b == b'#') - (i + 1) >= hashes {
            return i + 1 + hashes;
        }
        i += 1;
    }
    bytes.len()
}

/// The deepest nesting of `(` and `[` in a token stream, and the bracket
/// that first reached a depth over `limit`, if any.
pub fn too_deep(text: &str, tokens: &[Tok], limit: usize) -> Option<Span> {
    let mut depth = 0usize;
    for t in tokens.iter().filter(|t| t.kind == TokenKind::Punct) {
        match text.get(t.span.start..t.span.end) {
            Some("(" | "[") => {
                depth += 1;
                if depth > limit {
                    return Some(t.span);
                }
            }
            Some(")" | "]") => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(src: &str) -> Vec<(&str, TokenKind)> {
        tokenize(src)
            .tokens
            .iter()
            .map(|t| (&src[t.span.start..t.span.end], t.kind))
            .collect()
    }

    #[test]
    fn strings_and_raw_strings_as_the_grammar_reads_them() {
        use TokenKind::*;
        assert_eq!(
            words(r##"set a = r"\" deny "a\"(" if b == r#"x"(#"#"##),
            [
                ("set", Word),
                ("a", Word),
                ("=", Punct),
                (r#"r"\""#, RawString),
                ("deny", Word),
                (r#""a\"(""#, String),
                ("if", Word),
                ("b", Word),
                ("==", Punct),
                (r##"r#"x"(#"#"##, RawString),
            ]
        );
    }

    #[test]
    fn r_is_a_name_outside_values() {
        // `drop r` then a comment: the bracket on the next line is code.
        let src = "drop r#\"\ndrop x if (a)";
        let t = tokenize(src);
        assert_eq!(t.comments, [Span::new(6, 8)]);
        assert!(words(src).contains(&("(", TokenKind::Punct)));
        // In an `in` list a raw string may follow `[` and `,`; in `except` not.
        assert_eq!(words("a in [r\"x\", r\"(\"]").len(), 7);
        assert_eq!(words("drop empty except [r]").len(), 6);
    }

    #[test]
    fn depth() {
        let src = "deny r#\"x\"# if ((a))";
        let t = tokenize(src);
        assert_eq!(too_deep(src, &t.tokens, 2), None);
        assert_eq!(too_deep(src, &t.tokens, 1), Some(Span::new(16, 17)));
        let src = "set a = r\"\\\" deny \"x\" if ((a))";
        assert!(too_deep(src, &tokenize(src).tokens, 1).is_some());
    }
}
