//! The Python faces of the library's values. This is the one file that reads
//! the library's fields: when the Rust API renames one, only this file changes.
//!
//! Each wrapper holds the library value and converts a field when it is read,
//! so `apply` costs one allocation for the result, whatever is looked at.

use pyo3::prelude::*;

use crate::errors::request_error;

/// An authorize URL or a token request, read once; pass it to
/// `Policy.apply` or `Policy.explain` as often as needed.
#[pyclass(frozen, module = "oauth_policy")]
pub struct Request {
    pub inner: oauth_policy::Request,
}

#[pymethods]
impl Request {
    /// An authorization request URL.
    #[staticmethod]
    fn authorize(py: Python<'_>, url: &str) -> PyResult<Self> {
        oauth_policy::Request::authorize(url)
            .map(|inner| Self { inner })
            .map_err(|e| request_error(py, &e))
    }

    /// A token request (code exchange or refresh): the token endpoint and
    /// the form-encoded body.
    #[staticmethod]
    fn token(py: Python<'_>, url: &str, body: &str) -> PyResult<Self> {
        oauth_policy::Request::token(url, body)
            .map(|inner| Self { inner })
            .map_err(|e| request_error(py, &e))
    }

    /// `"authorize"` or `"token"`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind().name()
    }

    /// The URL as given.
    #[getter]
    fn url(&self) -> &str {
        self.inner.url()
    }

    /// The host used to choose the provider.
    #[getter]
    fn host(&self) -> &str {
        self.inner.host()
    }

    fn __repr__(&self) -> String {
        // No URL: it carries state, codes and secrets.
        format!(
            "<Request {} host={:?}>",
            self.inner.kind().name(),
            self.inner.host()
        )
    }
}

/// A redirect back from the provider: `Callback.from_url(url)` for a query
/// (or fragment) response, `Callback.from_form(body)` for `form_post`.
#[pyclass(frozen, module = "oauth_policy")]
pub struct Callback {
    pub inner: oauth_policy::Callback,
}

#[pymethods]
impl Callback {
    /// The callback URL the browser was redirected to.
    #[staticmethod]
    fn from_url(py: Python<'_>, url: &str) -> PyResult<Self> {
        oauth_policy::Callback::from_url(url)
            .map(|inner| Self { inner })
            .map_err(|e| request_error(py, &e))
    }

    /// A `response_mode=form_post` body.
    #[staticmethod]
    fn from_form(py: Python<'_>, body: &str) -> PyResult<Self> {
        oauth_policy::Callback::from_form(body)
            .map(|inner| Self { inner })
            .map_err(|e| request_error(py, &e))
    }

    fn __repr__(&self) -> String {
        let n = self.inner.params().count();
        format!("<Callback with {n} parameters>")
    }
}

/// Where a rule is written.
#[pyclass(frozen, get_all, module = "oauth_policy")]
#[derive(Clone)]
pub struct Location {
    /// The file.
    file: String,
    /// 1-based line.
    line: usize,
    /// 1-based column.
    column: usize,
}

impl From<&oauth_policy::Location> for Location {
    fn from(l: &oauth_policy::Location) -> Self {
        Self {
            file: l.file.to_string(),
            line: l.line,
            column: l.column,
        }
    }
}

#[pymethods]
impl Location {
    fn __str__(&self) -> String {
        format!("{}:{}:{}", self.file, self.line, self.column)
    }

    fn __repr__(&self) -> String {
        format!("<Location {}>", self.__str__())
    }
}

/// One change a rule made: `rule` id, `action` (`drop`, `set`, …), `param`,
/// `location`.
#[pyclass(frozen, get_all, module = "oauth_policy")]
pub struct Change {
    rule: String,
    action: String,
    param: String,
    location: Location,
}

#[pymethods]
impl Change {
    fn __repr__(&self) -> String {
        format!("<Change {} {} by {}>", self.action, self.param, self.rule)
    }
}

/// A refusal: the gateway must not send the request. `reason`, `rule`,
/// `location`.
#[pyclass(frozen, get_all, module = "oauth_policy")]
pub struct Denial {
    reason: String,
    rule: String,
    location: Location,
}

#[pymethods]
impl Denial {
    fn __repr__(&self) -> String {
        format!("<Denial by {}>", self.rule)
    }
}

fn change(c: &oauth_policy::Change) -> Change {
    Change {
        rule: c.rule.to_string(),
        action: c.action.to_string(),
        param: c.param.clone(),
        location: (&c.location).into(),
    }
}

