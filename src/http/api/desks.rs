//! Desk QR codes: one per service point per campaign, for the poster at the desk.

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use sipas_domain::token::SurveyToken;
use utoipa::IntoParams;

use crate::http::survey::{qr_response, survey_url};
use crate::http::{ApiError, AppState, ErrorBody};
use crate::storage::{CampaignRecord, ServicePointRecord, UnitRow};

/// A campaign's desk, resolved from codes in a URL.
pub struct Desk {
    pub campaign: CampaignRecord,
    pub unit: UnitRow,
    pub service_point: ServicePointRecord,
    pub url: String,
}

pub async fn resolve_desk(
    state: &AppState,
    campaign: &str,
    unit: &str,
    service_point: &str,
) -> Result<Desk, ApiError> {
    let campaign = state.storage.campaign_by_code(campaign).await?;
    let unit = state.storage.unit_by_code(unit).await?;
    let service_point = state
        .storage
        .service_point_by_code(&unit, service_point)
        .await?;
    let token = state.citizen.keys().sign(&SurveyToken::Desk {
        campaign_id: i64::from(campaign.id),
        service_point_id: i64::from(service_point.id),
    });
    Ok(Desk {
        url: survey_url(&state.public_url, &token),
        campaign,
        unit,
        service_point,
    })
}

#[derive(Deserialize, IntoParams)]
pub struct QrParams {
    /// PNG only: pixels per module (1–40, default 8).
    pub px: Option<u32>,
}

/// The desk QR code of a service point for a campaign, as `svg` or `png`.
#[utoipa::path(
    get, path = "/api/v1/campaigns/{campaign}/units/{unit}/service-points/{service_point}/qr.{format}",
    tag = "receipts",
    params(
        ("campaign" = String, Path), ("unit" = String, Path), ("service_point" = String, Path),
        ("format" = String, Path, description = "`svg` or `png`"), QrParams
    ),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "the QR code (image/svg+xml or image/png)"),
        (status = 404, body = ErrorBody)
    )
)]
#[get("/campaigns/{campaign}/units/{unit}/service-points/{service_point}/qr.{format}")]
pub async fn desk_qr(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String, String)>,
    query: web::Query<QrParams>,
) -> Result<HttpResponse, ApiError> {
    let (campaign, unit, service_point, format) = path.into_inner();
    if format != "svg" && format != "png" {
        return Err(ApiError::not_found("QR codes come as qr.svg or qr.png"));
    }
    let desk = resolve_desk(&state, &campaign, &unit, &service_point).await?;
    Ok(qr_response(&desk.url, &format, query.px))
}
