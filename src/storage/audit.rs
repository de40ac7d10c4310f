//! The append-only audit log: who changed what, and when, each entry chained to the
//! one before it by its hash so an edit or a deletion afterwards shows.

use entity::{audit_chain, audit_event};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait};
use sipas_domain::audit as chain;

use super::StorageError;

/// Appends one event inside the caller's transaction, so the log and the change it
/// records commit together or not at all (the type asks for a transaction, so no
/// caller can append outside one). A change of a value puts
/// `{"before": …, "after": …}` in `detail`: the audit page shows the two side by side.
pub async fn record(
    txn: &DatabaseTransaction,
    actor: &str,
    action: &str,
    subject: &str,
    detail: serde_json::Value,
) -> Result<(), StorageError> {
    record_for_unit(txn, actor, action, subject, None, detail).await
}

/// [`record`] for a change about one unit (its desks, quota, frame line, paper forms):
/// the audit page finds it by the unit.
///
/// The entry is chained to the one before it (`sipas_domain::audit`): the chain's head
/// row is locked first (`FOR UPDATE` on PostgreSQL; an SQLite write transaction holds
/// the database's lock already), so appends from several nodes take turns until their
/// transactions end, and a rolled-back change leaves neither its entry nor a gap.
pub async fn record_for_unit(
    txn: &DatabaseTransaction,
    actor: &str,
    action: &str,
    subject: &str,
    unit_id: Option<i32>,
    detail: serde_json::Value,
) -> Result<(), StorageError> {
    use sea_orm::QuerySelect;
    let mut head_query = audit_chain::Entity::find_by_id(HEAD);
    if txn.get_database_backend() == DbBackend::Postgres {
        head_query = head_query.lock_exclusive();
    }
    let head = head_query
        .one(txn)
        .await?
        .ok_or_else(|| StorageError::NotFound("the audit chain's head".into()))?;
    // Both databases keep microseconds; the hash covers what is kept.
    let at = chrono::DateTime::from_timestamp_micros(chrono::Utc::now().timestamp_micros())
        .unwrap_or_default();
    let detail = detail.to_string();
    let seq = head.seq + 1;
    let hash = chain::entry_hash(
        &head.hash,
        &chain::Entry {
            seq,
            at_micros: at.timestamp_micros(),
            actor,
            action,
            subject,
            detail: &detail,
            unit_id,
        },
    );
    audit_event::Entity::insert(audit_event::ActiveModel {
        at: Set(at),
        actor: Set(actor.to_owned()),
        action: Set(action.to_owned()),
        subject: Set(subject.to_owned()),
        detail: Set(detail),
        unit_id: Set(unit_id),
        seq: Set(Some(seq)),
        prev_hash: Set(Some(head.hash)),
        hash: Set(Some(hash.clone())),
        ..Default::default()
    })
    .exec_without_returning(txn)
    .await?;
    audit_chain::Entity::update(audit_chain::ActiveModel {
        id: Set(HEAD),
        seq: Set(seq),
        hash: Set(hash),
    })
    .exec(txn)
    .await?;
    Ok(())
}

/// The id of the chain head's only row.
const HEAD: i32 = 1;

/// What `sipas audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainReport {
    /// Every entry links to the one before it and the head names the last: this many.
    Intact { entries: u64 },
    /// The first link that does not hold.
    Broken(chain::Break),
    /// Entries outside the chain (no sequence number): written around the application.
    Unchained { ids: Vec<i64> },
}

/// Walks the whole chain in sequence order, a page at a time (constant memory), in one
/// read snapshot so appends meanwhile do not count as breaks.
pub async fn verify(storage: &super::Storage) -> Result<ChainReport, StorageError> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    const PAGE: u64 = 5_000;
    let txn = storage.read_snapshot().await?;
    let head = audit_chain::Entity::find_by_id(HEAD)
        .one(&txn)
        .await?
        .ok_or_else(|| StorageError::NotFound("the audit chain's head".into()))?;
    let unchained: Vec<i64> = audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::Id)
        .filter(audit_event::Column::Seq.is_null())
        .order_by_asc(audit_event::Column::Id)
        .limit(20)
        .into_tuple()
        .all(&txn)
        .await?;
    if !unchained.is_empty() {
        return Ok(ChainReport::Unchained { ids: unchained });
    }
    let mut walker = chain::Walker::default();
    let mut after = 0i64;
    loop {
        let rows = audit_event::Entity::find()
            .filter(audit_event::Column::Seq.gt(after))
            .order_by_asc(audit_event::Column::Seq)
            .limit(PAGE)
            .all(&txn)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.seq.unwrap_or(i64::MAX);
        for row in &rows {
            walker.step(&chain::StoredEntry {
                entry: chain::Entry {
                    seq: row.seq.unwrap_or_default(),
                    at_micros: row.at.timestamp_micros(),
                    actor: &row.actor,
                    action: &row.action,
                    subject: &row.subject,
                    detail: &row.detail,
                    unit_id: row.unit_id,
                },
                prev_hash: row.prev_hash.as_deref(),
                hash: row.hash.as_deref(),
            });
        }
        if (rows.len() as u64) < PAGE {
            break;
        }
    }
    txn.rollback().await?;
    Ok(match walker.finish((head.seq, &head.hash)) {
        Ok(entries) => ChainReport::Intact { entries },
        Err(broken) => ChainReport::Broken(broken),
    })
}

/// Every event, oldest first.
pub async fn entries(db: &impl ConnectionTrait) -> Result<Vec<audit_event::Model>, StorageError> {
    use sea_orm::QueryOrder;
    Ok(audit_event::Entity::find()
        .order_by_asc(audit_event::Column::Id)
        .all(db)
        .await?)
}

/// Which events the audit page lists, every condition in SQL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Who acted (a username, a token's name, `cli`, `system`), exactly.
    pub actor: Option<String>,
    /// Only events about one of these units; `None`: any event.
    pub unit_ids: Option<Vec<i32>>,
    /// From this instant on (inclusive).
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Before this instant (exclusive).
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    /// Older than this event (keyset paging: the last id of the page before).
    pub before_id: Option<i64>,
}

/// One page of events matching `filter`, newest first: at most `limit`, and whether
/// there are more after them.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    limit: u64,
) -> Result<(Vec<audit_event::Model>, bool), StorageError> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    let mut query = audit_event::Entity::find();
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_event::Column::Actor.eq(actor.as_str()));
    }
    if let Some(units) = &filter.unit_ids {
        query = query.filter(audit_event::Column::UnitId.is_in(units.iter().copied()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_event::Column::At.gte(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_event::Column::At.lt(until));
    }
    if let Some(id) = filter.before_id {
        query = query.filter(audit_event::Column::Id.lt(id));
    }
    let mut rows = query
        .order_by_desc(audit_event::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// Everyone who appears in the log as an actor, by name: the page's user filter.
pub async fn actors(db: &impl ConnectionTrait) -> Result<Vec<String>, StorageError> {
    use sea_orm::{QueryOrder, QuerySelect};
    Ok(audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::Actor)
        .distinct()
        .order_by_asc(audit_event::Column::Actor)
        .into_tuple::<String>()
        .all(db)
        .await?)
}

/// The name and code of each of these units (any period), for the log's lines.
pub async fn unit_names(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<std::collections::HashMap<i32, (String, String)>, StorageError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    Ok(entity::unit::Entity::find()
        .filter(entity::unit::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, (u.name, u.code)))
        .collect())
}
