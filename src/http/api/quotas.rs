//! Quotas: each unit's sample size against its responses, with its pace and the margin
//! of error achieved so far. The view is the report layer's.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use sipas_domain::access::{Action, Resource};
use sipas_domain::quota::QuotaStatus;
use utoipa::IntoParams;

use super::auth::{Caller, authorize};
use super::{ApiError, ErrorBody};
use crate::http::AppState;
use crate::reports::quotas::UnitQuota;
use crate::reports::{UnitSelection, View};
use crate::scores::ScoreQuery;

#[derive(Deserialize, IntoParams)]
pub struct QuotaParams {
    /// Only units of this type.
    pub unit_type: Option<String>,
    /// Only the units under this one (by code): its whole subtree.
    pub parent: Option<String>,
    /// Only units of this status: `met`, `on_track`, `behind`, `at_risk`.
    pub status: Option<String>,
}

/// Every unit with a quota (units in the frame), in code order; optionally of one
/// type, under one unit, of one status.
#[utoipa::path(
    get, path = "/api/v1/campaigns/{campaign}/quotas", tag = "scores",
    params(("campaign" = String, Path), QuotaParams, super::paging::PageParams),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, body = [UnitQuota], headers(("ETag" = String), ("X-Total-Count" = u64, description = "with `limit`: the whole list's length"), ("Link" = String, description = "with `limit`, when more follow: `<…>; rel=\"next\"`"))),
        (status = 304, description = "unchanged since the given ETag"),
        (status = 404, description = "unknown campaign or parent", body = ErrorBody),
        (status = 422, description = "unknown status, bad `limit` or `cursor`", body = ErrorBody)
    )
)]
#[get("/campaigns/{campaign}/quotas")]
pub async fn campaign_quotas(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    params: web::Query<QuotaParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let status = match params.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(QuotaStatus::parse(text).ok_or_else(|| {
            let known: Vec<&str> = QuotaStatus::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::unprocessable(format!(
                "unknown status {text:?}; use one of {}",
                known.join(", ")
            ))
        })?),
    };
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
    let query =
        ScoreQuery::official(campaign).map_err(|e| ApiError::unprocessable(e.to_string()))?;
    let scores = state.scores.scores(campaign.id, query).await?;
    // The pace is as of the campaign's day: Vietnam's.
    let today = sipas_domain::campaign::vietnam_day(chrono::Utc::now());
    let parent = params.parent.filter(|p| !p.is_empty());
    let view = View::Quotas {
        today,
        selection: UnitSelection {
            unit_type: params.unit_type.filter(|t| !t.is_empty()),
            under: parent.clone(),
        },
        status,
    };
    // Only an unknown parent makes the view absent.
    let document = state.documents.document(&scores, view)?.ok_or_else(|| {
        ApiError::not_found(format!(
            "unit {} is not a unit of campaign {}",
            parent.unwrap_or_default(),
            campaign.code
        ))
    })?;
    super::paging::serve_document(&req, &document, "", "unit_code")
}
