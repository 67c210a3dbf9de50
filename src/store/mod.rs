//! Hot reload in your process (cargo feature `watch`): a [`PolicyStore`]
//! loads a policy directory, watches it, and swaps each new valid revision
//! in atomically; readers get the current [`Policy`] lock-free.
//!
//! The semantics are the ones `policyd` serves with (it is built on this
//! module):
//!
//! - **Quiet period**: a round starts once no file event has come for the
//!   debounce (at most ten debounces, so a writer that never stops cannot
//!   postpone it for ever).
//! - **Stable reads**: the directories are read twice, a quarter of the
//!   debounce apart; the round goes on only if both reads agree and no
//!   file event came meanwhile, else it is retried (ten tries).
//! - **No half-written files**: a set in which a served non-empty file is
//!   now empty (an in-place rewrite between truncation and write) is never
//!   loaded (delete a file to disable it); a set that drops more than half
//!   of the served providers is read again after ten debounces before it
//!   is believed, and reported ([`ReloadEvent::removes_most`]).
//! - **Keep-last-good**: a set that does not load never replaces the served
//!   policy; [`StoreStatus::stale`] says so and
//!   [`StoreStatus::last_error`] says why. With
//!   [`OnReloadError::FailClosed`], [`PolicyStore::current_checked`] refuses
//!   meanwhile. The same failure is reported once, not on every rescan.
//!
//! Writers should still rename complete files into place (a writer that
//! stalls mid-file for longer than the quiet period cannot be told from a
//! finished one). See docs/embedding.md.

mod builder;
mod read;
mod source;
mod status;
mod wake;
mod watch;
mod worker;

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::policy::{LoadError, Policy};

pub use builder::StoreBuilder;
pub use status::{
    ErrorSummary, LastReload, OnReloadError, ReloadCounts, ReloadEvent, ReloadResult, SkipReason,
    StaleError, StoreStatus, Trigger, WatchEvent,
};

/// The `on_reload` hook.
type ReloadHook = Arc<dyn Fn(&ReloadEvent<'_>) + Send + Sync>;
/// The `on_watch` hook.
type WatchHook = Arc<dyn Fn(&WatchEvent<'_>) + Send + Sync>;

/// The store's settings, fixed at build time.
#[derive(Clone)]
struct Config {
    debounce: Duration,
    rescan_interval: Option<Duration>,
    file_events: bool,
    on_reload: Option<ReloadHook>,
    on_watch: Option<WatchHook>,
}

/// What the store and its worker share.
#[derive(Debug)]
struct Shared {
    /// The snapshot; only the worker stores into it.
    status: ArcSwap<StoreStatus>,
}

/// Runs a user hook; a panic in it must not take the worker down.
fn call(f: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(f));
}

/// A policy kept current from its directories: loaded at build time,
/// watched, and reloaded with keep-last-good semantics on a background
/// thread (see the [module docs](self)). Dropping it stops and joins that
/// thread.
///
/// ```no_run
/// use oauth_policy::store::PolicyStore;
/// use oauth_policy::Request;
///
/// // Fails like `Policy::load` if the directory does not load now.
/// let store = PolicyStore::watch("/etc/oauth-policy/policies")?;
/// // Per request: a lock-free load of the current policy.
/// let req = Request::authorize("https://login.example.com/authorize?client_id=c")?;
/// let outcome = store.current().apply(&req);
/// println!("{} via {:?}", outcome.url(), outcome.provider());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PolicyStore {
    shared: Arc<Shared>,
    /// The worker's waker; `None` when nothing can change (the embedded
    /// library alone).
    wake: Option<Arc<wake::Wake>>,
    worker: Option<JoinHandle<()>>,
}

