//! CSV imports: a campaign's frame, and paper or interviewer responses. Both are
//! all-or-nothing; a refused file lists every bad line with its column.

use actix_web::{HttpRequest, HttpResponse, post, put, web};
use serde::Serialize;
use sipas_domain::access::{Action, Resource};
use sipas_domain::import::{LineError, Problems, parse_frame, parse_responses};
use utoipa::ToSchema;

use super::auth::{Caller, authorize};
use super::{ApiError, ErrorBody};
use crate::http::AppState;
use crate::scores::ScoreQuery;
use crate::storage::{StorageError, campaigns, frames, imports, responses};

/// Up to 100,000 forms of 22 answers fit comfortably.
pub const MAX_CSV_BYTES: usize = 64 * 1024 * 1024;

#[derive(Serialize, ToSchema)]
pub struct FrameReplaced {
    /// Lines read.
    pub lines: usize,
    /// Units with a population N.
    pub units: usize,
}

#[derive(Serialize, ToSchema)]
pub struct Imported {
    pub imported: usize,
}

/// A body must be CSV text; anything else is refused before it is parsed.
pub(super) fn csv_text(req: &HttpRequest, body: web::Bytes) -> Result<String, ApiError> {
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !["text/csv", "text/plain", "application/csv"]
        .iter()
        .any(|t| content_type.starts_with(t))
    {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the file as `Content-Type: text/csv` (UTF-8)",
        ));
    }
    String::from_utf8(body.to_vec()).map_err(|e| {
        ApiError::unprocessable(format!(
            "the file is not UTF-8 text (byte {}): save it as CSV UTF-8",
            e.utf8_error().valid_up_to()
        ))
    })
}

pub(super) fn refused(problems: Problems) -> ApiError {
    let (listed, more) = problems.into_parts();
    let mut message = format!(
        "{} problem{} found; nothing was stored",
        listed.len() + more,
        if listed.len() + more == 1 { "" } else { "s" }
    );
    if more > 0 {
        message.push_str(&format!(" (the first {} are listed)", listed.len()));
    }
    ApiError::unprocessable(message).with_details(listed.iter().map(|e: &LineError| e))
}

/// Waits until this node's scores include what was just committed, so a client reads
/// its own change back from this node; other nodes follow within a second.
async fn settle(state: &AppState, campaign_id: i32) {
    state.scores.catch_up().await;
    if let Some(current) = state.scores.state(campaign_id)
        && let Ok(query) = ScoreQuery::official(&current.description.campaign)
        && let Err(error) = state.scores.fresh_scores(campaign_id, query).await
    {
        tracing::warn!(%error, "scores after an import");
    }
}

/// Replaces the campaign's frame: completed dossiers per unit (empty service point) or
/// per service point; quotas that no manager overrode are recomputed.
#[utoipa::path(
    put, path = "/api/v1/campaigns/{campaign}/frame", tag = "imports",
    params(("campaign" = String, Path)),
    request_body(content = String, content_type = "text/csv",
                 description = "header `unit_code,service_point_code,population`"),
    security(("bearer" = ["write"])),
    responses(
        (status = 200, body = FrameReplaced),
        (status = 409, description = "the campaign is published", body = ErrorBody),
        (status = 422, description = "every bad line in `details` as {line, column, message}", body = ErrorBody)
    )
)]
#[put("/campaigns/{campaign}/frame")]
pub async fn replace_frame(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let text = csv_text(&req, body)?;
    let db = state.storage.db();
    let campaign = campaigns::by_code(db, &path).await?;
    authorize(
        &state,
        &caller,
        Action::Write,
        Resource::Province,
        campaign.units_on,
    )
    .await?;
    let lines = parse_frame(&text).map_err(refused)?;
    let codes = imports::code_book(db, &campaign).await?;
    let entries = codes.frame(&lines).map_err(refused)?;
    let txn = state.storage.write().await?;
    // Read again inside the write transaction: the status may have changed meanwhile.
    let campaign = campaigns::by_code(&txn, &path).await?;
    let replaced =
        frames::replace(&txn, caller.name(), &campaign, &entries, &codes.floors()).await?;
    txn.commit().await.map_err(StorageError::from)?;
    settle(&state, campaign.id).await;
    Ok(HttpResponse::Ok().json(FrameReplaced {
        lines: replaced.lines,
        units: replaced.units,
    }))
}

/// Imports responses collected on paper or by interviewers, while the campaign is open.
#[utoipa::path(
    post, path = "/api/v1/campaigns/{campaign}/responses", tag = "imports",
    params(("campaign" = String, Path)),
    request_body(content = String, content_type = "text/csv",
                 description = "header `unit_code,service_point_code,channel,<criterion codes>`; channel `paper` or `interviewer`; answers 1–5, 0 or empty = no answer"),
    security(("bearer" = ["write"])),
    responses(
        (status = 201, body = Imported),
        (status = 409, description = "the campaign is not open", body = ErrorBody),
        (status = 422, description = "every bad line in `details` as {line, column, message}", body = ErrorBody)
    )
)]
#[post("/campaigns/{campaign}/responses")]
pub async fn import_responses(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let text = csv_text(&req, body)?;
    let current = state.scores.state_by_code(&path).await?;
    let campaign = &current.description.campaign;
    authorize(
        &state,
        &caller,
        Action::Write,
        Resource::Province,
        campaign.units_on,
    )
    .await?;
    let lines = parse_responses(&text, &current.description.questionnaire).map_err(refused)?;
    let codes = imports::code_book(state.storage.db(), campaign).await?;
    let parsed = codes.responses(campaign, lines).map_err(refused)?;
    let txn = state.storage.write().await?;
    let imported = responses::import(&txn, caller.name(), campaign, &parsed).await?;
    txn.commit().await.map_err(StorageError::from)?;
    settle(&state, campaign.id).await;
    Ok(HttpResponse::Created().json(Imported { imported }))
}
