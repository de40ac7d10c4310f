//! What each staff member saw of a campaign's quotas (table `staff_visits`), so the next
//! visit to its overview shows the units whose status changed since.
//!
//! One row per staff member and campaign. Its `statuses` column is a JSON object:
//! `{"seen": {code: status}, "baseline": {code: status}, "baseline_at": RFC 3339}` —
//! what the latest visit showed, and what the alerts of the current sitting compare
//! with (see `reports::overview::next_visit`): keeping both lets the alerts stay on the
//! page while the reader filters and sorts, instead of vanishing at the first click.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::staff_visit;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, sea_query::OnConflict};
use serde::{Deserialize, Serialize};

use super::StorageError;

/// Unit code → quota status (`met`, `on_track`, `behind`, `at_risk`).
pub type Statuses = BTreeMap<String, String>;

/// A staff member's latest visit to a campaign's overview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    #[serde(skip)]
    pub seen_at: DateTime<Utc>,
    /// What the latest visit showed.
    pub seen: Statuses,
    /// When the statuses the alerts compare with were seen.
    pub baseline_at: DateTime<Utc>,
    /// The statuses the alerts compare with.
    pub baseline: Statuses,
}

/// The staff member's latest visit to the campaign, if any. A row that cannot be read
/// (written by another version) counts as no visit: the next one replaces it.
pub async fn last(
    db: &impl ConnectionTrait,
    user_id: i32,
    campaign_id: i32,
) -> Result<Option<Visit>, StorageError> {
    let Some(row) = staff_visit::Entity::find_by_id((user_id, campaign_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(serde_json::from_str::<Visit>(&row.statuses)
        .ok()
        .map(|visit| Visit {
            seen_at: row.seen_at,
            ..visit
        }))
}

/// Records a visit, replacing the previous one: one statement on either backend.
pub async fn save(
    db: &impl ConnectionTrait,
    user_id: i32,
    campaign_id: i32,
    visit: &Visit,
) -> Result<(), StorageError> {
    let statuses =
        serde_json::to_string(visit).map_err(|e| StorageError::Invalid(e.to_string()))?;
    staff_visit::Entity::insert(staff_visit::ActiveModel {
        user_id: Set(user_id),
        campaign_id: Set(campaign_id),
        seen_at: Set(visit.seen_at),
        statuses: Set(statuses),
    })
    .on_conflict(
        OnConflict::columns([staff_visit::Column::UserId, staff_visit::Column::CampaignId])
            .update_columns([staff_visit::Column::SeenAt, staff_visit::Column::Statuses])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}
