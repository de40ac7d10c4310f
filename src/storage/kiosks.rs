//! Kiosk links: a desk's shared tablet for one campaign. At most one link of a desk is
//! live at a time; a regenerated or revoked one keeps its row, marked revoked.

use chrono::{DateTime, Utc};
use entity::kiosk;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, prelude::Expr,
};

use super::StorageError;

pub use kiosk::Model as KioskRecord;

/// The live link of a desk, if any.
pub async fn live(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    service_point_id: i32,
) -> Result<Option<KioskRecord>, StorageError> {
    Ok(kiosk::Entity::find()
        .filter(kiosk::Column::CampaignId.eq(campaign_id))
        .filter(kiosk::Column::ServicePointId.eq(service_point_id))
        .filter(kiosk::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

/// The desks of a campaign that have a live link, among these.
pub async fn live_desks(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    service_point_ids: impl IntoIterator<Item = i32>,
) -> Result<Vec<i32>, StorageError> {
    Ok(kiosk::Entity::find()
        .filter(kiosk::Column::CampaignId.eq(campaign_id))
        .filter(kiosk::Column::ServicePointId.is_in(service_point_ids))
        .filter(kiosk::Column::RevokedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|k| k.service_point_id)
        .collect())
}

/// A link by its token's hash, live or revoked.
pub async fn by_token_hash(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<KioskRecord>, StorageError> {
    Ok(kiosk::Entity::find()
        .filter(kiosk::Column::TokenHash.eq(token_hash))
        .one(db)
        .await?)
}

/// Revokes the desk's live link; whether there was one.
pub async fn revoke(
    db: &impl ConnectionTrait,
    (campaign_id, service_point_id): (i32, i32),
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let revoked = kiosk::Entity::update_many()
        .col_expr(kiosk::Column::RevokedAt, Expr::value(Some(at)))
        .col_expr(kiosk::Column::RevokedBy, Expr::value(Some(by.to_owned())))
        .filter(kiosk::Column::CampaignId.eq(campaign_id))
        .filter(kiosk::Column::ServicePointId.eq(service_point_id))
        .filter(kiosk::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(revoked.rows_affected > 0)
}

/// A new live link for the desk, replacing (revoking) the one it had; whether it had
/// one. Run it in a transaction with its audit entry.
pub async fn enable(
    db: &impl ConnectionTrait,
    (campaign_id, service_point_id): (i32, i32),
    token_hash: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let replaced = revoke(db, (campaign_id, service_point_id), by, at).await?;
    kiosk::ActiveModel {
        campaign_id: Set(campaign_id),
        service_point_id: Set(service_point_id),
        token_hash: Set(token_hash.to_owned()),
        enabled_by: Set(by.to_owned()),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(replaced)
}
