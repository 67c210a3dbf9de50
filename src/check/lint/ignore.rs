//! Inline ignore comments: `# policyc: ignore[L001]` (several codes or names
//! separated by commas; text after `]` is a free reason). At the end of a
//! line it silences that line; on a line of its own it silences the next
//! line, and the whole rule or `match` starting there. `L008` reports ignore
//! comments that silence nothing.

use std::collections::{HashMap, HashSet};

use super::{rule, Raw, L008};
use crate::source::SourceFile;
use crate::syntax::ast::{File, Item, Rule};
use crate::syntax::fmt::{lex_parsed, Lexed};
use crate::syntax::Span;

struct Directive {
    file: usize,
    comment: Span,
    /// Byte range silenced.
    range: (usize, usize),
    /// (as written, known code, used)
    codes: Vec<(String, Option<&'static str>, bool)>,
}

/// Drops the findings ignore comments silence, tightens spans to their last
/// token, and adds `L008` findings.
pub(super) fn apply(files: &[SourceFile], trees: &[(usize, &File)], raw: Vec<Raw>) -> Vec<Raw> {
    // Splitting a file into tokens costs a pass over it: only files with an
    // ignore comment or a finding (whose spans get tightened) need it.
    let with_findings: HashSet<usize> = raw
        .iter()
        .flat_map(|r| std::iter::once(r.file).chain(r.related.iter().map(|x| x.file)))
        .collect();
    let lexed: HashMap<usize, Lexed> = trees
        .iter()
        .filter_map(|&(i, _)| {
            let text = &files.get(i)?.text;
            (text.contains("policyc:") || with_findings.contains(&i)).then(|| (i, lex_parsed(text)))
        })
        .collect();
    let mut directives = Vec::new();
    let mut out = Vec::new();
    for &(file, tree) in trees {
        let Some(src) = files.get(file).map(|f| f.text.as_ref()) else {
            continue;
        };
        let Some(lx) = lexed.get(&file) else {
            continue;
        };
        let extents = extents(tree, lx);
        for c in &lx.comments {
            match parse(&c.text) {
                None => {}
                Some(Err(why)) => out.push(
                    Raw::new(&L008, file, c.span, why)
                        .label("not understood")
                        .help("write `# policyc: ignore[L001]` (codes or names from docs/lints.md, comma-separated)"),
                ),
                Some(Ok(codes)) => directives.push(Directive {
                    file,
                    comment: c.span,
                    range: range(src, lx, &extents, c.span, c.trailing),
                    codes: codes
                        .into_iter()
                        .map(|c| {
                            let known = rule(&c).map(|r| r.code);
                            (c, known, false)
                        })
                        .collect(),
                }),
            }
        }
    }
    let tighten =
        |file: usize, span: Span| -> Span { lexed.get(&file).map_or(span, |lx| tight(lx, span)) };
    for mut r in raw {
        let silenced = directives.iter_mut().any(|d| {
            if d.file != r.file || r.span.start < d.range.0 || r.span.start > d.range.1 {
                return false;
            }
            let mut hit = false;
            for (_, known, used) in &mut d.codes {
                if *known == Some(r.rule.code) {
                    *used = true;
                    hit = true;
                }
            }
            hit
        });
        if silenced {
            continue;
        }
        r.span = tighten(r.file, r.span);
        for rel in &mut r.related {
            rel.span = tighten(rel.file, rel.span);
        }
        out.push(r);
    }
    for d in directives {
        for (written, known, used) in d.codes {
            let raw = match known {
                None => {
                    let hint = super::closest_rule(&written).map_or_else(
                        || "codes and names are listed in docs/lints.md".to_string(),
                        |s| format!("did you mean `{s}`?"),
                    );
                    let what = if written.starts_with('E') {
                        format!("`{written}` is a load error and cannot be ignored")
                    } else {
                        format!("unknown lint `{written}` in an ignore comment")
                    };
                    Raw::new(&L008, d.file, d.comment, what)
                        .label("not a lint")
                        .help(hint)
                }
                Some(code) if !used => Raw::new(
                    &L008,
                    d.file,
                    d.comment,
                    format!("`ignore[{written}]` silences nothing"),
                )
                .label(format!("no {code} finding here"))
                .help(
                    "remove the comment, or move it onto (or just above) the line it is meant for",
                ),
                Some(_) => continue,
            };
            out.push(raw);
        }
    }
    out
}

/// The codes of a `policyc: ignore[…]` comment; `None` for other comments.
fn parse(comment: &str) -> Option<Result<Vec<String>, String>> {
    let body = comment.trim_start_matches('#').trim_start();
    let rest = body.strip_prefix("policyc:")?.trim_start();
    let Some(list) = rest.strip_prefix("ignore") else {
        return Some(Err(format!(
            "unknown directive `policyc: {}`",
            rest.split_whitespace().next().unwrap_or("")
        )));
    };
    let list = list.trim_start();
    let inner = list
        .strip_prefix('[')
        .and_then(|l| l.split_once(']'))
        .map(|(inner, _)| inner);
    let Some(inner) = inner else {
        return Some(Err(
            "an ignore comment lists the lints it silences: `ignore[L001]`".into(),
        ));
    };
    let codes: Vec<String> = inner
        .split(',')
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    if codes.is_empty() {
        return Some(Err(
            "an ignore comment lists the lints it silences: `ignore[L001]`".into(),
        ));
    }
    Some(Ok(codes))
}

/// The byte ranges of statements that may span several lines: rules and
/// `match` clauses.
fn extents(tree: &File, lx: &Lexed) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let rules = |rs: &[Rule], out: &mut Vec<(usize, usize)>| {
        for r in rs {
            out.push((r.span.start, tight(lx, r.span).end));
        }
    };
    for item in &tree.items {
        match item {
            Item::Provider(p) => {
                // `match` is the token before the condition.
                let i = lx
                    .tokens
                    .partition_point(|t| t.span.start < p.matcher.span.start);
                let start = i
                    .checked_sub(1)
                    .and_then(|i| lx.tokens.get(i))
                    .map_or(p.matcher.span.start, |t| t.span.start);
                out.push((start, tight(lx, p.matcher.span).end));
                for s in &p.sections {
                    rules(&s.rules, &mut out);
                }
            }
            Item::Section(s) => rules(&s.rules, &mut out),
            Item::Rule(r) => rules(std::slice::from_ref(r), &mut out),
            Item::Extend(e) => {
                for c in &e.also {
                    out.push((c.span.start, tight(lx, c.span).end));
                }
                for s in &e.sections {
                    rules(&s.rules, &mut out);
                }
            }
        }
    }
    out
}

