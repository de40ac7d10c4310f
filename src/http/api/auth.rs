//! Who is calling the API, and whether they may: bearer tokens authenticate as a
//! [`Principal`] (scope `read` for GETs, `write` for everything that changes data),
//! checked as middleware before any body is read; handlers then check the principal
//! against the resource they serve ([`authorize`]).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, http::Method, http::header, web};
use sipas_domain::access::{Action, Principal, Resource};

use super::ApiError;
use crate::http::AppState;
use crate::storage::{api_clients, units};

/// The authenticated caller: take `Caller` as a handler argument.
pub type Caller = web::ReqData<Principal>;

pub async fn require_token<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let action = match *req.method() {
        Method::GET | Method::HEAD | Method::OPTIONS => Action::Read,
        _ => Action::Write,
    };
    match authenticate(&req, action).await {
        Ok(principal) => {
            req.extensions_mut().insert(principal);
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(error) => {
            let response = error.error_response().map_into_right_body();
            Ok(req.into_response(response))
        }
    }
}

async fn authenticate(req: &ServiceRequest, action: Action) -> Result<Principal, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::unauthenticated("authentication is not configured", false))?;
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::unauthenticated("missing token: send `Authorization: Bearer <token>`", false)
        })?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or_else(|| {
            ApiError::unauthenticated("the Authorization header must be `Bearer <token>`", false)
        })?;
    let (principal, last_used) = state
        .tokens
        .authenticate(&state.storage, token)
        .await?
        .ok_or_else(|| ApiError::unauthenticated("unknown or revoked token", true))?;
    // When it was last used, to the minute: a write when the stored time is older (the
    // condition is checked again in the database, so several nodes write it once).
    let now = chrono::Utc::now();
    if let Principal::ApiClient { id, .. } = &principal
        && api_clients::use_is_stale(last_used, now)
    {
        match api_clients::touch(state.storage.db(), *id, now).await {
            Ok(_) => state.tokens.used(token, now),
            Err(error) => tracing::warn!(%error, "could not note when a token was last used"),
        }
    }
    tracing::Span::current().record("client", principal.name());
    if !principal.allows(action) {
        let scope = match action {
            Action::Read => "read",
            Action::Write => "write",
        };
        return Err(ApiError::insufficient_scope(
            format!(
                "this token lacks the `{scope}` scope needed for {} requests",
                req.method()
            ),
            scope,
        ));
    }
    Ok(principal)
}

/// Checks the caller against the resource: a unit outside the caller's subtree is not
/// found (its existence is not revealed), a province-wide change is forbidden. Tokens
/// act province-wide; a staff member's scope is checked on the unit tree as of `on`.
pub async fn authorize(
    state: &AppState,
    principal: &Principal,
    action: Action,
    resource: Resource,
    on: chrono::NaiveDate,
) -> Result<(), ApiError> {
    let allowed = match principal {
        Principal::ApiClient { .. } => principal.allows(action),
        Principal::Staff { .. } => {
            let tree = units::tree(state.storage.db()).await?;
            principal.may(action, resource, &tree, on)
        }
    };
    match (allowed, resource) {
        (true, _) => Ok(()),
        (false, Resource::Unit(_)) => Err(ApiError::not_found("no such unit")),
        (false, Resource::Province) => Err(ApiError::forbidden(
            "this account may not do that for the whole province",
        )),
    }
}
