//! What a store reports: its status (one consistent snapshot, swapped
//! atomically with the policy) and one event per reload round.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use miette::Diagnostic;
use serde::Serialize;
use thiserror::Error;

use crate::policy::{LoadError, Policy};

/// What a store does when the newest files do not load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnReloadError {
    /// Keep serving the last policy that loaded (nginx, Envoy, OPA do the
    /// same): [`PolicyStore::current_checked`](super::PolicyStore::current_checked)
    /// still answers, and [`StoreStatus::stale`] says the files are newer.
    #[default]
    KeepLastGood,
    /// Refuse: [`StoreStatus::serving`] turns false and
    /// [`PolicyStore::current_checked`](super::PolicyStore::current_checked)
    /// returns [`StaleError`] until the files load again.
    FailClosed,
}

/// Why a reload round ran. When several causes arrive during one round's
/// quiet period, the round reports the weightiest (the later variants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Trigger {
    /// The policy loaded when the store was built (status only).
    Startup,
    /// The periodic rescan.
    Periodic,
    /// A file event in a watched directory.
    Watch,
    /// The watcher lost events (queue overflow) or reported an error.
    WatchRescan,
    /// [`PolicyStore::reload_now`](super::PolicyStore::reload_now).
    ReloadNow,
}

impl Trigger {
    /// A stable lower-case name: `startup`, `periodic`, `watch`,
    /// `watch_rescan`, `reload_now`.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Startup => "startup",
            Trigger::Periodic => "periodic",
            Trigger::Watch => "watch",
            Trigger::WatchRescan => "watch_rescan",
            Trigger::ReloadNow => "reload_now",
        }
    }
}

/// Why a round changed nothing, not even the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// The files are exactly the ones that failed last time (reported once;
    /// [`Trigger::ReloadNow`] always reports again).
    SameFailure,
    /// The files kept changing while read, or a served file stayed empty,
    /// for every try of the round: the served policy is kept until the
    /// next change.
    Unsettled,
    /// Reading or compiling panicked (a bug): nothing was changed.
    Internal,
}

/// How a reload round ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReloadResult {
    /// The policy loaded when the store was built.
    Initial,
    /// A new revision was swapped in.
    Swapped,
    /// The files compiled to the revision already served.
    Unchanged,
    /// The files could not be read or did not compile.
    Failed,
    /// Nothing was recorded; never the result in [`StoreStatus`].
    Skipped(SkipReason),
}

/// One error of a failed load, for programs (the [`LoadError`] itself
/// renders for people, e.g. with miette's graphical handler).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ErrorSummary {
    /// Stable code, e.g. `policy::E013`.
    pub code: String,
    /// The message.
    pub message: String,
    /// `file:line:column`, when the error is in a file.
    pub location: Option<String>,
    /// The help text, if any.
    pub help: Option<String>,
}

impl ErrorSummary {
    /// One summary per located error (or one for an I/O error).
    pub fn of(err: &LoadError) -> Vec<ErrorSummary> {
        let located = err.diagnostics();
        if located.is_empty() {
            return vec![ErrorSummary {
                code: err.code().map(|c| c.to_string()).unwrap_or_default(),
                message: err.to_string(),
                location: None,
                help: err.help().map(|h| h.to_string()),
            }];
        }
        located
            .iter()
            .map(|d| ErrorSummary {
                code: d.code_str(),
                message: d.to_string(),
                location: Some(d.location().to_string()),
                help: d.help_str(),
            })
            .collect()
    }
}

/// The newest recorded reload attempt.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LastReload {
    /// Its result: [`ReloadResult::Initial`], `Swapped`, `Unchanged` or
    /// `Failed` (skipped rounds are not recorded).
    pub result: ReloadResult,
    /// What started it.
    pub trigger: Trigger,
    /// When it finished.
    pub at: SystemTime,
    /// Why it failed (failures only).
    pub error: Option<Arc<LoadError>>,
    /// The same error, one summary per diagnostic (failures only).
    pub errors: Vec<ErrorSummary>,
}

