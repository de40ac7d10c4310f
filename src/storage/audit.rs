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
