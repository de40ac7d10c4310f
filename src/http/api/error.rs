//! The HTTP layer's one error type: every failure becomes a status and the contract's
//! body `{"error": {"code", "message", "details"}}` with a human-readable message.

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use serde::Serialize;

use crate::scores::ScoreError;
use crate::storage::StorageError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Vec<serde_json::Value>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code, e.g. `not_found`, `invalid_request`.
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
    /// Per-field or per-line problems, when there are several.
    pub details: Vec<serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub fn with_details<T: Serialize>(mut self, details: impl IntoIterator<Item = T>) -> Self {
        self.details = details
            .into_iter()
            .filter_map(|d| serde_json::to_value(d).ok())
            .collect();
        self
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
    }

    /// A request whose fields the domain refused: every reason in the message, each
    /// with its field in `details`.
    pub fn invalid_fields(errors: Vec<sipas_domain::campaign::FieldError>) -> Self {
        let summary = errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        Self::unprocessable(summary).with_details(errors)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message.clone(),
                details: self.details.clone(),
            },
        })
    }
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::NotFound(what) => Self::not_found(format!("{what} not found")),
            StorageError::Conflict(message) => Self::new(StatusCode::CONFLICT, "conflict", message),
            StorageError::Invalid(message) => Self::unprocessable(message),
            StorageError::Unavailable(message) => {
                tracing::error!(%message, "database unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the database is unavailable; try again shortly",
                )
            }
            StorageError::Database(err) => {
                tracing::error!(error = %err, "database error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "an internal error occurred; it has been logged",
                )
            }
        }
    }
}

impl From<ScoreError> for ApiError {
    fn from(err: ScoreError) -> Self {
        match err {
            ScoreError::Statistics(e) => ApiError::unprocessable(e.to_string()),
            ScoreError::Storage(e) => e.into(),
            ScoreError::Computation(message) => {
                tracing::error!(%message, "scores could not be computed");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the scores could not be computed; it has been logged",
                )
            }
        }
    }
}

impl From<std::sync::Arc<serde_json::Error>> for ApiError {
    fn from(err: std::sync::Arc<serde_json::Error>) -> Self {
        tracing::error!(error = %err, "a document could not be serialized");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred; it has been logged",
        )
    }
}

/// Turns actix's own refusals (bad JSON, bad query string, bad path) into the
/// contract's error body instead of plain text.
pub fn json_config() -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(1 << 20)
        .error_handler(|err, _| ApiError::unprocessable(format!("invalid JSON body: {err}")).into())
}

pub fn query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default().error_handler(|err, _| {
        ApiError::bad_request(format!("invalid query string: {err}")).into()
    })
}

pub fn path_config() -> actix_web::web::PathConfig {
    actix_web::web::PathConfig::default()
        .error_handler(|err, _| ApiError::not_found(format!("invalid path: {err}")).into())
}

impl From<crate::desks::DeskError> for ApiError {
    fn from(err: crate::desks::DeskError) -> Self {
        match err {
            crate::desks::DeskError::Invalid(errors) => Self::invalid_fields(errors),
            crate::desks::DeskError::Storage(e) => e.into(),
        }
    }
}

impl From<crate::snapshots::SnapshotError> for ApiError {
    fn from(err: crate::snapshots::SnapshotError) -> Self {
        use crate::snapshots::SnapshotError;
        match err {
            SnapshotError::Unknown { .. } => Self::not_found(err.to_string()),
            SnapshotError::Channels { .. } => Self::unprocessable(err.to_string()),
            SnapshotError::Unreadable { .. } => {
                tracing::error!(error = %err, "a snapshot could not be read");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the snapshot could not be read; it has been logged",
                )
            }
            SnapshotError::Scores(e) => e.into(),
            SnapshotError::Storage(e) => e.into(),
        }
    }
}
