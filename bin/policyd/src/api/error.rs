//! JSON errors with stable codes. Every bad request is answered with one of
//! these, never a 500 (that is kept for a bug caught by the panic guard).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use oauth_policy::RequestError;
use serde::Serialize;

/// An error answer: `{"error": {"code": …, "message": …}}`.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable code (documented in docs/daemon.md and docs/openapi.yaml).
    pub code: &'static str,
    /// For people; may change between versions.
    pub message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    /// A new error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 422 `invalid_request`: well-formed JSON with the wrong fields.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
    }

    /// 503 `policy_unavailable`: fail-closed after a failed reload.
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "policy_unavailable",
            "the newest policy files failed to load and --on-reload-error is fail-closed; see GET /v1/policy",
        )
    }

    /// 500 `internal`: a bug; the request was not decided.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the decision failed unexpectedly; this is a bug in policyd",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Inner {
                code: self.code,
                message: &self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> Self {
        let (status, code) = match e {
            RequestError::InvalidUrl { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_url"),
            RequestError::NoHost => (StatusCode::UNPROCESSABLE_ENTITY, "no_host"),
            RequestError::ControlCharacter { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "control_character")
            }
            RequestError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            RequestError::TooManyParams { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "too_many_parameters")
            }
            // A kind of unreadable request added to the library later.
            _ => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
        };
        Self::new(status, code, e.to_string())
    }
}
