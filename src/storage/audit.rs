//! The append-only audit log: who changed what, and when.

use entity::audit_event;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use super::StorageError;

/// Appends one event inside the caller's transaction, so the log and the change it
/// records commit together or not at all. A change of a value puts
/// `{"before": …, "after": …}` in `detail`: the audit page shows the two side by side.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &str,
    action: &str,
    subject: &str,
    detail: serde_json::Value,
) -> Result<(), StorageError> {
    record_for_unit(db, actor, action, subject, None, detail).await
}

/// [`record`] for a change about one unit (its desks, quota, frame line, paper forms):
/// the audit page finds it by the unit.
pub async fn record_for_unit(
    db: &impl ConnectionTrait,
    actor: &str,
    action: &str,
    subject: &str,
    unit_id: Option<i32>,
    detail: serde_json::Value,
) -> Result<(), StorageError> {
    audit_event::Entity::insert(audit_event::ActiveModel {
        at: Set(chrono::Utc::now()),
        actor: Set(actor.to_owned()),
        action: Set(action.to_owned()),
        subject: Set(subject.to_owned()),
        detail: Set(detail.to_string()),
        unit_id: Set(unit_id),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
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
