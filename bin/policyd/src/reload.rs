//! Reloading: wait until the directory has been quiet for the debounce,
//! read it until two reads agree (`read`), compile through the same library
//! calls as the initial load, and swap the result in only if it is complete,
//! valid and different.

mod read;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};
use oauth_policy::{LoadError, Policy};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::cli::OnReloadError;
use crate::state::{
    AppState, Current, ErrorSummary, ReloadCounts, ReloadResult, ReloadStatus, Served, Source,
};
use read::{fingerprint, same_files, Fingerprint, Read};

pub use read::load;

/// Why a reload was attempted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Trigger {
    /// The periodic rescan.
    Periodic,
    /// A file event in the directory.
    Watch,
    /// The watcher lost events (queue overflow) or reported an error.
    WatchRescan,
    /// SIGHUP.
    Signal,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Watch => "watch",
            Trigger::WatchRescan => "watch_rescan",
            Trigger::Periodic => "periodic",
            Trigger::Signal => "sighup",
        }
    }

    /// Triggers coalesced into one round are reported as the weightiest
    /// (an operator's SIGHUP always gets its answer in the log).
    fn merge(self, other: Trigger) -> Trigger {
        self.max(other)
    }
}

/// A round waits at most this many debounce periods for the directory to
/// go quiet, so a writer that never stops cannot postpone reloads forever
/// (the reads must still agree).
const MAX_QUIET_PERIODS: u32 = 10;

/// Renders a load error as miette draws it in a terminal, without colour or
/// hyperlinks, for logs and `/v1/policy`.
pub fn render(err: &LoadError) -> String {
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_links(false)
        .with_width(100);
    let mut out = String::new();
    if handler.render_report(&mut out, err).is_err() {
        out = err.to_string();
    }
    out
}

