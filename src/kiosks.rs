//! Kiosk mode (the HappyOrNot pattern): a desk's shared tablet shows the desk's form,
//! and after each answer a thank-you page that returns to a fresh form. A manager
//! enables, regenerates or revokes the desk's kiosk link; the link's token is shown
//! once and only its hash is kept.

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::storage::{CampaignRecord, ServicePointRecord, Storage, StorageError, UnitRow, audit};

/// The path of a kiosk link.
pub fn kiosk_path(token: &str) -> String {
    format!("/k/{token}")
}

/// What is kept of a link's token: its SHA-256. The token is 32 random bytes, so no
/// key is needed to keep it from being guessed back.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn subject(campaign: &CampaignRecord, unit: &UnitRow, desk: &ServicePointRecord) -> String {
    format!("{}/{}/{}", campaign.code, unit.code, desk.code)
}

/// A new kiosk link for the desk, replacing the one it had, with its audit entry
/// (`kiosk.enable`, or `kiosk.regenerate` when it replaced one). The token, returned
/// here once.
pub async fn enable(
    storage: &Storage,
    actor: &str,
    (campaign, unit, desk): (&CampaignRecord, &UnitRow, &ServicePointRecord),
) -> Result<String, StorageError> {
    let token = new_token();
    let txn = storage.write().await?;
    let now = chrono::Utc::now();
    let replaced = crate::storage::kiosks::enable(
        &txn,
        (campaign.id, desk.id),
        &token_hash(&token),
        actor,
        now,
    )
    .await?;
    let action = if replaced {
        "kiosk.regenerate"
    } else {
        "kiosk.enable"
    };
    audit::record_for_unit(
        &txn,
        actor,
        action,
        &subject(campaign, unit, desk),
        Some(unit.id),
        serde_json::json!({"campaign": campaign.code, "desk": desk.code}),
    )
    .await?;
    txn.commit().await?;
    Ok(token)
}

/// Revokes the desk's kiosk link, with its audit entry (`kiosk.revoke`); whether it had
/// one.
pub async fn revoke(
    storage: &Storage,
    actor: &str,
    (campaign, unit, desk): (&CampaignRecord, &UnitRow, &ServicePointRecord),
) -> Result<bool, StorageError> {
    let txn = storage.write().await?;
    let revoked =
        crate::storage::kiosks::revoke(&txn, (campaign.id, desk.id), actor, chrono::Utc::now())
            .await?;
    if revoked {
        audit::record_for_unit(
            &txn,
            actor,
            "kiosk.revoke",
            &subject(campaign, unit, desk),
            Some(unit.id),
            serde_json::json!({"campaign": campaign.code, "desk": desk.code}),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(revoked)
}
