//! The HTTP API: routes, JSON errors, handlers.

mod body;
mod decide;
pub mod error;
mod status;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::timeout::RequestBodyDeadlineLayer;

use crate::state::AppState;
use error::ApiError;

/// Largest JSON request accepted. The library's own limits (64 KiB URL,
/// 256 KiB form body) are checked on the fields; this only bounds buffering.
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// Every route. A request body must arrive whole within `body_timeout` of
/// the head (a hard deadline, so a trickle cannot hold a connection and its
/// buffer), and is read against `MAX_REQUEST_BYTES` as it streams.
pub fn router(state: Arc<AppState>, body_timeout: Duration) -> Router {
    Router::new()
        .route("/v1/authorize", post(decide::authorize))
        .route("/v1/token", post(decide::token))
        .route("/v1/classify", post(decide::classify))
        .route("/v1/policy", get(status::policy))
        .route("/livez", get(status::livez))
        .route("/readyz", get(status::readyz))
        .route("/metrics", get(status::metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .layer(RequestBodyDeadlineLayer::new(body_timeout))
        .with_state(state)
}

async fn not_found() -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint; see docs/daemon.md",
    )
    .into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "decisions are POST, status endpoints GET",
    )
    .into_response()
}
