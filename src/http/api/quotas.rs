//! Quotas: each unit's sample size against its responses, with its pace and the margin
//! of error achieved so far. The view is the report layer's.

use actix_web::{HttpRequest, HttpResponse, get, web};
use sipas_domain::access::{Action, Resource};

use super::auth::{Caller, authorize};
use super::{ApiError, ErrorBody, with_etag};
use crate::http::AppState;
use crate::reports::View;
use crate::reports::quotas::UnitQuota;
use crate::scores::ScoreQuery;

/// Every unit with a quota (units in the frame), in code order.
#[utoipa::path(
    get, path = "/api/v1/campaigns/{campaign}/quotas", tag = "scores",
    params(("campaign" = String, Path)),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, body = [UnitQuota], headers(("ETag" = String))),
        (status = 304, description = "unchanged since the given ETag"),
        (status = 404, body = ErrorBody)
    )
)]
#[get("/campaigns/{campaign}/quotas")]
pub async fn campaign_quotas(
    req: HttpRequest,
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
    let query =
        ScoreQuery::official(campaign).map_err(|e| ApiError::unprocessable(e.to_string()))?;
    let scores = state.scores.scores(campaign.id, query).await?;
    let today = chrono::Utc::now().date_naive();
    let document = state
        .documents
        .document(&scores, View::Quotas(today))?
        .ok_or_else(|| ApiError::not_found("no quotas"))?;
    Ok(with_etag(&req, &document))
}
