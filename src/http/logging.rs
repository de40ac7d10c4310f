//! One log line per request, carrying its request id; no client address (the service
//! never keeps citizens' IP addresses in the clear, and logs are kept too).

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};

pub struct RequestLine;

/// The first path segments after which a token follows: a survey QR code or receipt
/// (`/s/`, each receipt good for one answer), a kiosk link (`/k/`), and `/r/` kept for
/// receipt links. Logs are kept and read by more people than the database, so the
/// token never reaches them.
const TOKEN_ROUTES: [&str; 3] = ["/s/", "/k/", "/r/"];

/// The path as logged: the token segment of a token route replaced by `[token]`.
pub fn redact_tokens(path: &str) -> std::borrow::Cow<'_, str> {
    for prefix in TOKEN_ROUTES {
        if let Some(rest) = path.strip_prefix(prefix) {
            let after = rest.find('/').map_or("", |at| &rest[at..]);
            return format!("{prefix}[token]{after}").into();
        }
    }
    path.into()
}

impl RootSpanBuilder for RequestLine {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            request_id = %request_id,
            method = %request.method(),
            path = %redact_tokens(request.path()),
            client = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        let _entered = span.enter();
        match outcome {
            Ok(response) => {
                let status = response.status().as_u16();
                if status >= 500 {
                    tracing::warn!(status, "request");
                } else {
                    tracing::info!(status, "request");
                }
            }
            Err(error) => tracing::warn!(%error, "request failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redact_tokens;

    #[test]
    fn token_segments_never_reach_the_log() {
        assert_eq!(redact_tokens("/s/EAEFAk0xYz/thanks"), "/s/[token]/thanks");
        assert_eq!(redact_tokens("/s/EAEFAk0xYz"), "/s/[token]");
        assert_eq!(redact_tokens("/k/abcdef/qr.svg"), "/k/[token]/qr.svg");
        assert_eq!(redact_tokens("/r/abc"), "/r/[token]");
        assert_eq!(redact_tokens("/readyz"), "/readyz");
        assert_eq!(redact_tokens("/manage/s/x"), "/manage/s/x");
    }
}
