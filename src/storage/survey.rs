//! The citizen's path: what a survey token points at, receipts, and storing a response
//! exactly once.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{receipt, response, service_point, unit};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait,
    sea_query::Expr,
};

use super::campaigns::NewResponse;
use super::{CampaignRecord, ServicePointRecord, Storage, StorageError};

/// Everything a survey page shows about where the citizen was served.
#[derive(Debug, Clone)]
pub struct SurveyPlace {
    pub campaign: CampaignRecord,
    pub unit_id: i32,
    pub unit_code: String,
    pub unit_name: String,
    pub service_point: ServicePointRecord,
}

/// A receipt token's row: one dossier, answerable once until it expires.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiptRecord {
    pub id: i32,
    pub campaign_id: i32,
    pub unit_id: i32,
    pub service_point_id: i32,
    pub returned_on: NaiveDate,
    pub expires_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
}

impl From<receipt::Model> for ReceiptRecord {
    fn from(r: receipt::Model) -> Self {
        Self {
            id: r.id,
            campaign_id: r.campaign_id,
            unit_id: r.unit_id,
            service_point_id: r.service_point_id,
            returned_on: r.returned_on,
            expires_at: r.expires_at,
            answered_at: r.answered_at,
        }
    }
}

/// What became of a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submission {
    /// Stored now.
    Stored,
    /// The same form (same nonce) was stored before: a retry or a double tap.
    Repeated,
    /// The receipt was already answered by another submission: nothing stored.
    AlreadyAnswered,
}

