//! Directory watches: each relevant file event nudges the worker; the
//! worker's quiet period is the one debounce (a second one here would only
//! add latency).

use std::path::Path;
use std::sync::Arc;

use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{Event, RecommendedWatcher, RecursiveMode, Watcher};

use super::status::{Trigger, WatchEvent};
use super::wake::Wake;
use super::WatchHook;

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
/// the watch points at the old one and must be renewed.
#[cfg(unix)]
pub(crate) fn identity(dir: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(dir).ok().map(|m| (m.dev(), m.ino()))
}

/// Elsewhere only "it exists": a replaced directory is not noticed.
#[cfg(not(unix))]
pub(crate) fn identity(dir: &Path) -> Option<(u64, u64)> {
    dir.is_dir().then_some((0, 0))
}

/// A live watch on one directory.
pub(crate) struct Watch {
    _watcher: RecommendedWatcher,
    pub(crate) identity: Option<(u64, u64)>,
}

/// Watches `dir` itself, non-recursively: editors save by renaming over the
/// file and Kubernetes swaps a `..data` symlink, so watching the files would
/// lose them after the first save. Started before the initial load, so a
/// change between the two is not left to the periodic rescan.
pub(crate) fn start(dir: &Path, wake: &Arc<Wake>, hook: Option<&WatchHook>) -> Option<Watch> {
    let tx = Arc::clone(wake);
    let lost_hook = hook.cloned();
    let handler = move |result: notify::Result<Event>| match result {
        Ok(event) if event.need_rescan() => {
            if let Some(h) = &lost_hook {
                super::call(|| h(&WatchEvent::Lost(None)));
            }
            tx.nudge(Trigger::WatchRescan);
        }
        Ok(event) if relevant(&event.kind) => tx.nudge(Trigger::Watch),
        Ok(_) => {}
        Err(e) => {
            if let Some(h) = &lost_hook {
                super::call(|| h(&WatchEvent::Lost(Some(&e))));
            }
            tx.nudge(Trigger::WatchRescan);
        }
    };
    let identity = identity(dir);
    let unavailable = |e: &notify::Error| {
        if let Some(h) = hook {
            super::call(|| h(&WatchEvent::Unavailable(dir, e)));
        }
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(e) => {
            unavailable(&e);
            return None;
        }
    };
    if let Err(e) = watcher.watch(dir, RecursiveMode::NonRecursive) {
        unavailable(&e);
        return None;
    }
    if let Some(h) = hook {
        super::call(|| h(&WatchEvent::Watching(dir)));
    }
    Some(Watch {
        _watcher: watcher,
        identity,
    })
}
