//! The optional decision log: one JSON line per decision, written by a
//! dedicated thread so a slow disk never holds up a request.

use std::fs::OpenOptions;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Mutex, RwLock};
use std::thread::JoinHandle;

use serde::Serialize;

/// Lines that may wait for the writer before new ones are dropped (and
/// counted in `policyd_decision_log_dropped_total`).
const QUEUE: usize = 16 * 1024;

/// One decision. Only policy-derived names and scrubbed text: see `redact`.
#[derive(Debug, Serialize)]
pub struct Entry<'a> {
    /// RFC 3339 UTC.
    pub time: String,
    /// `authorize`, `token` or `classify`.
    pub endpoint: &'static str,
    /// The HTTP status answered.
    pub status: u16,
    /// What was decided (see `docs/daemon.md`).
    pub outcome: &'static str,
    /// The provider block that applied.
    pub provider: Option<&'a str>,
    /// Ids of the rules that changed, denied or classified the request.
    pub rules: Vec<&'a str>,
    /// The policy revision that decided (absent when no decision was made).
    pub revision: Option<&'a str>,
    /// Its generation.
    pub generation: Option<u64>,
    /// Time spent, in microseconds.
    pub latency_us: u64,
    /// The denial reason, scrubbed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denied: Option<String>,
    /// The callback category (classify).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The provider's error code (classify) or the request error code, scrubbed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The log; disabled unless `--decision-log` is given.
#[derive(Debug, Default)]
pub struct DecisionLog {
    tx: RwLock<Option<SyncSender<String>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl DecisionLog {
    /// A log that writes nothing.
    pub fn disabled() -> Self {
        Self::default()
    }

    /// Appends to `path`, or writes to stdout for `-`.
    pub fn open(path: &Path) -> io::Result<Self> {
        let out: Box<dyn Write + Send> = if path.as_os_str() == "-" {
            Box::new(io::stdout())
        } else {
            Box::new(OpenOptions::new().create(true).append(true).open(path)?)
        };
        let (tx, rx) = sync_channel(QUEUE);
        let writer = std::thread::Builder::new()
            .name("decision-log".into())
            .spawn(move || write_lines(rx, out))?;
        Ok(Self {
            tx: RwLock::new(Some(tx)),
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Whether entries are written (so callers can skip building them).
    pub fn enabled(&self) -> bool {
        self.tx.read().map(|t| t.is_some()).unwrap_or(false)
    }

    /// Queues an entry; returns false if it had to be dropped.
    pub fn write(&self, entry: &Entry<'_>) -> bool {
        let Ok(guard) = self.tx.read() else {
            return false;
        };
        let Some(tx) = guard.as_ref() else {
            return true;
        };
        let Ok(line) = serde_json::to_string(entry) else {
            return false;
        };
        match tx.try_send(line) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        }
    }

    /// Stops accepting entries and waits until every queued one is written.
    pub fn close(&self) {
        if let Ok(mut tx) = self.tx.write() {
            tx.take();
        }
        let handle = self.writer.lock().ok().and_then(|mut w| w.take());
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

fn write_lines(rx: Receiver<String>, out: Box<dyn Write + Send>) {
    let mut out = BufWriter::new(out);
    while let Ok(line) = rx.recv() {
        let mut ok = writeln!(out, "{line}").is_ok();
        // Batch what is already queued, then flush so the file is current
        // whenever the daemon is idle.
        while let Ok(line) = rx.try_recv() {
            ok &= writeln!(out, "{line}").is_ok();
        }
        ok &= out.flush().is_ok();
        if !ok {
            tracing::warn!("cannot write the decision log");
        }
    }
    let _ = out.flush();
}
