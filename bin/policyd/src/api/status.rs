//! Status endpoints: `/v1/policy`, `/livez`, `/readyz`, `/metrics`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::json;

use oauth_policy::store::{ErrorSummary, ReloadCounts, ReloadResult, StoreStatus};

use crate::reload::{render, trigger_name};
use crate::state::{rfc3339, AppState};

#[derive(Serialize)]
struct FileView<'a> {
    name: &'a str,
    bytes: usize,
}

#[derive(Serialize)]
struct PolicyView<'a> {
    revision: &'a str,
    generation: u64,
    loaded_at: String,
    source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    directory: Option<String>,
    /// Base first, then each overlay, with their own revisions.
    layers: &'a [oauth_policy::Layer],
    files: Vec<FileView<'a>>,
    providers: Vec<&'a str>,
    on_reload_error: &'static str,
    serving: bool,
    stale: bool,
    last_reload: LastReloadView<'a>,
    reloads: CountsView,
}

/// The newest reload attempt.
#[derive(Serialize)]
struct LastReloadView<'a> {
    /// `initial`, `ok`, `unchanged` or `failed`.
    result: &'static str,
    /// `startup`, `watch`, `watch_rescan`, `periodic`, `sighup`.
    trigger: &'static str,
    /// When it finished.
    at: String,
    /// The miette diagnostics, rendered without colour (failures only).
    #[serde(skip_serializing_if = "Option::is_none")]
    diagnostics: Option<String>,
    /// The same errors, one object each (failures only).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [ErrorSummary],
}

/// Reload attempt totals.
#[derive(Serialize)]
struct CountsView {
    /// New revisions swapped in.
    ok: u64,
    /// Attempts that found the serving revision.
    unchanged: u64,
    /// Attempts that failed (a failure seen again unchanged is counted once).
    failed: u64,
}

impl CountsView {
    fn of(c: &ReloadCounts) -> Self {
        Self {
            ok: c.swapped,
            unchanged: c.unchanged,
            failed: c.failed,
        }
    }
}

fn last_reload(s: &StoreStatus) -> LastReloadView<'_> {
    let r = &s.last_reload;
    LastReloadView {
        result: match r.result {
            ReloadResult::Initial => "initial",
            ReloadResult::Swapped => "ok",
            ReloadResult::Unchanged => "unchanged",
            _ => "failed",
        },
        trigger: trigger_name(r.trigger),
        at: rfc3339(r.at),
        diagnostics: r.error.as_deref().map(render),
        errors: &r.errors,
    }
}

/// `GET /v1/policy`: what is served, and how the newest reload went.
pub async fn policy(State(state): State<Arc<AppState>>) -> Response {
    let served = state.store.status();
    let (source, directory) = match &state.base {
        None => ("builtin", None),
        Some(d) => ("directory", Some(d.display().to_string())),
    };
    let view = PolicyView {
        revision: served.policy.revision(),
        generation: served.generation,
        loaded_at: rfc3339(served.loaded_at),
        source,
        directory,
        layers: served.policy.layers(),
        files: served
            .policy
            .files()
            .iter()
            .map(|f| FileView {
                name: &f.name,
                bytes: f.text.len(),
            })
            .collect(),
        providers: served.policy.providers().collect(),
        on_reload_error: state.mode.as_str(),
        serving: served.serving,
        stale: served.stale,
        last_reload: last_reload(&served),
        reloads: CountsView::of(&served.counts),
    };
    Json(view).into_response()
}

/// `GET /livez`: the process answers.
pub async fn livez() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// `GET /readyz`: 200 `ready` or `stale` while decisions are served (a
/// stale daemon still answers with its last good policy, so taking it out
/// of rotation would turn one bad file into an outage), 503 `unavailable`
/// when fail-closed has stopped decisions.
pub async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let current = state.store.status();
    let revision = current.policy.revision();
    let (code, status, detail) = match (current.serving, current.stale) {
        (true, false) => (StatusCode::OK, "ready", None),
        (true, true) => (
            StatusCode::OK,
            "stale",
            Some("the newest policy files failed to load; serving the last good policy (see GET /v1/policy)"),
        ),
        (false, _) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            Some("the newest policy files failed to load and --on-reload-error is fail-closed"),
        ),
    };
    let mut body = json!({ "status": status, "revision": revision });
    if let (Some(detail), Some(obj)) = (detail, body.as_object_mut()) {
        obj.insert("detail".into(), json!(detail));
    }
    (code, Json(body)).into_response()
}

/// `GET /metrics`: Prometheus/OpenMetrics text.
pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        state.metrics.encode(),
    )
        .into_response()
}
