//! `policyc lint`: load errors and lint findings, for people and for CI.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use oauth_policy::lint::{self, Config, Level, CONFIG_FILE};
use oauth_policy::{is_policy_file, read_sources, AnalyzeOptions, LoadError, Policy, SourceFile};
use serde_json::json;

use crate::common::EXIT_ERROR;
use report::{entry_json, github, human, sarif, Entry};

mod report;

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
    /// An overlay directory linted on top of PATHS (or, without PATHS, of
    /// the embedded library): its `extend` blocks are checked against the
    /// providers below it. Repeatable, applied in order.
    #[arg(long = "overlay", value_name = "DIR")]
    overlays: Vec<PathBuf>,
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
    let paths = &crate::common::paths_or_cwd(paths)[..];
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
                    // The diagnostic's own file: its spans point into it.
                    for d in diagnostics {
                        out.bad_files.push((d.file().clone(), d));
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

/// Runs the subcommand: exit 0 when clean, 1 on errors, 2 on warnings with
/// `--deny-warnings`.
pub fn run(args: Args) -> ExitCode {
    let on_builtin = args.paths.is_empty() && !args.overlays.is_empty();
    let mut inputs = if on_builtin {
        Inputs {
            files: oauth_policy::Policy::builtin().files().to_vec(),
            dirs: Vec::new(),
            errors: Vec::new(),
            bad_files: Vec::new(),
        }
    } else {
        self::inputs(&args.paths)
    };
    for (i, dir) in args.overlays.iter().enumerate() {
        let layer = self::inputs(std::slice::from_ref(dir));
        inputs
            .files
            .extend(layer.files.into_iter().map(|f| f.in_layer(i + 1)));
        inputs.dirs.extend(layer.dirs);
        inputs.errors.extend(layer.errors);
        inputs.bad_files.extend(layer.bad_files);
    }
    if !inputs.errors.is_empty() {
        // Paths that cannot be read stop the run; JSON asked, JSON given.
        let format = match args.format {
            LintFormat::Json => crate::common::Format::Json,
            _ => crate::common::Format::Human,
        };
        return crate::common::report_load_errors(format, std::mem::take(&mut inputs.errors));
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
    if on_builtin {
        // The shipped library is tested by its own cases (policies/tests).
        tested.extend(
            oauth_policy::Policy::builtin()
                .providers()
                .map(str::to_string),
        );
    }
    for dir in &inputs.dirs {
        for path in case_files(dir) {
            match crate::common::read_cases(&path) {
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
    // Files that could not be read as text come first: their errors are
    // the diagnostics of reading, not of the analysis.
    for (i, (file, d)) in inputs.bad_files.iter().enumerate() {
        files.push(file.clone());
        entries.push(Entry::from_diagnostic(d, bad_start + i, &files));
    }
    let good = files.get(..bad_start).unwrap_or(&[]).to_vec();
    let opts = AnalyzeOptions::default()
        .with_tested(tested)
        .with_config(config);
    let analysis = Policy::analyze(good, &opts);
    entries.extend(
        analysis
            .diagnostics
            .iter()
            .map(|d| Entry::from_diagnostic(d, d.file_index(), &files)),
    );
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
        let text = crate::common::read_text(&path).map_err(|e| lint::ConfigError {
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
