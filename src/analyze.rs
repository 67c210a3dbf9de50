//! One pipeline for loading and linting: [`Policy::analyze`] parses, checks
//! and compiles the files as a load does, runs the lint rules on what
//! parsed, and returns the policy (when it loads) with every diagnostic,
//! load errors and lint findings alike.

use std::collections::HashSet;

use crate::check::{self, lint};
use crate::compile::{self, Program, RegexLimits, Regexes};
use crate::source::{PolicyDiagnostic, SourceFile};
use crate::syntax::{self, ast};
use crate::Policy;

/// What [`Policy::analyze`] needs besides the files.
///
/// ```
/// use oauth_policy::{AnalyzeOptions, lint::Config};
/// let opts = AnalyzeOptions::default().with_config(Config::default());
/// # let _ = opts;
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct AnalyzeOptions {
    /// Names of providers some test case exercises; `None` skips `L007`.
    pub tested: Option<HashSet<String>>,
    /// Lint levels.
    pub config: lint::Config,
    /// The layers' names, base first (shown in [`Policy::layers`]); a layer
    /// without a name here is called `sources` (the base) or `overlay N`.
    pub layers: Vec<String>,
}

impl AnalyzeOptions {
    /// These lint levels.
    pub fn with_config(mut self, config: lint::Config) -> Self {
        self.config = config;
        self
    }

    /// These providers count as tested (`L007` reports the others).
    pub fn with_tested(mut self, tested: impl IntoIterator<Item = String>) -> Self {
        self.tested = Some(tested.into_iter().collect());
        self
    }

    /// These layer names, base first.
    pub fn with_layers(mut self, layers: impl IntoIterator<Item = String>) -> Self {
        self.layers = layers.into_iter().collect();
        self
    }
}

/// What [`Policy::analyze`] found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Analysis {
    /// The policy, when it loads (no load error; lint findings of any level
    /// do not stop it).
    pub policy: Option<Policy>,
    /// Every diagnostic: load errors and lint findings sorted by file,
    /// position and code, then the errors only compiling finds (regexes over
    /// the size limits, `E030`/`E031`), which come only when the rest loads.
    pub diagnostics: Vec<PolicyDiagnostic>,
}

impl Analysis {
    /// How many diagnostics have this level.
    pub fn count(&self, level: lint::Level) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.level() == level)
            .count()
    }
}

impl Policy {
    /// Loads and lints `sources` as one policy, reporting everything found
    /// in one list (what `policyc lint` prints). Files are numbered in the
    /// order given ([`PolicyDiagnostic::file_index`]); `SourceFile::layer`
    /// says which layer each belongs to.
    ///
    /// ```
    /// use oauth_policy::{AnalyzeOptions, Policy, SourceFile, lint::Level};
    /// let text = r#"provider "p" { match host ~ "login.example.com" }"#;
    /// let analysis = Policy::analyze(vec![SourceFile::new("p.policy", text)], &AnalyzeOptions::default());
    /// assert!(analysis.policy.is_some());
    /// let codes: Vec<String> = analysis.diagnostics.iter().map(|d| d.code_str()).collect();
    /// assert!(codes.contains(&"policy::L001".to_string()));
    /// assert_eq!(analysis.diagnostics[0].level(), Level::Error);
    /// ```
    pub fn analyze(sources: Vec<SourceFile>, opts: &AnalyzeOptions) -> Analysis {
        let files = index(sources);
        let (parsed, mut diagnostics) = front(&files);
        // One regex table for the load and the lint rules: each pattern is
        // built once, and the rules reuse what compiling built.
        let mut regexes = Regexes::new(RegexLimits::default());
        let compiled = diagnostics
            .is_empty()
            .then(|| compile::compile_in(&parsed, &mut regexes));
        let trees: Vec<(usize, &ast::File)> = parsed.iter().map(|(f, a)| (f.index(), a)).collect();
        let lint_opts = lint::Options {
            tested: opts.tested.clone(),
            config: opts.config.clone(),
        };
        diagnostics.extend(lint::run(&files, &trees, &lint_opts, &mut regexes));
        diagnostics.sort_by_cached_key(|d| (d.file_index(), d.primary().0.start, short_code(d)));
        let layers = files.iter().map(|f| f.layer + 1).max().unwrap_or(1);
        let names = (0..layers)
            .map(|i| match opts.layers.get(i) {
                Some(name) => name.clone(),
                None if i == 0 => "sources".to_string(),
                None => format!("overlay {i}"),
            })
            .collect();
        let policy = match compiled {
            Some(Ok(program)) => Some(Policy::build(program, files, names)),
            Some(Err(errors)) => {
                diagnostics.extend(errors);
                None
            }
            None => None,
        };
        Analysis {
            policy,
            diagnostics,
        }
    }
}

/// The code without its `policy::` prefix: `E013`, `L001`, `lint::budget`
/// (the order findings are sorted in at one position).
fn short_code(d: &PolicyDiagnostic) -> String {
    let code = d.code_str();
    code.strip_prefix("policy::").unwrap_or(&code).to_string()
}

/// The files numbered in load order.
pub(crate) fn index(files: Vec<SourceFile>) -> Vec<SourceFile> {
    files
        .into_iter()
        .enumerate()
        .map(|(i, f)| f.at_index(i))
        .collect()
}

/// Parses and checks every file: the files that parsed with their ASTs,
/// and every syntax and check error.
pub(crate) fn front(files: &[SourceFile]) -> (Vec<(SourceFile, ast::File)>, Vec<PolicyDiagnostic>) {
    let mut parsed = Vec::with_capacity(files.len());
    let mut diagnostics = Vec::new();
    for file in files {
        match syntax::parse(&file.text) {
            Ok(ast) => parsed.push((file.clone(), ast)),
            Err(e) => diagnostics.push(PolicyDiagnostic::new(e, file)),
        }
    }
    diagnostics.extend(check::check(&parsed));
    (parsed, diagnostics)
}

/// Loads indexed files: the program, or every load error.
pub(crate) fn load(files: &[SourceFile]) -> Result<Program, Vec<PolicyDiagnostic>> {
    let (parsed, diagnostics) = front(files);
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    compile::compile(&parsed)
}
