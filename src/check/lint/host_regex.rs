//! `L001` unanchored host regexes and `L002` unescaped dots in them: the
//! hardening a gateway's reviewers ask for. `host ~ "login.microsoftonline.com"`
//! also matches `login.microsoftonline.com.evil.example` and
//! `loginXmicrosoftonline.com`.

use regex_syntax::ast::{self as rx, AssertionKind, Ast};

use super::{Raw, L001, L002};
use crate::syntax::ast::{File, Literal, Operand, Test};
use crate::syntax::visit::Visit;
use crate::syntax::Span;

pub(super) fn lint(file: usize, src: &str, tree: &File, out: &mut Vec<Raw>) {
    HostRegexes { file, src, out }.visit_file(tree);
}

/// Checks every `host ~ …` of a file.
struct HostRegexes<'s, 'o> {
    file: usize,
    src: &'s str,
    out: &'o mut Vec<Raw>,
}

impl<'a> Visit<'a> for HostRegexes<'_, '_> {
    fn visit_test(&mut self, operand: &'a Operand, test: Option<&'a Test>) {
        if let (Operand::Name(n), Some(Test::Matches(v))) = (operand, test) {
            if n.node == "host" {
                check(self.file, self.src, v, self.out);
            }
        }
    }
}

/// What is wrong with one host pattern.
struct Shape {
    start: bool,
    end: bool,
    /// Offsets (in the pattern) of `.`s that are not repeated.
    dots: Vec<usize>,
    /// The host the pattern spells when it is only literals and dots.
    literal: Option<String>,
    /// That host with the first lone dot replaced by `X`.
    example: Option<String>,
    alternation: bool,
}

fn shape(pattern: &str) -> Option<Shape> {
    let ast = rx::parse::Parser::new().parse(pattern).ok()?;
    let mut dots = Vec::new();
    collect_dots(&ast, false, &mut dots);
    dots.sort_unstable();
    Some(Shape {
        start: anchored(&ast, true),
        end: anchored(&ast, false),
        dots,
        literal: literal(&ast, false),
        example: literal(&ast, true),
        alternation: matches!(strip_groups(&ast), Ast::Alternation(_)),
    })
}

fn strip_groups(ast: &Ast) -> &Ast {
    match ast {
        Ast::Group(g) => strip_groups(&g.ast),
        other => other,
    }
}

/// Whether every match must start (or end) at the text's edge.
fn anchored(ast: &Ast, start: bool) -> bool {
    match ast {
        Ast::Assertion(a) => {
            if start {
                matches!(a.kind, AssertionKind::StartLine | AssertionKind::StartText)
            } else {
                matches!(a.kind, AssertionKind::EndLine | AssertionKind::EndText)
            }
        }
        Ast::Group(g) => anchored(&g.ast, start),
        Ast::Alternation(alt) => {
            !alt.asts.is_empty() && alt.asts.iter().all(|a| anchored(a, start))
        }
        Ast::Concat(c) => {
            let mut items = c
                .asts
                .iter()
                .filter(|a| !matches!(a, Ast::Flags(_) | Ast::Empty(_)));
            let edge = if start {
                items.next()
            } else {
                items.next_back()
            };
            edge.is_some_and(|a| anchored(a, start))
        }
        _ => false,
    }
}

/// `.`s outside repetitions: `.*` and `.+` are deliberate wildcards, a lone
/// `.` between labels is almost always a dot meant literally.
fn collect_dots(ast: &Ast, repeated: bool, out: &mut Vec<usize>) {
    match ast {
        Ast::Dot(span) if !repeated => out.push(span.start.offset),
        Ast::Repetition(r) => collect_dots(&r.ast, true, out),
        Ast::Group(g) => collect_dots(&g.ast, repeated, out),
        Ast::Alternation(a) => a.asts.iter().for_each(|a| collect_dots(a, repeated, out)),
        Ast::Concat(c) => c.asts.iter().for_each(|a| collect_dots(a, repeated, out)),
        _ => {}
    }
}

