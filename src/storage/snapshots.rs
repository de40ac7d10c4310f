//! Published snapshots: insert-only (the database refuses UPDATE and DELETE).

use chrono::{DateTime, Utc};
use entity::snapshot;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::StorageError;

/// A snapshot as listed: everything but its document.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotInfo {
    pub version: u32,
    pub sha256: String,
    pub published_by: String,
    pub published_at: DateTime<Utc>,
}

/// A stored snapshot with its document.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSnapshot {
    pub info: SnapshotInfo,
    pub document: String,
}

fn info(m: &snapshot::Model) -> SnapshotInfo {
    SnapshotInfo {
        version: u32::try_from(m.version).unwrap_or_default(),
        sha256: m.sha256.clone(),
        published_by: m.published_by.clone(),
        published_at: m.published_at,
    }
}

/// A campaign's snapshots, oldest first, without their documents.
pub async fn list(
    db: &impl ConnectionTrait,
    campaign_id: i32,
) -> Result<Vec<SnapshotInfo>, StorageError> {
    let rows: Vec<(i32, String, String, DateTime<Utc>)> = snapshot::Entity::find()
        .select_only()
        .column(snapshot::Column::Version)
        .column(snapshot::Column::Sha256)
        .column(snapshot::Column::PublishedBy)
        .column(snapshot::Column::PublishedAt)
        .filter(snapshot::Column::CampaignId.eq(campaign_id))
        .order_by_asc(snapshot::Column::Version)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(version, sha256, published_by, published_at)| SnapshotInfo {
                version: u32::try_from(version).unwrap_or_default(),
                sha256,
                published_by,
                published_at,
            },
        )
        .collect())
}

/// The latest version of a campaign's snapshots; `None` before the first publication.
pub async fn latest_version(
    db: &impl ConnectionTrait,
    campaign_id: i32,
) -> Result<Option<u32>, StorageError> {
    let version: Option<Option<i32>> = snapshot::Entity::find()
        .select_only()
        .column_as(snapshot::Column::Version.max(), "v")
        .filter(snapshot::Column::CampaignId.eq(campaign_id))
        .into_tuple()
        .one(db)
        .await?;
    Ok(version.flatten().and_then(|v| u32::try_from(v).ok()))
}

/// One snapshot of a campaign with its document; `None` if there is no such version.
pub async fn get(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    version: u32,
) -> Result<Option<StoredSnapshot>, StorageError> {
    let Ok(v) = i32::try_from(version) else {
        return Ok(None);
    };
    Ok(snapshot::Entity::find()
        .filter(snapshot::Column::CampaignId.eq(campaign_id))
        .filter(snapshot::Column::Version.eq(v))
        .one(db)
        .await?
        .map(|m| StoredSnapshot {
            info: info(&m),
            document: m.document,
        }))
}

/// Stores a new snapshot; a version taken meanwhile is a `Conflict` (unique index).
pub async fn insert(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    info: &SnapshotInfo,
    document: &str,
) -> Result<(), StorageError> {
    snapshot::Entity::insert(snapshot::ActiveModel {
        campaign_id: Set(campaign_id),
        version: Set(i32::try_from(info.version)
            .map_err(|_| StorageError::Invalid("snapshot version out of range".into()))?),
        document: Set(document.to_owned()),
        sha256: Set(info.sha256.clone()),
        published_by: Set(info.published_by.clone()),
        published_at: Set(info.published_at),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
