//! How `policyc lint` shows what it found: miette for people, JSON, SARIF
//! 2.1.0 for code scanning, GitHub workflow annotations.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode};
use oauth_policy::lint::{display_safe, Level, RelatedNote, RULES};
use oauth_policy::{IndexedText, PolicyDiagnostic, SourceFile, Span};
use serde_json::{json, Value};

/// One reported problem, ready for any output format.
pub(super) struct Entry {
    code: String,
    name: Option<&'static str>,
    pub(super) level: Level,
    message: String,
    label: Option<String>,
    help: Option<String>,
    /// File, span and text (when the problem is in a policy file).
    at: Option<(SourceFile, Span)>,
    /// A path and line/column for problems outside policy files.
    path: String,
    line: usize,
    column: usize,
    end: (usize, usize),
    related: Vec<(SourceFile, Span, String)>,
}

impl Entry {
    /// A load error or lint finding; `file` is the index of its file in
    /// `files` (whose related places index the same list).
    pub(super) fn from_diagnostic(d: &PolicyDiagnostic, file: usize, files: &[SourceFile]) -> Self {
        let file = files.get(file).unwrap_or(d.file()).clone();
        let (span, label) = d.primary();
        let start = file.line_col(span.start);
        let end = file.line_col(span.end);
        let code = d.code_str();
        Entry {
            code: code.strip_prefix("policy::").unwrap_or(&code).to_string(),
            name: d.rule().map(|r| r.name),
            level: d.level(),
            message: d.to_string(),
            label,
            help: d.help_str(),
            path: file.name.to_string(),
            line: start.line,
            column: start.column,
            end: (end.line, end.column),
            related: d
                .related_places()
                .into_iter()
                .filter_map(|r| {
                    // A load error's other labels are in its own file.
                    let other = if d.is_load_error() {
                        &file
                    } else {
                        files.get(r.file)?
                    };
                    Some((other.clone(), r.span, r.message))
                })
                .collect(),
            at: Some((file, span)),
        }
    }

    /// An error located in a file that is not a policy (a case file, a config).
    pub(super) fn elsewhere(
        code: &str,
        message: String,
        path: String,
        line: usize,
        column: usize,
        help: Option<String>,
    ) -> Self {
        Entry {
            code: code.to_string(),
            name: None,
            level: Level::Error,
            message,
            label: None,
            help,
            at: None,
            path,
            line,
            column,
            end: (line, column),
            related: Vec::new(),
        }
    }
}

/// An entry as a miette diagnostic.
struct Rendered<'e> {
    entry: &'e Entry,
    src: Option<NamedSource<IndexedText>>,
    related: Vec<RelatedNote>,
}

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.entry.message)
    }
}
impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.src.is_none() {
            write!(
                f,
                "{}:{}:{}: ",
                self.entry.path, self.entry.line, self.entry.column
            )?;
        }
        write!(f, "{}", self.entry.message)
    }
}
impl std::error::Error for Rendered<'_> {}

