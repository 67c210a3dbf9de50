//! Command-line flags.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

/// Serve oauth-policy decisions over HTTP/JSON, reloading `.policy` files
/// safely while serving.
#[derive(Debug, Parser)]
#[command(name = "policyd", version, about)]
pub struct Args {
    /// Directory of `*.policy` files to serve and watch (default: the
    /// embedded provider library, which never reloads).
    #[arg(long, value_name = "DIR")]
    pub policies: Option<PathBuf>,

    /// A directory of overlay `.policy` files layered on top of `--policies`
    /// (or of the embedded library): `extend provider` blocks, local
    /// providers and rules. Repeatable, applied in order; watched and
    /// reloaded like `--policies` (the embedded library never changes).
    #[arg(long = "overlay", value_name = "DIR")]
    pub overlays: Vec<PathBuf>,

    /// Address to listen on. Loopback by default: put the daemon beside the
    /// gateway, not on the network.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8181")]
    pub listen: SocketAddr,

    /// What to do when the newest files do not compile: keep serving the
    /// last good policy, or refuse decisions (HTTP 503) until fixed.
    #[arg(long, value_enum, default_value_t = OnReloadError::Keep)]
    pub on_reload_error: OnReloadError,

    /// Append one JSON line per decision to PATH (`-` for stdout).
    #[arg(long, value_name = "PATH|-")]
    pub decision_log: Option<PathBuf>,

    /// Re-read the directory this often even without file events, so a lost
    /// inotify event cannot leave a stale policy forever.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = positive_duration)]
    pub rescan_interval: Duration,

    /// Wait this long after the last file event before reloading, so an
    /// editor's or deployer's burst of writes is read once, complete.
    #[arg(long, value_name = "DURATION", default_value = "100ms", value_parser = positive_duration)]
    pub debounce: Duration,

    /// Do not watch the directory; reload only on the periodic rescan and on
    /// SIGHUP (for filesystems without inotify, such as NFS).
    #[arg(long)]
    pub no_watch: bool,

    /// Close a connection that has not sent a complete request head within
    /// this time of opening or of its previous response: slow headers and
    /// idle keep-alive connections alike (one timer in hyper).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = positive_duration)]
    pub header_read_timeout: Duration,

    /// Answer 408 to a request whose body has not fully arrived this long
    /// after its head.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = positive_duration)]
    pub body_read_timeout: Duration,

    /// Open connections at most; at the cap the least recently used one is
    /// closed (idle first), so health checks still get in. Default 1024,
    /// lowered to fit the file descriptor limit (RLIMIT_NOFILE).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,

    /// On SIGTERM, how long in-flight requests get to finish.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    pub shutdown_grace: Duration,
}

/// The `--on-reload-error` policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnReloadError {
    /// Keep serving the last policy that compiled (nginx, Envoy, Caddy, OPA).
    Keep,
    /// Answer decisions with 503 `policy_unavailable` until the files compile.
    FailClosed,
}

impl OnReloadError {
    /// The flag's spelling, for `/v1/policy`.
    pub fn as_str(self) -> &'static str {
        match self {
            OnReloadError::Keep => "keep",
            OnReloadError::FailClosed => "fail-closed",
        }
    }
}

/// A `humantime` duration of at least one millisecond (zero would make the
/// timers spin).
fn positive_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| e.to_string())?;
    if d < Duration::from_millis(1) {
        return Err("must be at least 1ms".to_string());
    }
    Ok(d)
}
