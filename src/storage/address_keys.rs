//! The daily keys that client addresses are hashed with (`address_keys`): random,
//! created on a day's first use, deleted after `SIPAS_ADDRESS_KEY_DAYS`. Once a day's
//! key is gone, that day's hashes cannot be turned back into addresses by trying every
//! IPv4 address, even by someone holding the database and the server's secret.

use base64::Engine;
use chrono::NaiveDate;
use entity::address_key;
use rand::RngCore;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::OnConflict,
};

use super::StorageError;

/// The key of `day`, created if this is its first use. Two nodes creating it at once
/// agree: the first insert wins and both read it back.
pub async fn key_for(db: &impl ConnectionTrait, day: NaiveDate) -> Result<Vec<u8>, StorageError> {
    let decode = |text: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|e| StorageError::Invalid(format!("address key of {day}: {e}")))
    };
    if let Some(row) = address_key::Entity::find_by_id(day).one(db).await? {
        return decode(&row.key);
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    address_key::Entity::insert(address_key::ActiveModel {
        day: Set(day),
        key: Set(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)),
    })
    .on_conflict(
        OnConflict::column(address_key::Column::Day)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let row = address_key::Entity::find_by_id(day)
        .one(db)
        .await?
        .ok_or_else(|| StorageError::NotFound(format!("address key of {day}")))?;
    decode(&row.key)
}

/// Deletes the keys of days before `first_kept`; returns how many.
pub async fn purge_before(
    db: &impl ConnectionTrait,
    first_kept: NaiveDate,
) -> Result<u64, StorageError> {
    Ok(address_key::Entity::delete_many()
        .filter(address_key::Column::Day.lt(first_kept))
        .exec(db)
        .await?
        .rows_affected)
}

/// A client address hashed with a day's key (HMAC-SHA256, 32 hex characters).
pub fn hash_address(key: &[u8], address: &str) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(address.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Deletes expired keys now and then every hour, on every node (deleting twice is
/// harmless).
pub fn start_purging(storage: super::Storage, keep_days: u32) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            let today = sipas_domain::campaign::vietnam_time(chrono::Utc::now()).date();
            let first_kept = today - chrono::Days::new(u64::from(keep_days));
            match purge_before(storage.db(), first_kept).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, %first_kept, "expired address keys deleted"),
                Err(error) => tracing::warn!(%error, "could not delete expired address keys"),
            }
        }
    });
}
