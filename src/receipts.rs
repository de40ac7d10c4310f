//! Receipt QR codes: the single-use survey token of one dossier, issued when the
//! one-stop system returns its result (`POST /api/v1/campaigns/{c}/receipts`) or when a
//! desk officer makes one by hand on the dashboard, both through [`issue`]. The dossier
//! code is stored and audited only as a keyed hash; the token is never logged.

use chrono::{DateTime, NaiveDate, Utc};
use sipas_domain::campaign::{DossierCode, receipt_expiry};
use sipas_domain::token::{SigningKeys, SurveyToken};

use crate::storage::{
    CampaignRecord, ReceiptRecord, ServicePointRecord, Storage, StorageError, UnitRow, audit,
    receipts, units,
};

/// What a receipt is asked for, checked: the dossier, the desk that returned it (the
/// unit's Bộ phận Một cửa when `None`), and the day it was returned.
#[derive(Debug, Clone)]
pub struct ReceiptRequest {
    pub dossier: DossierCode,
    pub service_point_code: Option<String>,
    pub returned_on: NaiveDate,
}

/// A receipt issued now or before for the same dossier.
#[derive(Debug, Clone)]
pub struct IssuedReceipt {
    pub receipt: ReceiptRecord,
    pub service_point: ServicePointRecord,
    /// Issued by this call (`false`: the dossier's earlier receipt).
    pub created: bool,
    pub token: String,
    /// `{public_url}/s/{token}`: what its QR code encodes.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// Why a receipt was not issued.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// The campaign does not take answers (draft, closed, published).
    #[error("campaign {code} is {status}, not open")]
    NotOpen { code: String, status: &'static str },
    /// The unit has no desk of that code.
    #[error("unit {unit} has no service point {code}")]
    UnknownDesk { unit: String, code: String },
    /// The unit has no default desk (data from before desks existed).
    #[error("unit {0} has no default desk")]
    NoDefaultDesk(String),
    /// `returned_on` is not a date a token can expire from.
    #[error("returned_on is out of range")]
    OutOfRange,
    /// `returned_on` is so long ago that the token would already have expired.
    #[error(
        "returned_on {returned_on} is more than {days} days ago: the receipt would already have expired"
    )]
    Expired { returned_on: NaiveDate, days: u32 },
    /// `returned_on` is after tomorrow: a result is not returned in the future (a day's
    /// margin covers Vietnam being ahead of UTC).
    #[error("returned_on {0} is in the future: give the day the result was returned")]
    InFuture(NaiveDate),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Issues the receipt of a dossier for a unit of an open campaign (the caller has
/// checked its right to write for the unit), or returns the one issued before for the
/// same dossier. A new receipt is audited (`receipt.issue`, under the unit) in the
/// transaction that stores it.
pub async fn issue(
    (storage, keys, public_url): (&Storage, &SigningKeys, &str),
    actor: &str,
    campaign: &CampaignRecord,
    unit: &UnitRow,
    request: &ReceiptRequest,
) -> Result<IssuedReceipt, ReceiptError> {
    if !campaign.status.accepts_responses() {
        return Err(ReceiptError::NotOpen {
            code: campaign.code.clone(),
            status: campaign.status.as_str(),
        });
    }
    let db = storage.db();
    let desk = match request
        .service_point_code
        .as_deref()
        .filter(|c| !c.is_empty())
    {
        Some(code) => units::service_point_by_code(db, unit, code)
            .await
            .map_err(|e| match e {
                StorageError::NotFound(_) => ReceiptError::UnknownDesk {
                    unit: unit.code.clone(),
                    code: code.to_owned(),
                },
                other => other.into(),
            })?,
        None => units::default_service_point(db, unit)
            .await
            .map_err(|_| ReceiptError::NoDefaultDesk(unit.code.clone()))?,
    };
    if request.returned_on > Utc::now().date_naive() + chrono::Days::new(1) {
        return Err(ReceiptError::InFuture(request.returned_on));
    }
    let days = campaign.rules.receipt_valid_days;
    let expires_at = receipt_expiry(request.returned_on, days).ok_or(ReceiptError::OutOfRange)?;
    if expires_at <= Utc::now() {
        return Err(ReceiptError::Expired {
            returned_on: request.returned_on,
            days,
        });
    }
    let hashes = keys.dossier_hashes(i64::from(campaign.id), request.dossier.as_str());
    let txn = storage.write().await?;
    let (receipt, created) = receipts::issue(
        &txn,
        campaign,
        (unit.id, desk.id),
        &hashes,
        request.returned_on,
        expires_at,
    )
    .await?;
    if created {
        audit::record_for_unit(
            &txn,
            actor,
            "receipt.issue",
            &format!("{}/{}/{}", campaign.code, unit.code, receipt.id),
            Some(unit.id),
            serde_json::json!({
                "before": null,
                "after": {
                    "receipt": receipt.id,
                    "service_point": desk.code,
                    "returned_on": receipt.returned_on,
                    "expires_at": receipt.expires_at,
                },
            }),
        )
        .await?;
    }
    txn.commit().await.map_err(StorageError::from)?;
    let token = keys.sign(&SurveyToken::Receipt {
        campaign_id: i64::from(campaign.id),
        receipt_id: i64::from(receipt.id),
    });
    Ok(IssuedReceipt {
        url: crate::http::survey_url(public_url, &token),
        expires_at: receipt.expires_at,
        receipt,
        service_point: desk,
        created,
        token,
    })
}
