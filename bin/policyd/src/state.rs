//! What the request handlers read: the library's `PolicyStore` (one
//! atomically swapped snapshot of the serving policy and the newest reload
//! result) and the daemon's own concerns around it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use oauth_policy::store::{PolicyStore, StoreStatus};
use oauth_policy::Limits;

use crate::cli::OnReloadError;
use crate::decision_log::DecisionLog;
use crate::metrics::Metrics;

/// The policy a decision is made with, with its generation: the store's
/// snapshot, so a handler never sees a policy from one reload and a status
/// from another.
pub type Served = StoreStatus;

/// Shared by every handler.
#[derive(Debug)]
pub struct AppState {
    /// The policy, reloaded by the library's worker thread.
    pub store: PolicyStore,
    /// `--policies`, for `/v1/policy` (`None`: the embedded library).
    pub base: Option<PathBuf>,
    /// `--on-reload-error`.
    pub mode: OnReloadError,
    /// Request size limits.
    pub limits: Limits,
    /// Metrics (shared with the store's reload hook).
    pub metrics: Arc<Metrics>,
    /// The decision log (a no-op without `--decision-log`).
    pub log: DecisionLog,
}

impl AppState {
    /// State serving `store`, just built.
    pub fn new(
        store: PolicyStore,
        base: Option<PathBuf>,
        mode: OnReloadError,
        metrics: Arc<Metrics>,
        log: DecisionLog,
    ) -> Self {
        let status = store.status();
        metrics.served(status.generation, status.loaded_at);
        metrics.set_stale(false);
        Self {
            store,
            base,
            mode,
            limits: Limits::default(),
            metrics,
            log,
        }
    }
}

/// RFC 3339 UTC with milliseconds.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}
