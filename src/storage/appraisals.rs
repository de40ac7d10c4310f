//! Appraised points: one import is one version of a campaign's appraisals; a unit's
//! current points are its row in the latest version that lists it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::appraisal;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::StorageError;

/// A unit's current appraised points.
#[derive(Debug, Clone, PartialEq)]
pub struct Appraisal {
    pub unit_id: i32,
    pub version: i32,
    pub points: f64,
    /// The breakdown by criterion, as imported (`None`: the file had none).
    pub criteria: Option<serde_json::Value>,
    pub imported_by: String,
    pub imported_at: DateTime<Utc>,
}

/// One unit's points in a new version.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAppraisal {
    pub unit_id: i32,
    pub points: f64,
    pub criteria: Option<serde_json::Value>,
}

/// Every unit's current points in a campaign, by unit id.
pub async fn current(
    db: &impl ConnectionTrait,
    campaign_id: i32,
) -> Result<HashMap<i32, Appraisal>, StorageError> {
    let rows = appraisal::Entity::find()
        .filter(appraisal::Column::CampaignId.eq(campaign_id))
        .order_by_asc(appraisal::Column::Version)
        .all(db)
        .await?;
    let mut by_unit = HashMap::new();
    // Ascending versions: a later version's row replaces an earlier one.
    for r in rows {
        by_unit.insert(
            r.unit_id,
            Appraisal {
                unit_id: r.unit_id,
                version: r.version,
                points: r.points,
                criteria: r.criteria.and_then(|c| serde_json::from_str(&c).ok()),
                imported_by: r.imported_by,
                imported_at: r.imported_at,
            },
        );
    }
    Ok(by_unit)
}

/// The latest version of a campaign's appraisals (0: none imported).
pub async fn latest_version(
    db: &impl ConnectionTrait,
    campaign_id: i32,
) -> Result<i32, StorageError> {
    let latest: Option<Option<i32>> = appraisal::Entity::find()
        .select_only()
        .column_as(appraisal::Column::Version.max(), "version")
        .filter(appraisal::Column::CampaignId.eq(campaign_id))
        .into_tuple()
        .one(db)
        .await?;
    Ok(latest.flatten().unwrap_or(0))
}

/// Stores `rows` as version `version` of the campaign's appraisals. The unique index on
/// (campaign, version, unit) refuses a concurrent import of the same version.
pub async fn insert(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    version: i32,
    actor: &str,
    rows: &[NewAppraisal],
) -> Result<(), StorageError> {
    if rows.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    appraisal::Entity::insert_many(rows.iter().map(|r| appraisal::ActiveModel {
        campaign_id: Set(campaign_id),
        unit_id: Set(r.unit_id),
        version: Set(version),
        points: Set(r.points),
        criteria: Set(r.criteria.as_ref().map(|c| c.to_string())),
        imported_by: Set(actor.to_owned()),
        imported_at: Set(now),
        ..Default::default()
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}