/// What a directive silences.
fn range(
    src: &str,
    lx: &Lexed,
    extents: &[(usize, usize)],
    comment: Span,
    trailing: bool,
) -> (usize, usize) {
    let line_of = |at: usize| {
        let start = src
            .get(..at)
            .and_then(|b| b.rfind('\n'))
            .map_or(0, |i| i + 1);
        let end = src
            .get(at..)
            .and_then(|a| a.find('\n'))
            .map_or(src.len(), |i| at + i);
        (start, end)
    };
    if trailing {
        return line_of(comment.start);
    }
    let Some(next) = lx.tokens.iter().find(|t| t.span.start > comment.end) else {
        return (comment.start, comment.end);
    };
    let (start, mut end) = line_of(next.span.start);
    for &(s, e) in extents {
        if s >= start && s <= end {
            end = end.max(e);
        }
    }
    (start, end)
}

/// `span` ended at its last token (pest spans can include the whitespace
/// and comments after a node).
pub(super) fn tight(lx: &Lexed, span: Span) -> Span {
    let i = lx.tokens.partition_point(|t| t.span.start < span.end);
    let end = i
        .checked_sub(1)
        .and_then(|i| lx.tokens.get(i))
        .map_or(span.end, |t| t.span.end.min(span.end));
    Span::new(span.start, end.max(span.start))
}
