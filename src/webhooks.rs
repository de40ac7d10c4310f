//! Webhooks: endpoints an admin registers, an outbox of events written in the same
//! transaction as the change they announce, and a worker that delivers them (issue 12).
//!
//! GROUNDWORK STUB: only [`Event`] and [`enqueue`] exist and store nothing yet; the
//! webhooks helper replaces the body.

use sea_orm::ConnectionTrait;
use serde::Serialize;

use crate::storage::StorageError;

/// An event as its body is delivered (`{"type": "snapshot.published", …}`).
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: String,
    pub campaign: String,
    pub version: u32,
    pub sha256: String,
    /// Where the snapshot is read (`{public_url}/api/v1/campaigns/{c}/snapshots/{k}`).
    pub url: String,
}

/// Writes the event to the outbox, one delivery per active endpoint, in the caller's
/// transaction: it is delivered only if that transaction commits.
pub async fn enqueue(_db: &impl ConnectionTrait, _event: &Event) -> Result<(), StorageError> {
    Ok(())
}
