//! Responses: storing them exactly once, only while their campaign is open.
//!
//! The functions take the write transaction they run in; the service layer commits it
//! (a response is acknowledged only after its commit). A function that reports an
//! outcome other than `Stored` may have written something the caller must roll back.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::response;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, QueryFilter, QuerySelect, Statement, sea_query::OnConflict,
};
use sipas_domain::campaign::{CampaignStatus, Channel};
use sipas_domain::questionnaire::Answers;

use super::{CampaignRecord, StorageError, audit, campaigns};

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

/// What became of a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submission {
    /// Stored now.
    Stored,
    /// The same form (same nonce) is stored already: a retry, a double tap, or the same
    /// form sent to two nodes. Nothing was stored this time.
    Repeated,
    /// The receipt was already answered by another submission: nothing stored.
    AlreadyAnswered,
    /// The campaign does not take answers (any more): nothing stored.
    Closed,
}

fn row(campaign_id: i32, r: &NewResponse) -> response::ActiveModel {
    response::ActiveModel {
        campaign_id: Set(campaign_id),
        unit_id: Set(r.unit_id),
        service_point_id: Set(r.service_point_id),
        channel: Set(r.channel.as_str().to_owned()),
        verified: Set(r.channel.is_verified()),
        language: Set(r.language.to_owned()),
        answers: Set(r.answers.to_digits()),
        comment: Set(r.comment.clone()),
        submitted_at: Set(r.submitted_at),
        exclusion: Set(r.exclusion.map(str::to_owned)),
        nonce: Set(r.nonce.clone()),
        receipt_id: Set(r.receipt_id),
        client_hash: Set(r.client_hash.clone()),
        is_demo: Set(r.is_demo),
        ..Default::default()
    }
}

