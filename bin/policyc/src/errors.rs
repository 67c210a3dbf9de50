//! Errors as `--format json` prints them: one document on stdout, so a
//! script that asked for JSON never has to parse a human report on stderr.
//!
//! ```json
//! {"error": {"code": "policy::E000", "message": "the policy has 1 error", "help": null,
//!   "diagnostics": [{"code": "policy::E013", "message": "invalid regular expression",
//!                    "file": "a.policy", "line": 2, "column": 15, "help": "…"}]}}
//! ```
//!
//! `code` and `message` are the first error's; `diagnostics` lists every
//! problem behind it (`line`/`column` are null when it is about a whole
//! path). docs/cli.md documents the shape.

use std::path::Path;

use miette::Diagnostic;
use oauth_policy::{LoadError, PolicyDiagnostic};
use serde_json::{json, Value};

/// Code for `policyc test` finding no case file to run.
pub const NO_CASES: &str = "policy::E023";

/// The document for an error with a code, a message, an optional help and
/// the problems behind it.
pub fn document(code: &str, message: &str, help: Option<String>, diagnostics: Vec<Value>) -> Value {
    json!({
        "error": {
            "code": code,
            "message": message,
            "help": help,
            "diagnostics": diagnostics,
        }
    })
}

/// The document for any miette diagnostic without a location (a request
/// that cannot be read, a case file error).
pub fn from_diagnostic(d: &dyn Diagnostic) -> Value {
    document(&code(d), &d.to_string(), help(d), Vec::new())
}

/// The document for load errors: the first one's code and message, every
/// one's diagnostics.
pub fn load_errors(errors: &[LoadError]) -> Value {
    let Some(first) = errors.first() else {
        return document("policy::E000", "the policy does not load", None, Vec::new());
    };
    let diagnostics = errors.iter().flat_map(diagnostics).collect();
    document(&code(first), &first.to_string(), help(first), diagnostics)
}

/// One located problem.
pub fn diagnostic(d: &PolicyDiagnostic) -> Value {
    let at = d.location();
    json!({
        "code": d.code_str(),
        "message": d.to_string(),
        "file": at.file.as_ref(),
        "line": at.line,
        "column": at.column,
        "help": d.help_str(),
    })
}

/// The problems behind one load error: its file diagnostics, or the path.
fn diagnostics(e: &LoadError) -> Vec<Value> {
    match e {
        LoadError::Invalid { diagnostics } => diagnostics.iter().map(diagnostic).collect(),
        LoadError::Io { path, .. }
        | LoadError::NotAFile { path, .. }
        | LoadError::Empty { path } => {
            vec![about_path(e, path)]
        }
        // A kind of load error added to the library later: its message and
        // code are in the document's head.
        _ => Vec::new(),
    }
}

fn about_path(e: &LoadError, path: &Path) -> Value {
    json!({
        "code": code(e),
        "message": e.to_string(),
        "file": path.display().to_string(),
        "line": null,
        "column": null,
        "help": help(e),
    })
}

fn code(d: &dyn Diagnostic) -> String {
    d.code().map(|c| c.to_string()).unwrap_or_default()
}

fn help(d: &dyn Diagnostic) -> Option<String> {
    d.help().map(|h| h.to_string())
}
