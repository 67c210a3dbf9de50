//! Reloading: re-read the whole directory through the same library calls as
//! the initial load, and swap the compiled result in only if it is complete,
//! valid and different.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};
use oauth_policy::{read_sources, LoadError, Policy, SourceFile};
use tokio::sync::mpsc;

use crate::cli::OnReloadError;
use crate::state::{
    AppState, Current, ErrorSummary, ReloadCounts, ReloadResult, ReloadStatus, Served,
};

/// Why a reload was attempted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A debounced file event in the directory.
    Watch,
    /// The watcher lost events (queue overflow) or reported an error.
    WatchRescan,
    /// The periodic rescan.
    Periodic,
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
}

/// Loads a directory: the single code path for startup and every reload
/// (the calls `Policy::load`, and so `policyc`, makes: `read_sources` + `Policy::from_files`).
pub fn load_dir(dir: &Path) -> Result<Policy, LoadError> {
    Policy::from_files(read_sources(dir)?)
}

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

/// What the files looked like when an attempt failed, so the periodic
/// rescan does not log and count the same failure every interval.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Files(Vec<(Arc<str>, Arc<str>)>),
    Unreadable(String),
}

fn seen(files: &[SourceFile]) -> Seen {
    Seen::Files(
        files
            .iter()
            .map(|f| (f.name.clone(), f.text.clone()))
            .collect(),
    )
}

fn same_files(a: &[SourceFile], b: &[SourceFile]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.name == y.name && x.text == y.text)
}

enum Attempt {
    /// The files are the ones served.
    Unchanged,
    /// The files are the ones that failed last time.
    SameFailure,
    /// A new valid policy.
    Loaded(Policy),
    /// Unreadable or invalid.
    Failed(LoadError, Seen),
}

fn attempt(dir: &Path, serving: &Policy, last_failure: Option<&Seen>) -> Attempt {
    let files = match read_sources(dir) {
        Ok(files) => files,
        Err(e) => {
            let key = Seen::Unreadable(e.to_string());
            if last_failure == Some(&key) {
                return Attempt::SameFailure;
            }
            return Attempt::Failed(e, key);
        }
    };
    // Cheap equality first: most periodic rescans find nothing new.
    if same_files(&files, serving.files()) {
        return Attempt::Unchanged;
    }
    let key = seen(&files);
    if last_failure == Some(&key) {
        return Attempt::SameFailure;
    }
    match Policy::from_files(files) {
        Ok(p) if p.revision() == serving.revision() => Attempt::Unchanged,
        Ok(p) => Attempt::Loaded(p),
        Err(e) => Attempt::Failed(e, key),
    }
}

/// Serialises reloads: one attempt at a time, triggers arriving meanwhile
/// coalesce into the next attempt (which re-reads everything anyway).
pub struct Reloader {
    state: Arc<AppState>,
    dir: PathBuf,
    last_failure: Option<Seen>,
}

impl Reloader {
    /// A reloader for `dir`, serving into `state`.
    pub fn new(state: Arc<AppState>, dir: PathBuf) -> Self {
        Self {
            state,
            dir,
            last_failure: None,
        }
    }

    /// Runs until every trigger sender is gone.
    pub async fn run(mut self, mut triggers: mpsc::Receiver<Trigger>) {
        while let Some(trigger) = triggers.recv().await {
            self.reload(trigger).await;
        }
    }

    async fn reload(&mut self, trigger: Trigger) {
        let dir = self.dir.clone();
        let current = self.state.current.load_full();
        let serving = current.served.policy.clone();
        // An operator's SIGHUP always gets an answer in the log.
        let last_failure = match trigger {
            Trigger::Signal => None,
            _ => self.last_failure.clone(),
        };
        // Reading and compiling block; keep them off the request threads.
        let result =
            tokio::task::spawn_blocking(move || attempt(&dir, &serving, last_failure.as_ref()))
                .await;
        let attempt = match result {
            Ok(a) => a,
            Err(e) => {
                tracing::error!(error = %e, "reload task failed; keeping the current policy");
                return;
            }
        };
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
