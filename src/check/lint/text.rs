//! `L010` bare carriage returns and `L011` bidirectional control characters:
//! text that a terminal or a review tool shows differently from what the
//! parser reads. A `\r` without `\n` sends a terminal back to the start of
//! the line, so what follows it (say, in a comment) is printed over the code
//! before it; bidi overrides reorder how a line is displayed ("Trojan
//! Source", CVE-2021-42574). Both are found on the raw text, in every file,
//! whether it parses or not.

use std::borrow::Cow;

use super::{Raw, L010, L011};
use crate::syntax::Span;

/// Findings per rule and file past which the rest are not reported (a file
/// full of them needs one fix, not a million messages).
pub(super) const MAX_PER_FILE: usize = 50;

pub(super) fn lint(file: usize, src: &str, out: &mut Vec<Raw>) {
    let mut crs = 0;
    let mut bidis = 0;
    let mut chars = src.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c == '\r' {
            if chars.peek().is_some_and(|&(_, next)| next == '\n') {
                continue;
            }
            crs += 1;
            if crs <= MAX_PER_FILE {
                out.push(bare_cr(file, at));
            }
        } else if let Some(name) = bidi_name(c) {
            bidis += 1;
            if bidis <= MAX_PER_FILE {
                out.push(bidi(file, at, c, name));
            }
        }
    }
}

/// `text` as a report may print it: every bare `\r` becomes a space and
/// every bidi control `\u{FFFD}` (or `?`s), byte for byte, so spans still
/// point at the same text and the report cannot itself be overprinted or
/// reordered by the characters it reports.
pub fn display_safe(text: &str) -> Cow<'_, str> {
    let hidden = |(at, c): (usize, char)| {
        (c == '\r' && !text.get(at + 1..).is_some_and(|r| r.starts_with('\n')))
            || bidi_name(c).is_some()
    };
    if !text.char_indices().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        if !hidden((at, c)) {
            out.push(c);
        } else if c == '\r' {
            out.push(' ');
        } else if c.len_utf8() == char::REPLACEMENT_CHARACTER.len_utf8() {
            out.push(char::REPLACEMENT_CHARACTER);
        } else {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        }
    }
    Cow::Owned(out)
}

fn bare_cr(file: usize, at: usize) -> Raw {
    Raw::new(
        &L010,
        file,
        Span::new(at, at + 1),
        "a carriage return (`\\r`) not followed by a line feed",
    )
    .label("bare `\\r`")
    .help(
        "a terminal returns to the start of the line here and prints the rest over what \
         came before, so a reviewer may not see the code before it (in a comment, it can \
         hide a whole rule); delete it: lines end with `\\n` or `\\r\\n`",
    )
}

fn bidi(file: usize, at: usize, c: char, name: &str) -> Raw {
    let code = format!("U+{:04X}", u32::from(c));
    Raw::new(
        &L011,
        file,
        Span::new(at, at + c.len_utf8()),
        format!("bidirectional control character {code} ({name})"),
    )
    .label(code.clone())
    .help(format!(
        "it changes the order in which the text around it is displayed, so what a \
         reviewer reads is not what the parser reads (Trojan Source); delete it — a \
         regex that must match it can write `\\x{{{:X}}}`",
        u32::from(c)
    ))
}

/// The Unicode name of a bidirectional formatting character (Unicode
/// UAX #9: embeddings, overrides, isolates and the implicit marks).
fn bidi_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{061C}' => "ARABIC LETTER MARK",
        '\u{200E}' => "LEFT-TO-RIGHT MARK",
        '\u{200F}' => "RIGHT-TO-LEFT MARK",
        '\u{202A}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202B}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202C}' => "POP DIRECTIONAL FORMATTING",
        '\u{202D}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202E}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(src: &str) -> Vec<(&'static str, usize, usize)> {
        let mut out = Vec::new();
        lint(0, src, &mut out);
        out.iter()
            .map(|r| (r.rule.code, r.span.start, r.span.end))
            .collect()
    }

    #[test]
    fn crlf_is_fine_a_lone_cr_is_not() {
        assert!(found("drop a\r\ndrop b\r\n").is_empty());
        assert_eq!(
            found("drop a # x\rdrop b\r"),
            [("L010", 10, 11), ("L010", 17, 18)]
        );
    }

    #[test]
    fn every_bidi_control_is_found_with_its_exact_span() {
        for c in [
            '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}',
            '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
        ] {
            let src = format!("deny \"é{c}x\"\n");
            let at = "deny \"é".len();
            assert_eq!(found(&src), [("L011", at, at + c.len_utf8())], "{c:?}");
        }
        // Right-to-left text itself is fine.
        assert!(found("deny \"שלום\"\n").is_empty());
    }

    #[test]
    fn display_safe_keeps_every_offset() {
        let src = "a\r\nb\rc \u{202E}d\u{061C}e";
        let shown = display_safe(src);
        assert_eq!(shown, "a\r\nb c \u{FFFD}d??e");
        assert_eq!(shown.len(), src.len());
        assert!(matches!(display_safe("plain\r\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_file_full_of_them_gets_a_bounded_report() {
        let src = "\r ".repeat(10_000);
        assert_eq!(found(&src).len(), MAX_PER_FILE);
    }
}
