//! JSON errors with stable codes. Every bad request is answered with one of
//! these, never a 500 (that is kept for a bug caught by the panic guard).

use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
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
        };
        Self::new(status, code, e.to_string())
    }
}

/// Reads a JSON request body: 415 without a JSON content type, 413 past the
/// size limit, 400 for malformed JSON, 422 for the wrong fields.
pub fn json_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<axum::body::Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime != "application/json" {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("send Content-Type: application/json (got `{content_type}`)"),
        ));
    }
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                rejection.body_text(),
            )
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                rejection.body_text(),
            )
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError::invalid(e.to_string()),
            Category::Io | Category::Syntax | Category::Eof => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", e.to_string())
            }
        }
    })
}