impl PolicyStore {
    /// Loads the policy directory `dir` now (failing exactly as
    /// [`Policy::load`] would), then watches it and reloads it with the
    /// default settings: 100 ms debounce, a full rescan every 30 s,
    /// keep-last-good. [`PolicyStore::builder`] changes them.
    pub fn watch(dir: impl AsRef<Path>) -> Result<PolicyStore, LoadError> {
        Self::builder().dir(dir).build()
    }

    /// A builder: base directory or embedded library, overlays, timings,
    /// error mode, hooks.
    ///
    /// ```
    /// use std::time::Duration;
    /// use oauth_policy::store::{OnReloadError, PolicyStore};
    ///
    /// // The embedded library with no overlay never changes: no thread.
    /// let store = PolicyStore::builder()
    ///     .builtin()
    ///     .debounce(Duration::from_millis(50))
    ///     .on_reload_error(OnReloadError::FailClosed)
    ///     .build()?;
    /// assert_eq!(store.status().generation, 1);
    /// assert!(store.current().providers().any(|p| p == "auth0"));
    /// # Ok::<(), oauth_policy::LoadError>(())
    /// ```
    pub fn builder() -> StoreBuilder {
        StoreBuilder::new()
    }

    /// The last good policy: an `Arc` taken from an atomic pointer without
    /// a lock (arc-swap's `load_full`: one reference-count increment). Hold
    /// it for one request: a reload swaps in a new one for later calls and
    /// leaves yours intact.
    ///
    /// With [`OnReloadError::FailClosed`] this still returns the last good
    /// policy while the newest files fail; use
    /// [`PolicyStore::current_checked`] to honour the mode.
    pub fn current(&self) -> Arc<Policy> {
        Arc::clone(&self.shared.status.load().policy)
    }

    /// [`PolicyStore::current`], unless the store is fail-closed and the
    /// newest files do not load. With keep-last-good it never fails.
    pub fn current_checked(&self) -> Result<Arc<Policy>, StaleError> {
        let status = self.shared.status.load();
        if status.serving {
            Ok(Arc::clone(&status.policy))
        } else {
            Err(StaleError {
                revision: status.revision.clone(),
            })
        }
    }

    /// The current snapshot: the policy (the one [`PolicyStore::current`]
    /// returns), its revision and generation, whether it is stale, and the
    /// newest reload attempt. Lock-free, like `current`; its fields always
    /// belong together.
    pub fn status(&self) -> Arc<StoreStatus> {
        self.shared.status.load_full()
    }

    /// Queues a forced reload round (what `policyd` does on SIGHUP) and
    /// returns at once: the round waits for the quiet period, reads,
    /// and is reported even if it finds the failure already reported.
    /// Its result shows in [`PolicyStore::status`] (`last_reload.trigger`
    /// is [`Trigger::ReloadNow`]) and in the `on_reload` hook. Returns
    /// false, doing nothing, when nothing can change (the embedded library
    /// without overlays).
    pub fn reload_now(&self) -> bool {
        match &self.wake {
            Some(wake) => {
                wake.nudge(Trigger::ReloadNow);
                true
            }
            None => false,
        }
    }

    /// Whether the store has directories to reload (false for the embedded
    /// library alone).
    pub fn reloads(&self) -> bool {
        self.wake.is_some()
    }
}

impl Drop for PolicyStore {
    /// Stops the worker and joins it (its watches go with it). A round in
    /// progress stops at its next wait; a compile in progress finishes.
    fn drop(&mut self) {
        if let Some(wake) = &self.wake {
            wake.stop();
        }
        if let Some(worker) = self.worker.take() {
            // Dropped from one of its own hooks: joining would deadlock;
            // the thread ends by itself when the hook returns.
            if worker.thread().id() != std::thread::current().id() {
                let _ = worker.join();
            }
        }
    }
}

impl fmt::Debug for PolicyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.shared.status.load();
        f.debug_struct("PolicyStore")
            .field("revision", &status.revision)
            .field("generation", &status.generation)
            .field("stale", &status.stale)
            .field("reloads", &self.reloads())
            .finish()
    }
}