impl Storage {
    /// The campaign, unit and desk of a desk token; `None` if any of them is gone or the
    /// desk belongs to no unit.
    pub async fn survey_place(
        &self,
        campaign_id: i32,
        service_point_id: i32,
    ) -> Result<Option<SurveyPlace>, StorageError> {
        let campaign = match self.campaign_by_id(campaign_id).await {
            Ok(c) => c,
            Err(StorageError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(point) = service_point::Entity::find_by_id(service_point_id)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let Some(unit) = unit::Entity::find_by_id(point.unit_id)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(SurveyPlace {
            campaign,
            unit_id: unit.id,
            unit_code: unit.code,
            unit_name: unit.name,
            service_point: point.into(),
        }))
    }

    pub async fn receipt(&self, id: i32) -> Result<Option<ReceiptRecord>, StorageError> {
        Ok(receipt::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(Into::into))
    }

    /// Issues the receipt of a dossier, or returns the one already issued for it (looked
    /// up under every key's hash, so a key rotation does not issue a second one).
    /// `hashes[0]` is stored for a new receipt. Returns whether it was created now.
    pub async fn issue_receipt(
        &self,
        campaign: &CampaignRecord,
        place: (i32, i32),
        hashes: &[String],
        returned_on: NaiveDate,
        expires_at: DateTime<Utc>,
    ) -> Result<(ReceiptRecord, bool), StorageError> {
        let find = |db| {
            receipt::Entity::find()
                .filter(receipt::Column::CampaignId.eq(campaign.id))
                .filter(receipt::Column::DossierHash.is_in(hashes.iter().cloned()))
                .one(db)
        };
        if let Some(existing) = find(&self.db).await? {
            return Ok((existing.into(), false));
        }
        let (unit_id, service_point_id) = place;
        let inserted = receipt::Entity::insert(receipt::ActiveModel {
            campaign_id: Set(campaign.id),
            unit_id: Set(unit_id),
            service_point_id: Set(service_point_id),
            dossier_hash: Set(hashes[0].clone()),
            returned_on: Set(returned_on),
            expires_at: Set(expires_at),
            answered_at: Set(None),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_with_returning(&self.db)
        .await;
        match inserted {
            Ok(model) => Ok((model.into(), true)),
            // Two calls for the same dossier at once: the other one won; return its row.
            Err(e) if matches!(StorageError::from(e.clone()), StorageError::Conflict(_)) => {
                let existing = find(&self.db).await?.ok_or(StorageError::from(e))?;
                Ok((existing.into(), false))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Stores one citizen's response, committed before this returns. A repeated nonce
    /// finds the first copy instead of storing a second; a receipt is marked answered in
    /// the same transaction, so it can never carry two responses.
    pub async fn submit_response(
        &self,
        campaign: &CampaignRecord,
        response: NewResponse,
    ) -> Result<Submission, StorageError> {
        if self.nonce_stored(response.nonce.as_deref()).await? {
            return Ok(Submission::Repeated);
        }
        let nonce = response.nonce.clone();
        let receipt_id = response.receipt_id;
        let txn = self.db.begin().await?;
        if let Some(receipt_id) = receipt_id {
            let claimed = receipt::Entity::update_many()
                .col_expr(
                    receipt::Column::AnsweredAt,
                    Expr::value(response.submitted_at),
                )
                .filter(receipt::Column::Id.eq(receipt_id))
                .filter(receipt::Column::AnsweredAt.is_null())
                .exec(&txn)
                .await?;
            if claimed.rows_affected == 0 {
                txn.rollback().await?;
                return Ok(if self.nonce_stored(nonce.as_deref()).await? {
                    Submission::Repeated
                } else {
                    Submission::AlreadyAnswered
                });
            }
        }
        match insert_response(&txn, campaign, response).await {
            Ok(()) => {
                txn.commit().await?;
                Ok(Submission::Stored)
            }
            Err(StorageError::Conflict(message)) => {
                // A concurrent copy of the same form got in first.
                txn.rollback().await?;
                if self.nonce_stored(nonce.as_deref()).await? {
                    Ok(Submission::Repeated)
                } else {
                    Err(StorageError::Conflict(message))
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Whether a response with this form nonce is stored.
    async fn nonce_stored(&self, nonce: Option<&str>) -> Result<bool, StorageError> {
        let Some(nonce) = nonce else { return Ok(false) };
        Ok(response::Entity::find()
            .filter(response::Column::Nonce.eq(nonce))
            .one(&self.db)
            .await?
            .is_some())
    }
}

async fn insert_response(
    db: &impl ConnectionTrait,
    campaign: &CampaignRecord,
    r: NewResponse,
) -> Result<(), StorageError> {
    response::Entity::insert(super::campaigns::response_row(campaign, r))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

impl Storage {
    /// Stores many desk responses (no receipt) in one transaction, committed before
    /// this returns: one commit for a whole batch of citizens. Each gets its own
    /// outcome: `Stored`, or `Repeated` when its nonce was stored before (by an earlier
    /// batch, or earlier in this one).
    pub async fn submit_desk_responses(
        &self,
        batch: &[(&CampaignRecord, &NewResponse)],
    ) -> Result<Vec<Submission>, StorageError> {
        let nonces: Vec<String> = batch.iter().filter_map(|(_, r)| r.nonce.clone()).collect();
        let txn = self.db.begin().await?;
        let existing: std::collections::HashMap<String, i64> = response::Entity::find()
            .filter(response::Column::Nonce.is_in(nonces))
            .all(&txn)
            .await?
            .into_iter()
            .filter_map(|r| Some((r.nonce?, r.id)))
            .collect();
        let mut seen = std::collections::HashSet::new();
        let mut fresh = Vec::new();
        let mut outcomes = Vec::with_capacity(batch.len());
        for (campaign, r) in batch {
            let repeated = match &r.nonce {
                Some(nonce) => existing.contains_key(nonce) || !seen.insert(nonce.clone()),
                None => false,
            };
            outcomes.push(repeated);
            if !repeated {
                fresh.push(super::campaigns::response_row(campaign, (*r).clone()));
            }
        }
        if !fresh.is_empty() {
            // A copy committed by another node since the read above is skipped, not an
            // error: the response is stored once either way.
            response::Entity::insert_many(fresh)
                .on_conflict(
                    sea_orm::sea_query::OnConflict::column(response::Column::Nonce)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(outcomes
            .into_iter()
            .map(|repeated| {
                if repeated {
                    Submission::Repeated
                } else {
                    Submission::Stored
                }
            })
            .collect())
    }
}
