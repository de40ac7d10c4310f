//! Bearer-token authentication for `/api/v1`: scope `read` for GETs, `write` for
//! everything that changes data (docs/api.md). It runs as middleware, before any body
//! is read, so a client without the right token learns nothing about its payload.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, http::Method, http::header, web};

use super::{ApiError, AppState};
use crate::storage::{ApiClient, Scope};

/// The authenticated client, for handlers that record who did something:
/// take `web::ReqData<ApiClient>` as an argument.
pub type Client = web::ReqData<ApiClient>;

pub async fn require_token<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let scope = match *req.method() {
        Method::GET | Method::HEAD | Method::OPTIONS => Scope::Read,
        _ => Scope::Write,
    };
    match authorize(&req, scope).await {
        Ok(client) => {
            req.extensions_mut().insert(client);
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(error) => {
            let response = error.error_response().map_into_right_body();
            Ok(req.into_response(response))
        }
    }
}

async fn authorize(req: &ServiceRequest, scope: Scope) -> Result<ApiClient, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::unauthorized("authentication is not configured"))?;
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::unauthorized("missing token: send `Authorization: Bearer <token>`")
        })?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or_else(|| {
            ApiError::unauthorized("the Authorization header must be `Bearer <token>`")
        })?;
    let client = state
        .storage
        .authenticate(token)
        .await?
        .ok_or_else(|| ApiError::unauthorized("unknown or revoked token"))?;
    tracing::Span::current().record("client", client.name.as_str());
    if !client.has(scope) {
        return Err(ApiError::forbidden(format!(
            "this token lacks the `{}` scope needed for {} requests",
            scope.as_str(),
            req.method()
        )));
    }
    Ok(client)
}
