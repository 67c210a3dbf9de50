//! The two exceptions, with messages rendered the way `policyc` prints them
//! (miette's report, no colour), and the load diagnostics as data.

use miette::{Diagnostic as _, GraphicalReportHandler, GraphicalTheme};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;

create_exception!(
    oauth_policy,
    LoadError,
    PyException,
    "A policy (or an overlay) could not be loaded. `str(e)` is the report \
     `policyc` prints; `e.diagnostics` lists each problem as a `Diagnostic`."
);

create_exception!(
    oauth_policy,
    RequestError,
    PyValueError,
    "A URL or body the engine cannot read (malformed URL, no host, control \
     characters, over the size limits). `e.code` is the stable code, e.g. \
     `request::invalid_url`."
);

/// One problem behind a `LoadError`: `code` (`policy::E0xx`), `message`,
/// `file`, `line` and `column` (1-based; `None` for an error about a whole
/// path), and `help`.
#[pyclass(frozen, get_all, module = "oauth_policy")]
#[derive(Clone)]
pub struct Diagnostic {
    /// The stable code, e.g. `policy::E013`.
    code: String,
    /// What is wrong.
    message: String,
    /// The file (or path) it is about.
    file: String,
    /// 1-based line, when it is about a place in a file.
    line: Option<usize>,
    /// 1-based column, when it is about a place in a file.
    column: Option<usize>,
    /// How to fix it, when known.
    help: Option<String>,
}

#[pymethods]
impl Diagnostic {
    fn __repr__(&self) -> String {
        let at = match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", self.file),
            _ => self.file.clone(),
        };
        format!("<Diagnostic {} at {at}: {}>", self.code, self.message)
    }

    fn __str__(&self) -> String {
        self.__repr__()
    }
}

/// The renderer `policyc` uses when not at a terminal.
pub fn render(d: &dyn miette::Diagnostic) -> String {
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    match handler.render_report(&mut out, d) {
        Ok(()) => out.trim_end().to_string(),
        Err(_) => d.to_string(),
    }
}

fn code_of(d: &dyn miette::Diagnostic) -> String {
    d.code().map(|c| c.to_string()).unwrap_or_default()
}

/// A library `LoadError` as a Python `LoadError`.
pub fn load_error(py: Python<'_>, e: &oauth_policy::LoadError) -> PyErr {
    let located: Vec<Diagnostic> = e
        .diagnostics()
        .iter()
        .map(|d| {
            let at = d.location();
            Diagnostic {
                code: d.code_str(),
                message: d.to_string(),
                file: at.file.to_string(),
                line: Some(at.line),
                column: Some(at.column),
                help: d.help_str(),
            }
        })
        .collect();
    // An error about a whole path (unreadable, not a file, no .policy file)
    // has no located diagnostics: it is its own, as `policyc --format json` has it.
    let diagnostics = if located.is_empty() {
        vec![Diagnostic {
            code: code_of(e),
            message: e.to_string(),
            file: path_of(e),
            line: None,
            column: None,
            help: e.help().map(|h| h.to_string()),
        }]
    } else {
        located
    };
    let err = LoadError::new_err(render(e));
    let attached = diagnostics
        .into_iter()
        .map(|d| Py::new(py, d))
        .collect::<PyResult<Vec<_>>>()
        .and_then(|list| err.value(py).setattr("diagnostics", list));
    match attached {
        Ok(()) => err,
        Err(other) => other,
    }
}

fn path_of(e: &oauth_policy::LoadError) -> String {
    use oauth_policy::LoadError as E;
    match e {
        E::Io { path, .. } | E::NotAFile { path, .. } | E::Empty { path } => {
            path.display().to_string()
        }
        _ => String::new(),
    }
}

/// A library `RequestError` as a Python `RequestError` (a `ValueError`).
pub fn request_error(py: Python<'_>, e: &oauth_policy::RequestError) -> PyErr {
    let err = RequestError::new_err(render(e));
    match err.value(py).setattr("code", code_of(e)) {
        Ok(()) => err,
        Err(other) => other,
    }
}
