//! Campaigns (survey rounds) and their lifecycle.

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDate;
use serde::Serialize;
use sipas_domain::access::{Action, Resource};
use sipas_domain::campaign::{CampaignRequest, CampaignStatus};
use utoipa::ToSchema;

use super::auth::{Caller, authorize};
use super::{ApiError, ErrorBody};
use crate::http::AppState;
use crate::storage::{CampaignRecord, campaigns};

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
    /// `draft`, `open`, `closed` or `published`.
    pub status: String,
    /// Whether unverified (desk QR) responses count in the official scores.
    pub count_unverified: bool,
    pub min_fill_seconds: u32,
    pub receipt_valid_days: u32,
    /// Demo data, not a real survey.
    pub is_demo: bool,
    /// The PAR scheme its points come from (`GET /api/v1/par-schemes`).
    pub par_scheme: String,
    /// Its units are those valid on this day (its first): the structure it runs on.
    pub units_on: NaiveDate,
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
            count_unverified: c.rules.count_unverified,
            min_fill_seconds: c.rules.min_fill_seconds,
            receipt_valid_days: c.rules.receipt_valid_days,
            is_demo: c.is_demo,
            units_on: c.units_on,
            par_scheme: c.par_scheme,
        }
    }
}

/// A new campaign as the API takes it (the domain's `CampaignRequest`; this only
/// describes it in the OpenAPI document).
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct NewCampaignDoc {
    pub code: String,
    pub name: String,
    /// `SIPAS-2017` or `SIPAS-2023`.
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
    /// `open` (the default: citizens can answer at once) or `draft` (prepare the
    /// frame first, then `POST …/open`).
    pub status: Option<String>,
    /// The PAR scheme its points come from; by default the scheme added last.
    pub par_scheme: Option<String>,
}

/// Every campaign, oldest first.
#[utoipa::path(
    get, path = "/api/v1/campaigns", tag = "campaigns", params(super::paging::PageParams),
    security(("bearer" = ["read"])),
    responses((status = 200, body = [Campaign], headers(("X-Total-Count" = u64, description = "with `limit`: the whole list's length"), ("Link" = String, description = "with `limit`, when more follow: `<…>; rel=\"next\"`"))), (status = 401, body = ErrorBody), (status = 422, description = "bad `limit` or `cursor`", body = ErrorBody))
)]
#[get("/campaigns")]
pub async fn list_campaigns(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let page = super::paging::Page::from_request(&req)?;
    let all: Vec<Campaign> = campaigns::all(state.storage.db())
        .await?
        .into_iter()
        .map(Campaign::from)
        .collect();
    Ok(match page {
        None => HttpResponse::Ok().json(all),
        Some(page) => {
            let paged = super::paging::paginate(&req, &page, all, |c| {
                super::paging::campaign_key(c.starts_on, &c.code)
            });
            let mut response = HttpResponse::Ok().json(&paged.items);
            paged.apply(&mut response);
            response
        }
    })
}

/// Creates a campaign, `open` unless asked for a `draft`.
#[utoipa::path(
    post, path = "/api/v1/campaigns", tag = "campaigns",
    request_body = NewCampaignDoc,
    security(("bearer" = ["write"])),
    responses(
        (status = 201, body = Campaign),
        (status = 409, description = "the code is taken", body = ErrorBody),
        (status = 422, description = "invalid fields, listed in `details`", body = ErrorBody)
    )
)]
#[post("/campaigns")]
pub async fn create_campaign(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<CampaignRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = chrono::Utc::now().date_naive();
    authorize(&state, &caller, Action::Write, Resource::Province, today).await?;
    let campaign = crate::campaigns::create(
        &state.storage,
        &state.scores,
        caller.name(),
        body.into_inner(),
    )
    .await
    .map_err(|e| match e {
        crate::campaigns::CreateError::Fields(fields) => ApiError::invalid_fields(fields),
        crate::campaigns::CreateError::Storage(e) => e.into(),
    })?;
    Ok(HttpResponse::Created().json(Campaign::from(campaign)))
}

async fn transition(
    caller: Caller,
    state: web::Data<AppState>,
    code: &str,
    to: CampaignStatus,
) -> Result<HttpResponse, ApiError> {
    let today = chrono::Utc::now().date_naive();
    authorize(&state, &caller, Action::Write, Resource::Province, today).await?;
    let campaign =
        crate::campaigns::transition(&state.storage, &state.scores, caller.name(), code, to)
            .await?;
    Ok(HttpResponse::Ok().json(Campaign::from(campaign)))
}

/// Opens a draft campaign, or re-opens a closed one: citizens can answer.
#[utoipa::path(
    post, path = "/api/v1/campaigns/{campaign}/open", tag = "campaigns",
    params(("campaign" = String, Path)),
    security(("bearer" = ["write"])),
    responses(
        (status = 200, body = Campaign),
        (status = 404, body = ErrorBody),
        (status = 409, description = "not allowed from the campaign's status (a published campaign can only be closed, for a correction)", body = ErrorBody)
    )
)]
#[post("/campaigns/{campaign}/open")]
pub async fn open_campaign(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    transition(caller, state, &path, CampaignStatus::Open).await
}

/// Closes an open campaign: no more answers, by any channel. Answers already in flight
/// are stored before the close takes effect; none after. Closes a published campaign
/// for a correction: its snapshots stay, and default reads keep serving the latest one
/// until the campaign is published again as the next version.
#[utoipa::path(
    post, path = "/api/v1/campaigns/{campaign}/close", tag = "campaigns",
    params(("campaign" = String, Path)),
    security(("bearer" = ["write"])),
    responses(
        (status = 200, body = Campaign),
        (status = 404, body = ErrorBody),
        (status = 409, description = "not allowed from the campaign's status", body = ErrorBody)
    )
)]
#[post("/campaigns/{campaign}/close")]
pub async fn close_campaign(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    transition(caller, state, &path, CampaignStatus::Closed).await
}
