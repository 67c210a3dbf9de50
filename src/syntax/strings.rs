//! String literals: escapes and `${name}` interpolation.

use super::ast::{Part, Spanned};
use super::error::SyntaxError;
use super::span::Span;

/// Decodes the inside of a `"…"` literal that starts at byte `base` of the file.
///
/// `\"`, `\\`, `\n`, `\t` and `\$` are escapes; a backslash before any other
/// character is kept as written, so regexes such as `"v2\.0"` read naturally.
/// `${name}` interpolates a parameter or attribute.
pub fn decode(inner: &str, base: usize) -> Result<Vec<Part>, SyntaxError> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut chars = inner.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, '"')) => text.push('"'),
                Some((_, '\\')) => text.push('\\'),
                Some((_, 'n')) => text.push('\n'),
                Some((_, 't')) => text.push('\t'),
                Some((_, '$')) => text.push('$'),
                Some((_, other)) => {
                    text.push('\\');
                    text.push(other);
                }
                None => text.push('\\'),
            },
            '$' if chars.peek().map(|&(_, n)| n) == Some('{') => {
                let rest = inner.get(i + 2..).unwrap_or("");
                let close = rest.find('}');
                let name = close.map(|end| rest.get(..end).unwrap_or(""));
                let end = close.map_or(inner.len(), |end| i + 2 + end + 1);
                let span = Span::new(base + i, base + end);
                let Some(name) = name.filter(|n| is_name(n)) else {
                    return Err(SyntaxError::BadInterpolation { span: span.into() });
                };
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                parts.push(Part::Var(Spanned::new(name.to_string(), span)));
                while chars.peek().is_some_and(|&(j, _)| j < end) {
                    chars.next();
                }
            }
            other => text.push(other),
        }
    }
    if !text.is_empty() || parts.is_empty() {
        parts.push(Part::Text(text));
    }
    Ok(parts)
}

/// Whether `s` is a valid name (the grammar's `ident`, keywords included).
pub fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(parts: &[Part]) -> String {
        parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.clone(),
                Part::Var(v) => format!("<{}>", v.node),
            })
            .collect()
    }

    #[test]
    fn escapes_and_kept_backslashes() {
        let parts = decode(r#"a\"b\\c\$d\.e\n"#, 0).unwrap();
        assert_eq!(text(&parts), "a\"b\\c$d\\.e\n");
    }

    #[test]
    fn interpolation_with_spans() {
        let parts = decode("${resource}/.default", 10).unwrap();
        assert_eq!(text(&parts), "<resource>/.default");
        let Part::Var(v) = &parts[0] else { panic!() };
        assert_eq!(v.span, Span::new(10, 21));
    }

    #[test]
    fn bad_interpolation() {
        assert!(decode("${", 0).is_err());
        assert!(decode("${}", 0).is_err());
        assert!(decode("${a b}", 0).is_err());
        assert_eq!(text(&decode("$x ${a}", 0).unwrap()), "$x <a>");
    }
}
