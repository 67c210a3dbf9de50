//! Pieces every subcommand shares: loading policies, output formats, exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use oauth_policy::{LoadError, Policy, RequestError};

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

/// Prints a load error as miette diagnostics and returns the error exit code.
pub fn report_load_error(err: LoadError) -> ExitCode {
    eprintln!("{:?}", miette::Report::new(err));
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
        Format::Json => print_json(&serde_json::json!({ "error": err })),
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
