//! `policyc lint`: every load error, plus warnings about policies that load
//! but probably do not do what their author meant. docs/lints.md documents
//! each rule under its code.
//!
//! The rules run on the files that parsed, from [`crate::Policy::analyze`],
//! which reports syntax errors, check errors (`E0xx`) and lint findings
//! (`L0xx`) together, each a [`PolicyDiagnostic`] with a span in its file.
//! Lint findings can be silenced for one line or rule with
//! `# policyc: ignore[L001]`, and their level set by [`Config`].

mod config;
mod finding;
mod host_regex;
mod ignore;
mod logic;
mod names;
mod providers;
mod reach;
mod secrets;
#[cfg(test)]
mod tests;
mod text;
mod walk;

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

pub use config::{Config, ConfigError, CONFIG_FILE};
pub use finding::{LintFinding, Related, RelatedNote};
pub use text::display_safe;

use crate::compile::Regexes;
use crate::source::{PolicyDiagnostic, SourceFile};
use crate::syntax::ast;
use crate::syntax::Span;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Not reported.
    Allow,
    /// Reported for information; never fails `policyc lint` (e.g. that an
    /// analysis was cut short by its budget).
    Note,
    /// Reported; fails `policyc lint` only with `--deny-warnings`.
    Warn,
    /// Reported; always fails `policyc lint`.
    Error,
}

impl Level {
    /// How miette shows a finding of this level (`Allow` is never shown).
    pub fn severity(self) -> miette::Severity {
        match self {
            Level::Error => miette::Severity::Error,
            Level::Note => miette::Severity::Advice,
            Level::Warn | Level::Allow => miette::Severity::Warning,
        }
    }

    /// `allow`, `warn` or `error`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Note => "note",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// A lint rule: its stable code and name, default level and summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LintRule {
    /// Stable code, e.g. `L001` (an anchor in docs/lints.md).
    pub code: &'static str,
    /// Stable kebab-case name, e.g. `unanchored-host-regex`.
    pub name: &'static str,
    /// The level when no config changes it.
    pub default_level: Level,
    /// One line on what it finds.
    pub summary: &'static str,
}

/// `L001` `unanchored-host-regex`: a host regex without `^` and `$` also matches look-alike hosts.
pub const L001: LintRule = LintRule {
    code: "L001",
    name: "unanchored-host-regex",
    default_level: Level::Error,
    summary: "a host regex without `^` and `$` also matches look-alike hosts",
};

/// `L002` `unescaped-dot-in-host-regex`: a single `.` in a host regex matches any character, not just a dot.
pub const L002: LintRule = LintRule {
    code: "L002",
    name: "unescaped-dot-in-host-regex",
    default_level: Level::Error,
    summary: "a single `.` in a host regex matches any character, not just a dot",
};

/// `L003` `misspelt-name`: a name close to an attribute, a well-known parameter or a keyword.
pub const L003: LintRule = LintRule {
    code: "L003",
    name: "misspelt-name",
    default_level: Level::Warn,
    summary: "a name close to an attribute, a well-known parameter or a keyword",
};

/// `L004` `unreachable-rule`: a rule that can never fire.
pub const L004: LintRule = LintRule {
    code: "L004",
    name: "unreachable-rule",
    default_level: Level::Warn,
    summary: "a rule that can never fire",
};

/// `L005` `conflicting-set`: two rules set one parameter to different values under overlapping conditions.
pub const L005: LintRule = LintRule {
    code: "L005",
    name: "conflicting-set",
    default_level: Level::Warn,
    summary: "two rules set one parameter to different values under overlapping conditions",
};

/// `L006` `overlapping-providers`: two provider blocks match some of the same requests.
pub const L006: LintRule = LintRule {
    code: "L006",
    name: "overlapping-providers",
    default_level: Level::Warn,
    summary: "two provider blocks match some of the same requests",
};

/// `L007` `untested-provider`: no test case names this provider.
pub const L007: LintRule = LintRule {
    code: "L007",
    name: "untested-provider",
    default_level: Level::Warn,
    summary: "no test case names this provider",
};

/// `L008` `useless-ignore`: an ignore comment that silences nothing or names an unknown rule.
pub const L008: LintRule = LintRule {
    code: "L008",
    name: "useless-ignore",
    default_level: Level::Warn,
    summary: "an ignore comment that silences nothing or names an unknown rule",
};

/// `L009` `secret-in-reason`: a secret parameter interpolated into a `deny` reason or a `hint`.
pub const L009: LintRule = LintRule {
    code: "L009",
    name: "secret-in-reason",
    default_level: Level::Error,
    summary: "a secret parameter interpolated into a `deny` reason or a `hint`",
};

/// `L010` `bare-cr`: a carriage return without a line feed, which hides text on a terminal.
pub const L010: LintRule = LintRule {
    code: "L010",
    name: "bare-cr",
    default_level: Level::Error,
    summary: "a carriage return without a line feed, which hides text on a terminal",
};

/// `L011` `bidi-control`: a bidirectional control character, which reorders displayed text.
pub const L011: LintRule = LintRule {
    code: "L011",
    name: "bidi-control",
    default_level: Level::Error,
    summary: "a bidirectional control character, which reorders displayed text (Trojan Source)",
};

/// Every lint rule, in code order.
pub const RULES: &[LintRule] = &[
    L001, L002, L003, L004, L005, L006, L007, L008, L009, L010, L011,
];

