//! Publication: freezing a closed campaign's figures as snapshot k, and reading the
//! snapshots back (the canonical document whose SHA-256 is the published one).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use sipas_domain::access::{Action, Resource};

use super::auth::{Caller, authorize};
use super::{ApiError, ErrorBody, with_etag};
use crate::http::AppState;
use crate::reports::snapshot::SnapshotSummary;

/// Publishes a closed campaign: every unit's official figures, the `D_ref` used, the
/// frame and quotas, the questionnaire and the statistics digest are frozen as
/// snapshot version k (1, then one more per correction), and the campaign becomes
/// `published`. Registered webhooks receive `snapshot.published`.
#[utoipa::path(
    post, path = "/api/v1/campaigns/{campaign}/publish", tag = "snapshots",
    params(("campaign" = String, Path)),
    security(("bearer" = ["write"])),
    responses(
        (status = 201, body = SnapshotSummary),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the campaign is not closed", body = ErrorBody)
    )
)]
#[post("/campaigns/{campaign}/publish")]
pub async fn publish(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let today = chrono::Utc::now().date_naive();
    authorize(&state, &caller, Action::Write, Resource::Province, today).await?;
    let published = crate::snapshots::publish(
        &state.storage,
        &state.scores,
        caller.name(),
        &path,
        &state.public_url,
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, published.url.clone()))
        .json(published))
}

/// A campaign's published snapshots, oldest first.
#[utoipa::path(
    get, path = "/api/v1/campaigns/{campaign}/snapshots", tag = "snapshots",
    params(("campaign" = String, Path)),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, body = [SnapshotSummary]),
        (status = 404, body = ErrorBody)
    )
)]
#[get("/campaigns/{campaign}/snapshots")]
pub async fn list_snapshots(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let current = state.scores.state_by_code(&path).await?;
    let campaign = &current.description.campaign;
    authorize(
        &state,
        &caller,
        Action::Read,
        Resource::Province,
        campaign.units_on,
    )
    .await?;
    let list = crate::snapshots::list(
        &state.storage,
        &state.public_url,
        &campaign.code,
        campaign.id,
    )
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Snapshot k's canonical document, byte for byte as published: its SHA-256 is the
/// published `sha256`. Immutable, so cacheable for ever.
#[utoipa::path(
    get, path = "/api/v1/campaigns/{campaign}/snapshots/{version}", tag = "snapshots",
    params(("campaign" = String, Path), ("version" = u32, Path)),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "the canonical JSON document", content_type = "application/json", headers(("ETag" = String))),
        (status = 304, description = "unchanged since the given ETag"),
        (status = 404, body = ErrorBody)
    )
)]
#[get("/campaigns/{campaign}/snapshots/{version}")]
pub async fn get_snapshot(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (code, version) = path.into_inner();
    let current = state.scores.state_by_code(&code).await?;
    let campaign = &current.description.campaign;
    authorize(
        &state,
        &caller,
        Action::Read,
        Resource::Province,
        campaign.units_on,
    )
    .await?;
    let version = version
        .parse::<u32>()
        .ok()
        .filter(|v| *v >= 1)
        .ok_or_else(|| {
            ApiError::not_found(format!("campaign {code} has no snapshot {version:?}"))
        })?;
    let parsed = crate::snapshots::parsed(&state.scores, campaign.id, version).await?;
    let mut response = with_etag(&req, &parsed.document);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok(response)
}