fn denial(d: &oauth_policy::Denial) -> Denial {
    Denial {
        reason: d.reason.clone(),
        rule: d.rule.to_string(),
        location: (&d.location).into(),
    }
}

/// What `Policy.apply` made of a request.
#[pyclass(frozen, module = "oauth_policy")]
pub struct Outcome {
    pub inner: oauth_policy::Outcome,
}

#[pymethods]
impl Outcome {
    /// The URL to send: rewritten for an authorize request, as given for a
    /// token request (and for a denied one).
    #[getter]
    fn url(&self) -> &str {
        self.inner.url()
    }

    /// The rewritten form body of a token request (`None` for authorize).
    #[getter]
    fn body(&self) -> Option<&str> {
        self.inner.body()
    }

    /// The provider block that applied, if any.
    #[getter]
    fn provider(&self) -> Option<&str> {
        self.inner.provider()
    }

    /// Every change, in the order made.
    #[getter]
    fn changes(&self) -> Vec<Change> {
        self.inner.changes().iter().map(change).collect()
    }

    /// The refusal, when a `deny` rule fired: never send the request then.
    #[getter]
    fn denied(&self) -> Option<Denial> {
        self.inner.denied().map(denial)
    }

    fn __repr__(&self) -> String {
        // No URL or body: they carry secrets.
        let changes: Vec<String> = self
            .inner
            .changes()
            .iter()
            .map(|c| format!("{} {}", c.action, c.param))
            .collect();
        let denied = match self.inner.denied() {
            Some(d) => format!(" denied by {}", d.rule),
            None => String::new(),
        };
        format!(
            "<Outcome provider={} changes=[{}]{denied}>",
            py_opt(self.inner.provider()),
            changes.join(", ")
        )
    }
}

/// What a gateway should do with a callback. Redeem `code` only when
/// `outcome == "success"`. `repr()` never shows `code` or `state`.
#[pyclass(frozen, module = "oauth_policy")]
pub struct Verdict {
    pub inner: oauth_policy::Verdict,
}

#[pymethods]
impl Verdict {
    /// `"success"`, `"provider_error"` or `"invalid"`.
    #[getter]
    fn outcome(&self) -> &'static str {
        self.inner.outcome.as_str()
    }
    /// The normalized category (`ok`, `invalid_target`, `state_mismatch`, …).
    #[getter]
    fn category(&self) -> &'static str {
        self.inner.category.name()
    }
    /// Whether the gateway may start a new authorization by itself.
    #[getter]
    fn retryable(&self) -> bool {
        self.inner.retryable
    }
    /// The provider block used, if any.
    #[getter]
    fn provider(&self) -> Option<&str> {
        self.inner.provider.as_deref()
    }
    /// `AADSTS…`/`AADB2C…`, or a provider's own error value.
    #[getter]
    fn provider_code(&self) -> Option<&str> {
        self.inner.provider_code.as_deref()
    }
    /// The callback's `error`.
    #[getter]
    fn error(&self) -> Option<&str> {
        self.inner.error.as_deref()
    }
    /// The callback's `error_description`.
    #[getter]
    fn error_description(&self) -> Option<&str> {
        self.inner.error_description.as_deref()
    }
    /// A short operator-facing fix.
    #[getter]
    fn hint(&self) -> Option<&str> {
        self.inner.hint.as_deref()
    }
    /// The rule that decided (a provider rule id, or `builtin/…`).
    #[getter]
    fn rule(&self) -> String {
        self.inner.rule.to_string()
    }
    /// The authorization code (success only).
    #[getter]
    fn code(&self) -> Option<&str> {
        self.inner.code.as_deref()
    }
    /// The state (success only).
    #[getter]
    fn state(&self) -> Option<&str> {
        self.inner.state.as_deref()
    }

    fn __repr__(&self) -> String {
        let secret = |v: &Option<String>| match v {
            Some(_) => "<redacted>",
            None => "None",
        };
        format!(
            "Verdict(outcome={:?}, category={:?}, retryable={}, provider={}, provider_code={}, hint={}, rule={:?}, code={}, state={})",
            self.outcome(),
            self.category(),
            if self.inner.retryable { "True" } else { "False" },
            py_opt(self.provider()),
            py_opt(self.provider_code()),
            py_opt(self.hint()),
            self.rule(),
            secret(&self.inner.code),
            secret(&self.inner.state),
        )
    }
}