/// The rule with this code (`L001`, `policy::L001`) or name.
pub fn rule(code_or_name: &str) -> Option<&'static LintRule> {
    let key = code_or_name.trim().trim_start_matches("policy::");
    RULES
        .iter()
        .find(|r| r.code.eq_ignore_ascii_case(key) || r.name == key)
}

/// The code or name of the rule closest to a misspelt one (`L07`, `untested`).
pub(crate) fn closest_rule(word: &str) -> Option<&'static str> {
    let lower: Vec<(String, &'static str)> = RULES
        .iter()
        .flat_map(|r| {
            [
                (r.code.to_ascii_lowercase(), r.code),
                (r.name.to_string(), r.name),
            ]
        })
        .collect();
    let hit = crate::suggest::closest(word, lower.iter().map(|(l, _)| l.as_str()))?;
    lower.iter().find(|(l, _)| l == hit).map(|(_, orig)| *orig)
}

/// What the lint rules need besides the files.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    /// Names of providers some test case exercises; `None` skips `L007`.
    pub tested: Option<HashSet<String>>,
    /// Level overrides.
    pub config: Config,
}

/// A lint finding before levels and ignore comments are applied.
#[derive(Debug, Clone)]
pub(crate) struct Raw {
    pub rule: &'static LintRule,
    pub file: usize,
    pub span: Span,
    pub message: String,
    pub label: Option<String>,
    pub related: Vec<Related>,
    pub help: Option<String>,
}

impl Raw {
    pub(crate) fn new(
        rule: &'static LintRule,
        file: usize,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        Self {
            rule,
            file,
            span,
            message: message.into(),
            label: None,
            related: Vec::new(),
            help: None,
        }
    }

    pub(crate) fn label(mut self, text: impl Into<String>) -> Self {
        self.label = Some(text.into());
        self
    }

    pub(crate) fn help(mut self, text: impl Into<String>) -> Self {
        self.help = Some(text.into());
        self
    }

    pub(crate) fn related(mut self, file: usize, span: Span, message: impl Into<String>) -> Self {
        self.related.push(Related {
            file,
            span,
            message: message.into(),
        });
        self
    }
}

/// Lints parsed files (`trees`: each file's index in `files` and its AST)
/// as one policy: provider names and overlaps are compared across all of
/// them. Conditions are reasoned about with `regexes`, the loader's (so
/// each pattern is built once per analysis). Returns the findings at their
/// configured levels, unsorted.
pub(crate) fn run(
    files: &[SourceFile],
    trees: &[(usize, &ast::File)],
    opts: &Options,
    regexes: &mut Regexes,
) -> Vec<PolicyDiagnostic> {
    let logic = logic::Logic::new(regexes);
    let mut raw = Vec::new();
    for &(file, tree) in trees {
        let src = files.get(file).map_or("", |f| f.text.as_ref());
        host_regex::lint(file, src, tree, &mut raw);
        names::lint(file, src, tree, &mut raw);
        secrets::lint(file, tree, &mut raw);
    }
    let mut over_budget = Vec::new();
    reach::lint(files, trees, &logic, &mut raw, &mut over_budget);
    providers::lint(
        trees,
        opts.tested.as_ref(),
        &logic,
        &mut raw,
        &mut over_budget,
    );
    over_budget.sort_unstable_by_key(|(f, s)| (*f, s.start));

    // L010/L011 are about text a reviewer cannot see, which can include an
    // ignore comment: only the config can change them.
    let mut hidden = Vec::new();
    for (file, f) in files.iter().enumerate() {
        text::lint(file, &f.text, &mut hidden);
    }
    let mut out = Vec::new();
    for r in ignore::apply(files, trees, raw).into_iter().chain(hidden) {
        let level = opts.config.level(r.rule);
        if level == Level::Allow {
            continue;
        }
        out.push(LintFinding {
            rule: Some(r.rule),
            level,
            file: r.file,
            span: r.span,
            message: r.message,
            label: r.label,
            related: r.related,
            help: r.help,
            notes: Vec::new(),
        });
    }
    if let Some(&(file, span)) = over_budget.first() {
        out.push(budget_note(file, span, over_budget.len()));
    }
    out.into_iter()
        .filter_map(|f| {
            let source = files.get(f.file)?;
            Some(PolicyDiagnostic::new(f.with_notes(files), source))
        })
        .collect()
}

/// The code (after `policy::`) of the note saying the reasoning of
/// `L004`/`L005`/`L006` was cut short.
pub const BUDGET_NOTE: &str = "lint::budget";

/// One note for every rule (`L004`, `L005`) or provider (`L006`) whose
/// comparisons were cut short by their budget, at the first of them.
fn budget_note(file: usize, span: Span, rules: usize) -> LintFinding {
    LintFinding {
        rule: None,
        level: Level::Note,
        file,
        span,
        message: format!(
            "{rules} rule{} or provider{} {} compared with only part of the others: `L004`, `L005` and `L006` may miss findings there",
            if rules == 1 { "" } else { "s" },
            if rules == 1 { "" } else { "s" },
            if rules == 1 { "was" } else { "were" },
        ),
        label: Some("analysis budget ran out here first".into()),
        related: Vec::new(),
        help: Some("each rule gets a fixed reasoning budget so lint stays fast on large policies; very long sections or very large conditions use it up".into()),
        notes: Vec::new(),
    }
}
