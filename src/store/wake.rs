//! How the watcher, the store and the rescan timer wake the worker: each
//! sets its bit and sends a wake-up into a one-slot channel. A wake-up that
//! does not fit is not needed (one is queued already, and the worker takes
//! every pending bit at once), so no cause is ever lost and no sender
//! blocks.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::time::Instant;

use super::status::Trigger;

const PERIODIC: u8 = 1;
const WATCH: u8 = 2;
const WATCH_RESCAN: u8 = 4;
const RELOAD_NOW: u8 = 8;

/// The sending side, shared by the store, the watchers and the worker.
#[derive(Debug)]
pub(crate) struct Wake {
    pending: AtomicU8,
    stop: AtomicBool,
    tx: SyncSender<()>,
}

/// What a wait ended with.
pub(crate) enum Waited {
    /// Causes arrived (merged into the weightiest); `changed` if one of them
    /// was a file event.
    Triggered { trigger: Trigger, changed: bool },
    /// The time passed.
    TimedOut,
    /// The store is being dropped.
    Stop,
}

impl Wake {
    /// A waker and the worker's receiver.
    pub(crate) fn new() -> (Wake, Receiver<()>) {
        let (tx, rx) = sync_channel(1);
        let wake = Wake {
            pending: AtomicU8::new(0),
            stop: AtomicBool::new(false),
            tx,
        };
        (wake, rx)
    }

    /// Asks for a round.
    pub(crate) fn nudge(&self, trigger: Trigger) {
        let bit = match trigger {
            Trigger::Startup | Trigger::Periodic => PERIODIC,
            Trigger::Watch => WATCH,
            Trigger::WatchRescan => WATCH_RESCAN,
            Trigger::ReloadNow => RELOAD_NOW,
        };
        self.pending.fetch_or(bit, Ordering::SeqCst);
        // Full: a wake-up is queued and will see this bit.
        let _ = self.tx.try_send(());
    }

    /// Tells the worker to finish.
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.tx.try_send(());
    }

    pub(crate) fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Takes every pending cause: the weightiest, and whether a file event
    /// was among them.
    fn take(&self) -> Option<(Trigger, bool)> {
        let bits = self.pending.swap(0, Ordering::SeqCst);
        let trigger = if bits & RELOAD_NOW != 0 {
            Trigger::ReloadNow
        } else if bits & WATCH_RESCAN != 0 {
            Trigger::WatchRescan
        } else if bits & WATCH != 0 {
            Trigger::Watch
        } else if bits & PERIODIC != 0 {
            Trigger::Periodic
        } else {
            return None;
        };
        Some((trigger, bits & (WATCH | WATCH_RESCAN) != 0))
    }

    /// Waits until `deadline` (`None`: for ever) for a cause. A wake-up
    /// whose bits an earlier `take` already collected is not a cause.
    pub(crate) fn wait(&self, rx: &Receiver<()>, deadline: Option<Instant>) -> Waited {
        loop {
            if self.stopping() {
                return Waited::Stop;
            }
            if let Some((trigger, changed)) = self.take() {
                return Waited::Triggered { trigger, changed };
            }
            let got = match deadline {
                None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Some(d) => rx.recv_timeout(d.saturating_duration_since(Instant::now())),
            };
            match got {
                Ok(()) => {}
                Err(RecvTimeoutError::Timeout) => return Waited::TimedOut,
                // Cannot happen while `self` holds the sender; stop anyway.
                Err(RecvTimeoutError::Disconnected) => return Waited::Stop,
            }
        }
    }
}
