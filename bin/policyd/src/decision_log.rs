//! The optional decision log: one JSON line per decision, written by a
//! dedicated thread so a slow disk never holds up a request.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use prometheus_client::metrics::counter::Counter;

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

    /// Appends to `path`, or writes to stdout for `-`. Lines the writer
    /// cannot write are counted in `lost` (the same counter as lines dropped
    /// from a full queue: either way a decision went unlogged).
    pub fn open(path: &Path, lost: Counter) -> io::Result<Self> {
        let out: Box<dyn Write + Send> = if path.as_os_str() == "-" {
            Box::new(io::stdout())
        } else {
            Box::new(OpenOptions::new().create(true).append(true).open(path)?)
        };
        let (tx, rx) = sync_channel(QUEUE);
        let writer = std::thread::Builder::new()
            .name("decision-log".into())
            .spawn(move || write_lines(rx, out, lost))?;
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

/// Writes what is queued in one batch per wake-up (so the file is current
/// whenever the daemon is idle), counting every line that did not make it.
fn write_lines(rx: Receiver<String>, mut out: Box<dyn Write + Send>, lost: Counter) {
    let mut warn = Warn::default();
    let mut batch = Batch::default();
    while let Ok(line) = rx.recv() {
        batch.push(&line);
        while let Ok(line) = rx.try_recv() {
            batch.push(&line);
        }
        if let Err((e, n)) = batch.write_to(&mut out) {
            lost.inc_by(n);
            warn.lost(n, &e);
        }
    }
    warn.flush();
}

/// Queued lines joined into one buffer, with where each line ends.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Batch {
    fn push(&mut self, line: &str) {
        self.bytes.extend_from_slice(line.as_bytes());
        self.bytes.push(b'\n');
        self.ends.push(self.bytes.len());
    }

    /// Writes and empties the batch; on failure, the error and how many
    /// lines were not written whole.
    fn write_to(&mut self, out: &mut dyn Write) -> Result<(), (io::Error, u64)> {
        let mut done = 0;
        let mut result = Ok(());
        while done < self.bytes.len() {
            match out.write(self.bytes.get(done..).unwrap_or_default()) {
                Ok(0) => {
                    result = Err(io::Error::from(io::ErrorKind::WriteZero));
                    break;
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if result.is_ok() {
            result = out.flush();
        }
        let written = self.ends.iter().filter(|&&end| end <= done).count();
        let unwritten = (self.ends.len() - written) as u64;
        self.bytes.clear();
        self.ends.clear();
        result.map_err(|e| (e, unwritten))
    }
}

/// Lost lines are reported at most once per `WARN_EVERY`, with their count:
/// a full disk must not turn into one warning per decision.
#[derive(Default)]
struct Warn {
    last: Option<Instant>,
    unreported: u64,
}

/// How often a failing decision log is reported.
const WARN_EVERY: Duration = Duration::from_secs(10);

impl Warn {
    fn lost(&mut self, n: u64, error: &io::Error) {
        self.unreported += n;
        if self.last.is_none_or(|t| t.elapsed() >= WARN_EVERY) {
            tracing::warn!(
                error = %error,
                lost = self.unreported,
                "cannot write the decision log; lines lost since the last warning \
                 (counted in policyd_decision_log_dropped_total; next warning in 10s at the earliest)"
            );
            self.last = Some(Instant::now());
            self.unreported = 0;
        }
    }

    /// Reports what was lost since the last warning (at shutdown).
    fn flush(&mut self) {
        if self.unreported > 0 {
            tracing::warn!(
                lost = self.unreported,
                "decision log lines lost since the last warning"
            );
            self.unreported = 0;
        }
    }
}
