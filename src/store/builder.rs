//! [`StoreBuilder`]: what a store loads and how it reloads.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;

use super::read;
use super::source::{Base, Source};
use super::status::{LastReload, OnReloadError, ReloadCounts, ReloadEvent, ReloadResult};
use super::status::{StoreStatus, Trigger, WatchEvent};
use super::wake::Wake;
use super::watch;
use super::worker::Worker;
use super::{Config, PolicyStore, Shared};
use crate::policy::{LoadError, Policy};

/// Builds a [`PolicyStore`]; from [`PolicyStore::builder`].
///
/// The base is the embedded library unless [`StoreBuilder::dir`] is given.
#[must_use]
pub struct StoreBuilder {
    base: Base,
    overlays: Vec<PathBuf>,
    on_error: OnReloadError,
    config: Config,
}

impl StoreBuilder {
    pub(super) fn new() -> Self {
        Self {
            base: Base::Builtin,
            overlays: Vec::new(),
            on_error: OnReloadError::default(),
            config: Config {
                debounce: Duration::from_millis(100),
                rescan_interval: Some(Duration::from_secs(30)),
                file_events: true,
                on_reload: None,
                on_watch: None,
            },
        }
    }

    /// The base: a directory of `.policy` files, watched and reloaded
    /// (loaded like [`Policy::load`]).
    pub fn dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.base = Base::Dir(dir.as_ref().to_path_buf());
        self
    }

    /// The base: the embedded library ([`Policy::builtin`]), which never
    /// changes (the default).
    pub fn builtin(mut self) -> Self {
        self.base = Base::Builtin;
        self
    }

    /// An overlay directory on top (repeatable, applied in order; layered
    /// like [`Policy::with_overlay`]), watched and reloaded like the base.
    /// A directory with no `.policy` file is an overlay that adds nothing.
    pub fn overlay(mut self, dir: impl AsRef<Path>) -> Self {
        self.overlays.push(dir.as_ref().to_path_buf());
        self
    }

    /// The quiet period that ends a burst of file events (default 100 ms);
    /// the two reads of a round are a quarter of it apart.
    pub fn debounce(mut self, debounce: Duration) -> Self {
        self.config.debounce = debounce;
        self
    }

    /// Re-read everything this often even without file events (default
    /// 30 s; at least 1 ms), so a lost event cannot leave a stale policy
    /// for ever; it also renews the watch on a replaced directory. `None`:
    /// never.
    pub fn rescan_interval(mut self, every: Option<Duration>) -> Self {
        self.config.rescan_interval = every.map(|d| d.max(Duration::from_millis(1)));
        self
    }

    /// Whether to watch the directories for file events (default true);
    /// off (e.g. on NFS), only the rescan and `reload_now` reload.
    pub fn file_events(mut self, on: bool) -> Self {
        self.config.file_events = on;
        self
    }

    /// What to do when the newest files do not load (default
    /// [`OnReloadError::KeepLastGood`]).
    pub fn on_reload_error(mut self, mode: OnReloadError) -> Self {
        self.on_error = mode;
        self
    }

    /// Calls `hook` on the worker thread after every reload round (for
    /// logs and metrics), before the round's result is published. Keep it
    /// quick; a panic in it is caught and ignored.
    pub fn on_reload(mut self, hook: impl Fn(&ReloadEvent<'_>) + Send + Sync + 'static) -> Self {
        self.config.on_reload = Some(Arc::new(hook));
        self
    }

    /// Calls `hook` when a directory starts being watched, cannot be, or
    /// its watcher loses events (on the build or worker thread, or the
    /// watcher's own).
    pub fn on_watch(mut self, hook: impl Fn(&WatchEvent<'_>) + Send + Sync + 'static) -> Self {
        self.config.on_watch = Some(Arc::new(hook));
        self
    }

    /// Loads the policy now (a stable read, as for a reload) and starts
    /// watching. Fails with the load error, as [`Policy::load`] would; a
    /// worker thread that cannot be started is reported as an I/O error
    /// on the base directory.
    pub fn build(self) -> Result<PolicyStore, LoadError> {
        let source = Source {
            base: self.base,
            overlays: self.overlays,
        };
        let config = self.config;
        if !source.reloads() {
            let policy = Policy::try_builtin()?;
            return Ok(PolicyStore {
                shared: Arc::new(Shared {
                    status: ArcSwap::from_pointee(initial(policy, self.on_error)),
                }),
                wake: None,
                worker: None,
            });
        }
        // Watch before loading, so no change can fall between the two.
        let (wake, rx) = Wake::new();
        let wake = Arc::new(wake);
        let watches: Vec<_> = source
            .dirs()
            .map(|dir| {
                let w = (config.file_events && dir.is_dir())
                    .then(|| watch::start(dir, &wake, config.on_watch.as_ref()))
                    .flatten();
                (dir.clone(), w)
            })
            .collect();
        let policy = read::load(&source, config.debounce)?;
        let shared = Arc::new(Shared {
            status: ArcSwap::from_pointee(initial(policy, self.on_error)),
        });
        let first_dir = source.dirs().next().cloned().unwrap_or_default();
        let worker = Worker {
            shared: Arc::clone(&shared),
            wake: Arc::clone(&wake),
            rx,
            source,
            config,
            watches,
            last_failure: None,
        };
        let handle = std::thread::Builder::new()
            .name("policy-store".into())
            .spawn(move || worker.run())
            .map_err(|source| LoadError::Io {
                path: first_dir,
                source,
            })?;
        Ok(PolicyStore {
            shared,
            wake: Some(wake),
            worker: Some(handle),
        })
    }
}

/// The status of a policy just loaded at build time.
fn initial(policy: Policy, on_error: OnReloadError) -> StoreStatus {
    let now = SystemTime::now();
    StoreStatus {
        revision: policy.revision().to_string(),
        policy: Arc::new(policy),
        generation: 1,
        loaded_at: now,
        stale: false,
        serving: true,
        on_error,
        last_reload: LastReload {
            result: ReloadResult::Initial,
            trigger: Trigger::Startup,
            at: now,
            error: None,
            errors: Vec::new(),
        },
        counts: ReloadCounts::default(),
    }
}
