//! `oauth_policy._native`: the engine as a CPython extension module. The
//! pure-Python package `oauth_policy` re-exports everything here; see
//! `python/oauth_policy/__init__.pyi` for the documented API.
//!
//! Every class is `frozen` (immutable after construction, so `Sync`) and
//! holds owned Rust values or an `Arc<Policy>`-backed `Policy`: objects may
//! be shared between threads freely, and the GIL is released while the
//! engine runs.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod errors;
mod policy;
mod store;
mod types;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<policy::Policy>()?;
    m.add_class::<store::PolicyStore>()?;
    m.add_class::<types::Request>()?;
    m.add_class::<types::Callback>()?;
    m.add_class::<types::Outcome>()?;
    m.add_class::<types::Change>()?;
    m.add_class::<types::Denial>()?;
    m.add_class::<types::Location>()?;
    m.add_class::<types::Verdict>()?;
    m.add_class::<types::Trace>()?;
    m.add_class::<types::Candidate>()?;
    m.add_class::<types::Step>()?;
    m.add_class::<types::Layer>()?;
    m.add_class::<errors::Diagnostic>()?;
    m.add("LoadError", py.get_type::<errors::LoadError>())?;
    m.add("RequestError", py.get_type::<errors::RequestError>())?;
    Ok(())
}
