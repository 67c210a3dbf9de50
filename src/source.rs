//! Source files and diagnostics located in them.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode};
use serde::Serialize;

use crate::check::lint::{Level, LintFinding, LintRule, Related};
use crate::check::CheckError;
use crate::syntax::{LineCol, LineIndex, Span, SyntaxError};

/// One loaded policy file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Its name as shown in diagnostics (a path, or `builtin/NAME` for the embedded library).
    pub name: Arc<str>,
    /// Its text.
    pub text: Arc<str>,
    /// The layer it was loaded in: 0 for the base (the shipped library or
    /// `--policies`), 1… for each overlay in order.
    pub layer: usize,
    /// Its position among the files loaded together (set by the loader).
    index: usize,
    lines: Arc<LineIndex>,
}

impl SourceFile {
    /// Wraps a file's name and text.
    pub fn new(name: impl Into<Arc<str>>, text: impl Into<Arc<str>>) -> Self {
        let text = text.into();
        let lines = Arc::new(LineIndex::new(&text));
        Self {
            name: name.into(),
            text,
            layer: 0,
            index: 0,
            lines,
        }
    }

    /// Its position among the files of the policy or analysis it was
    /// loaded in (0 for a file not loaded yet).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The same file at position `index` of a load.
    pub(crate) fn at_index(mut self, index: usize) -> Self {
        self.index = index;
        self
    }

    /// The same file, loaded in overlay layer `layer`.
    pub fn in_layer(mut self, layer: usize) -> Self {
        self.layer = layer;
        self
    }

    /// The line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> LineCol {
        self.lines.line_col(&self.text, offset)
    }

    /// A location (file, line, column) for a span's start.
    pub fn location(&self, span: Span) -> Location {
        let lc = self.line_col(span.start);
        Location {
            file: self.name.clone(),
            line: lc.line,
            column: lc.column,
        }
    }

    /// The text as a miette source named after the file.
    pub fn named_source(&self) -> NamedSource<IndexedText> {
        NamedSource::new(
            self.name.as_ref(),
            IndexedText {
                text: self.text.clone(),
                lines: self.lines.clone(),
            },
        )
    }
}

/// A file's text with its line index, as a miette source. miette reads a
/// plain `str` from its start to find a span's lines; with thousands of
/// findings in one large file that is quadratic. This hands miette only the
/// lines around the span, found through the index.
#[derive(Debug, Clone)]
pub struct IndexedText {
    text: Arc<str>,
    lines: Arc<LineIndex>,
}

impl IndexedText {
    /// Indexes `text` (for a text that is not a loaded file's, e.g. one
    /// made safe to print).
    pub fn new(text: impl Into<Arc<str>>) -> Self {
        let text = text.into();
        let lines = Arc::new(LineIndex::new(&text));
        Self { text, lines }
    }
}

