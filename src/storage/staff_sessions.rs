//! Staff sessions kept in the database, for deployments without Redis (one SQLite node,
//! or PostgreSQL nodes while Redis is down): the table every node reads.

use chrono::{DateTime, Utc};
use entity::staff_session;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::StorageError;

/// What a session is: whose, and opened with which password.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionRecord {
    pub user_id: i32,
    pub credential: String,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    id: &str,
    record: &SessionRecord,
) -> Result<(), StorageError> {
    // Expired sessions go as new ones come, so the table stays small.
    staff_session::Entity::delete_many()
        .filter(staff_session::Column::ExpiresAt.lt(Utc::now()))
        .exec(db)
        .await?;
    staff_session::Entity::insert(staff_session::ActiveModel {
        id: Set(id.to_owned()),
        user_id: Set(record.user_id),
        credential: Set(record.credential.clone()),
        created_at: Set(Utc::now()),
        expires_at: Set(record.expires_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The session with this id, unless it has expired.
pub async fn get(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<SessionRecord>, StorageError> {
    Ok(staff_session::Entity::find_by_id(id.to_owned())
        .filter(staff_session::Column::ExpiresAt.gt(Utc::now()))
        .one(db)
        .await?
        .map(|m| SessionRecord {
            user_id: m.user_id,
            credential: m.credential,
            expires_at: m.expires_at,
        }))
}

pub async fn delete(db: &impl ConnectionTrait, id: &str) -> Result<(), StorageError> {
    staff_session::Entity::delete_by_id(id.to_owned())
        .exec(db)
        .await?;
    Ok(())
}
