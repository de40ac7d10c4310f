//! Quotas: each unit's sample size against its responses, with its pace and the margin
//! of error achieved so far (the half-width of its SIPAS interval).

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use sipas_domain::quota::{QuotaStatus, pace};
use utoipa::ToSchema;

use crate::http::{ApiError, AppState, ErrorBody};
use crate::scores::{Channels, ScoreQuery, scoring_options};

#[derive(Serialize, ToSchema)]
pub struct UnitQuota {
    pub unit_code: String,
    pub population: Option<u64>,
    pub quota: u64,
    /// Counted responses (the campaign's official channels, bots excluded).
    pub responses: u64,
    /// `responses / quota`.
    pub progress: f64,
    /// What a steady pace over the campaign's days would have by today.
    pub expected_by_today: f64,
    /// What the pace so far gives at the end.
    pub projected_at_end: f64,
    /// `met`, `on_track`, `behind` (≥ 80 % projected) or `at_risk`.
    #[schema(value_type = String)]
    pub status: QuotaStatus,
    /// Half-width of the SIPAS index interval so far; null without an interval.
    pub margin_achieved: Option<f64>,
}

/// Every unit with a quota (units in the frame), in code order.
#[utoipa::path(
    get, path = "/api/v1/campaigns/{campaign}/quotas", tag = "scores",
    params(("campaign" = String, Path)),
    security(("bearer" = ["read"])),
    responses((status = 200, body = [UnitQuota]), (status = 404, body = ErrorBody))
)]
#[get("/campaigns/{campaign}/quotas")]
pub async fn campaign_quotas(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let campaign = state.storage.campaign_by_code(&path).await?;
    let options = scoring_options(&campaign, None, None)
        .map_err(|e| ApiError::unprocessable(e.to_string()))?;
    let query = ScoreQuery {
        options,
        channels: Channels::official(&campaign),
    };
    let scores = state.scores.scores(&campaign, query).await?;
    let today = chrono::Utc::now().date_naive();
    let quotas: Vec<UnitQuota> = scores
        .units
        .iter()
        .filter_map(|u| {
            let quota = u.quota?;
            let n = u.result.n;
            let pace = pace(n, quota, campaign.starts_on, campaign.ends_on, today);
            Some(UnitQuota {
                unit_code: u.unit.code.clone(),
                population: u.result.population,
                quota,
                responses: n,
                progress: if quota == 0 {
                    1.0
                } else {
                    n as f64 / quota as f64
                },
                expected_by_today: pace.expected_by_today,
                projected_at_end: pace.projected_at_end,
                status: pace.status,
                margin_achieved: u.result.margin_achieved(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(quotas))
}
