//! Receipt tokens: the one-stop system asks for one when it returns a dossier's result
//! and prints its QR code on the receipt. A response through it is verified.

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sipas_domain::access::{Action, Resource};
use sipas_domain::campaign::{DossierCode, receipt_expiry};
use sipas_domain::token::SurveyToken;
use utoipa::ToSchema;

use super::auth::{Caller, authorize};
use super::{ApiError, ErrorBody};
use crate::http::{AppState, survey_url};
use crate::storage::{StorageError, campaigns, receipts, units};

#[derive(Deserialize, ToSchema)]
pub struct NewReceipt {
    /// The dossier's code in the one-stop system; stored only as a keyed hash.
    pub dossier_code: String,
    pub unit_code: String,
    /// The desk that returned the result; the unit's Bộ phận Một cửa when omitted.
    pub service_point_code: Option<String>,
    /// When the result was returned; the token expires a campaign-set number of days
    /// later (30 by default), at the end of that day in Vietnam.
    pub returned_on: NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub struct Receipt {
    pub token: String,
    pub url: String,
    pub qr_svg_url: String,
    pub qr_png_url: String,
    pub expires_at: DateTime<Utc>,
}

/// Issues the single-use survey token of a dossier; asking again for the same dossier
/// returns the same token (200) instead of a new one (201).
#[utoipa::path(
    post, path = "/api/v1/campaigns/{campaign}/receipts", tag = "receipts",
    params(("campaign" = String, Path, description = "campaign code")),
    request_body = NewReceipt,
    security(("bearer" = ["write"])),
    responses(
        (status = 201, description = "issued now", body = Receipt),
        (status = 200, description = "issued before for this dossier", body = Receipt),
        (status = 404, body = ErrorBody), (status = 409, description = "campaign not open", body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
#[post("/campaigns/{campaign}/receipts")]
pub async fn create_receipt(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<NewReceipt>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let dossier = DossierCode::parse(&body.dossier_code)
        .map_err(|e| ApiError::unprocessable(e.message.clone()).with_details([e]))?;
    let db = state.storage.db();
    let campaign = campaigns::by_code(db, &path).await?;
    if !campaign.status.accepts_responses() {
        return Err(ApiError::new(
            actix_web::http::StatusCode::CONFLICT,
            "campaign_not_open",
            format!(
                "campaign {} is {}, not open",
                campaign.code,
                campaign.status.as_str()
            ),
        ));
    }
    // Codes are read in the campaign's structure (the units valid when it starts).
    let unit = units::by_code(db, &body.unit_code, Some(campaign.units_on)).await?;
    authorize(
        &state,
        &caller,
        Action::Write,
        Resource::Unit(unit.id),
        campaign.units_on,
    )
    .await?;
    let desk = match body.service_point_code.as_deref().filter(|c| !c.is_empty()) {
        Some(code) => units::service_point_by_code(db, &unit, code).await?,
        None => units::default_service_point(db, &unit).await.map_err(|_| {
            ApiError::unprocessable(format!("unit {} has no default desk", unit.code))
        })?,
    };
    let expires_at = receipt_expiry(body.returned_on, campaign.rules.receipt_valid_days)
        .ok_or_else(|| ApiError::unprocessable("returned_on is out of range"))?;
    if expires_at <= Utc::now() {
        return Err(ApiError::unprocessable(format!(
            "returned_on {} is more than {} days ago: the receipt would already have expired",
            body.returned_on, campaign.rules.receipt_valid_days
        )));
    }
    let hashes = state
        .keys
        .dossier_hashes(i64::from(campaign.id), dossier.as_str());
    let txn = state.storage.write().await?;
    let (receipt, created) = receipts::issue(
        &txn,
        &campaign,
        (unit.id, desk.id),
        &hashes,
        body.returned_on,
        expires_at,
    )
    .await?;
    txn.commit().await.map_err(StorageError::from)?;
    let token = state.keys.sign(&SurveyToken::Receipt {
        campaign_id: i64::from(campaign.id),
        receipt_id: i64::from(receipt.id),
    });
    let url = survey_url(&state.public_url, &token);
    let answer = Receipt {
        qr_svg_url: format!("{url}/qr.svg"),
        qr_png_url: format!("{url}/qr.png"),
        url,
        token,
        expires_at: receipt.expires_at,
    };
    Ok(if created {
        HttpResponse::Created().json(answer)
    } else {
        HttpResponse::Ok().json(answer)
    })
}
