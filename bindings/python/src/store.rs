//! `PolicyStore`: the library's hot reload (cargo feature `watch`) for
//! Python. The store's worker is a Rust thread; Python only reads snapshots.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use oauth_policy::store::{self, OnReloadError, ReloadResult};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::load_error;
use crate::policy::Policy;

/// A policy kept current from its directories: loaded now, watched, and
/// reloaded in the background with keep-last-good semantics.
#[pyclass(frozen, module = "oauth_policy")]
pub struct PolicyStore {
    inner: store::PolicyStore,
}

fn seconds(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn result_name(r: ReloadResult) -> &'static str {
    match r {
        ReloadResult::Initial => "initial",
        ReloadResult::Swapped => "ok",
        ReloadResult::Unchanged => "unchanged",
        ReloadResult::Failed => "failed",
        _ => "skipped",
    }
}

fn duration(what: &str, secs: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(secs).map_err(|_| {
        PyValueError::new_err(format!("{what} must be a non-negative number of seconds"))
    })
}

/// Builds a store on `base` (a directory, or the embedded library) with
/// the overlays and settings given.
#[allow(clippy::too_many_arguments)]
fn build(
    py: Python<'_>,
    base: Option<PathBuf>,
    overlays: Vec<PathBuf>,
    debounce: f64,
    rescan_interval: Option<f64>,
    file_events: bool,
    on_reload_error: &str,
) -> PyResult<PolicyStore> {
    let mode = match on_reload_error {
        "keep" => OnReloadError::KeepLastGood,
        "fail_closed" => OnReloadError::FailClosed,
        other => {
            return Err(PyValueError::new_err(format!(
                "on_reload_error must be \"keep\" or \"fail_closed\", not {other:?}"
            )))
        }
    };
    let mut builder = store::PolicyStore::builder()
        .debounce(duration("debounce", debounce)?)
        .rescan_interval(
            rescan_interval
                .map(|s| duration("rescan_interval", s))
                .transpose()?,
        )
        .file_events(file_events)
        .on_reload_error(mode);
    builder = match base {
        Some(dir) => builder.dir(dir),
        None => builder.builtin(),
    };
    for dir in overlays {
        builder = builder.overlay(dir);
    }
    let built = py.detach(|| builder.build());
    built
        .map(|inner| PolicyStore { inner })
        .map_err(|e| load_error(py, &e))
}

#[pymethods]
impl PolicyStore {
    /// Loads the policy directory `path` (raising `LoadError` as
    /// `Policy.load` would) and each overlay, then watches them all.
    #[staticmethod]
    #[pyo3(signature = (
        path, overlays = Vec::new(), *, debounce = 0.1, rescan_interval = Some(30.0),
        file_events = true, on_reload_error = "keep"
    ))]
    fn watch(
        py: Python<'_>,
        path: PathBuf,
        overlays: Vec<PathBuf>,
        debounce: f64,
        rescan_interval: Option<f64>,
        file_events: bool,
        on_reload_error: &str,
    ) -> PyResult<Self> {
        build(
            py,
            Some(path),
            overlays,
            debounce,
            rescan_interval,
            file_events,
            on_reload_error,
        )
    }

    /// The embedded library (which never changes) with watched overlays.
    #[staticmethod]
    #[pyo3(signature = (
        overlays = Vec::new(), *, debounce = 0.1, rescan_interval = Some(30.0),
        file_events = true, on_reload_error = "keep"
    ))]
    fn builtin(
        py: Python<'_>,
        overlays: Vec<PathBuf>,
        debounce: f64,
        rescan_interval: Option<f64>,
        file_events: bool,
        on_reload_error: &str,
    ) -> PyResult<Self> {
        build(
            py,
            None,
            overlays,
            debounce,
            rescan_interval,
            file_events,
            on_reload_error,
        )
    }

    /// The last good policy. Take it once per request: a reload swaps in a
    /// new one for later calls and leaves yours intact.
    fn current(&self) -> Policy {
        Policy {
            inner: (*self.inner.current()).clone(),
        }
    }

    /// A snapshot of the store's state, as a dict: `revision`, `generation`
    /// (1 at start, +1 per swap), `loaded_at` (Unix seconds), `stale`,
    /// `serving`, `last_reload` (`result`, `trigger`, `at`, `errors`,
    /// `message`) and `reloads` (`ok`, `unchanged`, `failed`).
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.status();
        let last = &s.last_reload;
        let errors = last
            .errors
            .iter()
            .map(|e| {
                let d = PyDict::new(py);
                d.set_item("code", &e.code)?;
                d.set_item("message", &e.message)?;
                d.set_item("location", &e.location)?;
                d.set_item("help", &e.help)?;
                Ok(d)
            })
            .collect::<PyResult<Vec<_>>>()?;
        let last_reload = PyDict::new(py);
        last_reload.set_item("result", result_name(last.result))?;
        last_reload.set_item("trigger", last.trigger.as_str())?;
        last_reload.set_item("at", seconds(last.at))?;
        last_reload.set_item("errors", errors)?;
        last_reload.set_item("message", last.error.as_ref().map(|e| e.to_string()))?;
        let reloads = PyDict::new(py);
        reloads.set_item("ok", s.counts.swapped)?;
        reloads.set_item("unchanged", s.counts.unchanged)?;
        reloads.set_item("failed", s.counts.failed)?;
        let out = PyDict::new(py);
        out.set_item("revision", &s.revision)?;
        out.set_item("generation", s.generation)?;
        out.set_item("loaded_at", seconds(s.loaded_at))?;
        out.set_item("stale", s.stale)?;
        out.set_item("serving", s.serving)?;
        out.set_item("last_reload", last_reload)?;
        out.set_item("reloads", reloads)?;
        Ok(out)
    }

    /// Queues a reload now (what `policyd` does on SIGHUP); returns False
    /// when nothing can change (the embedded library without overlays).
    fn reload_now(&self) -> bool {
        self.inner.reload_now()
    }

    fn __repr__(&self) -> String {
        let s = self.inner.status();
        format!(
            "<PolicyStore revision={} generation={} stale={}>",
            s.revision,
            s.generation,
            if s.stale { "True" } else { "False" }
        )
    }
}