/// `'text'` or `None`, as Python would show it (close enough for a repr).
fn py_opt(v: Option<&str>) -> String {
    match v {
        Some(s) => format!("{s:?}"),
        None => "None".into(),
    }
}

/// A provider the host index proposed, and whether its `match` held.
#[pyclass(frozen, get_all, module = "oauth_policy")]
pub struct Candidate {
    provider: String,
    location: Location,
    matched: bool,
    /// Which `match` held (the provider's own or an overlay's `also match`).
    matched_by: Option<Location>,
}

/// One rule considered: `rule`, `location`, whether its condition `held`,
/// and its `effect` (`changed`, `no effect`, `denied: …`, `skipped: …`).
#[pyclass(frozen, get_all, module = "oauth_policy")]
pub struct Step {
    rule: String,
    location: Location,
    held: bool,
    effect: String,
}

#[pymethods]
impl Candidate {
    fn __repr__(&self) -> String {
        format!("<Candidate {} matched={}>", self.provider, self.matched)
    }
}

#[pymethods]
impl Step {
    fn __repr__(&self) -> String {
        format!("<Step {}: {}>", self.rule, self.effect)
    }
}

/// How `Policy.explain` got its outcome: `outcome`, the provider
/// `candidates` tried in order, and every rule `steps` considered.
#[pyclass(frozen, get_all, module = "oauth_policy")]
pub struct Trace {
    outcome: Py<Outcome>,
    candidates: Vec<Py<Candidate>>,
    steps: Vec<Py<Step>>,
}

#[pymethods]
impl Trace {
    fn __repr__(&self) -> String {
        format!(
            "<Trace {} candidates, {} steps>",
            self.candidates.len(),
            self.steps.len()
        )
    }
}

impl Trace {
    /// Wraps the library's `(Outcome, Trace)`.
    pub fn new(
        py: Python<'_>,
        outcome: oauth_policy::Outcome,
        trace: &oauth_policy::Trace,
    ) -> PyResult<Self> {
        let candidates = trace
            .candidates
            .iter()
            .map(|c| {
                Py::new(
                    py,
                    Candidate {
                        provider: c.provider.clone(),
                        location: (&c.location).into(),
                        matched: c.matched,
                        matched_by: c.matched_by.as_ref().map(Location::from),
                    },
                )
            })
            .collect::<PyResult<_>>()?;
        let steps = trace
            .steps
            .iter()
            .map(|s| {
                Py::new(
                    py,
                    Step {
                        rule: s.rule.to_string(),
                        location: (&s.location).into(),
                        held: s.held,
                        effect: s.effect.to_string(),
                    },
                )
            })
            .collect::<PyResult<_>>()?;
        Ok(Self {
            outcome: Py::new(py, Outcome { inner: outcome })?,
            candidates,
            steps,
        })
    }
}

/// One layer of a policy: `name` (`builtin` or a path), `revision`, `files`.
#[pyclass(frozen, get_all, module = "oauth_policy")]
pub struct Layer {
    name: String,
    revision: String,
    files: usize,
}

impl From<&oauth_policy::Layer> for Layer {
    fn from(l: &oauth_policy::Layer) -> Self {
        Self {
            name: l.name.clone(),
            revision: l.revision.clone(),
            files: l.files,
        }
    }
}

#[pymethods]
impl Layer {
    fn __repr__(&self) -> String {
        format!(
            "<Layer {} {} ({} files)>",
            self.name, self.revision, self.files
        )
    }
}

/// The library's expectations for `classify`, from the keyword arguments.
// Assigned field by field: `Expectations` is `#[non_exhaustive]` (no struct
// literal outside the library) and its builder methods take values, not
// the `Option`s the keyword arguments are.
#[allow(clippy::too_many_arguments, clippy::field_reassign_with_default)]
pub fn expectations(
    provider: Option<String>,
    authorize_url: Option<String>,
    expected_state: Option<String>,
    expected_issuer: Option<String>,
    require_iss: bool,
    no_state: bool,
    response_mode: Option<String>,
) -> oauth_policy::Expectations {
    let mut e = oauth_policy::Expectations::default();
    e.provider = provider;
    e.authorize_url = authorize_url;
    e.expected_state = expected_state;
    e.expected_issuer = expected_issuer;
    e.require_iss = require_iss;
    e.no_state = no_state;
    e.response_mode = response_mode;
    e
}
