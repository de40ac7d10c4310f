//! Desk QR codes: one per service point per campaign, for the poster at the desk.

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use sipas_domain::access::{Action, Resource};
use utoipa::IntoParams;

use super::auth::{Caller, authorize};
use super::{ApiError, ErrorBody};
use crate::http::{AppState, qr_image};

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
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String, String)>,
    query: web::Query<QrParams>,
) -> Result<HttpResponse, ApiError> {
    let (campaign, unit, service_point, format) = path.into_inner();
    if format != "svg" && format != "png" {
        return Err(ApiError::not_found("QR codes come as qr.svg or qr.png"));
    }
    let desk = crate::desks::resolve(
        &state.storage,
        &state.keys,
        &state.public_url,
        (&campaign, &unit, &service_point),
    )
    .await?;
    let on = desk.campaign.units_on;
    authorize(
        &state,
        &caller,
        Action::Read,
        Resource::Unit(desk.unit.id),
        on,
    )
    .await?;
    qr_image(&desk.url, &format, query.px)
        .ok_or_else(|| ApiError::not_found("QR codes come as qr.svg or qr.png"))
}
