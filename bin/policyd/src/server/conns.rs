//! The connection cap. When it is reached, a new connection is still
//! accepted and the least recently used one is asked to close (idle ones
//! first), as nginx reuses idle keep-alive connections when it runs out: so
//! idle or stalled clients can never lock out `/livez` or a gateway, and the
//! process stays below its file descriptor limit. An asked connection closes
//! at once when idle, or after its current request. If too many asked ones
//! are still finishing requests, accepting waits for one to end (new
//! connections wait in the listen backlog meanwhile).

use std::collections::HashMap;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;
use tokio::time::Instant;

/// Connections that may be closing at once beyond the cap. Past that (every
/// one asked to close is still finishing a request), admission waits.
pub const CLOSING_HEADROOM: usize = 16;

/// Live connections.
#[derive(Debug)]
pub struct Conns {
    cap: usize,
    started: Instant,
    inner: Mutex<Inner>,
    /// Signalled when the last connection ends.
    empty: Notify,
    /// Signalled whenever a connection ends.
    freed: Notify,
}

#[derive(Debug, Default)]
struct Inner {
    next: u64,
    live: HashMap<u64, Entry>,
    closing: usize,
}

#[derive(Debug)]
struct Entry {
    activity: Arc<Activity>,
    close: Arc<Notify>,
    asked: bool,
}

/// What a connection is doing, updated by its requests.
#[derive(Debug, Default)]
pub struct Activity {
    /// Requests in progress.
    busy: AtomicUsize,
    /// When a request last started or ended (ms since `Conns::started`).
    last_ms: AtomicU64,
}

/// A connection's place under the cap; leaving frees it.
#[derive(Debug)]
pub struct Slot {
    id: u64,
    conns: Arc<Conns>,
    /// Updated by the connection's requests.
    pub activity: Arc<Activity>,
    close: Arc<Notify>,
}

/// Marks a request in progress on its connection until dropped.
#[derive(Debug)]
pub struct Busy {
    activity: Arc<Activity>,
    conns: Arc<Conns>,
}

impl Conns {
    /// Room for `cap` connections.
    pub fn new(cap: usize) -> Arc<Self> {
        Arc::new(Self {
            cap,
            started: Instant::now(),
            inner: Mutex::new(Inner::default()),
            empty: Notify::new(),
            freed: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding this lock leaves the map consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A slot for a new connection, asking the least recently used one to
    /// close if the cap is reached; waits while too many are closing.
    pub async fn admit(self: &Arc<Self>) -> Slot {
        loop {
            let mut freed = pin!(self.freed.notified());
            freed.as_mut().enable();
            if let Some(slot) = self.try_admit() {
                return slot;
            }
            freed.await;
        }
    }

    /// `admit` without waiting.
    pub fn try_admit(self: &Arc<Self>) -> Option<Slot> {
        let mut inner = self.lock();
        if inner.live.len() >= self.cap {
            if inner.closing >= CLOSING_HEADROOM {
                return None;
            }
            let victim = inner
                .live
                .values_mut()
                .filter(|e| !e.asked)
                .min_by_key(|e| (e.activity.busy() > 0, e.activity.last_ms()))?;
            victim.asked = true;
            victim.close.notify_one();
            inner.closing += 1;
        }
        let id = inner.next;
        inner.next += 1;
        let activity = Arc::new(Activity::default());
        activity.last_ms.store(self.now_ms(), Ordering::Relaxed);
        let close = Arc::new(Notify::new());
        inner.live.insert(
            id,
            Entry {
                activity: activity.clone(),
                close: close.clone(),
                asked: false,
            },
        );
        Some(Slot {
            id,
            conns: self.clone(),
            activity,
            close,
        })
    }

    /// How many connections are open.
    pub fn len(&self) -> usize {
        self.lock().live.len()
    }

    /// Waits until every connection has ended.
    pub async fn wait_empty(&self) {
        loop {
            let mut notified = pin!(self.empty.notified());
            notified.as_mut().enable();
            if self.len() == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Activity {
    fn busy(&self) -> usize {
        self.busy.load(Ordering::Relaxed)
    }

    fn last_ms(&self) -> u64 {
        self.last_ms.load(Ordering::Relaxed)
    }
}

impl Slot {
    /// Resolves when the cap asks this connection to close.
    pub async fn asked_to_close(&self) {
        self.close.notified().await;
    }

    /// Whether a request is in progress.
    pub fn is_busy(&self) -> bool {
        self.activity.busy() > 0
    }

    /// Marks a request in progress until the guard is dropped.
    pub fn busy(&self) -> Busy {
        self.activity.busy.fetch_add(1, Ordering::Relaxed);
        self.activity
            .last_ms
            .store(self.conns.now_ms(), Ordering::Relaxed);
        Busy {
            activity: self.activity.clone(),
            conns: self.conns.clone(),
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.activity.busy.fetch_sub(1, Ordering::Relaxed);
        self.activity
            .last_ms
            .store(self.conns.now_ms(), Ordering::Relaxed);
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut inner = self.conns.lock();
        if inner.live.remove(&self.id).is_some_and(|e| e.asked) {
            inner.closing = inner.closing.saturating_sub(1);
        }
        if inner.live.is_empty() {
            self.conns.empty.notify_waiters();
        }
        self.conns.freed.notify_waiters();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
mod tests {
    use super::*;

    #[tokio::test]
    async fn at_the_cap_the_least_recently_used_idle_connection_is_asked_to_close() {
        let tick = || std::thread::sleep(std::time::Duration::from_millis(3));
        let conns = Conns::new(2);
        let a = conns.admit().await;
        tick();
        let b = conns.admit().await;
        tick();
        // `a` is older but busy: `b`, idle, is the one asked.
        let busy = a.busy();
        let c = conns.admit().await;
        assert_eq!(conns.len(), 3);
        // The request is stored as a permit: this resolves at once.
        tokio::time::timeout(std::time::Duration::from_secs(5), b.asked_to_close())
            .await
            .expect("the idle connection was asked to close");
        drop(b);
        assert_eq!(conns.len(), 2);
        drop(busy);
        drop((a, c));
        assert_eq!(conns.len(), 0);
        conns.wait_empty().await;
    }

    #[test]
    fn past_the_closing_headroom_admission_waits_for_one_to_end() {
        let conns = Conns::new(1);
        let mut kept = vec![conns.try_admit().unwrap()];
        for _ in 0..CLOSING_HEADROOM {
            kept.push(conns.try_admit().unwrap());
        }
        assert!(conns.try_admit().is_none());
        kept.remove(0);
        assert!(conns.try_admit().is_some());
    }
}