/// One summary per located error (or one for an I/O error).
fn summarize(err: &LoadError) -> Vec<ErrorSummary> {
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

enum Attempt {
    /// The files are the ones served.
    Unchanged,
    /// The files are the ones that failed last time.
    SameFailure,
    /// A new valid policy.
    Loaded(Policy),
    /// Unreadable or invalid.
    Failed(LoadError, Fingerprint),
}

/// Compiles a stable read, unless it is what is served or what failed last.
fn attempt(
    source: &Source,
    read: Read,
    serving: &Policy,
    last_failure: Option<&Fingerprint>,
) -> Attempt {
    let key = fingerprint(&read);
    let files = match read {
        Ok(files) => files,
        Err(_) if last_failure == Some(&key) => return Attempt::SameFailure,
        Err(e) => return Attempt::Failed(e, key),
    };
    // Cheap equality first: most periodic rescans find nothing new.
    if same_files(&files, serving.files()) {
        return Attempt::Unchanged;
    }
    if last_failure == Some(&key) {
        return Attempt::SameFailure;
    }
    match source.compile(files) {
        Ok(p) if p.revision() == serving.revision() => Attempt::Unchanged,
        Ok(p) => Attempt::Loaded(p),
        Err(e) => Attempt::Failed(e, key),
    }
}

/// Waits `period` (zero: only looks at what is queued) and says whether a
/// file event came meanwhile; other triggers are merged into `trigger`.
async fn changed_within(
    period: Duration,
    trigger: &mut Trigger,
    triggers: &mut mpsc::Receiver<Trigger>,
) -> bool {
    let deadline = Instant::now() + period;
    loop {
        let next = match triggers.try_recv() {
            Ok(t) => Some(t),
            Err(_) => match tokio::time::timeout_at(deadline, triggers.recv()).await {
                Ok(t) => t,
                Err(_) => return false,
            },
        };
        match next {
            Some(t @ (Trigger::Watch | Trigger::WatchRescan)) => {
                *trigger = trigger.merge(t);
                return true;
            }
            Some(t) => *trigger = trigger.merge(t),
            // Every sender is gone: nothing can report a change any more.
            None => return false,
        }
    }
}

/// How one try of a round ended.
enum Step {
    /// The attempt's outcome is recorded.
    Done,
    /// The directory changed while it was read: try again when it is quiet.
    Changing,
}

/// Serialises reloads: one round at a time; triggers arriving meanwhile
/// coalesce into the next round (which re-reads everything anyway).
pub struct Reloader {
    state: Arc<AppState>,
    source: Source,
    debounce: Duration,
    last_failure: Option<Fingerprint>,
}

impl Reloader {
    /// A reloader for `source`'s directories, serving into `state`;
    /// `debounce` is the quiet period that ends a burst of changes.
    pub fn new(state: Arc<AppState>, source: Source, debounce: Duration) -> Self {
        Self {
            state,
            source,
            debounce,
            last_failure: None,
        }
    }

    /// Runs until every trigger sender is gone.
    pub async fn run(mut self, mut triggers: mpsc::Receiver<Trigger>) {
        while let Some(first) = triggers.recv().await {
            self.round(first, &mut triggers).await;
        }
    }

    /// One reload: quiet period, stable read, compile, swap; retried while
    /// the directory keeps changing under the reads, `read::TRIES` times.
    async fn round(&mut self, first: Trigger, triggers: &mut mpsc::Receiver<Trigger>) {
        let mut trigger = first;
        for _ in 0..read::TRIES {
            trigger = self.quiet(trigger, triggers).await;
            match self.try_once(&mut trigger, triggers).await {
                Step::Done => return,
                Step::Changing => {
                    tracing::debug!("the policy files changed while being read; waiting for quiet")
                }
            }
        }
        self.state.metrics.reload("unsettled");
        tracing::warn!(
            tries = read::TRIES,
            serving = self.state.current.load().served.policy.revision(),
            "the policy files did not settle (they kept changing while read, or a served file is \
             left empty); keeping the served policy until the next change (write a temporary file \
             and rename it into place; delete a file rather than empty it: see docs/daemon.md)"
        );
    }

    /// Waits until no trigger has come for a debounce period (at most
    /// `MAX_QUIET_PERIODS` of them), so a burst of writes is read once, at
    /// its end. Returns the triggers seen, merged.
    async fn quiet(&self, mut trigger: Trigger, triggers: &mut mpsc::Receiver<Trigger>) -> Trigger {
        let deadline = Instant::now() + self.debounce * MAX_QUIET_PERIODS;
        loop {
            let until = (Instant::now() + self.debounce).min(deadline);
            match tokio::time::timeout_at(until, triggers.recv()).await {
                Ok(Some(more)) => trigger = trigger.merge(more),
                Ok(None) | Err(_) => return trigger,
            }
        }
    }

    /// Reads (twice), compiles and records one attempt.
    async fn try_once(
        &mut self,
        trigger: &mut Trigger,
        triggers: &mut mpsc::Receiver<Trigger>,
    ) -> Step {
        let current = self.state.current.load_full();
        let serving = current.served.policy.clone();
        // An operator's SIGHUP always gets an answer in the log.
        let last_failure = match *trigger {
            Trigger::Signal => None,
            _ => self.last_failure.clone(),
        };
        let source = self.source.clone();
        let settle = read::settle(self.debounce);
        // Reading and compiling block; keep them off the request threads.
        let result = tokio::task::spawn_blocking(move || {
            read::read_twice(&source, settle)
                .map(|r| attempt(&source, r, &serving, last_failure.as_ref()))
        })
        .await;
        let attempt = match result {
            Ok(Some(a)) => a,
            Ok(None) => return Step::Changing,
            Err(e) => {
                tracing::error!(error = %e, "reload task failed; keeping the current policy");
                return Step::Done;
            }
        };
        // The watcher saw a write while we read: the two reads may both have
        // fallen in it (a writer stalled right after truncating).
        if changed_within(Duration::ZERO, trigger, triggers).await {
            return Step::Changing;
        }
        if let Attempt::Loaded(next) = &attempt {
            let serving = &current.served.policy;
            if let Some(file) = read::emptied(serving, next) {
                tracing::debug!(file, "a served file is empty: taken as being written");
                return Step::Changing;
            }
            let removes_most = read::removes_most(serving, next);
            // Most likely a file caught truncated: look once more, well
            // after the writer would have finished, before believing it.
            if removes_most.is_some() && !self.still_reads(next, trigger, triggers).await {
                return Step::Changing;
            }
            if let Some((removed, of)) = removes_most {
                self.state.metrics.removed_most();
                tracing::warn!(
                    removed,
                    of,
                    revision = next.revision(),
                    "this reload removes most providers; if that was not intended, a file was \
                     probably written in place and read unfinished (see docs/daemon.md)"
                );
            }
        }
        self.record(*trigger, &current, attempt);
        Step::Done
    }

    /// Whether the directory stays quiet for the longest quiet wait (no
    /// file event: a stalled writer that resumes makes one) and, read again
    /// then, still holds the files `policy` was compiled from.
    async fn still_reads(
        &self,
        policy: &Policy,
        trigger: &mut Trigger,
        triggers: &mut mpsc::Receiver<Trigger>,
    ) -> bool {
        if changed_within(self.debounce * MAX_QUIET_PERIODS, trigger, triggers).await {
            return false;
        }
        let source = self.source.clone();
        let files = policy.files().to_vec();
        tokio::task::spawn_blocking(move || {
            source.read().is_ok_and(|again| same_files(&again, &files))
        })
        .await
        .unwrap_or(false)
    }

    /// Records an attempt: the new state, its metrics and log lines.
    fn record(&mut self, trigger: Trigger, current: &Current, attempt: Attempt) {
        let now = SystemTime::now();
        let status = |result, diagnostics, errors| {
            Arc::new(ReloadStatus {
                result,
                trigger: trigger.as_str(),
                at: now,
                diagnostics,
                errors,
            })
        };
        let next = match attempt {
            Attempt::SameFailure => {
                tracing::debug!(trigger = trigger.as_str(), "files still as they failed");
                return;
            }
            Attempt::Unchanged => {
                self.last_failure = None;
                self.state.metrics.reload("unchanged");
                if current.stale {
                    tracing::info!(
                        revision = current.served.policy.revision(),
                        "files are back to the serving revision; no longer stale"
                    );
                } else {
                    tracing::debug!(trigger = trigger.as_str(), "policy unchanged");
                }
                Current {
                    served: current.served.clone(),
                    last_reload: status(ReloadResult::Unchanged, None, Vec::new()),
                    stale: false,
                    serving: true,
                    counts: ReloadCounts {
                        unchanged: current.counts.unchanged + 1,
                        ..current.counts
                    },
                }
            }
            Attempt::Loaded(policy) => {
                self.last_failure = None;
                self.state.metrics.reload("ok");
                let generation = current.served.generation + 1;
                tracing::info!(
                    revision = policy.revision(),
                    previous = current.served.policy.revision(),
                    generation,
                    files = policy.files().len(),
                    trigger = trigger.as_str(),
                    "policy reloaded"
                );
                self.state.metrics.served(generation, now);
                Current {
                    served: Arc::new(Served {
                        policy,
                        generation,
                        loaded_at: now,
                    }),
                    last_reload: status(ReloadResult::Ok, None, Vec::new()),
                    stale: false,
                    serving: true,
                    counts: ReloadCounts {
                        ok: current.counts.ok + 1,
                        ..current.counts
                    },
                }
            }
            Attempt::Failed(err, key) => {
                self.last_failure = Some(key);
                self.state.metrics.reload("failed");
                let rendered = render(&err);
                let keep = self.state.mode == OnReloadError::Keep;
                tracing::warn!(
                    trigger = trigger.as_str(),
                    serving = current.served.policy.revision(),
                    action = if keep {
                        "keeping the last good policy"
                    } else {
                        "refusing decisions (fail-closed)"
                    },
                    "reload failed:\n{rendered}"
                );
                Current {
                    served: current.served.clone(),
                    last_reload: status(ReloadResult::Failed, Some(rendered), summarize(&err)),
                    stale: true,
                    serving: keep,
                    counts: ReloadCounts {
                        failed: current.counts.failed + 1,
                        ..current.counts
                    },
                }
            }
        };
        self.state.metrics.set_stale(next.stale);
        self.state.current.store(Arc::new(next));
    }
}
