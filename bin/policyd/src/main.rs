//! `policyd`: oauth-policy decisions over HTTP/JSON for gateways in any
//! language, from a directory of `.policy` files reloaded safely under
//! traffic. See docs/daemon.md.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod api;
mod cli;
mod decision_log;
mod metrics;
mod redact;
mod reload;
mod server;
mod state;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use oauth_policy::store::PolicyStore;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::cli::Args;
use crate::decision_log::DecisionLog;
use crate::metrics::Metrics;
use crate::state::AppState;

/// Exit code when the daemon cannot start (bad flags use clap's 2).
const EXIT_START: u8 = 1;

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(log_filter(std::env::var("RUST_LOG").ok().as_deref()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::from(EXIT_START);
        }
    };
    runtime.block_on(run(args))
}

/// The log filter from `RUST_LOG` (`debug`, `warn,oauth_policy=debug`, …:
/// a default level and per-target levels), `info` when it is unset or does
/// not parse. `Targets`, not `EnvFilter`: `EnvFilter` needs
/// `tracing-subscriber`'s `env-filter` feature, whose regex dependency turns
/// on `regex-automata`'s full DFAs for the whole build, so every policy
/// regex policyd loaded was built twice over (docs/performance.md).
fn log_filter(var: Option<&str>) -> Targets {
    var.filter(|v| !v.trim().is_empty())
        .and_then(|v| v.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO))
}

/// Loads the initial policy and starts watching (the library's
/// `PolicyStore`), or explains why it cannot.
fn initial(args: &Args, metrics: &Arc<Metrics>) -> Result<PolicyStore, ExitCode> {
    for dir in reload::dirs(args) {
        if !dir.is_dir() {
            tracing::error!(path = %dir.display(), "--policies and --overlay take a directory of .policy files");
            return Err(ExitCode::from(EXIT_START));
        }
    }
    match reload::builder(args, Arc::clone(metrics)).build() {
        Ok(store) => Ok(store),
        Err(e) => {
            eprintln!("{}", reload::render(&e));
            tracing::error!("the initial policy does not load; not starting");
            Err(ExitCode::from(EXIT_START))
        }
    }
}

async fn run(args: Args) -> ExitCode {
    // The store watches before it loads, so no change can fall between the
    // two; its hook counts every reload round in these metrics.
    let metrics = Arc::new(Metrics::new());
    let store = match initial(&args, &metrics) {
        Ok(store) => store,
        Err(code) => return code,
    };
    let policy = store.current();
    if store.reloads() {
        let layers: Vec<String> = policy.layers().iter().map(|l| l.name.clone()).collect();
        tracing::info!(
            revision = policy.revision(),
            files = policy.files().len(),
            layers = layers.join(" + "),
            "serving policies; watching their directories"
        );
    } else {
        tracing::info!(
            revision = policy.revision(),
            files = policy.files().len(),
            "no --policies or --overlay given: serving the embedded default library (it never reloads)"
        );
    }
    let log = match &args.decision_log {
        None => DecisionLog::disabled(),
        Some(path) => match DecisionLog::open(path, metrics.log_dropped_counter()) {
            Ok(log) => log,
            Err(e) => {
                tracing::error!(error = %e, path = %path.display(), "cannot open the decision log");
                return ExitCode::from(EXIT_START);
            }
        },
    };
    let state = Arc::new(AppState::new(
        store,
        args.policies.clone(),
        args.on_reload_error,
        metrics,
        log,
    ));

    // Signals first, so none arriving right after startup hits its default
    // action (which for SIGTERM and SIGHUP is to die).
    let stops = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(term), Ok(int)) => (term, int),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "cannot handle SIGTERM/SIGINT");
            return ExitCode::from(EXIT_START);
        }
    };
    reload::spawn_sighup(state.clone());

    let config = server::Config {
        header_read_timeout: args.header_read_timeout,
        max_connections: server::connection_cap(args.max_connections.map(|n| n as usize)),
        grace: args.shutdown_grace,
    };
    tracing::info!(
        max_connections = config.max_connections,
        header_read_timeout = ?config.header_read_timeout,
        body_read_timeout = ?args.body_read_timeout,
        "connection limits"
    );
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, addr = %args.listen, "cannot listen");
            return ExitCode::from(EXIT_START);
        }
    };
    match listener.local_addr() {
        Ok(addr) => tracing::info!("listening on http://{addr}"),
        Err(e) => tracing::warn!(error = %e, "listening (address unknown)"),
    }

    let app = api::router(state.clone(), args.body_read_timeout);
    let stop = async {
        let which = wait_for_stop(stops).await;
        tracing::info!("{which}: shutting down; finishing in-flight requests");
    };
    if !server::serve(listener, app, config, stop).await {
        tracing::warn!(grace = ?config.grace, "grace period over; closing the remaining connections");
    }
    state.log.close();
    tracing::info!("stopped");
    ExitCode::SUCCESS
}

async fn wait_for_stop((mut term, mut int): (Signal, Signal)) -> &'static str {
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}

#[cfg(test)]
mod tests {
    use tracing::Level;

    use super::log_filter;

    #[test]
    fn rust_log_sets_the_level_and_per_target_levels() {
        let unset = log_filter(None);
        assert!(unset.would_enable("policyd", &Level::INFO));
        assert!(!unset.would_enable("policyd", &Level::DEBUG));

        assert!(log_filter(Some("debug")).would_enable("policyd", &Level::DEBUG));

        let per_target = log_filter(Some("warn,oauth_policy=debug"));
        assert!(per_target.would_enable("oauth_policy::store", &Level::DEBUG));
        assert!(!per_target.would_enable("policyd", &Level::INFO));
        assert!(per_target.would_enable("policyd", &Level::WARN));
    }

    #[test]
    fn an_unreadable_or_empty_rust_log_means_info() {
        for bad in ["", "  ", "policyd=loud"] {
            let f = log_filter(Some(bad));
            assert!(f.would_enable("policyd", &Level::INFO), "{bad:?}");
            assert!(!f.would_enable("policyd", &Level::DEBUG), "{bad:?}");
        }
    }
}
