//! The PAR Index assembly: appraised points in, league tables with rank intervals out.

use actix_web::{HttpRequest, HttpResponse, get, put, web};
use serde::Deserialize;
use sipas_domain::access::{Action, Resource};
use utoipa::IntoParams;

use super::auth::{Caller, authorize};
use super::imports::{csv_text, refused};
use super::{ApiError, ErrorBody, with_etag};
use crate::appraisals::{AppraisalError, Imported};
use crate::http::AppState;
use crate::league::LeagueError;
use crate::reports::Document;
use crate::reports::league::LeagueView;
use crate::snapshots::Selection;
use crate::storage::campaigns;

/// Replaces the appraised points of the units the file lists, as the campaign's next
/// appraisal version; units it does not list keep their points.
#[utoipa::path(
    put, path = "/api/v1/campaigns/{campaign}/appraisals", tag = "league",
    params(("campaign" = String, Path)),
    request_body(content = String, content_type = "text/csv",
                 description = "header `unit_code,points` and optional criterion columns (numbers ≥ 0 adding up to `points`); points from 0 to the unit type's `criteria_max_points` in the campaign's PAR scheme; each unit once"),
    security(("bearer" = ["write"])),
    responses(
        (status = 200, body = Imported),
        (status = 404, body = ErrorBody),
        (status = 409, description = "another appraisal file was stored at the same moment: send it again", body = ErrorBody),
        (status = 422, description = "every bad line in `details` as {line, column, message}; nothing stored", body = ErrorBody)
    )
)]
#[put("/campaigns/{campaign}/appraisals")]
pub async fn put_appraisals(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let text = csv_text(&req, body)?;
    let campaign = campaigns::by_code(state.storage.db(), &path).await?;
    authorize(
        &state,
        &caller,
        Action::Write,
        Resource::Province,
        campaign.units_on,
    )
    .await?;
    let imported = crate::appraisals::import(&state.storage, caller.name(), &campaign.code, &text)
        .await
        .map_err(|e| match e {
            AppraisalError::Refused(problems) => refused(problems),
            AppraisalError::Storage(e) => e.into(),
        })?;
    Ok(HttpResponse::Ok().json(imported))
}

#[derive(Deserialize, IntoParams)]
pub struct LeagueParams {
    /// The unit type (required): one the campaign's PAR scheme scores.
    pub unit_type: Option<String>,
    /// `latest` (default: the latest published snapshot, the live figures while none
    /// is), `live`, or a snapshot version.
    pub snapshot: Option<String>,
    /// Rank on the survey alone (`A_u = 0`, `M = 1`): no appraised points needed.
    pub survey_only: Option<bool>,
}

/// A 422 naming the valid unit types in `details`.
fn unit_type_error(message: String, valid: Vec<String>) -> ApiError {
    ApiError::unprocessable(message).with_details(
        valid
            .into_iter()
            .map(|t| serde_json::json!({"field": "unit_type", "valid": t})),
    )
}

fn league_error(e: LeagueError) -> ApiError {
    match e {
        LeagueError::UnknownType { ref valid, .. } => {
            let valid = valid.clone();
            unit_type_error(e.to_string(), valid)
        }
        LeagueError::Snapshot(e) => e.into(),
        LeagueError::Storage(e) => e.into(),
    }
}

/// The league of one unit type: each unit's total (appraised + survey points), rank
/// and the interval of ranks it could hold at 90 %; units without a survey interval or
/// without appraised points after it, with the reason.
#[utoipa::path(
    get, path = "/api/v1/campaigns/{campaign}/league", tag = "league",
    params(("campaign" = String, Path), LeagueParams),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, body = LeagueView, headers(("ETag" = String))),
        (status = 304, description = "unchanged since the given ETag"),
        (status = 404, description = "no such campaign or snapshot", body = ErrorBody),
        (status = 422, description = "unit_type missing or unknown (the valid ones in `details`), or a malformed snapshot", body = ErrorBody)
    )
)]
#[get("/campaigns/{campaign}/league")]
pub async fn league(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    params: web::Query<LeagueParams>,
) -> Result<HttpResponse, ApiError> {
    let campaign = campaigns::by_code(state.storage.db(), &path).await?;
    authorize(
        &state,
        &caller,
        Action::Read,
        Resource::Province,
        campaign.units_on,
    )
    .await?;
    let params = params.into_inner();
    let selection =
        Selection::parse(params.snapshot.as_deref()).map_err(ApiError::unprocessable)?;
    let Some(unit_type) = params.unit_type.filter(|t| !t.is_empty()) else {
        let valid = crate::league::unit_types(&state.storage, &campaign).await?;
        return Err(unit_type_error(
            format!("unit_type is required; valid: {}", valid.join(", ")),
            valid,
        ));
    };
    let view = crate::league::view(
        &state.storage,
        &state.scores,
        &campaign,
        &unit_type,
        selection,
        params.survey_only.unwrap_or(false),
    )
    .await
    .map_err(league_error)?;
    let document = Document::new(&view).map_err(std::sync::Arc::new)?;
    Ok(with_etag(&req, &document))
}
