//! Webhook endpoints: the index engine registers where it hears of each published
//! snapshot. Every route needs the `write` scope (a secret is created here), and the
//! GETs `read` too, as every GET does; the deliveries themselves are the worker's
//! ([`crate::webhooks`]).

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sipas_domain::access::{Action, Principal, Resource, Role};
use utoipa::ToSchema;

use super::auth::{Caller, authorize};
use super::{ApiError, ErrorBody};
use crate::http::AppState;
use crate::storage::webhooks as stored;
use crate::webhooks::ChangeError;

/// A registered endpoint (never with its secret).
#[derive(Serialize, ToSchema)]
pub struct Webhook {
    pub id: i32,
    pub url: String,
    pub created_at: DateTime<Utc>,
}

/// A new endpoint, with its secret: the only time the secret is shown.
#[derive(Serialize, ToSchema)]
pub struct CreatedWebhook {
    pub id: i32,
    pub url: String,
    /// `whsec_` + base64 of the HMAC key (Standard Webhooks): keep it to verify
    /// `webhook-signature`.
    pub secret: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Absolute `http://` or `https://` URL, at most 2,000 characters.
    pub url: String,
}

/// One delivery of an event to this endpoint.
#[derive(Serialize, ToSchema)]
pub struct Delivery {
    pub id: i64,
    /// The `webhook-id` header: the same on every attempt.
    pub message_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i32,
    /// When the next attempt is due (`pending` only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub response_status: Option<i32>,
    /// The first kilobyte of the last answer.
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Webhooks are the province's configuration: a write token, or an administrator.
async fn allow(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    let today = Utc::now().date_naive();
    authorize(state, caller, Action::Write, Resource::Province, today).await?;
    if let Principal::Staff { role, .. } = &**caller
        && *role != Role::Admin
    {
        return Err(ApiError::forbidden("only administrators manage webhooks"));
    }
    Ok(())
}

fn change_error(e: ChangeError) -> ApiError {
    match e {
        ChangeError::Invalid(message) => ApiError::unprocessable(message),
        ChangeError::Storage(e) => e.into(),
    }
}

/// Registers an endpoint: every published snapshot is POSTed to it, signed with the
/// returned secret (shown only in this answer).
#[utoipa::path(
    post, path = "/api/v1/webhooks", tag = "webhooks",
    request_body = NewWebhook,
    security(("bearer" = ["write"])),
    responses(
        (status = 201, body = CreatedWebhook),
        (status = 403, body = ErrorBody),
        (status = 422, description = "not an absolute http(s) URL of at most 2,000 characters", body = ErrorBody)
    )
)]
#[post("/webhooks")]
pub async fn create_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<NewWebhook>,
) -> Result<HttpResponse, ApiError> {
    allow(&state, &caller).await?;
    let created = crate::webhooks::create(&state.storage, caller.name(), &body.url)
        .await
        .map_err(change_error)?;
    Ok(HttpResponse::Created().json(CreatedWebhook {
        id: created.id,
        url: created.url,
        secret: created.secret,
        created_at: created.created_at,
    }))
}

/// The registered endpoints, oldest first, without their secrets.
#[utoipa::path(
    get, path = "/api/v1/webhooks", tag = "webhooks",
    security(("bearer" = ["read", "write"])),
    responses((status = 200, body = [Webhook]), (status = 403, body = ErrorBody))
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    allow(&state, &caller).await?;
    let list: Vec<Webhook> = stored::active(state.storage.db())
        .await?
        .into_iter()
        .map(|w| Webhook {
            id: w.id,
            url: w.url,
            created_at: w.created_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

/// Removes an endpoint: nothing more is sent to it.
#[utoipa::path(
    delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i32, Path)),
    security(("bearer" = ["write"])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    allow(&state, &caller).await?;
    crate::webhooks::delete(&state.storage, caller.name(), *path)
        .await
        .map_err(change_error)?;
    Ok(HttpResponse::NoContent().finish())
}

/// The latest 100 deliveries to an endpoint, newest first, with the last answer.
#[utoipa::path(
    get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i32, Path)),
    security(("bearer" = ["read", "write"])),
    responses((status = 200, body = [Delivery]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn webhook_deliveries(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    allow(&state, &caller).await?;
    let db = state.storage.db();
    stored::find_active(db, *path).await?;
    let list: Vec<Delivery> = stored::recent_deliveries(db, Some(*path), 100)
        .await?
        .into_iter()
        .map(|row| {
            let d = row.delivery;
            Delivery {
                id: d.id,
                message_id: row.event.message_id,
                kind: row.event.kind,
                next_attempt_at: (d.status == stored::PENDING).then_some(d.next_attempt_at),
                status: d.status,
                attempts: d.attempts,
                last_attempt_at: d.last_attempt_at,
                response_status: d.response_status,
                response_body: d.response_body,
                error: d.error,
                delivered_at: d.delivered_at,
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}
