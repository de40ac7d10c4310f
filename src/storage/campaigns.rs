//! Campaigns (survey rounds): creation, their lifecycle, and the revision every change
//! to a campaign bumps in its own transaction, so every node reloads what changed.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use entity::{campaign, questionnaire};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use sipas_domain::campaign::{CampaignRules, CampaignStatus, NewCampaign};
use sipas_domain::quota::{QuotaMethod, SampleDesign};

use super::{StorageError, audit, par_schemes, reference};

/// A stored campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignRecord {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub template: String,
    pub questionnaire_id: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The day its units are read on: its structure. Its first day, unless it was
    /// pinned to an earlier structure (see `reference::seed`).
    pub units_on: NaiveDate,
    pub design: SampleDesign,
    pub status: CampaignStatus,
    pub rules: CampaignRules,
    pub par_scheme: String,
    pub is_demo: bool,
    /// Bumped by every change of the campaign, its frame or its quotas.
    pub revision: i64,
}

pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<CampaignRecord>, StorageError> {
    let templates = template_codes(db).await?;
    campaign::Entity::find()
        .order_by_asc(campaign::Column::StartsOn)
        .order_by_asc(campaign::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(|c| {
            let template = templates
                .get(&c.questionnaire_id)
                .cloned()
                .unwrap_or_default();
            record(c, template)
        })
        .collect()
}

pub async fn by_code(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<CampaignRecord, StorageError> {
    let not_found = || StorageError::NotFound(format!("campaign {code}"));
    let key = super::lookup_key(code).ok_or_else(not_found)?;
    let model = campaign::Entity::find()
        .filter(campaign::Column::Code.eq(key))
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    with_template(db, model).await
}

pub async fn by_id(db: &impl ConnectionTrait, id: i32) -> Result<CampaignRecord, StorageError> {
    let model = campaign::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StorageError::NotFound(format!("campaign {id}")))?;
    with_template(db, model).await
}

/// Every campaign's id and revision: what a follower polls to see what changed.
pub async fn revisions(db: &impl ConnectionTrait) -> Result<HashMap<i32, i64>, StorageError> {
    let rows: Vec<(i32, i64)> = campaign::Entity::find()
        .select_only()
        .column(campaign::Column::Id)
        .column(campaign::Column::Revision)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Creates a campaign on the newest version of its questionnaire template, with its
/// audit entry.
pub async fn create(
    db: &DatabaseTransaction,
    actor: &str,
    new: &NewCampaign,
    is_demo: bool,
) -> Result<CampaignRecord, StorageError> {
    let status = new.status;
    let Some(questionnaire_id) = reference::latest_questionnaire_id(db, &new.template).await?
    else {
        let known = reference::questionnaire_codes(db).await?.join(", ");
        return Err(StorageError::Invalid(format!(
            "unknown template {:?}; known templates: {known}",
            new.template
        )));
    };
    let par_scheme = match &new.par_scheme {
        Some(code) => {
            let known = par_schemes::codes(db).await?;
            if !known.contains(code) {
                return Err(StorageError::Invalid(format!(
                    "unknown PAR scheme {code:?}; known schemes: {}",
                    known.join(", ")
                )));
            }
            code.clone()
        }
        None => par_schemes::latest(db).await?.ok_or_else(|| {
            StorageError::Invalid("there is no PAR scheme yet: add one first".into())
        })?,
    };
    let exists = campaign::Entity::find()
        .filter(campaign::Column::Code.eq(&new.code))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Err(StorageError::Conflict(format!(
            "a campaign with code {} already exists",
            new.code
        )));
    }
    let model = campaign::Entity::insert(campaign::ActiveModel {
        code: Set(new.code.clone()),
        name: Set(new.name.clone()),
        questionnaire_id: Set(questionnaire_id),
        starts_on: Set(new.starts_on),
        ends_on: Set(new.ends_on),
        confidence: Set(new.design.confidence()),
        margin: Set(new.design.margin()),
        quota_method: Set(new.design.method().as_str().to_owned()),
        status: Set(status.as_str().to_owned()),
        count_unverified: Set(new.rules.count_unverified),
        min_fill_seconds: Set(new.rules.min_fill_seconds as i32),
        receipt_valid_days: Set(new.rules.receipt_valid_days as i32),
        par_scheme: Set(par_scheme),
        is_demo: Set(is_demo),
        created_at: Set(Utc::now()),
        revision: Set(1),
        units_on: Set(None),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    audit::record(
        db,
        actor,
        "campaign.create",
        &new.code,
        serde_json::json!({
            "template": new.template,
            "status": status.as_str(),
            "starts_on": new.starts_on,
            "ends_on": new.ends_on,
            "confidence": new.design.confidence(),
            "margin": new.design.margin(),
            "quota_method": new.design.method().as_str(),
        }),
    )
    .await?;
    with_template(db, model).await
}

/// Moves a campaign along its lifecycle (the domain says which moves are allowed).
/// The update only applies if the status is still the one read, so two managers acting
/// at once cannot both succeed from the same state.
pub async fn transition(
    db: &DatabaseTransaction,
    actor: &str,
    campaign: &CampaignRecord,
    to: CampaignStatus,
) -> Result<CampaignRecord, StorageError> {
    let next = set_status(db, campaign, to).await?;
    audit::record(
        db,
        actor,
        &format!("campaign.{}", next.as_str()),
        &campaign.code,
        serde_json::json!({ "from": campaign.status.as_str(), "to": next.as_str() }),
    )
    .await?;
    by_id(db, campaign.id).await
}

/// The status change of [`transition`] without its audit entry, for a change that
/// records its own (a publication says which snapshot it froze).
pub async fn set_status(
    db: &impl ConnectionTrait,
    campaign: &CampaignRecord,
    to: CampaignStatus,
) -> Result<CampaignStatus, StorageError> {
    let next = campaign
        .status
        .transition(to)
        .map_err(|e| StorageError::Conflict(format!("campaign {}: {e}", campaign.code)))?;
    let updated = campaign::Entity::update_many()
        .col_expr(campaign::Column::Status, Expr::value(next.as_str()))
        .col_expr(
            campaign::Column::Revision,
            Expr::col(campaign::Column::Revision).add(1),
        )
        .filter(campaign::Column::Id.eq(campaign.id))
        .filter(campaign::Column::Status.eq(campaign.status.as_str()))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(StorageError::Conflict(format!(
            "campaign {} changed meanwhile; read it again",
            campaign.code
        )));
    }
    Ok(next)
}

/// Bumps a campaign's revision inside the transaction that changes it, so every node's
/// follower reloads it.
pub async fn bump_revision(
    db: &impl ConnectionTrait,
    campaign_id: i32,
) -> Result<(), StorageError> {
    campaign::Entity::update_many()
        .col_expr(
            campaign::Column::Revision,
            Expr::col(campaign::Column::Revision).add(1),
        )
        .filter(campaign::Column::Id.eq(campaign_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether the campaign has a frame, quota, receipt or response on any of these units.
pub async fn has_data_on(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    unit_ids: &[i32],
) -> Result<bool, StorageError> {
    use entity::{frame, quota, receipt, response};
    let ids = || unit_ids.iter().copied();
    Ok(frame::Entity::find()
        .filter(frame::Column::CampaignId.eq(campaign_id))
        .filter(frame::Column::UnitId.is_in(ids()))
        .one(db)
        .await?
        .is_some()
        || quota::Entity::find()
            .filter(quota::Column::CampaignId.eq(campaign_id))
            .filter(quota::Column::UnitId.is_in(ids()))
            .one(db)
            .await?
            .is_some()
        || receipt::Entity::find()
            .filter(receipt::Column::CampaignId.eq(campaign_id))
            .filter(receipt::Column::UnitId.is_in(ids()))
            .one(db)
            .await?
            .is_some()
        || response::Entity::find()
            .filter(response::Column::CampaignId.eq(campaign_id))
            .filter(response::Column::UnitId.is_in(ids()))
            .one(db)
            .await?
            .is_some())
}

/// Ties a campaign to the structure valid on `on` instead of its first day, with its
/// audit entry.
pub async fn pin_units_on(
    db: &DatabaseTransaction,
    actor: &str,
    campaign: &CampaignRecord,
    on: NaiveDate,
) -> Result<(), StorageError> {
    campaign::Entity::update_many()
        .col_expr(campaign::Column::UnitsOn, Some(on).into())
        .filter(campaign::Column::Id.eq(campaign.id))
        .exec(db)
        .await?;
    bump_revision(db, campaign.id).await?;
    audit::record(
        db,
        actor,
        "campaign.units_on",
        &campaign.code,
        serde_json::json!({ "from": campaign.units_on, "to": on }),
    )
    .await
}

/// Bumps every campaign's revision: units, their desks or the PAR schemes changed,
/// which any campaign's description may show.
pub async fn bump_all_revisions(db: &impl ConnectionTrait) -> Result<(), StorageError> {
    campaign::Entity::update_many()
        .col_expr(
            campaign::Column::Revision,
            Expr::col(campaign::Column::Revision).add(1),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Of these campaigns, those taking answers, locked against a change of status until
/// the calling transaction ends (`FOR SHARE` on PostgreSQL; on SQLite the write
/// transaction already holds the lock): an answer is stored only while its campaign is
/// open, and a close waits for the answers in flight.
pub async fn lock_open(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i32>,
) -> Result<HashSet<i32>, StorageError> {
    // Once each: a batch's answers are mostly of one campaign.
    let ids: std::collections::BTreeSet<i32> = ids.into_iter().collect();
    let rows: Vec<(i32, String)> = campaign::Entity::find()
        .select_only()
        .column(campaign::Column::Id)
        .column(campaign::Column::Status)
        .filter(campaign::Column::Id.is_in(ids))
        .lock_shared()
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, status)| CampaignStatus::parse(status).is_some_and(|s| s.accepts_responses()))
        .map(|(id, _)| id)
        .collect())
}

/// A stored campaign as a record, with its template's code.
async fn with_template(
    db: &impl ConnectionTrait,
    model: campaign::Model,
) -> Result<CampaignRecord, StorageError> {
    let template = questionnaire::Entity::find_by_id(model.questionnaire_id)
        .one(db)
        .await?
        .map(|q| q.code)
        .unwrap_or_default();
    record(model, template)
}

async fn template_codes(db: &impl ConnectionTrait) -> Result<HashMap<i32, String>, StorageError> {
    Ok(questionnaire::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|q| (q.id, q.code))
        .collect())
}

fn record(c: campaign::Model, template: String) -> Result<CampaignRecord, StorageError> {
    let corrupt = |what: &str| {
        StorageError::Invalid(format!("campaign {}: stored {what} is invalid", c.code))
    };
    let method = QuotaMethod::parse(&c.quota_method).ok_or_else(|| corrupt("quota method"))?;
    let design =
        SampleDesign::new(c.confidence, c.margin, method).map_err(|_| corrupt("design"))?;
    let status = CampaignStatus::parse(&c.status).ok_or_else(|| corrupt("status"))?;
    Ok(CampaignRecord {
        id: c.id,
        template,
        questionnaire_id: c.questionnaire_id,
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        units_on: c.units_on.unwrap_or(c.starts_on),
        design,
        status,
        rules: CampaignRules {
            count_unverified: c.count_unverified,
            min_fill_seconds: Ord::max(c.min_fill_seconds, 0) as u32,
            receipt_valid_days: Ord::max(c.receipt_valid_days, 0) as u32,
        },
        par_scheme: c.par_scheme.clone(),
        is_demo: c.is_demo,
        revision: c.revision,
        code: c.code,
        name: c.name,
    })
}
