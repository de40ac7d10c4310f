//! Campaigns (survey rounds).

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sipas_domain::campaign::{CampaignRequest, CampaignStatus};
use utoipa::ToSchema;

use crate::http::auth::Client;
use crate::http::{ApiError, AppState, ErrorBody};
use crate::storage::CampaignRecord;

#[derive(Serialize, ToSchema)]
pub struct Campaign {
    pub code: String,
    pub name: String,
    /// Questionnaire template: `SIPAS-2017` or `SIPAS-2023`.
    pub template: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub confidence: f64,
    pub margin: f64,
    /// `cochran` or `yamane`.
    pub quota_method: String,
    /// `draft`, `open` or `closed`.
    pub status: String,
    /// Whether unverified (desk QR) responses count in the official scores.
    pub count_unverified: bool,
    pub min_fill_seconds: u32,
    pub receipt_valid_days: u32,
    /// Demo data, not a real survey.
    pub is_demo: bool,
}

impl From<CampaignRecord> for Campaign {
    fn from(c: CampaignRecord) -> Self {
        Self {
            code: c.code,
            name: c.name,
            template: c.template,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            confidence: c.design.confidence(),
            margin: c.design.margin(),
            quota_method: c.design.method().as_str().to_owned(),
            status: c.status.as_str().to_owned(),
            count_unverified: c.count_unverified,
            min_fill_seconds: c.min_fill_seconds,
            receipt_valid_days: c.receipt_valid_days,
            is_demo: c.is_demo,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewCampaign {
    pub code: String,
    pub name: String,
    pub template: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Default 0.95; strictly between 0 and 1.
    pub confidence: Option<f64>,
    /// Default 0.05; in (0, 0.5].
    pub margin: Option<f64>,
    /// Default `cochran`.
    pub quota_method: Option<String>,
    /// Whether unverified (desk QR) responses count in the official scores; default true.
    pub count_unverified: Option<bool>,
    /// Seconds a person needs at least; faster responses are kept but flagged (default 8).
    pub min_fill_seconds: Option<u32>,
    /// Days a receipt token stays valid after the result is returned (default 30).
    pub receipt_valid_days: Option<u32>,
}

/// Every campaign, oldest first.
#[utoipa::path(
    get, path = "/api/v1/campaigns", tag = "campaigns",
    security(("bearer" = ["read"])),
    responses((status = 200, body = [Campaign]), (status = 401, body = ErrorBody))
)]
#[get("/campaigns")]
pub async fn list_campaigns(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let campaigns = state.storage.campaigns().await?;
    Ok(HttpResponse::Ok().json(
        campaigns
            .into_iter()
            .map(Campaign::from)
            .collect::<Vec<_>>(),
    ))
}

/// Creates a campaign in `open` status.
#[utoipa::path(
    post, path = "/api/v1/campaigns", tag = "campaigns",
    request_body = NewCampaign,
    security(("bearer" = ["write"])),
    responses(
        (status = 201, body = Campaign),
        (status = 409, description = "the code is taken", body = ErrorBody),
        (status = 422, description = "invalid fields, listed in `details`", body = ErrorBody)
    )
)]
#[post("/campaigns")]
pub async fn create_campaign(
    client: Client,
    state: web::Data<AppState>,
    body: web::Json<NewCampaign>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let new = CampaignRequest {
        code: body.code,
        name: body.name,
        template: body.template,
        starts_on: body.starts_on,
        ends_on: body.ends_on,
        confidence: body.confidence,
        margin: body.margin,
        quota_method: body.quota_method,
        count_unverified: body.count_unverified,
        min_fill_seconds: body.min_fill_seconds,
        receipt_valid_days: body.receipt_valid_days,
    }
    .parse()
    .map_err(|errors| {
        let summary = errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        ApiError::unprocessable(summary).with_details(errors)
    })?;
    let campaign = state
        .storage
        .create_campaign(&client.name, &new, CampaignStatus::Open, false)
        .await?;
    state.scores.campaign_created(&campaign).await?;
    Ok(HttpResponse::Created().json(Campaign::from(campaign)))
}
