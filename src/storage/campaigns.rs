//! Campaigns, their frames, quotas and responses.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{campaign, frame, questionnaire, quota, response};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use sipas_domain::campaign::{CampaignStatus, Channel, NewCampaign};
use sipas_domain::questionnaire::Answers;
use sipas_domain::quota::{QuotaMethod, SampleDesign};
use sipas_domain::reference::HA_TINH_PAR_SCHEME;

use super::{Storage, StorageError, UnitRow, audit};

#[derive(Debug, Clone, PartialEq)]
pub struct CampaignRecord {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub template: String,
    pub questionnaire_id: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub design: SampleDesign,
    pub status: CampaignStatus,
    pub count_unverified: bool,
    pub min_fill_seconds: u32,
    pub receipt_valid_days: u32,
    pub par_scheme: String,
    pub is_demo: bool,
}

/// One line of a frame: `population` completed dossiers of a unit, or of one of its
/// service points (then the unit's N is their sum and its estimates are stratified).
#[derive(Debug, Clone, PartialEq)]
pub struct FrameEntry {
    pub unit_id: i32,
    pub service_point_id: Option<i32>,
    pub population: u64,
}

/// A response ready to store: parsed answers and where it came from.
#[derive(Debug, Clone)]
pub struct NewResponse {
    pub unit_id: i32,
    pub service_point_id: i32,
    pub channel: Channel,
    pub language: &'static str,
    pub answers: Answers,
    pub comment: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub exclusion: Option<&'static str>,
    pub nonce: Option<String>,
    pub receipt_id: Option<i32>,
    pub client_hash: Option<String>,
    pub is_demo: bool,
}

/// Rows per INSERT: well under PostgreSQL's 65,535 bind parameters at 15 columns.
const INSERT_CHUNK: usize = 2_000;

