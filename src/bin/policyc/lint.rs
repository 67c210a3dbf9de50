//! `policyc lint`: load errors and lint findings, for people and for CI.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode};
use oauth_policy::check::lint::{self, Config, Finding, Level, CONFIG_FILE, RULES};
use oauth_policy::syntax::Span;
use oauth_policy::testing::CaseFile;
use oauth_policy::{is_policy_file, read_sources, LoadError, SourceFile};
use serde_json::{json, Value};

use crate::common::EXIT_ERROR;

/// Exit code when only warnings were found and `--deny-warnings` is given.
const EXIT_WARNINGS: u8 = 2;

/// Output formats of `policyc lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum LintFormat {
    /// Rendered diagnostics with the source underlined (stderr).
    #[default]
    Human,
    /// One JSON document (stdout).
    Json,
    /// SARIF 2.1.0, for code scanning (stdout).
    Sarif,
    /// GitHub Actions workflow commands: `::error file=…,line=…::…` (stdout).
    Github,
}

/// Arguments of `policyc lint`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy files or directories, linted together as one policy (default: `.`).
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: LintFormat,
    /// Exit with 2 when there are warnings but no errors.
    #[arg(long)]
    deny_warnings: bool,
    /// Lint levels (default: `.policyc.json` in each policy directory).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// The policy files behind some paths, the directories they live in, and
/// the errors met reading them.
pub struct Inputs {
    /// Files read, in order (directories expand to their `*.policy` files).
    pub files: Vec<SourceFile>,
    /// The directory of each path (a file's parent), deduplicated.
    pub dirs: Vec<PathBuf>,
    /// Paths that could not be read.
    pub errors: Vec<LoadError>,
    /// Files that could not be read as text (not UTF-8, too large).
    pub bad_files: Vec<(SourceFile, oauth_policy::PolicyDiagnostic)>,
}

/// Reads every `.policy` file `paths` name (`.` when empty).
pub fn inputs(paths: &[PathBuf]) -> Inputs {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut out = Inputs {
        files: Vec::new(),
        dirs: Vec::new(),
        errors: Vec::new(),
        bad_files: Vec::new(),
    };
    for path in paths {
        let (dir, list) = if path.is_dir() {
            let listed = std::fs::read_dir(path).map(|rd| {
                let mut v: Vec<PathBuf> = rd
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| is_policy_file(p))
                    // `./a.policy` reads better as `a.policy`.
                    .map(|p| p.strip_prefix(".").map(Path::to_path_buf).unwrap_or(p))
                    .collect();
                v.sort();
                v
            });
            match listed {
                Ok(v) if v.is_empty() => {
                    out.errors.push(LoadError::Empty { path: path.clone() });
                    continue;
                }
                Ok(v) => (path.clone(), v),
                Err(source) => {
                    out.errors.push(LoadError::Io {
                        path: path.clone(),
                        source,
                    });
                    continue;
                }
            }
        } else {
            let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
            (
                parent.map_or_else(|| PathBuf::from("."), Path::to_path_buf),
                vec![path.clone()],
            )
        };
        if !out.dirs.contains(&dir) {
            out.dirs.push(dir);
        }
        for file in list {
            // A file named twice (`lint policies policies/a.policy`) is read once.
            let name = file.display().to_string();
            if out.files.iter().any(|f| *f.name == *name) {
                continue;
            }
            match read_sources(&file) {
                Ok(fs) => out.files.extend(fs),
                Err(LoadError::Invalid { diagnostics }) => {
                    for d in diagnostics {
                        let name = d.location().file.to_string();
                        out.bad_files.push((SourceFile::new(name, ""), d));
                    }
                }
                Err(e) => out.errors.push(e),
            }
        }
    }
    out
}

/// The case files of a policy directory: `DIR/tests/*.json`, sorted.
pub fn case_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir.join("tests")) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json") && p.is_file())
        .map(|p| p.strip_prefix(".").map(Path::to_path_buf).unwrap_or(p))
        .collect();
    v.sort();
    v
}

/// One reported problem, ready for any output format.
struct Entry {
    code: String,
    name: Option<&'static str>,
    level: Level,
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
    fn from_finding(f: Finding, files: &[SourceFile]) -> Self {
        let file = files
            .get(f.file)
            .cloned()
            .unwrap_or_else(|| SourceFile::new("?", ""));
        let start = file.line_col(f.span.start);
        let end = file.line_col(f.span.end);
        Entry {
            code: f.code,
            name: f.name,
            level: f.level,
            message: f.message,
            label: f.label,
            help: f.help,
            path: file.name.to_string(),
            line: start.line,
            column: start.column,
            end: (end.line, end.column),
            related: f
                .related
                .into_iter()
                .filter_map(|r| Some((files.get(r.file)?.clone(), r.span, r.message)))
                .collect(),
            at: Some((file, f.span)),
        }
    }

