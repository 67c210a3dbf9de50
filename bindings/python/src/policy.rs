//! `Policy`: load, apply, classify, explain. The engine runs with the GIL
//! released (`Python::detach`), so threads apply in parallel.

use std::path::PathBuf;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::errors::load_error;
use crate::types::{expectations, Callback, Layer, Outcome, Request, Trace, Verdict};

/// A compiled, immutable policy: cheap to share between threads.
#[pyclass(frozen, module = "oauth_policy")]
pub struct Policy {
    pub inner: oauth_policy::Policy,
}

impl Policy {
    /// `inner` with each overlay on top, in order.
    fn layered(
        py: Python<'_>,
        base: PyResult<oauth_policy::Policy>,
        overlays: Vec<PathBuf>,
    ) -> PyResult<Self> {
        let loaded = py.detach(|| {
            let mut policy = match base {
                Ok(p) => p,
                Err(e) => return Err(Err(e)),
            };
            for dir in &overlays {
                policy = policy.with_overlay(dir).map_err(Ok)?;
            }
            Ok(policy)
        });
        match loaded {
            Ok(inner) => Ok(Self { inner }),
            Err(Ok(e)) => Err(load_error(py, &e)),
            Err(Err(e)) => Err(e),
        }
    }
}

#[pymethods]
impl Policy {
    /// The provider library embedded in the package (`policies/` at build
    /// time), optionally with overlay directories on top.
    #[staticmethod]
    #[pyo3(signature = (overlays = Vec::new()))]
    fn builtin(py: Python<'_>, overlays: Vec<PathBuf>) -> PyResult<Self> {
        Self::layered(py, Ok(oauth_policy::Policy::builtin()), overlays)
    }

    /// Loads a `.policy` file or a directory of them, then each overlay
    /// directory (or file) on top, in order. Raises `LoadError`.
    #[staticmethod]
    #[pyo3(signature = (path, overlays = Vec::new()))]
    fn load(py: Python<'_>, path: PathBuf, overlays: Vec<PathBuf>) -> PyResult<Self> {
        let base = py.detach(|| oauth_policy::Policy::load(&path));
        let base = base.map_err(|e| load_error(py, &e));
        Self::layered(py, base, overlays)
    }

    /// Compiles in-memory files given as `(name, text)` pairs. Raises `LoadError`.
    #[staticmethod]
    fn from_sources(py: Python<'_>, sources: Vec<(String, String)>) -> PyResult<Self> {
        let loaded = py.detach(|| {
            oauth_policy::Policy::from_sources(
                sources.iter().map(|(n, t)| (n.as_str(), t.as_str())),
            )
        });
        loaded
            .map(|inner| Self { inner })
            .map_err(|e| load_error(py, &e))
    }

    /// This policy with an overlay directory (or file) on top; `self` is
    /// unchanged. Raises `LoadError`.
    fn with_overlay(&self, py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        Self::layered(py, Ok(self.inner.clone()), vec![path])
    }

    /// This policy with in-memory overlay files `(name, text)` on top, as a
    /// layer called `layer`. Raises `LoadError`.
    fn with_overlay_sources(
        &self,
        py: Python<'_>,
        layer: &str,
        sources: Vec<(String, String)>,
    ) -> PyResult<Self> {
        let loaded = py.detach(|| {
            self.inner
                .with_overlay_sources(layer, sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        });
        loaded
            .map(|inner| Self { inner })
            .map_err(|e| load_error(py, &e))
    }

    /// A content hash of the loaded files: equal policies, equal revisions.
    #[getter]
    fn revision(&self) -> &str {
        self.inner.revision()
    }

    /// Provider names, in load order.
    #[getter]
    fn providers(&self) -> Vec<&str> {
        self.inner.providers().collect()
    }

    /// The layers, base first.
    #[getter]
    fn layers(&self) -> Vec<Layer> {
        self.inner.layers().iter().map(Layer::from).collect()
    }

    /// Rewrites a request. Never raises: a request no provider matches still
    /// gets the global rules.
    fn apply(&self, py: Python<'_>, request: &Request) -> Outcome {
        let inner = py.detach(|| self.inner.apply(&request.inner));
        Outcome { inner }
    }

    /// Rewrites a request and records every decision: a `Trace` with the
    /// `outcome`, the provider `candidates` and the rule `steps`.
    fn explain(&self, py: Python<'_>, request: &Request) -> PyResult<Trace> {
        let (outcome, trace) = py.detach(|| self.inner.explain(&request.inner));
        Trace::new(py, outcome, &trace)
    }

    /// Classifies a callback. Never raises for any callback: every input
    /// gets a verdict. Raises `ValueError` for a `provider` the policy does
    /// not have.
    #[pyo3(signature = (
        callback, *, provider = None, authorize_url = None, expected_state = None,
        expected_issuer = None, require_iss = false, no_state = false, response_mode = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn classify(
        &self,
        py: Python<'_>,
        callback: &Callback,
        provider: Option<String>,
        authorize_url: Option<String>,
        expected_state: Option<String>,
        expected_issuer: Option<String>,
        require_iss: bool,
        no_state: bool,
        response_mode: Option<String>,
    ) -> PyResult<Verdict> {
        let expect = expectations(
            provider,
            authorize_url,
            expected_state,
            expected_issuer,
            require_iss,
            no_state,
            response_mode,
        );
        let inner = py.detach(|| self.inner.classify(&callback.inner, &expect));
        // A provider the policy does not have: a typo would silently
        // classify without the provider's rules.
        inner
            .map(|inner| Verdict { inner })
            .map_err(|e| PyValueError::new_err(crate::errors::render(&e)))
    }

    fn __repr__(&self) -> String {
        format!(
            "<Policy revision={} providers={}>",
            self.inner.revision(),
            self.inner.providers().count()
        )
    }
}
