//! The reload worker: one std thread per store. It waits for a cause (a
//! file event, the rescan timer, `reload_now`), lets the directories go
//! quiet, reads them until two reads agree, compiles through the same calls
//! as the initial load, and publishes the result only if it is complete,
//! valid and different. Rounds are serialised; causes arriving meanwhile
//! coalesce into the next round, which re-reads everything anyway.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::read::{self, fingerprint, same_files, Fingerprint, Read};
use super::source::Source;
use super::status::{
    ErrorSummary, LastReload, OnReloadError, ReloadEvent, ReloadResult, SkipReason, StoreStatus,
    Trigger, WatchEvent,
};
use super::wake::{Waited, Wake};
use super::watch::{self, Watch};
use super::{call, Config, Shared};
use crate::policy::{LoadError, Policy};

/// A round waits at most this many debounce periods for the directories to
/// go quiet, so a writer that never stops cannot postpone reloads forever
/// (the reads must still agree).
const MAX_QUIET_PERIODS: u32 = 10;

/// What one stable read compiled to.
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

/// How one try of a round ended.
enum Step {
    /// The attempt's outcome is recorded.
    Done,
    /// The directories changed while read: try again when they are quiet.
    Changing,
    /// The store is being dropped.
    Stop,
}

/// The worker's state; it owns the watches.
pub(crate) struct Worker {
    pub(crate) shared: Arc<Shared>,
    pub(crate) wake: Arc<Wake>,
    pub(crate) rx: Receiver<()>,
    pub(crate) source: Source,
    pub(crate) config: Config,
    pub(crate) watches: Vec<(PathBuf, Option<Watch>)>,
    pub(crate) last_failure: Option<Fingerprint>,
}

impl Worker {
    /// Runs until the store is dropped.
    pub(crate) fn run(mut self) {
        let mut next_rescan = self.next_rescan();
        loop {
            match self.wake.wait(&self.rx, next_rescan) {
                Waited::Stop => return,
                Waited::Triggered { trigger, .. } => {
                    if !self.round(trigger) {
                        return;
                    }
                }
                Waited::TimedOut => {
                    self.renew_watches();
                    next_rescan = self.next_rescan();
                    if !self.round(Trigger::Periodic) {
                        return;
                    }
                }
            }
        }
    }

    fn next_rescan(&self) -> Option<Instant> {
        self.config
            .rescan_interval
            .and_then(|i| Instant::now().checked_add(i))
    }

    /// Restarts the watch on a directory that was replaced, or that could
    /// not be watched before.
    fn renew_watches(&mut self) {
        if !self.config.file_events {
            return;
        }
        let hook = self.config.on_watch.as_ref();
        for (dir, w) in &mut self.watches {
            let now = watch::identity(dir);
            let stale = w.as_ref().is_none_or(|w| w.identity != now);
            if stale && now.is_some() {
                if let Some(h) = hook {
                    call(|| h(&WatchEvent::Restarting(dir)));
                }
                *w = watch::start(dir, &self.wake, hook);
            }
        }
    }

    /// One reload: quiet period, stable read, compile, publish; retried
    /// while the directories keep changing under the reads, `TRIES` times.
    /// False when the store is being dropped.
    fn round(&mut self, first: Trigger) -> bool {
        let started = Instant::now();
        let mut trigger = first;
        for tries in 1..=read::TRIES {
            trigger = match self.quiet(trigger) {
                Some(t) => t,
                None => return false,
            };
            match self.try_once(&mut trigger, started, tries) {
                Step::Done => return true,
                Step::Changing => {}
                Step::Stop => return false,
            }
        }
        let current = self.shared.status.load_full();
        self.report(
            &current,
            &current,
            trigger,
            ReloadResult::Skipped(SkipReason::Unsettled),
            started,
            read::TRIES,
            None,
            None,
        );
        true
    }

    /// `MAX_QUIET_PERIODS` debounces (saturating: the debounce is the
    /// embedder's to choose).
    fn longest_wait(&self) -> Duration {
        self.config
            .debounce
            .checked_mul(MAX_QUIET_PERIODS)
            .unwrap_or(Duration::MAX)
    }

    /// Waits until no cause has come for a debounce period (at most
    /// `MAX_QUIET_PERIODS` of them), so a burst of writes is read once, at
    /// its end. Returns the causes seen, merged; `None` to stop.
    fn quiet(&self, mut trigger: Trigger) -> Option<Trigger> {
        let debounce = self.config.debounce;
        let deadline = Instant::now().checked_add(self.longest_wait());
        loop {
            let until = Instant::now().checked_add(debounce);
            let until = match (until, deadline) {
                (Some(u), Some(d)) => Some(u.min(d)),
                (u, d) => u.or(d),
            };
            match self.wake.wait(&self.rx, until) {
                Waited::Stop => return None,
                Waited::Triggered { trigger: more, .. } => trigger = trigger.max(more),
                Waited::TimedOut => return Some(trigger),
            }
        }
    }

    /// Waits `period` (zero: only looks at what is pending) and says whether
    /// a file event came meanwhile; other causes are merged into `trigger`.
    /// `None` to stop.
    fn changed_within(&self, period: Duration, trigger: &mut Trigger) -> Option<bool> {
        let deadline = Instant::now().checked_add(period);
        loop {
            match self.wake.wait(&self.rx, deadline) {
                Waited::Stop => return None,
                Waited::TimedOut => return Some(false),
                Waited::Triggered {
                    trigger: t,
                    changed,
                } => {
                    *trigger = (*trigger).max(t);
                    if changed {
                        return Some(true);
                    }
                }
            }
        }
    }

