//! A lint finding as a miette diagnostic: the same model as a load error
//! (see [`crate::PolicyDiagnostic`]), with a level the config decides.

use std::fmt;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode, SourceSpan};

use super::{Level, LintRule};
use crate::source::{IndexedText, SourceFile};
use crate::syntax::Span;

/// A secondary location: another part of the same policy involved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    /// Index of the file in the sources given to [`crate::Policy::analyze`].
    pub file: usize,
    /// Where.
    pub span: Span,
    /// What it is.
    pub message: String,
}

/// What a lint rule found, at its level (allowed findings are never made).
#[derive(Debug, Clone)]
pub struct LintFinding {
    /// The rule; `None` for the note that an analysis ran out of budget.
    pub(crate) rule: Option<&'static LintRule>,
    pub(crate) level: Level,
    /// Index of the file the finding is in.
    pub(crate) file: usize,
    pub(crate) span: Span,
    pub(crate) message: String,
    pub(crate) label: Option<String>,
    pub(crate) related: Vec<Related>,
    pub(crate) help: Option<String>,
    /// The related places in other files, as notes miette can render.
    pub(crate) notes: Vec<RelatedNote>,
}

impl LintFinding {
    /// The rule that found it (`None` for the budget note).
    pub fn rule(&self) -> Option<&'static LintRule> {
        self.rule
    }

    /// The level the config gave it.
    pub fn level(&self) -> Level {
        self.level
    }

    /// Other places involved, in the order the rule gave them.
    pub fn related_places(&self) -> &[Related] {
        &self.related
    }

    /// Makes the notes for related places outside the finding's own file.
    pub(crate) fn with_notes(mut self, files: &[SourceFile]) -> Self {
        self.notes = self
            .related
            .iter()
            .filter(|r| r.file != self.file)
            .filter_map(|r| {
                let src = files.get(r.file)?.named_source();
                Some(RelatedNote::new(r.message.clone(), src, r.span.into()))
            })
            .collect();
        self
    }
}

/// `L001`… as `policy::L001`; the budget note as `policy::lint::budget`.
impl Diagnostic for LintFinding {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!(
            "policy::{}",
            self.rule.map_or(super::BUDGET_NOTE, |r| r.code)
        )))
    }
    fn severity(&self) -> Option<Severity> {
        Some(self.level.severity())
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let primary = LabeledSpan::new_primary_with_span(self.label.clone(), self.span);
        let same_file = self
            .related
            .iter()
            .filter(|r| r.file == self.file)
            .map(|r| LabeledSpan::new_with_span(Some(r.message.clone()), r.span));
        Some(Box::new(std::iter::once(primary).chain(same_file)))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.notes.is_empty() {
            return None;
        }
        Some(Box::new(self.notes.iter().map(|n| n as &dyn Diagnostic)))
    }
}

impl fmt::Display for LintFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LintFinding {}

/// A related place in another file, shown as its own note (an advice with
/// that file's text underlined).
#[derive(Debug, Clone)]
pub struct RelatedNote {
    message: String,
    src: NamedSource<IndexedText>,
    span: SourceSpan,
}

impl RelatedNote {
    /// A note saying `message` at `span` of `src`.
    pub fn new(message: String, src: NamedSource<IndexedText>, span: SourceSpan) -> Self {
        Self { message, src, span }
    }
}

impl fmt::Display for RelatedNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RelatedNote {}

impl Diagnostic for RelatedNote {
    fn severity(&self) -> Option<Severity> {
        Some(Severity::Advice)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.src)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(None, self.span),
        )))
    }
}