/// Recorded attempts since the store was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReloadCounts {
    /// New revisions swapped in.
    pub swapped: u64,
    /// Attempts that found the revision served.
    pub unchanged: u64,
    /// Attempts that failed (the same failure seen again is counted once).
    pub failed: u64,
}

/// A store's state: the policy it serves and how its newest reload went,
/// one immutable snapshot swapped atomically (so the policy, its generation
/// and `serving` always belong together).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StoreStatus {
    /// The last good policy: what [`PolicyStore::current`](super::PolicyStore::current) returns.
    pub policy: Arc<Policy>,
    /// Its revision ([`Policy::revision`]).
    pub revision: String,
    /// 1 for the policy loaded at build time, +1 for each one swapped in since.
    pub generation: u64,
    /// When `policy` was swapped in.
    pub loaded_at: SystemTime,
    /// The newest attempt failed, so the files are newer than `policy`
    /// (in either [`OnReloadError`] mode).
    pub stale: bool,
    /// Whether `policy` should be used: false only with
    /// [`OnReloadError::FailClosed`] while `stale`.
    pub serving: bool,
    /// The mode the store was built with.
    pub on_error: OnReloadError,
    /// The newest recorded attempt.
    pub last_reload: LastReload,
    /// Recorded attempts by result.
    pub counts: ReloadCounts,
}

impl StoreStatus {
    /// The newest attempt's error, while `stale`.
    pub fn last_error(&self) -> Option<&LoadError> {
        self.last_reload.error.as_deref()
    }

    /// The newest recorded attempt's result.
    pub fn last_result(&self) -> ReloadResult {
        self.last_reload.result
    }
}

/// One reload round, as the `on_reload` hook sees it.
///
/// The hook runs after the round is decided and *before* its result is
/// published to `current()` and `status()`, so counters it keeps are never
/// behind what `status()` shows.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ReloadEvent<'a> {
    /// What started the round (the weightiest cause merged into it).
    pub trigger: Trigger,
    /// How it ended.
    pub result: ReloadResult,
    /// The revision served after the round.
    pub revision: &'a str,
    /// The revision served before it.
    pub previous: &'a str,
    /// The generation served after the round.
    pub generation: u64,
    /// When the policy served after the round was swapped in.
    pub loaded_at: SystemTime,
    /// How many files the policy served after the round has.
    pub files: usize,
    /// Whether the files are newer than the policy served, after and before.
    pub stale: bool,
    /// `stale` before the round (an `Unchanged` round after a failure ends it).
    pub was_stale: bool,
    /// Whether the policy is to be used after the round.
    pub serving: bool,
    /// How long the round took, quiet periods included.
    pub duration: Duration,
    /// Why it failed ([`ReloadResult::Failed`] only).
    pub error: Option<&'a LoadError>,
    /// `Some((removed, of))` when the swapped-in policy drops more than half
    /// of the providers served before (it was read twice, well apart, and
    /// believed; loud, because it is usually a file read unfinished).
    pub removes_most: Option<(usize, usize)>,
    /// How many times the files were read until they held still.
    pub tries: u32,
}

/// Something the directory watcher did, for the `on_watch` hook's logs.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum WatchEvent<'a> {
    /// A directory is watched.
    Watching(&'a Path),
    /// The periodic rescan found a directory replaced (or not watched
    /// yet) and is watching it again; `Watching` or `Unavailable` follows.
    Restarting(&'a Path),
    /// A directory cannot be watched: only the periodic rescan and
    /// `reload_now` will see its changes.
    Unavailable(&'a Path, &'a (dyn std::error::Error + 'static)),
    /// The watcher lost events or failed: a rescan is queued.
    Lost(Option<&'a (dyn std::error::Error + 'static)>),
}

/// [`PolicyStore::current_checked`](super::PolicyStore::current_checked)
/// refused: the store is fail-closed and the newest files do not load.
#[derive(Debug, Clone, Error, Diagnostic)]
#[error("the newest policy files do not load (serving {revision} is refused: fail-closed)")]
#[diagnostic(help("fix the files; status().last_error() says what is wrong"))]
#[non_exhaustive]
pub struct StaleError {
    /// The revision of the last good policy, which is not used.
    pub revision: String,
}
