//! The JSON error every refused request gets: `{"error": {"code", "message"}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A refused request: its status, a stable code and a message naming what was wrong.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: String) -> Self {
        ApiError {
            status,
            code,
            message,
        }
    }

    /// 400 with `code`.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message.into())
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message.into())
    }

    /// 500 for an error of the service itself (storage, keys).
    pub fn internal(error: impl std::fmt::Display) -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            error.to_string(),
        )
    }

    /// An [`crate::Error`] of a request's input (400, `invalid_input`), of the registry's
    /// rules (409, `conflict`), of a database out of reach (503, `unavailable`: retry) or
    /// of the service (500): I/O errors and a damaged registry are the service's.
    pub fn from_eseal(error: crate::Error) -> Self {
        const CONFLICTS: [&str; 3] = [
            "IdempotencyConflict",
            "DuplicateActiveLicence",
            "status transition refused",
        ];
        let message = error.to_string();
        match &error {
            crate::Error::Io { .. }
            | crate::Error::Malformed {
                what: "office registry",
                ..
            } => ApiError::internal(message),
            crate::Error::Unavailable(_) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
            }
            crate::Error::Invalid(detail) if CONFLICTS.iter().any(|c| detail.starts_with(c)) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", message)
            }
            _ => ApiError::bad_request("invalid_input", message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": { "code": self.code, "message": self.message }
        });
        (self.status, Json(body)).into_response()
    }
}