/// Inserts rows, skipping any whose nonce is stored already (by this node or another);
/// returns the nonces of the rows inserted. The database decides, so a copy committed
/// by another node a moment ago is skipped and reported, never counted twice.
async fn insert_skipping_repeats(
    db: &impl ConnectionTrait,
    rows: Vec<response::ActiveModel>,
) -> Result<HashSet<String>, StorageError> {
    let mut stored = HashSet::new();
    for chunk in super::statement_chunks(rows) {
        let inserted = response::Entity::insert_many(chunk)
            .on_conflict(
                OnConflict::column(response::Column::Nonce)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_with_returning(db)
            .await;
        match inserted {
            Ok(models) => stored.extend(models.into_iter().filter_map(|m| m.nonce)),
            Err(DbErr::RecordNotInserted) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(stored)
}

/// Stores a batch of desk responses (no receipt): one commit for many citizens. Each
/// gets its own outcome; only `Stored` ones were written, so the caller commits
/// whatever the outcomes. On SQLite it runs in the caller's write transaction; on
/// PostgreSQL it is one statement, which may run on its own as its own transaction
/// (see [`store_open_at_once`]).
pub async fn store_batch(
    db: &impl ConnectionTrait,
    batch: &[(&CampaignRecord, &NewResponse)],
) -> Result<Vec<Submission>, StorageError> {
    // A nonce sent twice in one batch is stored once, for its first copy.
    let mut seen = HashSet::new();
    let first: Vec<bool> = batch
        .iter()
        .map(|(_, r)| r.nonce.as_ref().is_none_or(|n| seen.insert(n.clone())))
        .collect();
    let candidates = batch
        .iter()
        .zip(&first)
        .filter(|(_, first)| **first)
        .map(|(pair, _)| *pair);
    let (open, inserted) = if db.get_database_backend() == DbBackend::Postgres {
        store_open_at_once(db, candidates.collect()).await?
    } else {
        let open = campaigns::lock_open(db, batch.iter().map(|(c, _)| c.id)).await?;
        let rows = candidates
            .filter(|(c, _)| open.contains(&c.id))
            .map(|(c, r)| row(c.id, r))
            .collect();
        (open, insert_skipping_repeats(db, rows).await?)
    };
    let mut reported = HashSet::new();
    Ok(batch
        .iter()
        .zip(first)
        .map(|((campaign, r), first)| {
            if !open.contains(&campaign.id) {
                Submission::Closed
            } else if !first {
                Submission::Repeated
            } else {
                match &r.nonce {
                    Some(nonce) if !(inserted.contains(nonce) && reported.insert(nonce)) => {
                        Submission::Repeated
                    }
                    _ => Submission::Stored,
                }
            }
        })
        .collect())
}

/// One row as [`store_open_at_once`] sends it, in a JSON array.
#[derive(serde::Serialize)]
struct RowJson<'a> {
    campaign_id: i32,
    unit_id: i32,
    service_point_id: i32,
    channel: &'a str,
    verified: bool,
    language: &'a str,
    answers: String,
    comment: Option<&'a str>,
    submitted_at: DateTime<Utc>,
    exclusion: Option<&'a str>,
    nonce: Option<&'a str>,
    client_hash: Option<&'a str>,
    is_demo: bool,
}

/// PostgreSQL: locks the campaigns (`FOR SHARE`, so a close waits for this commit) and
/// inserts the rows of those open, skipping stored nonces, in one statement: one round
/// trip per group commit where a transaction took five (begin, lock, inserts, commit),
/// each waiting for a busy machine to schedule the other side. Returns the campaigns
/// found open and the nonces inserted.
async fn store_open_at_once(
    db: &impl ConnectionTrait,
    pairs: Vec<(&CampaignRecord, &NewResponse)>,
) -> Result<(HashSet<i32>, HashSet<String>), StorageError> {
    if pairs.is_empty() {
        return Ok(Default::default());
    }
    const SQL: &str = "\
        WITH r AS ( \
          SELECT * FROM json_to_recordset($1::json) AS r( \
            campaign_id int, unit_id int, service_point_id int, channel text, verified bool, \
            language text, answers text, comment text, submitted_at timestamptz, \
            exclusion text, nonce text, client_hash text, is_demo bool) \
        ), open AS ( \
          SELECT id FROM campaigns \
          WHERE id IN (SELECT campaign_id FROM r) \
            AND status IN (SELECT json_array_elements_text($2::json)) \
          FOR SHARE \
        ), stored AS ( \
          INSERT INTO responses (campaign_id, unit_id, service_point_id, channel, verified, \
            language, answers, comment, submitted_at, exclusion, nonce, client_hash, is_demo) \
          SELECT campaign_id, unit_id, service_point_id, channel, verified, language, \
            answers, comment, submitted_at, exclusion, nonce, client_hash, is_demo \
          FROM r WHERE campaign_id IN (SELECT id FROM open) \
          ON CONFLICT (nonce) DO NOTHING \
          RETURNING nonce \
        ) \
        SELECT 'open' AS kind, id::text AS value FROM open \
        UNION ALL SELECT 'stored', nonce FROM stored";
    let rows: Vec<RowJson> = pairs
        .iter()
        .map(|(c, r)| RowJson {
            campaign_id: c.id,
            unit_id: r.unit_id,
            service_point_id: r.service_point_id,
            channel: r.channel.as_str(),
            verified: r.channel.is_verified(),
            language: r.language,
            answers: r.answers.to_digits(),
            comment: r.comment.as_deref(),
            submitted_at: r.submitted_at,
            exclusion: r.exclusion,
            nonce: r.nonce.as_deref(),
            client_hash: r.client_hash.as_deref(),
            is_demo: r.is_demo,
        })
        .collect();
    // What "open" means is the domain's, not this statement's.
    let accepting: Vec<&str> = CampaignStatus::ALL
        .into_iter()
        .filter(|s| s.accepts_responses())
        .map(CampaignStatus::as_str)
        .collect();
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        SQL,
        [
            serde_json::to_string(&rows)
                .map_err(|e| StorageError::Invalid(e.to_string()))?
                .into(),
            serde_json::to_string(&accepting)
                .map_err(|e| StorageError::Invalid(e.to_string()))?
                .into(),
        ],
    );
    let (mut open, mut stored) = (HashSet::new(), HashSet::new());
    for row in db.query_all_raw(statement).await? {
        let kind: String = row.try_get("", "kind")?;
        let value: Option<String> = row.try_get("", "value")?;
        match (kind.as_str(), value) {
            ("open", Some(id)) => {
                open.insert(id.parse().map_err(|_| StorageError::Invalid(id))?);
            }
            ("stored", Some(nonce)) => {
                stored.insert(nonce);
            }
            _ => {}
        }
    }
    Ok((open, stored))
}

/// Stores one response in the caller's transaction; `false` when a response with the
/// same nonce is stored already (then nothing was inserted).
pub async fn store_one(
    db: &impl ConnectionTrait,
    campaign: &CampaignRecord,
    response: &NewResponse,
) -> Result<bool, StorageError> {
    let inserted = insert_skipping_repeats(db, vec![row(campaign.id, response)]).await?;
    Ok(match &response.nonce {
        Some(nonce) => inserted.contains(nonce),
        None => true,
    })
}

/// Whether a response with this form nonce is stored.
pub async fn nonce_stored(
    db: &impl ConnectionTrait,
    nonce: Option<&str>,
) -> Result<bool, StorageError> {
    let Some(nonce) = nonce.and_then(super::lookup_key) else {
        return Ok(false);
    };
    Ok(response::Entity::find()
        .select_only()
        .column(response::Column::Id)
        .filter(response::Column::Nonce.eq(nonce))
        .into_tuple::<i64>()
        .one(db)
        .await?
        .is_some())
}

/// Imports paper or interviewer forms, all or nothing, in the caller's transaction,
/// with its audit entry; refused unless the campaign is open.
pub async fn import(
    db: &DatabaseTransaction,
    actor: &str,
    campaign: &CampaignRecord,
    responses: &[NewResponse],
) -> Result<usize, StorageError> {
    if !campaigns::lock_open(db, [campaign.id])
        .await?
        .contains(&campaign.id)
    {
        return Err(StorageError::Conflict(format!(
            "campaign {} is not open: it takes no answers",
            campaign.code
        )));
    }
    let rows = responses.iter().map(|r| row(campaign.id, r)).collect();
    for chunk in super::statement_chunks(rows) {
        response::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    let mut channels: HashMap<&str, usize> = HashMap::new();
    for r in responses {
        *channels.entry(r.channel.as_str()).or_default() += 1;
    }
    audit::record(
        db,
        actor,
        "responses.import",
        &campaign.code,
        serde_json::json!({ "responses": responses.len(), "channels": channels }),
    )
    .await?;
    Ok(responses.len())
}

/// A paper or interviewer form: its response and the serial number printed on it.
#[derive(Debug, Clone)]
pub struct PaperForm {
    pub response: NewResponse,
    pub serial: Option<String>,
}

/// Which of these serial numbers a campaign has stored already.
pub async fn stored_serials(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    serials: &[&str],
) -> Result<HashSet<String>, StorageError> {
    let mut found = HashSet::new();
    for chunk in super::statement_chunks(serials.to_vec()) {
        let rows: Vec<Option<String>> = response::Entity::find()
            .select_only()
            .column(response::Column::Serial)
            .filter(response::Column::CampaignId.eq(campaign_id))
            .filter(response::Column::Serial.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows.into_iter().flatten());
    }
    Ok(found)
}

/// Stores paper or interviewer forms, all or nothing, in the caller's transaction, with
/// one audit entry per unit (`action`: `responses.import` for a file, `response.keyed`
/// for one form keyed on the dashboard); refused unless the campaign is open. A serial
/// stored meanwhile (by another node) fails on the unique index: [`StorageError::Conflict`].
pub async fn store_forms(
    db: &DatabaseTransaction,
    actor: &str,
    action: &str,
    campaign: &CampaignRecord,
    forms: &[PaperForm],
) -> Result<usize, StorageError> {
    if !campaigns::lock_open(db, [campaign.id])
        .await?
        .contains(&campaign.id)
    {
        return Err(StorageError::Conflict(format!(
            "campaign {} is not open: it takes no answers",
            campaign.code
        )));
    }
    let rows = forms
        .iter()
        .map(|f| {
            let mut row = row(campaign.id, &f.response);
            row.serial = Set(f.serial.clone());
            row
        })
        .collect();
    for chunk in super::statement_chunks(rows) {
        response::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    let mut by_unit: std::collections::BTreeMap<i32, Vec<&PaperForm>> = Default::default();
    for f in forms {
        by_unit.entry(f.response.unit_id).or_default().push(f);
    }
    for (unit_id, unit_forms) in by_unit {
        let mut channels: HashMap<&str, usize> = HashMap::new();
        for f in &unit_forms {
            *channels.entry(f.response.channel.as_str()).or_default() += 1;
        }
        let serials: Vec<&str> = unit_forms
            .iter()
            .filter_map(|f| f.serial.as_deref())
            .collect();
        let detail = if action == "response.keyed" {
            serde_json::json!({
                "serial": serials.first(),
                "channel": unit_forms[0].response.channel.as_str(),
                "service_point_id": unit_forms[0].response.service_point_id,
            })
        } else {
            serde_json::json!({
                "responses": unit_forms.len(),
                "channels": channels,
                "serials": serials.len(),
            })
        };
        audit::record_for_unit(db, actor, action, &campaign.code, Some(unit_id), detail).await?;
    }
    Ok(forms.len())
}

/// How many responses each unit of a campaign has stored (excluded ones too).
pub async fn counts(
    db: &impl ConnectionTrait,
    campaign_id: i32,
) -> Result<HashMap<i32, u64>, StorageError> {
    let rows: Vec<(i32, i64)> = response::Entity::find()
        .select_only()
        .column(response::Column::UnitId)
        .column_as(response::Column::Id.count(), "count")
        .filter(response::Column::CampaignId.eq(campaign_id))
        .group_by(response::Column::UnitId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(u, n)| (u, n.max(0) as u64))
        .collect())
}