impl Diagnostic for Rendered<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let e = self.entry;
        Some(Box::new(match (e.name, e.code.contains("::")) {
            (Some(name), _) => format!("{} ({name})", e.code),
            (None, true) => e.code.clone(),
            (None, false) => format!("policy::{}", e.code),
        }))
    }
    fn severity(&self) -> Option<Severity> {
        Some(match self.entry.level {
            Level::Error => Severity::Error,
            Level::Note => Severity::Advice,
            _ => Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.entry
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.src.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (file, span) = self.entry.at.as_ref()?;
        let primary = LabeledSpan::new_primary_with_span(self.entry.label.clone(), *span);
        let same_file = self
            .entry
            .related
            .iter()
            .filter(|(f, _, _)| f.name == file.name)
            .map(|(_, s, m)| LabeledSpan::new_with_span(Some(m.clone()), *s));
        Some(Box::new(std::iter::once(primary).chain(same_file)))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
    }
}

pub(super) fn human(entries: &[Entry], files: usize, errors: usize, warnings: usize) {
    let mut shown = Shown::default();
    for e in entries {
        let file_name = e.at.as_ref().map(|(f, _)| f.name.clone());
        let rendered = Rendered {
            entry: e,
            src: e.at.as_ref().map(|(f, _)| shown.source(f)),
            related: e
                .related
                .iter()
                .filter(|(f, _, _)| Some(&f.name) != file_name.as_ref())
                .map(|(f, s, m)| RelatedNote::new(m.clone(), shown.source(f), (*s).into()))
                .collect(),
        };
        eprint!("{}", rendered_string(&rendered));
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    eprintln!(
        "{}, {} in {}",
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(files, "file")
    );
}

/// Files as the report prints them: bare `\r`s and bidi controls made
/// visible (see `display_safe`), so an L010/L011 finding cannot hide itself.
/// Made once per file.
#[derive(Default)]
struct Shown {
    files: HashMap<Arc<str>, NamedSource<IndexedText>>,
}

impl Shown {
    fn source(&mut self, f: &SourceFile) -> NamedSource<IndexedText> {
        self.files
            .entry(f.name.clone())
            .or_insert_with(|| match display_safe(&f.text) {
                Cow::Borrowed(_) => f.named_source(),
                Cow::Owned(text) => NamedSource::new(f.name.as_ref(), IndexedText::new(text)),
            })
            .clone()
    }
}

/// Renders with the same handler the hook installs (colour or not).
fn rendered_string(d: &Rendered<'_>) -> String {
    let mut out = String::new();
    let handler = crate::report_handler();
    if handler.render_report(&mut out, d).is_err() {
        out = d.to_string();
    }
    out
}

// ---- machine formats ---------------------------------------------------------

pub(super) fn entry_json(e: &Entry) -> Value {
    json!({
        "code": e.code,
        "name": e.name,
        "severity": sarif_level(e.level),
        "message": e.message,
        "label": e.label,
        "help": e.help,
        "file": e.path,
        "line": e.line,
        "column": e.column,
        "end_line": e.end.0,
        "end_column": e.end.1,
        "related": e.related.iter().map(|(f, s, m)| {
            let a = f.line_col(s.start);
            let b = f.line_col(s.end);
            json!({
                "file": f.name.as_ref(),
                "line": a.line,
                "column": a.column,
                "end_line": b.line,
                "end_column": b.column,
                "message": m,
            })
        }).collect::<Vec<_>>(),
    })
}

fn sarif_level(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warn => "warning",
        Level::Note => "note",
        Level::Allow => "none",
    }
}

fn region(f: &SourceFile, s: Span) -> Value {
    let a = f.line_col(s.start);
    let b = f.line_col(s.end);
    json!({ "startLine": a.line, "startColumn": a.column, "endLine": b.line, "endColumn": b.column })
}

/// SARIF 2.1.0 (OASIS), the format GitHub code scanning reads.
pub(super) fn sarif(entries: &[Entry]) -> Value {
    let mut rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": { "text": r.summary },
                "help": { "text": format!("see docs/lints.md, section {} ({})", r.code, r.name) },
                "defaultConfiguration": { "level": sarif_level(r.default_level) },
            })
        })
        .collect();
    let mut ids: Vec<String> = RULES.iter().map(|r| r.code.to_string()).collect();
    for e in entries {
        if !ids.contains(&e.code) {
            ids.push(e.code.clone());
            rules.push(json!({
                "id": e.code,
                "shortDescription": { "text": "the policy does not load" },
                "defaultConfiguration": { "level": "error" },
            }));
        }
    }
    let results: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut text = e.message.clone();
            if let Some(h) = &e.help {
                text.push_str(&format!("\nhelp: {h}"));
            }
            let at = match &e.at {
                Some((f, s)) => region(f, *s),
                None => json!({ "startLine": e.line, "startColumn": e.column }),
            };
            json!({
                "ruleId": e.code,
                "ruleIndex": ids.iter().position(|i| *i == e.code),
                "level": sarif_level(e.level),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&e.path) },
                        "region": at,
                    }
                }],
                "relatedLocations": e.related.iter().enumerate().map(|(i, (f, s, m))| json!({
                    "id": i,
                    "message": { "text": m },
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&f.name) },
                        "region": region(f, *s),
                    }
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "policyc",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

/// A path as a relative URI reference (forward slashes, `./` dropped).
fn uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    p.strip_prefix("./").map(str::to_string).unwrap_or(p)
}

/// GitHub Actions workflow commands, one line per entry.
pub(super) fn github(entries: &[Entry]) {
    let data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let prop = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    for e in entries {
        let kind = if e.level == Level::Error {
            "error"
        } else {
            "warning"
        };
        let title = match e.name {
            Some(n) => format!("{} {n}", e.code),
            None => e.code.clone(),
        };
        let mut msg = e.message.clone();
        if let Some(h) = &e.help {
            msg.push_str(&format!("\nhelp: {h}"));
        }
        println!(
            "::{kind} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            prop(&uri(&e.path)),
            e.line,
            e.column,
            e.end.0,
            e.end.1,
            prop(&title),
            data(&msg)
        );
    }
}
