//! Receipt tokens: the one-stop system asks for one when it returns a dossier's result
//! and prints its QR code on the receipt. A response through it is verified.

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sipas_domain::campaign::{CampaignStatus, receipt_expiry};
use sipas_domain::token::SurveyToken;
use utoipa::ToSchema;

use crate::http::survey::survey_url;
use crate::http::{ApiError, AppState, ErrorBody};

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
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<NewReceipt>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let dossier = body.dossier_code.trim();
    if dossier.is_empty() || dossier.chars().count() > 100 {
        return Err(ApiError::unprocessable(
            "dossier_code must be 1–100 characters",
        ));
    }
    let campaign = state.storage.campaign_by_code(&path).await?;
    if campaign.status != CampaignStatus::Open {
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
    let unit = state.storage.unit_by_code(&body.unit_code).await?;
    let desk = match body.service_point_code.as_deref().filter(|c| !c.is_empty()) {
        Some(code) => state.storage.service_point_by_code(&unit, code).await?,
        None => state
            .storage
            .service_points(unit.id)
            .await?
            .into_iter()
            .find(|p| p.is_default)
            .ok_or_else(|| {
                ApiError::unprocessable(format!("unit {} has no default desk", unit.code))
            })?,
    };
    let expires_at = receipt_expiry(body.returned_on, campaign.receipt_valid_days)
        .ok_or_else(|| ApiError::unprocessable("returned_on is out of range"))?;
    if expires_at <= Utc::now() {
        return Err(ApiError::unprocessable(format!(
            "returned_on {} is more than {} days ago: the receipt would already have expired",
            body.returned_on, campaign.receipt_valid_days
        )));
    }
    let keys = state.citizen.keys();
    let hashes = keys.dossier_hashes(i64::from(campaign.id), dossier);
    let (receipt, created) = state
        .storage
        .issue_receipt(
            &campaign,
            (unit.id, desk.id),
            &hashes,
            body.returned_on,
            expires_at,
        )
        .await?;
    let token = keys.sign(&SurveyToken::Receipt {
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
