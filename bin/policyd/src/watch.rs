//! Everything that asks for a reload: directory events, the periodic rescan
//! and SIGHUP. Each only sends a `Trigger`; the reloader waits for a burst
//! to end (its debounce) and decides what changed.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{Event, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use crate::reload::Trigger;

/// Sends a trigger unless one is already queued: the reload it starts
/// re-reads everything, so one queued trigger stands for any number.
fn nudge(tx: &mpsc::Sender<Trigger>, trigger: Trigger) {
    let _ = tx.try_send(trigger);
}

/// Whether an event can mean the set of files changed. Our own reads show up
/// as open/close-without-write events (notify asks inotify for IN_OPEN), and
/// reacting to them would reload in a loop.
fn relevant(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

/// The directory's identity: if it changes (the directory was replaced),
/// the inotify watch points at the old one and must be renewed.
fn identity(dir: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(dir).ok().map(|m| (m.dev(), m.ino()))
}

/// A live watch on one directory.
pub struct Watch {
    _watcher: RecommendedWatcher,
    identity: Option<(u64, u64)>,
}

/// Watches `dir` itself, non-recursively: editors save by renaming over the
/// file and Kubernetes swaps a `..data` symlink, so watching the files would
/// lose them after the first save. Every relevant event is passed on at
/// once; the reloader's quiet period is the one debounce (a second one here
/// would only add latency).
/// Start it before the initial load: a change made between the load and
/// the watch would otherwise wait for the periodic rescan.
pub fn start_watch(dir: &Path, tx: mpsc::Sender<Trigger>) -> Option<Watch> {
    let handler = move |result: notify::Result<Event>| match result {
        Ok(event) if event.need_rescan() => {
            tracing::warn!("the watcher lost events; rescanning");
            nudge(&tx, Trigger::WatchRescan);
        }
        Ok(event) if relevant(&event.kind) => nudge(&tx, Trigger::Watch),
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "watcher error; rescanning");
            nudge(&tx, Trigger::WatchRescan);
        }
    };
    let identity = identity(dir);
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "cannot start the file watcher; relying on periodic rescans");
            return None;
        }
    };
    if let Err(e) = watcher.watch(dir, RecursiveMode::NonRecursive) {
        tracing::warn!(error = %e, dir = %dir.display(), "cannot watch the directory; relying on periodic rescans");
        return None;
    }
    tracing::debug!(dir = %dir.display(), "watching");
    Some(Watch {
        _watcher: watcher,
        identity,
    })
}

/// Watch settings.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// The policy directory.
    pub dir: PathBuf,
    /// Whether to use inotify at all.
    pub watch: bool,
    /// Period of the full rescan.
    pub rescan_interval: Duration,
}

/// Starts the periodic rescan, which also renews the watch (`watch`, from
/// `start_watch`) if the directory is replaced or watching failed.
pub fn spawn(config: WatchConfig, mut watch: Option<Watch>, tx: mpsc::Sender<Trigger>) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(config.rescan_interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ticks.tick().await; // the first tick is immediate
        loop {
            ticks.tick().await;
            if config.watch {
                let now = identity(&config.dir);
                let stale_watch = watch.as_ref().is_none_or(|w| w.identity != now);
                if stale_watch && now.is_some() {
                    tracing::info!(dir = %config.dir.display(), "(re)starting the directory watch");
                    watch = start_watch(&config.dir, tx.clone());
                }
            }
            nudge(&tx, Trigger::Periodic);
        }
    });
}

/// Handles SIGHUP: a reload trigger with a directory, a log line with the
/// embedded library. The handler is installed before this returns, so a
/// SIGHUP right after startup cannot kill the process (its default action).
pub fn spawn_sighup(tx: Option<mpsc::Sender<Trigger>>) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hup = match signal(SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot handle SIGHUP");
            return;
        }
    };
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            match &tx {
                Some(tx) => {
                    tracing::info!("SIGHUP: reloading");
                    nudge(tx, Trigger::Signal);
                }
                None => tracing::info!("SIGHUP ignored: the embedded library never changes"),
            }
        }
    });
}
