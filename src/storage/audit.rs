//! The append-only audit log: who changed what, and when.

use entity::audit_event;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use super::StorageError;

/// Appends one event inside the caller's transaction, so the log and the change it
/// records commit together or not at all.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &str,
    action: &str,
    subject: &str,
    detail: serde_json::Value,
) -> Result<(), StorageError> {
    audit_event::Entity::insert(audit_event::ActiveModel {
        at: Set(chrono::Utc::now()),
        actor: Set(actor.to_owned()),
        action: Set(action.to_owned()),
        subject: Set(subject.to_owned()),
        detail: Set(detail.to_string()),
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
