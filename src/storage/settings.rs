//! Installation settings kept in the database.

use base64::Engine;
use entity::setting;
use rand::RngCore;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, sea_query::OnConflict};

use super::StorageError;

const SIGNING_SECRET: &str = "signing_secret";

/// The signing secret of this installation: created once, then always the same, so
/// printed QR codes stay valid across restarts when `SIPAS_SECRET` is not set.
/// Two nodes starting at once agree: the first insert wins and both read it back.
pub async fn signing_secret(db: &impl ConnectionTrait) -> Result<String, StorageError> {
    if let Some(row) = setting::Entity::find_by_id(SIGNING_SECRET).one(db).await? {
        return Ok(row.value);
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let generated = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    setting::Entity::insert(setting::ActiveModel {
        key: Set(SIGNING_SECRET.to_owned()),
        value: Set(generated),
    })
    .on_conflict(
        OnConflict::column(setting::Column::Key)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let row = setting::Entity::find_by_id(SIGNING_SECRET)
        .one(db)
        .await?
        .ok_or_else(|| StorageError::NotFound("signing secret".into()))?;
    Ok(row.value)
}

/// Removes the signing secret from the database once it is kept elsewhere (the key
/// file beside an SQLite database), so the data alone no longer holds the key.
pub async fn forget_signing_secret(db: &impl ConnectionTrait) -> Result<(), StorageError> {
    setting::Entity::delete_by_id(SIGNING_SECRET)
        .exec(db)
        .await?;
    Ok(())
}

/// A secret generated for a key file: 32 random bytes, base64url.
pub fn generated_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
