//! The daemon's view of reloading, which the library's `PolicyStore` does
//! (quiet period, stable reads, keep-last-good): building the store from
//! the flags, and one log line and metric per reload round.

use std::path::PathBuf;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme};
use oauth_policy::store::{
    self, PolicyStore, ReloadEvent, ReloadResult, SkipReason, StoreBuilder, Trigger, WatchEvent,
};
use oauth_policy::LoadError;

use crate::cli::{Args, OnReloadError};
use crate::metrics::Metrics;

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

/// A trigger's name in logs and `/v1/policy` (`reload_now` is SIGHUP here).
pub fn trigger_name(trigger: Trigger) -> &'static str {
    match trigger {
        Trigger::ReloadNow => "sighup",
        other => other.as_str(),
    }
}

/// The store the flags describe: `--policies` (or the embedded library)
/// with the `--overlay`s, watched unless `--no-watch`.
pub fn builder(args: &Args, metrics: Arc<Metrics>) -> StoreBuilder {
    let mut b = match &args.policies {
        Some(dir) => PolicyStore::builder().dir(dir),
        None => PolicyStore::builder().builtin(),
    };
    for dir in &args.overlays {
        b = b.overlay(dir);
    }
    let mode = args.on_reload_error;
    b.debounce(args.debounce)
        .rescan_interval(Some(args.rescan_interval))
        .file_events(!args.no_watch)
        .on_reload_error(match mode {
            OnReloadError::Keep => store::OnReloadError::KeepLastGood,
            OnReloadError::FailClosed => store::OnReloadError::FailClosed,
        })
        .on_reload(move |e| record(&metrics, mode, e))
        .on_watch(watched)
}

/// The directories to watch, for the startup checks.
pub fn dirs(args: &Args) -> impl Iterator<Item = &PathBuf> {
    args.policies.iter().chain(&args.overlays)
}

/// Logs and counts one reload round (before its result is served, so the
/// metrics are never behind `/v1/policy`).
fn record(metrics: &Metrics, mode: OnReloadError, e: &ReloadEvent<'_>) {
    let trigger = trigger_name(e.trigger);
    match e.result {
        ReloadResult::Swapped => {
            metrics.reload("ok");
            if let Some((removed, of)) = e.removes_most {
                metrics.removed_most();
                tracing::warn!(
                    removed,
                    of,
                    revision = e.revision,
                    "this reload removes most providers; if that was not intended, a file was \
                     probably written in place and read unfinished (see docs/daemon.md)"
                );
            }
            tracing::info!(
                revision = e.revision,
                previous = e.previous,
                generation = e.generation,
                files = e.files,
                trigger,
                "policy reloaded"
            );
            metrics.served(e.generation, e.loaded_at);
        }
        ReloadResult::Unchanged => {
            metrics.reload("unchanged");
            if e.was_stale {
                tracing::info!(
                    revision = e.revision,
                    "files are back to the serving revision; no longer stale"
                );
            } else {
                tracing::debug!(trigger, "policy unchanged");
            }
        }
        ReloadResult::Failed => {
            metrics.reload("failed");
            let rendered = e.error.map(render).unwrap_or_default();
            tracing::warn!(
                trigger,
                serving = e.revision,
                action = match mode {
                    OnReloadError::Keep => "keeping the last good policy",
                    OnReloadError::FailClosed => "refusing decisions (fail-closed)",
                },
                "reload failed:\n{rendered}"
            );
        }
        ReloadResult::Skipped(SkipReason::SameFailure) => {
            tracing::debug!(trigger, "files still as they failed");
            return;
        }
        ReloadResult::Skipped(SkipReason::Unsettled) => {
            metrics.reload("unsettled");
            tracing::warn!(
                tries = e.tries,
                serving = e.revision,
                "the policy files did not settle (they kept changing while read, or a served file \
                 is left empty); keeping the served policy until the next change (write a \
                 temporary file and rename it into place; delete a file rather than empty it: see \
                 docs/daemon.md)"
            );
            return;
        }
        _ => {
            tracing::error!(
                trigger,
                "reload failed internally; keeping the current policy"
            );
            return;
        }
    }
    metrics.set_stale(e.stale);
}

/// Logs what the directory watcher does.
fn watched(e: &WatchEvent<'_>) {
    match e {
        WatchEvent::Watching(dir) => tracing::debug!(dir = %dir.display(), "watching"),
        WatchEvent::Restarting(dir) => {
            tracing::info!(dir = %dir.display(), "(re)starting the directory watch")
        }
        WatchEvent::Unavailable(dir, err) => tracing::warn!(
            error = %err,
            dir = %dir.display(),
            "cannot watch the directory; relying on periodic rescans"
        ),
        WatchEvent::Lost(None) => tracing::warn!("the watcher lost events; rescanning"),
        WatchEvent::Lost(Some(err)) => tracing::warn!(error = %err, "watcher error; rescanning"),
        _ => {}
    }
}

/// Handles SIGHUP: a forced reload with a directory, a log line with the
/// embedded library alone. The handler is installed before this returns, so
/// a SIGHUP right after startup cannot kill the process (its default action).
pub fn spawn_sighup(state: Arc<crate::state::AppState>) {
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
            if state.store.reloads() {
                tracing::info!("SIGHUP: reloading");
                state.store.reload_now();
            } else {
                tracing::info!("SIGHUP ignored: the embedded library never changes");
            }
        }
    });
}