/// The host a pattern of only literals, unrepeated dots and anchors spells
/// (with `x_first_dot`: its first unescaped dot written `X`).
fn literal(ast: &Ast, x_first_dot: bool) -> Option<String> {
    let mut x = x_first_dot;
    let mut out = String::new();
    let items: Vec<&Ast> = match ast {
        Ast::Concat(c) => c.asts.iter().collect(),
        other => vec![other],
    };
    for item in items {
        match item {
            Ast::Literal(l) => out.push(l.c),
            Ast::Dot(_) => out.push(if std::mem::take(&mut x) { 'X' } else { '.' }),
            Ast::Assertion(_) | Ast::Flags(_) | Ast::Empty(_) => {}
            _ => return None,
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The pattern anchored and with its lone dots escaped.
fn fixed(pattern: &str, s: &Shape) -> String {
    let mut body = String::with_capacity(pattern.len() + 8);
    for (i, c) in pattern.char_indices() {
        if s.dots.contains(&i) {
            body.push('\\');
        }
        body.push(c);
    }
    match (s.start, s.end, s.alternation) {
        (false, false, true) => format!("^(?:{body})$"),
        (start, end, _) => format!(
            "{}{body}{}",
            if start { "" } else { "^" },
            if end { "" } else { "$" }
        ),
    }
}

/// Where pattern offset `at` is in the file, when the literal's text is the
/// pattern byte for byte (a raw string, or a string with no collapsing escape).
fn source_offset(src: &str, v: &Literal, pattern: &str, at: usize) -> Option<usize> {
    let text = src.get(v.span.start..v.span.end)?;
    let quote = text.find('"')?;
    let inner = text.get(quote + 1..)?;
    inner
        .starts_with(pattern)
        .then_some(v.span.start + quote + 1 + at)
}

fn check(file: usize, src: &str, v: &Literal, out: &mut Vec<Raw>) {
    let pattern = v.text.clone();
    let Some(s) = shape(&pattern) else { return };
    let suggestion = format!("host ~ r\"{}\"", fixed(&pattern, &s));
    let exact = s.literal.as_ref().map(|h| format!("host == \"{h}\""));
    if !(s.start && s.end) {
        let example = s.literal.as_ref().map(|h| {
            if !s.end {
                format!("{h}.evil.example")
            } else {
                format!("evil{h}")
            }
        });
        let missing = match (s.start, s.end) {
            (false, false) => "`^` and `$`",
            (false, true) => "`^`",
            _ => "`$`",
        };
        let label = match &example {
            Some(e) => format!("also matches `{e}`"),
            None => format!("no {missing}: matches inside longer hosts"),
        };
        let help = match &exact {
            Some(e) => format!(
                "compare exactly with `{e}` (or `host in [..]`), or anchor and escape the pattern: `{suggestion}`"
            ),
            None => format!("anchor the pattern: `{suggestion}`"),
        };
        out.push(
            Raw::new(
                &L001,
                file,
                v.span,
                format!("host regex is not anchored with {missing}"),
            )
            .label(label)
            .help(help),
        );
    }
    if let Some(&first) = s.dots.first() {
        // The label goes on the dot when the literal spells the pattern
        // byte for byte, else on the whole literal.
        let span =
            source_offset(src, v, &pattern, first).map_or(v.span, |at| Span::new(at, at + 1));
        let example = s.example.clone();
        let count = s.dots.len();
        let message = if count == 1 {
            "`.` in a host regex matches any character".to_string()
        } else {
            format!("{count} `.`s in a host regex match any character")
        };
        let help = match &exact {
            Some(e) => format!("compare exactly with `{e}`, or escape the dots: `{suggestion}`"),
            None => format!("escape the dots (`\\.`): `{suggestion}`"),
        };
        out.push(
            Raw::new(&L002, file, span, message)
                .label(match example {
                    Some(e) => format!("also matches `{e}`"),
                    None => "any character".into(),
                })
                .help(help),
        );
    }
}
