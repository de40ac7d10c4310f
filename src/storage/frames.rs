//! Frames (completed dossiers per unit or per service point) and the quotas drawn from
//! them. The quota rule is the domain's; this stores what it decides.

use std::collections::HashMap;

use entity::{frame, quota};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};
use sipas_domain::quota::{FrameEntry, unit_populations};

use super::{CampaignRecord, StorageError, audit, campaigns};

/// What a frame replacement stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameReplaced {
    pub lines: usize,
    pub units: usize,
}

/// Replaces a campaign's frame and recomputes the quotas that no manager has
/// overridden (`floors`: each unit's quota floor by unit id). Run it in a transaction:
/// a failure leaves the old frame, its quotas and the revision in place.
pub async fn replace(
    db: &DatabaseTransaction,
    actor: &str,
    campaign: &CampaignRecord,
    entries: &[FrameEntry],
    floors: &HashMap<i32, u32>,
) -> Result<FrameReplaced, StorageError> {
    let replaced = store(db, campaign, entries, floors).await?;
    audit::record(
        db,
        actor,
        "frame.replace",
        &campaign.code,
        serde_json::json!({ "lines": replaced.lines, "units": replaced.units }),
    )
    .await?;
    Ok(replaced)
}

/// [`replace`] without its audit entry: for a caller that records its own.
pub async fn store(
    db: &impl ConnectionTrait,
    campaign: &CampaignRecord,
    entries: &[FrameEntry],
    floors: &HashMap<i32, u32>,
) -> Result<FrameReplaced, StorageError> {
    if !campaign.status.frame_editable() {
        return Err(StorageError::Conflict(format!(
            "campaign {} is {}: its frame can no longer change",
            campaign.code,
            campaign.status.as_str()
        )));
    }
    let populations =
        unit_populations(entries).map_err(|e| StorageError::Invalid(e.to_string()))?;
    let targets = campaign.design.quotas(&populations, floors);
    frame::Entity::delete_many()
        .filter(frame::Column::CampaignId.eq(campaign.id))
        .exec(db)
        .await?;
    let rows = entries
        .iter()
        .map(|e| frame::ActiveModel {
            campaign_id: Set(campaign.id),
            unit_id: Set(e.unit_id),
            service_point_id: Set(e.service_point_id),
            population: Set(e.population as i64),
            ..Default::default()
        })
        .collect();
    for chunk in super::statement_chunks(rows) {
        frame::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    replace_computed_quotas(db, campaign.id, &targets).await?;
    campaigns::bump_revision(db, campaign.id).await?;
    Ok(FrameReplaced {
        lines: entries.len(),
        units: populations.len(),
    })
}

/// The frame of a campaign, line by line.
pub async fn entries(
    db: &impl ConnectionTrait,
    campaign_id: i32,
) -> Result<Vec<FrameEntry>, StorageError> {
    Ok(frame::Entity::find()
        .filter(frame::Column::CampaignId.eq(campaign_id))
        .order_by_asc(frame::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|f| FrameEntry {
            unit_id: f.unit_id,
            service_point_id: f.service_point_id,
            population: f.population.max(0) as u64,
        })
        .collect())
}

/// Each unit's quota in a campaign.
pub async fn quotas(
    db: &impl ConnectionTrait,
    campaign_id: i32,
) -> Result<HashMap<i32, u64>, StorageError> {
    Ok(quota::Entity::find()
        .filter(quota::Column::CampaignId.eq(campaign_id))
        .all(db)
        .await?
        .into_iter()
        .map(|q| (q.unit_id, q.target.max(0) as u64))
        .collect())
}

/// Each unit's quota in a campaign and whether a manager overrode it.
pub async fn quota_rows(
    db: &impl ConnectionTrait,
    campaign_id: i32,
) -> Result<HashMap<i32, (u64, bool)>, StorageError> {
    Ok(quota::Entity::find()
        .filter(quota::Column::CampaignId.eq(campaign_id))
        .all(db)
        .await?
        .into_iter()
        .map(|q| (q.unit_id, (q.target.max(0) as u64, q.overridden)))
        .collect())
}

async fn replace_computed_quotas(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    targets: &[(i32, u64)],
) -> Result<(), StorageError> {
    let overridden: std::collections::HashSet<i32> = quota::Entity::find()
        .filter(quota::Column::CampaignId.eq(campaign_id))
        .filter(quota::Column::Overridden.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|q| q.unit_id)
        .collect();
    quota::Entity::delete_many()
        .filter(quota::Column::CampaignId.eq(campaign_id))
        .filter(quota::Column::Overridden.eq(false))
        .exec(db)
        .await?;
    let rows: Vec<_> = targets
        .iter()
        .filter(|(unit_id, _)| !overridden.contains(unit_id))
        .map(|(unit_id, target)| quota::ActiveModel {
            campaign_id: Set(campaign_id),
            unit_id: Set(*unit_id),
            target: Set(*target as i64),
            overridden: Set(false),
            ..Default::default()
        })
        .collect();
    for chunk in super::statement_chunks(rows) {
        quota::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}