    /// Reads (twice), compiles and records one attempt.
    fn try_once(&mut self, trigger: &mut Trigger, started: Instant, tries: u32) -> Step {
        let current = self.shared.status.load_full();
        // `reload_now` always gets an answer, even for a known failure.
        let last_failure = match *trigger {
            Trigger::ReloadNow => None,
            _ => self.last_failure.clone(),
        };
        let settle = read::settle(self.config.debounce);
        let source = &self.source;
        let serving = &current.policy;
        let result = catch_unwind(AssertUnwindSafe(|| {
            read::read_twice(source, settle)
                .map(|r| attempt(source, r, serving, last_failure.as_ref()))
        }));
        let attempt = match result {
            Ok(Some(a)) => a,
            Ok(None) => return Step::Changing,
            Err(_) => {
                let skipped = ReloadResult::Skipped(SkipReason::Internal);
                self.report(
                    &current, &current, *trigger, skipped, started, tries, None, None,
                );
                return Step::Done;
            }
        };
        // A file event came while we read: the two reads may both have
        // fallen in it (a writer stalled right after truncating).
        match self.changed_within(Duration::ZERO, trigger) {
            None => return Step::Stop,
            Some(true) => return Step::Changing,
            Some(false) => {}
        }
        let mut removes_most = None;
        if let Attempt::Loaded(next) = &attempt {
            if read::emptied(serving, next).is_some() {
                return Step::Changing;
            }
            removes_most = read::removes_most(serving, next);
            // Most likely a file caught truncated: look once more, well
            // after the writer would have finished, before believing it.
            if removes_most.is_some() {
                match self.still_reads(next, trigger) {
                    None => return Step::Stop,
                    Some(false) => return Step::Changing,
                    Some(true) => {}
                }
            }
        }
        self.record(*trigger, &current, attempt, started, tries, removes_most);
        Step::Done
    }

    /// Whether the directories stay quiet for the longest quiet wait (no
    /// file event: a stalled writer that resumes makes one) and, read again
    /// then, still hold the files `policy` was compiled from.
    fn still_reads(&self, policy: &Policy, trigger: &mut Trigger) -> Option<bool> {
        if self.changed_within(self.longest_wait(), trigger)? {
            return Some(false);
        }
        let again = catch_unwind(AssertUnwindSafe(|| self.source.read()));
        Some(matches!(again, Ok(Ok(files)) if same_files(&files, policy.files())))
    }

    /// Records an attempt: the new status, published after the hook saw it.
    fn record(
        &mut self,
        trigger: Trigger,
        current: &Arc<StoreStatus>,
        attempt: Attempt,
        started: Instant,
        tries: u32,
        removes_most: Option<(usize, usize)>,
    ) {
        let now = SystemTime::now();
        let last = |result, error: Option<LoadError>| {
            let errors = error.as_ref().map(ErrorSummary::of).unwrap_or_default();
            LastReload {
                result,
                trigger,
                at: now,
                error: error.map(Arc::new),
                errors,
            }
        };
        let mut next = StoreStatus::clone(current);
        match attempt {
            Attempt::SameFailure => {
                let skipped = ReloadResult::Skipped(SkipReason::SameFailure);
                self.report(
                    current, current, trigger, skipped, started, tries, None, None,
                );
                return;
            }
            Attempt::Unchanged => {
                self.last_failure = None;
                next.last_reload = last(ReloadResult::Unchanged, None);
                next.stale = false;
                next.serving = true;
                next.counts.unchanged = next.counts.unchanged.saturating_add(1);
            }
            Attempt::Loaded(policy) => {
                self.last_failure = None;
                next.revision = policy.revision().to_string();
                next.policy = Arc::new(policy);
                next.generation = next.generation.saturating_add(1);
                next.loaded_at = now;
                next.last_reload = last(ReloadResult::Swapped, None);
                next.stale = false;
                next.serving = true;
                next.counts.swapped = next.counts.swapped.saturating_add(1);
            }
            Attempt::Failed(err, key) => {
                self.last_failure = Some(key);
                next.last_reload = last(ReloadResult::Failed, Some(err));
                next.stale = true;
                next.serving = next.on_error == OnReloadError::KeepLastGood;
                next.counts.failed = next.counts.failed.saturating_add(1);
            }
        }
        let error = next.last_reload.error.clone();
        let result = next.last_reload.result;
        self.report(
            current,
            &next,
            trigger,
            result,
            started,
            tries,
            error.as_deref(),
            removes_most,
        );
        self.shared.status.store(Arc::new(next));
    }

    /// Calls the `on_reload` hook, if any.
    #[allow(clippy::too_many_arguments)] // one call site per outcome, all fields named
    fn report(
        &self,
        before: &StoreStatus,
        after: &StoreStatus,
        trigger: Trigger,
        result: ReloadResult,
        started: Instant,
        tries: u32,
        error: Option<&LoadError>,
        removes_most: Option<(usize, usize)>,
    ) {
        let Some(hook) = &self.config.on_reload else {
            return;
        };
        let event = ReloadEvent {
            trigger,
            result,
            revision: &after.revision,
            previous: &before.revision,
            generation: after.generation,
            loaded_at: after.loaded_at,
            files: after.policy.files().len(),
            stale: after.stale,
            was_stale: before.stale,
            serving: after.serving,
            duration: started.elapsed(),
            error,
            removes_most,
            tries,
        };
        call(|| hook(&event));
    }
}