    /// An error located in a file that is not a policy (a case file, a config).
    fn elsewhere(
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

/// Runs the subcommand: exit 0 when clean, 1 on errors, 2 on warnings with
/// `--deny-warnings`.
pub fn run(args: Args) -> ExitCode {
    let mut inputs = inputs(&args.paths);
    if !inputs.errors.is_empty() {
        for e in inputs.errors.drain(..) {
            eprintln!("{:?}", miette::Report::new(e));
        }
        return ExitCode::from(EXIT_ERROR);
    }
    let mut entries = Vec::new();
    let config = match load_config(args.config.as_deref(), &inputs.dirs) {
        Ok(c) => c,
        Err(e) => {
            entries.push(Entry::elsewhere(
                "config::E001",
                e.message.clone(),
                e.path.clone(),
                e.line,
                e.column,
                Some("the config is {\"lints\": {\"L001\": \"allow\" | \"warn\" | \"error\"}}; see docs/lints.md".into()),
            ));
            Config::default()
        }
    };
    let mut tested = HashSet::new();
    for dir in &inputs.dirs {
        for path in case_files(dir) {
            match CaseFile::read(&path) {
                Ok(cases) => {
                    tested.extend(cases.authorize.iter().map(|c| c.provider.clone()));
                    tested.extend(cases.token.iter().map(|c| c.provider.clone()));
                    tested.extend(cases.callback.iter().map(|c| c.provider.clone()));
                }
                Err(e) => {
                    let (line, column, message) = match &e {
                        oauth_policy::testing::CaseFileError::Format {
                            line,
                            column,
                            message,
                            ..
                        } => (*line, *column, message.clone()),
                        other => (1, 1, other.to_string()),
                    };
                    entries.push(Entry::elsewhere(
                        "test::E002",
                        message,
                        path.display().to_string(),
                        line,
                        column,
                        Some("case files are described in docs/testing.md".into()),
                    ));
                }
            }
        }
    }
    let mut files = inputs.files;
    let bad_start = files.len();
    let mut findings = Vec::new();
    for (i, (file, d)) in inputs.bad_files.iter().enumerate() {
        files.push(file.clone());
        findings.push(lint::from_load_error(d, bad_start + i));
    }
    let good = files.get(..bad_start).unwrap_or(&[]).to_vec();
    let opts = lint::Options {
        tested: Some(tested),
        config,
    };
    let (found, parsed) = lint::lint_with_ast(&good, &opts);
    let load_errors = found.iter().any(|f| f.name.is_none());
    findings.extend(found);
    if !load_errors {
        // Only compiling finds regexes over the engine's size limit.
        if let Err(diagnostics) = oauth_policy::compile::compile(&parsed) {
            for d in diagnostics {
                let file = good
                    .iter()
                    .position(|f| f.name == d.location().file)
                    .unwrap_or(0);
                findings.push(lint::from_load_error(&d, file));
            }
        }
    }
    entries.extend(findings.into_iter().map(|f| Entry::from_finding(f, &files)));
    let errors = entries.iter().filter(|e| e.level == Level::Error).count();
    let warnings = entries.iter().filter(|e| e.level == Level::Warn).count();
    match args.format {
        LintFormat::Human => human(&entries, files.len(), errors, warnings),
        LintFormat::Json => crate::common::print_json(&json!({
            "diagnostics": entries.iter().map(entry_json).collect::<Vec<_>>(),
            "errors": errors,
            "warnings": warnings,
        })),
        LintFormat::Sarif => crate::common::print_json(&sarif(&entries)),
        LintFormat::Github => github(&entries),
    }
    if errors > 0 {
        ExitCode::from(EXIT_ERROR)
    } else if warnings > 0 && args.deny_warnings {
        ExitCode::from(EXIT_WARNINGS)
    } else {
        ExitCode::SUCCESS
    }
}

/// `--config FILE`, or the `.policyc.json` of each policy directory merged.
fn load_config(explicit: Option<&Path>, dirs: &[PathBuf]) -> Result<Config, lint::ConfigError> {
    let paths: Vec<PathBuf> = match explicit {
        Some(p) => vec![p.to_path_buf()],
        None => dirs
            .iter()
            .map(|d| d.join(CONFIG_FILE))
            .map(|p| p.strip_prefix(".").map(Path::to_path_buf).unwrap_or(p))
            .filter(|p| p.is_file())
            .collect(),
    };
    let mut config = Config::default();
    for path in paths {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| lint::ConfigError {
            path: name.clone(),
            line: 1,
            column: 1,
            message: format!("cannot read: {e}"),
        })?;
        config.merge(&Config::parse(&name, &text)?);
    }
    Ok(config)
}

// ---- human -----------------------------------------------------------------

/// An entry as a miette diagnostic.
struct Rendered<'e> {
    entry: &'e Entry,
    src: Option<NamedSource<Arc<str>>>,
    related: Vec<RelatedNote>,
}

/// A place in another file, shown as its own note.
struct RelatedNote {
    message: String,
    src: NamedSource<Arc<str>>,
    span: Span,
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

impl fmt::Debug for RelatedNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}
impl fmt::Display for RelatedNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
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

fn human(entries: &[Entry], files: usize, errors: usize, warnings: usize) {
    for e in entries {
        let file_name = e.at.as_ref().map(|(f, _)| f.name.clone());
        let rendered = Rendered {
            entry: e,
            src: e.at.as_ref().map(|(f, _)| f.named_source()),
            related: e
                .related
                .iter()
                .filter(|(f, _, _)| Some(&f.name) != file_name.as_ref())
                .map(|(f, s, m)| RelatedNote {
                    message: m.clone(),
                    src: f.named_source(),
                    span: *s,
                })
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

fn entry_json(e: &Entry) -> Value {
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
        Level::Allow => "none",
    }
}

fn region(f: &SourceFile, s: Span) -> Value {
    let a = f.line_col(s.start);
    let b = f.line_col(s.end);
    json!({ "startLine": a.line, "startColumn": a.column, "endLine": b.line, "endColumn": b.column })
}

/// SARIF 2.1.0 (OASIS), the format GitHub code scanning reads.
fn sarif(entries: &[Entry]) -> Value {
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
fn github(entries: &[Entry]) {
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
