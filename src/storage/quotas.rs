//! One unit's quota in a campaign, and a manager's override of it: the quota a manager
//! set (with why, who and when) stays through frame replacements until it is undone,
//! which puts back the quota the frame gives.

use chrono::{DateTime, Utc};
use entity::{frame, quota};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, IntoActiveModel, QueryFilter,
};
use sipas_domain::quota::QuotaOverride;

use super::{CampaignRecord, StorageError, UnitRow, audit, campaigns};

/// A unit's quota as stored, and what its frame gives.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitQuota {
    /// The stored quota; `None`: the unit has none (not in the frame, not overridden).
    pub target: Option<u64>,
    /// The quota the frame gives (its N and its type's floor); `None`: not in the frame.
    pub computed: Option<u64>,
    /// The manager's override, when the stored quota is one.
    pub overridden: Option<Override>,
}

/// Who overrode a quota, when and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub reason: String,
    pub by: String,
    pub at: Option<DateTime<Utc>>,
}

/// The unit's N in the campaign's frame (every line of the unit), if it has one.
async fn population(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    unit_id: i32,
) -> Result<Option<u64>, StorageError> {
    let lines = frame::Entity::find()
        .filter(frame::Column::CampaignId.eq(campaign_id))
        .filter(frame::Column::UnitId.eq(unit_id))
        .all(db)
        .await?;
    if lines.is_empty() {
        return Ok(None);
    }
    Ok(Some(lines.iter().map(|l| l.population.max(0) as u64).sum()))
}

async fn row(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    unit_id: i32,
) -> Result<Option<quota::Model>, StorageError> {
    Ok(quota::Entity::find()
        .filter(quota::Column::CampaignId.eq(campaign_id))
        .filter(quota::Column::UnitId.eq(unit_id))
        .one(db)
        .await?)
}

/// A unit's quota in a campaign: stored, computed from the frame, overridden or not.
pub async fn of_unit(
    db: &impl ConnectionTrait,
    campaign: &CampaignRecord,
    unit: &UnitRow,
) -> Result<UnitQuota, StorageError> {
    let stored = row(db, campaign.id, unit.id).await?;
    let computed = population(db, campaign.id, unit.id)
        .await?
        .map(|n| campaign.design.quota(Some(n), unit.quota_floor));
    Ok(UnitQuota {
        target: stored.as_ref().map(|q| q.target.max(0) as u64),
        computed,
        overridden: stored.filter(|q| q.overridden).map(|q| Override {
            reason: q.override_reason.unwrap_or_default(),
            by: q.override_by.unwrap_or_default(),
            at: q.override_at,
        }),
    })
}

/// Every overridden quota's reason in a campaign, by unit id.
pub async fn overrides(
    db: &impl ConnectionTrait,
    campaign_id: i32,
) -> Result<std::collections::HashMap<i32, String>, StorageError> {
    Ok(quota::Entity::find()
        .filter(quota::Column::CampaignId.eq(campaign_id))
        .filter(quota::Column::Overridden.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|q| (q.unit_id, q.override_reason.unwrap_or_default()))
        .collect())
}

fn editable(campaign: &CampaignRecord) -> Result<(), StorageError> {
    if campaign.status.frame_editable() {
        Ok(())
    } else {
        Err(StorageError::Conflict(format!(
            "campaign {} is {}: its quotas can no longer change",
            campaign.code,
            campaign.status.as_str()
        )))
    }
}

fn snapshot(target: Option<u64>, overridden: Option<&Override>) -> serde_json::Value {
    serde_json::json!({
        "quota": target,
        "overridden": overridden.is_some(),
        "reason": overridden.map(|o| o.reason.as_str()),
    })
}

/// Sets a unit's quota by hand, with its audit entry (`quota.override`, before and
/// after) and the campaign's new revision. Only a unit in the frame (one with a
/// computed quota) or already overridden has a quota to override.
pub async fn set_override(
    db: &DatabaseTransaction,
    actor: &str,
    campaign: &CampaignRecord,
    unit: &UnitRow,
    new: &QuotaOverride,
) -> Result<UnitQuota, StorageError> {
    editable(campaign)?;
    let before = of_unit(db, campaign, unit).await?;
    if before.target.is_none() && before.computed.is_none() {
        return Err(StorageError::Conflict(format!(
            "unit {} is not in the frame of campaign {}: it has no quota to override",
            unit.code, campaign.code
        )));
    }
    let now = Utc::now();
    match row(db, campaign.id, unit.id).await? {
        Some(existing) => {
            let mut model = existing.into_active_model();
            model.target = Set(new.target as i64);
            model.overridden = Set(true);
            model.override_reason = Set(Some(new.reason.clone()));
            model.override_by = Set(Some(actor.to_owned()));
            model.override_at = Set(Some(now));
            model.update(db).await?;
        }
        None => {
            quota::Entity::insert(quota::ActiveModel {
                campaign_id: Set(campaign.id),
                unit_id: Set(unit.id),
                target: Set(new.target as i64),
                overridden: Set(true),
                override_reason: Set(Some(new.reason.clone())),
                override_by: Set(Some(actor.to_owned())),
                override_at: Set(Some(now)),
                ..Default::default()
            })
            .exec_without_returning(db)
            .await?;
        }
    }
    campaigns::bump_revision(db, campaign.id).await?;
    let after = of_unit(db, campaign, unit).await?;
    audit::record_for_unit(
        db,
        actor,
        "quota.override",
        &format!("{}/{}", campaign.code, unit.code),
        Some(unit.id),
        serde_json::json!({
            "before": snapshot(before.target, before.overridden.as_ref()),
            "after": snapshot(after.target, after.overridden.as_ref()),
        }),
    )
    .await?;
    Ok(after)
}

/// Undoes a unit's override: its quota is again the one its frame gives (none, if it
/// left the frame meanwhile), with its audit entry (`quota.override_undone`) and the
/// campaign's new revision.
pub async fn undo_override(
    db: &DatabaseTransaction,
    actor: &str,
    campaign: &CampaignRecord,
    unit: &UnitRow,
) -> Result<UnitQuota, StorageError> {
    editable(campaign)?;
    let before = of_unit(db, campaign, unit).await?;
    let Some(existing) = row(db, campaign.id, unit.id)
        .await?
        .filter(|q| q.overridden)
    else {
        return Err(StorageError::Conflict(format!(
            "the quota of unit {} in campaign {} is not overridden",
            unit.code, campaign.code
        )));
    };
    match before.computed {
        Some(computed) => {
            let mut model = existing.into_active_model();
            model.target = Set(computed as i64);
            model.overridden = Set(false);
            model.override_reason = Set(None);
            model.override_by = Set(None);
            model.override_at = Set(None);
            model.update(db).await?;
        }
        None => {
            quota::Entity::delete_by_id(existing.id).exec(db).await?;
        }
    }
    campaigns::bump_revision(db, campaign.id).await?;
    let after = of_unit(db, campaign, unit).await?;
    audit::record_for_unit(
        db,
        actor,
        "quota.override_undone",
        &format!("{}/{}", campaign.code, unit.code),
        Some(unit.id),
        serde_json::json!({
            "before": snapshot(before.target, before.overridden.as_ref()),
            "after": snapshot(after.target, after.overridden.as_ref()),
        }),
    )
    .await?;
    Ok(after)
}
