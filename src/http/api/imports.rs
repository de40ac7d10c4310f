//! CSV imports: a campaign's frame, and paper or interviewer responses. Both are
//! all-or-nothing; a refused file lists every bad line with its column.

use actix_web::{HttpRequest, HttpResponse, post, put, web};
use serde::Serialize;
use sipas_domain::access::{Action, Resource};
use sipas_domain::import::{LineError, Problems};
use utoipa::ToSchema;

use super::auth::{Caller, authorize};
use super::{ApiError, ErrorBody};
use crate::http::AppState;
use crate::storage::campaigns;

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

fn frame_error(e: crate::frames::FrameError) -> ApiError {
    match e {
        crate::frames::FrameError::Refused(problems) => refused(problems),
        crate::frames::FrameError::Stale => ApiError::new(
            actix_web::http::StatusCode::CONFLICT,
            "conflict",
            "the frame changed meanwhile: send the file again",
        ),
        crate::frames::FrameError::Storage(e) => e.into(),
    }
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
    // A file with no line is refused by `frames::apply` itself (never sent a digest here).
    let plan = crate::frames::apply(
        &state.storage,
        &state.scores,
        caller.name(),
        &campaign.code,
        &text,
        crate::frames::FrameMode::Replace,
        None,
    )
    .await
    .map_err(frame_error)?;
    Ok(HttpResponse::Ok().json(FrameReplaced {
        lines: plan.entries.len(),
        units: plan.added.len() + plan.changed.len() + plan.unchanged,
    }))
}

/// Imports responses collected on paper or by interviewers, while the campaign is open.
#[utoipa::path(
    post, path = "/api/v1/campaigns/{campaign}/responses", tag = "imports",
    params(("campaign" = String, Path)),
    request_body(content = String, content_type = "text/csv",
                 description = "header `unit_code,service_point_code,channel,<criterion codes>` and an optional `serial` column (the number printed on the form, unique per campaign: a serial already stored or repeated in the file is a line error); channel `paper` or `interviewer`; answers 1–5, 0 or empty = no answer"),
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
    let imported = crate::paper::import(
        &state.storage,
        &state.scores,
        caller.name(),
        &current,
        &text,
        &|_| true,
    )
    .await
    .map_err(|e| match e {
        crate::paper::PaperError::Refused(problems) => refused(problems),
        crate::paper::PaperError::Storage(e) => e.into(),
    })?;
    Ok(HttpResponse::Created().json(Imported { imported }))
}