impl SourceCode for IndexedText {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let (start, len) = (span.offset(), span.len());
        let end = start.saturating_add(len);
        if end > self.text.len() {
            return Err(miette::MietteError::OutOfBounds);
        }
        // A margin of lines beyond the context: miette takes what it needs
        // from the window, counting context as it does on the whole text.
        let first = self.lines.line_of(start).saturating_sub(before + 2);
        let last = self.lines.line_of(end) + after + 2;
        let from = self.lines.line_start(first).unwrap_or(0);
        let to = self
            .lines
            .line_start(last + 1)
            .unwrap_or(self.text.len())
            .max(end);
        let window = self
            .text
            .get(from..to)
            .ok_or(miette::MietteError::OutOfBounds)?;
        let local = miette::SourceSpan::new((start - from).into(), len);
        let inner = window.read_span(&local, before, after)?;
        let shifted =
            miette::SourceSpan::new((inner.span().offset() + from).into(), inner.span().len());
        Ok(Box::new(miette::MietteSpanContents::new(
            inner.data(),
            shifted,
            inner.line() + first,
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// Where a rule or an error was written: `file:line:column`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct Location {
    /// The file's name.
    pub file: Arc<str>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// What went wrong, before or after parsing.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
pub enum ErrorKind {
    /// The file did not parse.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Syntax(#[from] SyntaxError),
    /// The file parsed but is not a valid policy.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Check(#[from] CheckError),
    /// An `extend` block or a rule name is wrong.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Overlay(#[from] crate::check::OverlayError),
    /// The policy loads, but a lint rule found something (`L0xx`).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Lint(#[from] LintFinding),
}

/// A problem in a policy file, together with that file, so it renders with
/// the offending text underlined: a load error (syntax, check, compile:
/// always [`Level::Error`]) or a lint finding at its configured level. One
/// model for both, so every front end reports them alike.
#[derive(Debug, Clone)]
pub struct PolicyDiagnostic {
    /// What went wrong.
    pub error: ErrorKind,
    src: NamedSource<IndexedText>,
    file: SourceFile,
}

impl PolicyDiagnostic {
    /// Attaches `error` to the file it was found in.
    pub fn new(error: impl Into<ErrorKind>, file: &SourceFile) -> Self {
        Self {
            error: error.into(),
            src: file.named_source(),
            file: file.clone(),
        }
    }

    /// The stable code, e.g. `policy::E013`, `policy::L001`.
    pub fn code_str(&self) -> String {
        self.error.code().map(|c| c.to_string()).unwrap_or_default()
    }

    /// How much it matters: `Error` for every load error, the configured
    /// level for a lint finding.
    pub fn level(&self) -> Level {
        match &self.error {
            ErrorKind::Lint(f) => f.level(),
            _ => Level::Error,
        }
    }

    /// Whether it keeps the policy from loading (a syntax, check or compile
    /// error; lint findings never do, whatever their level).
    pub fn is_load_error(&self) -> bool {
        !matches!(self.error, ErrorKind::Lint(_))
    }

    /// The lint rule that found it, for a lint finding.
    pub fn rule(&self) -> Option<&'static LintRule> {
        match &self.error {
            ErrorKind::Lint(f) => f.rule(),
            _ => None,
        }
    }

    /// The index of its file among the files loaded or analysed together.
    pub fn file_index(&self) -> usize {
        self.file.index()
    }

    /// The primary span and its label (an empty span at the file's start
    /// when the error has no label, e.g. a file too large to read).
    pub fn primary(&self) -> (Span, Option<String>) {
        self.error
            .labels()
            .and_then(|mut labels| labels.next())
            .map_or((Span::default(), None), |l| {
                (
                    Span::new(l.offset(), l.offset() + l.len()),
                    l.label().map(str::to_string),
                )
            })
    }

    /// The other places involved: a lint finding's related places (in any
    /// file), or a load error's secondary labels (in its own file).
    pub fn related_places(&self) -> Vec<Related> {
        if let ErrorKind::Lint(f) = &self.error {
            return f.related_places().to_vec();
        }
        self.error
            .labels()
            .map(|labels| {
                labels
                    .skip(1)
                    .map(|l| Related {
                        file: self.file_index(),
                        span: Span::new(l.offset(), l.offset() + l.len()),
                        message: l.label().unwrap_or_default().to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Where the primary label starts (or the file's start when there is none).
    pub fn location(&self) -> Location {
        self.file.location(self.primary().0)
    }

    /// The help text, if any.
    pub fn help_str(&self) -> Option<String> {
        self.error.help().map(|h| h.to_string())
    }

    /// The file the error is in (for a file that is not UTF-8, its text
    /// with the bad bytes replaced, so spans still point into it).
    pub fn file(&self) -> &SourceFile {
        &self.file
    }
}

impl fmt::Display for PolicyDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for PolicyDiagnostic {}

impl Diagnostic for PolicyDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.error.code()
    }
    fn severity(&self) -> Option<Severity> {
        Some(self.level().severity())
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.error.help()
    }
    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.error.url()
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.src)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.error.labels()
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        self.error.related()
    }
}
