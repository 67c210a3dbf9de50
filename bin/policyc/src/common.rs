//! Pieces every subcommand shares: loading policies, output formats, exit codes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;

use crate::errors;
use oauth_policy::testing::{CaseFile, CaseFileError};
use oauth_policy::{LoadError, Policy, RequestError, MAX_FILE_BYTES};

/// Exit code for bad usage, bad input or a policy that does not load.
pub const EXIT_ERROR: u8 = 1;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// For people.
    #[default]
    Human,
    /// One JSON document on stdout.
    Json,
}

/// `--policies` and `--overlay`: where the policy of `apply`, `classify` and
/// `explain` comes from.
#[derive(Debug, clap::Args)]
pub struct PolicyArgs {
    /// A .policy file or a directory of them (default: the embedded library).
    #[arg(long, value_name = "PATH")]
    policies: Option<PathBuf>,
    /// An overlay directory (or file) layered on top, e.g. local
    /// `extend provider` blocks; repeatable, applied in order.
    #[arg(long = "overlay", value_name = "DIR")]
    overlays: Vec<PathBuf>,
}

impl PolicyArgs {
    /// Loads the base (or the embedded library) with the overlays on top.
    pub fn load(&self) -> Result<Policy, LoadError> {
        load(self.policies.as_ref(), &self.overlays)
    }
}

/// Loads `--policies PATH` (or the embedded library without it), then each
/// `--overlay DIR` on top, in order.
pub fn load(path: Option<&PathBuf>, overlays: &[PathBuf]) -> Result<Policy, LoadError> {
    let mut policy = match path {
        Some(p) => Policy::load(p)?,
        None => Policy::try_builtin()?,
    };
    for dir in overlays {
        policy = policy.with_overlay(dir)?;
    }
    Ok(policy)
}

/// Prints a load error (a JSON document on stdout, or miette diagnostics on
/// stderr) and returns the error exit code.
pub fn report_load_error(format: Format, err: LoadError) -> ExitCode {
    report_load_errors(format, vec![err])
}

/// Prints load errors, as one JSON document or one report each.
pub fn report_load_errors(format: Format, errors: Vec<LoadError>) -> ExitCode {
    match format {
        Format::Json => print_json(&errors::load_errors(&errors)),
        Format::Human => {
            for e in errors {
                eprintln!("{:?}", miette::Report::new(e));
            }
        }
    }
    ExitCode::from(EXIT_ERROR)
}

/// Prints an error of ours that is not a diagnostic (a provider that does
/// not exist, nothing to test): `error: …` and `help: …` lines, or JSON.
pub fn report_error(format: Format, code: &str, message: &str, help: Option<String>) -> ExitCode {
    match format {
        Format::Json => print_json(&errors::document(code, message, help, Vec::new())),
        Format::Human => {
            eprintln!("error: {message}");
            if let Some(help) = help {
                eprintln!("help: {help}");
            }
        }
    }
    ExitCode::from(EXIT_ERROR)
}

/// Prints a value as pretty JSON.
pub fn print_json(value: &impl serde::Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot encode the result as JSON: {e}"),
    }
}

/// Prints a request that could not be read (JSON error object or miette
/// report) and returns the error exit code.
pub fn report_input_error(format: Format, err: RequestError) -> ExitCode {
    match format {
        Format::Json => print_json(&errors::from_diagnostic(&err)),
        Format::Human => eprintln!("{:?}", miette::Report::new(err)),
    }
    ExitCode::from(EXIT_ERROR)
}

/// The paths given, or the current directory when none were.
pub fn paths_or_cwd(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    }
}

/// Reads a text file other than a policy (a case file, a lint config) the
/// way the library reads policies: regular files only, checked before
/// opening (a FIFO would block), at most `MAX_FILE_BYTES`.
pub fn read_text(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind};
    let refuse = |meta: &std::fs::Metadata| {
        if meta.is_file() {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::InvalidInput, "not a regular file"))
        }
    };
    refuse(&std::fs::metadata(path)?)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        // Never blocks on a FIFO swapped in after the check.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    refuse(&file.metadata()?)?;
    read_limited(file)
}

/// Reads UTF-8 text, refusing more than `MAX_FILE_BYTES` without holding more.
pub fn read_limited(reader: impl std::io::Read) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read as _};
    let mut text = String::new();
    reader
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_string(&mut text)?;
    if text.len() > MAX_FILE_BYTES {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!("larger than the {MAX_FILE_BYTES} byte limit"),
        ));
    }
    Ok(text)
}

/// `CaseFile::read` through [`read_text`].
pub fn read_cases(path: &Path) -> Result<CaseFile, CaseFileError> {
    let name = path.display().to_string();
    let text = read_text(path).map_err(|source| CaseFileError::Io {
        path: name.clone(),
        source,
    })?;
    CaseFile::parse(&name, &text)
}