impl Storage {
    pub async fn campaigns(&self) -> Result<Vec<CampaignRecord>, StorageError> {
        let templates = self.template_codes().await?;
        campaign::Entity::find()
            .order_by_asc(campaign::Column::StartsOn)
            .order_by_asc(campaign::Column::Code)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|c| {
                let template = templates
                    .get(&c.questionnaire_id)
                    .cloned()
                    .unwrap_or_default();
                campaign_record(c, template)
            })
            .collect()
    }

    pub async fn campaign_by_code(&self, code: &str) -> Result<CampaignRecord, StorageError> {
        let model = campaign::Entity::find()
            .filter(campaign::Column::Code.eq(code))
            .one(&self.db)
            .await?
            .ok_or_else(|| StorageError::NotFound(format!("campaign {code}")))?;
        self.record(model).await
    }

    pub async fn campaign_by_id(&self, id: i32) -> Result<CampaignRecord, StorageError> {
        let model = campaign::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| StorageError::NotFound(format!("campaign {id}")))?;
        self.record(model).await
    }

    /// Creates a campaign on the newest version of its questionnaire template.
    pub async fn create_campaign(
        &self,
        actor: &str,
        new: &NewCampaign,
        status: CampaignStatus,
        is_demo: bool,
    ) -> Result<CampaignRecord, StorageError> {
        let Some(questionnaire_id) = self.latest_questionnaire_id(&new.template).await? else {
            let known = self.questionnaire_codes().await?.join(", ");
            return Err(StorageError::Invalid(format!(
                "unknown template {:?}; known templates: {known}",
                new.template
            )));
        };
        let txn = self.db.begin().await?;
        let exists = campaign::Entity::find()
            .filter(campaign::Column::Code.eq(&new.code))
            .one(&txn)
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
            par_scheme: Set(HA_TINH_PAR_SCHEME.to_owned()),
            is_demo: Set(is_demo),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await?;
        audit::record(
            &txn,
            actor,
            "campaign.create",
            &new.code,
            serde_json::json!({
                "template": new.template,
                "starts_on": new.starts_on,
                "ends_on": new.ends_on,
                "confidence": new.design.confidence(),
                "margin": new.design.margin(),
                "quota_method": new.design.method().as_str(),
            }),
        )
        .await?;
        txn.commit().await?;
        self.record(model).await
    }

    /// Replaces a campaign's frame and recomputes the quotas that no manager has
    /// overridden, all in one transaction: a failure leaves the old frame in place.
    pub async fn replace_frame(
        &self,
        actor: &str,
        campaign: &CampaignRecord,
        entries: &[FrameEntry],
        units: &[UnitRow],
    ) -> Result<(), StorageError> {
        let txn = self.db.begin().await?;
        frame::Entity::delete_many()
            .filter(frame::Column::CampaignId.eq(campaign.id))
            .exec(&txn)
            .await?;
        for chunk in entries.chunks(INSERT_CHUNK) {
            frame::Entity::insert_many(chunk.iter().map(|e| frame::ActiveModel {
                campaign_id: Set(campaign.id),
                unit_id: Set(e.unit_id),
                service_point_id: Set(e.service_point_id),
                population: Set(e.population as i64),
                ..Default::default()
            }))
            .exec_without_returning(&txn)
            .await?;
        }
        let mut populations: HashMap<i32, u64> = HashMap::new();
        for e in entries {
            *populations.entry(e.unit_id).or_default() += e.population;
        }
        let floors: HashMap<i32, u32> = units.iter().map(|u| (u.id, u.quota_floor)).collect();
        let targets: Vec<(i32, u64)> = populations
            .iter()
            .map(|(unit_id, n)| {
                let floor = floors.get(unit_id).copied().unwrap_or(0);
                (*unit_id, campaign.design.quota(Some(*n), floor))
            })
            .collect();
        replace_computed_quotas(&txn, campaign.id, &targets).await?;
        audit::record(
            &txn,
            actor,
            "frame.replace",
            &campaign.code,
            serde_json::json!({ "lines": entries.len(), "units": populations.len() }),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Stores responses all-or-nothing; returns how many were stored.
    pub async fn insert_responses(
        &self,
        campaign: &CampaignRecord,
        responses: &[NewResponse],
    ) -> Result<usize, StorageError> {
        let count = responses.len();
        let txn = self.db.begin().await?;
        let mut rows = responses.iter().map(|r| response_row(campaign, r.clone()));
        loop {
            let chunk: Vec<_> = rows.by_ref().take(INSERT_CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            response::Entity::insert_many(chunk)
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(count)
    }

    /// Each unit's quota in a campaign.
    pub async fn quotas(&self, campaign_id: i32) -> Result<HashMap<i32, u64>, StorageError> {
        Ok(quota::Entity::find()
            .filter(quota::Column::CampaignId.eq(campaign_id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|q| (q.unit_id, q.target.max(0) as u64))
            .collect())
    }

    /// The frame of a campaign, line by line.
    pub async fn frame(&self, campaign_id: i32) -> Result<Vec<FrameEntry>, StorageError> {
        Ok(frame::Entity::find()
            .filter(frame::Column::CampaignId.eq(campaign_id))
            .order_by_asc(frame::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|f| FrameEntry {
                unit_id: f.unit_id,
                service_point_id: f.service_point_id,
                population: f.population.max(0) as u64,
            })
            .collect())
    }

    /// How many responses each unit of a campaign has stored (excluded ones too).
    pub async fn response_counts(
        &self,
        campaign_id: i32,
    ) -> Result<HashMap<i32, u64>, StorageError> {
        use sea_orm::QuerySelect;
        let rows: Vec<(i32, i64)> = response::Entity::find()
            .select_only()
            .column(response::Column::UnitId)
            .column_as(response::Column::Id.count(), "count")
            .filter(response::Column::CampaignId.eq(campaign_id))
            .group_by(response::Column::UnitId)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(u, n)| (u, n.max(0) as u64))
            .collect())
    }

    /// A stored campaign as a record, with its template's code.
    async fn record(&self, model: campaign::Model) -> Result<CampaignRecord, StorageError> {
        let template = questionnaire::Entity::find_by_id(model.questionnaire_id)
            .one(&self.db)
            .await?
            .map(|q| q.code)
            .unwrap_or_default();
        campaign_record(model, template)
    }

    async fn template_codes(&self) -> Result<HashMap<i32, String>, StorageError> {
        Ok(questionnaire::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|q| (q.id, q.code))
            .collect())
    }
}

/// The row of a response; shared by the batch import and the citizen's path.
pub(super) fn response_row(campaign: &CampaignRecord, r: NewResponse) -> response::ActiveModel {
    response::ActiveModel {
        campaign_id: Set(campaign.id),
        unit_id: Set(r.unit_id),
        service_point_id: Set(r.service_point_id),
        channel: Set(r.channel.as_str().to_owned()),
        verified: Set(r.channel.is_verified()),
        language: Set(r.language.to_owned()),
        answers: Set(r.answers.to_digits()),
        comment: Set(r.comment),
        submitted_at: Set(r.submitted_at),
        exclusion: Set(r.exclusion.map(str::to_owned)),
        nonce: Set(r.nonce),
        receipt_id: Set(r.receipt_id),
        client_hash: Set(r.client_hash),
        is_demo: Set(r.is_demo),
        ..Default::default()
    }
}

async fn replace_computed_quotas(
    txn: &impl ConnectionTrait,
    campaign_id: i32,
    targets: &[(i32, u64)],
) -> Result<(), StorageError> {
    let overridden: Vec<i32> = quota::Entity::find()
        .filter(quota::Column::CampaignId.eq(campaign_id))
        .filter(quota::Column::Overridden.eq(true))
        .all(txn)
        .await?
        .into_iter()
        .map(|q| q.unit_id)
        .collect();
    quota::Entity::delete_many()
        .filter(quota::Column::CampaignId.eq(campaign_id))
        .filter(quota::Column::Overridden.eq(false))
        .exec(txn)
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
    for chunk in rows.chunks(INSERT_CHUNK) {
        quota::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

fn campaign_record(c: campaign::Model, template: String) -> Result<CampaignRecord, StorageError> {
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
        design,
        status,
        count_unverified: c.count_unverified,
        min_fill_seconds: c.min_fill_seconds.max(0) as u32,
        receipt_valid_days: c.receipt_valid_days.max(0) as u32,
        par_scheme: c.par_scheme.clone(),
        is_demo: c.is_demo,
        code: c.code,
        name: c.name,
    })
}
