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
    /// The `WWW-Authenticate` challenge of a 401 or 403 (RFC 6750 §3), so a client
    /// knows which scheme, and which scope, would have worked.
    pub challenge: Option<String>,
    /// The methods a 405's path answers (its `Allow` header).
    pub allow: Option<String>,
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
            challenge: None,
            allow: None,
        }
    }

    /// A 401 without a usable token: `Bearer realm="sipas"`, with
    /// `error="invalid_token"` when a token was given but is unknown or revoked.
    pub fn unauthenticated(message: impl Into<String>, token_given: bool) -> Self {
        let mut error = Self::unauthorized(message);
        error.challenge = Some(if token_given {
            format!(r#"Bearer realm="{REALM}", error="invalid_token""#)
        } else {
            format!(r#"Bearer realm="{REALM}""#)
        });
        error
    }

    /// A 403 for a token that lacks the scope the request needs.
    pub fn insufficient_scope(message: impl Into<String>, scope: &str) -> Self {
        let mut error = Self::forbidden(message);
        error.challenge = Some(format!(
            r#"Bearer realm="{REALM}", error="insufficient_scope", scope="{scope}""#
        ));
        error
    }

    /// A path the API has, asked with a method it does not answer there.
    pub fn method_not_allowed(method: &str, allowed: &[String]) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!(
                "{method} is not allowed here; this path answers {}",
                allowed.join(", ")
            ),
        )
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

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than this endpoint takes ({limit} bytes)"),
        )
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
}

/// The realm of every bearer challenge.
const REALM: &str = "sipas";

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
        let mut response = HttpResponse::build(self.status);
        if let Some(challenge) = &self.challenge {
            response.insert_header((actix_web::http::header::WWW_AUTHENTICATE, challenge.clone()));
        }
        if let Some(allow) = &self.allow {
            response.insert_header((actix_web::http::header::ALLOW, allow.clone()));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // The database is out of reach: usually for moments.
            response.insert_header((actix_web::http::header::RETRY_AFTER, "30"));
        }
        response.json(ErrorBody {
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

/// The stable code of an error status that reached the client without one.
fn code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "invalid_request",
        503 => "unavailable",
        s if s >= 500 => "internal",
        _ => "error",
    }
}

/// Every API error as the contract's JSON body, including those actix answers itself
/// before a handler runs (a body over the size limit, a payload error): a client
/// parses one shape whatever failed. Headers (`Allow`, `WWW-Authenticate`) are kept.
pub async fn json_errors(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<
    actix_web::dev::ServiceResponse<actix_web::body::EitherBody<impl actix_web::body::MessageBody>>,
    actix_web::Error,
> {
    use actix_web::http::header;
    if let Some(error) = unsupported_json_type(&req) {
        let (req, _) = req.into_parts();
        return Ok(
            actix_web::dev::ServiceResponse::new(req, error.error_response()).map_into_right_body(),
        );
    }
    let method = req.method().clone();
    let response = next.call(req).await?;
    // A 404 for a path the document describes, asked with a method it does not list
    // there, is the router's: the path exists, the method does not (405 with `Allow`).
    if response.status() == StatusCode::NOT_FOUND
        && let Some(allowed) = super::openapi::allowed_methods(response.request().path())
        && !allowed.iter().any(|m| m == method.as_str())
    {
        let mut error = ApiError::method_not_allowed(method.as_str(), &allowed);
        error.allow = Some(allowed.join(", "));
        let (req, _) = response.into_parts();
        return Ok(
            actix_web::dev::ServiceResponse::new(req, error.error_response()).map_into_right_body(),
        );
    }
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return Ok(response.map_into_left_body());
    }
    let message = match response.response().error() {
        Some(error) if status.is_client_error() => error.to_string(),
        Some(error) => {
            tracing::error!(%error, "an API request failed");
            "an internal error occurred; it has been logged".to_owned()
        }
        None => status
            .canonical_reason()
            .unwrap_or("the request failed")
            .to_owned(),
    };
    let (req, old) = response.into_parts();
    let mut replaced = ApiError::new(status, code_for(status), message).error_response();
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replaced.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(actix_web::dev::ServiceResponse::new(req, replaced).map_into_right_body())
}

/// JSON is `application/json` or an `application/…+json` type (RFC 6839); a body sent
/// as `text/json` or `text/…+json` is refused with 415 before anything reads it, so a
/// client learns its header is wrong rather than having it guessed right by chance.
fn unsupported_json_type(req: &actix_web::dev::ServiceRequest) -> Option<ApiError> {
    use actix_web::HttpMessage;
    use actix_web::mime;
    let mime = req.mime_type().ok().flatten()?;
    let json = mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON);
    (json && mime.type_() != mime::APPLICATION).then(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("`Content-Type: {mime}` is not taken: send JSON as `application/json`"),
        )
    })
}

/// Turns actix's own refusals (bad JSON, bad query string, bad path) into the
/// contract's error body instead of plain text.
pub fn json_config() -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(1 << 20)
        .error_handler(|err, _| {
            use actix_web::error::JsonPayloadError;
            match err {
                JsonPayloadError::ContentType => ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "this endpoint takes a JSON body: send `Content-Type: application/json`",
                ),
                JsonPayloadError::Overflow { limit }
                | JsonPayloadError::OverflowKnownLength { limit, .. } => {
                    ApiError::payload_too_large(limit)
                }
                JsonPayloadError::Deserialize(err) => match unknown_field(&err.to_string()) {
                    // Every request body refuses unknown fields: a misspelt optional
                    // field would otherwise silently take its default.
                    Some(field) => ApiError::unprocessable(format!("invalid JSON body: {err}"))
                        .with_details([serde_json::json!({
                            "field": field,
                            "message": format!("unknown field {field}"),
                        })]),
                    None => ApiError::unprocessable(format!("invalid JSON body: {err}")),
                },
                err => ApiError::unprocessable(format!("invalid JSON body: {err}")),
            }
            .into()
        })
}

/// The field serde's `deny_unknown_fields` named: "unknown field `confidance`, expected …".
fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.split_once("unknown field `")?.1;
    Some(&rest[..rest.find('`')?])
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
