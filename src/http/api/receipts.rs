//! Receipt tokens: the one-stop system asks for one when it returns a dossier's result
//! and prints its QR code on the receipt. A response through it is verified.

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sipas_domain::access::{Action, Resource};
use sipas_domain::campaign::DossierCode;
use utoipa::ToSchema;

use super::auth::{Caller, authorize};
use super::{ApiError, ErrorBody};
use crate::http::AppState;
use crate::receipts::{ReceiptError, ReceiptRequest};
use crate::storage::{campaigns, units};

impl From<ReceiptError> for ApiError {
    fn from(err: ReceiptError) -> Self {
        match err {
            ReceiptError::NotOpen { .. } => ApiError::new(
                actix_web::http::StatusCode::CONFLICT,
                "campaign_not_open",
                err.to_string(),
            ),
            ReceiptError::UnknownDesk { .. } => ApiError::not_found(err.to_string()),
            ReceiptError::NoDefaultDesk(_)
            | ReceiptError::OutOfRange
            | ReceiptError::Expired { .. }
            | ReceiptError::InFuture(_) => ApiError::unprocessable(err.to_string()),
            ReceiptError::Storage(e) => e.into(),
        }
    }
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
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
        return Err(ReceiptError::NotOpen {
            code: campaign.code.clone(),
            status: campaign.status.as_str(),
        }
        .into());
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
    let issued = crate::receipts::issue(
        (&state.storage, &state.keys, &state.public_url),
        caller.name(),
        &campaign,
        &unit,
        &ReceiptRequest {
            dossier,
            service_point_code: body.service_point_code,
            returned_on: body.returned_on,
        },
    )
    .await?;
    let created = issued.created;
    let url = issued.url;
    let answer = Receipt {
        qr_svg_url: format!("{url}/qr.svg"),
        qr_png_url: format!("{url}/qr.png"),
        url,
        token: issued.token,
        expires_at: issued.expires_at,
    };
    Ok(if created {
        HttpResponse::Created().json(answer)
    } else {
        HttpResponse::Ok().json(answer)
    })
}
