//! Receipt tokens: one per dossier, answerable once until it expires. The dossier code
//! is stored only as a keyed hash.

use chrono::{DateTime, NaiveDate, Utc};
use entity::receipt;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr,
};

use super::{CampaignRecord, StorageError};

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

pub async fn by_id(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<ReceiptRecord>, StorageError> {
    Ok(receipt::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(Into::into))
}

/// Issues the receipt of a dossier, or returns the one already issued for it (looked
/// up under every key's hash, so a key rotation does not issue a second one).
/// `hashes[0]` is stored for a new receipt. Returns whether it was created now.
pub async fn issue(
    db: &impl ConnectionTrait,
    campaign: &CampaignRecord,
    place: (i32, i32),
    hashes: &[String],
    returned_on: NaiveDate,
    expires_at: DateTime<Utc>,
) -> Result<(ReceiptRecord, bool), StorageError> {
    let find = || {
        receipt::Entity::find()
            .filter(receipt::Column::CampaignId.eq(campaign.id))
            .filter(receipt::Column::DossierHash.is_in(hashes.iter().cloned()))
            .one(db)
    };
    if let Some(existing) = find().await? {
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
    .on_conflict(
        sea_orm::sea_query::OnConflict::columns([
            receipt::Column::CampaignId,
            receipt::Column::DossierHash,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    // Two calls for the same dossier at once: one inserted, both read the same row.
    let row = find()
        .await?
        .ok_or_else(|| StorageError::NotFound("the receipt just issued".into()))?;
    Ok((row.into(), inserted > 0))
}

/// Marks a receipt answered, if it was not; `false` when another submission got there
/// first. Run it in the transaction that stores the response.
pub async fn claim(
    db: &impl ConnectionTrait,
    receipt_id: i32,
    at: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let claimed = receipt::Entity::update_many()
        .col_expr(receipt::Column::AnsweredAt, Expr::value(at))
        .filter(receipt::Column::Id.eq(receipt_id))
        .filter(receipt::Column::AnsweredAt.is_null())
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}
