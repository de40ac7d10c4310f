//! One log line per request, carrying its request id; no client address (the service
//! never keeps citizens' IP addresses in the clear, and logs are kept too).

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};

pub struct RequestLine;

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
            path = %request.path(),
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
