//! People who log in to the dashboard: the provincial Department of Home Affairs
//! (province-wide) and district offices (their own communes).

use argon2::Argon2;
use argon2::password_hash::PasswordHasher;
use entity::user;
use rand::distr::{Alphanumeric, SampleString};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, PaginatorTrait};

use super::{StorageError, audit};

/// Roles, widest first.
pub const ROLE_ADMIN: &str = "admin";

/// On the very first start, creates the `admin` account with a random password and
/// returns it, so the operator can log in once and change it; later starts get None.
/// Run it in a write transaction, so two nodes starting at once create one admin.
pub async fn ensure_first_admin(
    txn: &impl ConnectionTrait,
) -> Result<Option<(String, String)>, StorageError> {
    if user::Entity::find().count(txn).await? > 0 {
        return Ok(None);
    }
    let password = Alphanumeric.sample_string(&mut rand::rng(), 16);
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| StorageError::Invalid(format!("cannot hash password: {e}")))?
        .to_string();
    user::Entity::insert(user::ActiveModel {
        username: Set("admin".to_owned()),
        display_name: Set("Quản trị viên".to_owned()),
        password_hash: Set(hash),
        role: Set(ROLE_ADMIN.to_owned()),
        unit_id: Set(None),
        disabled: Set(false),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    })
    .exec_without_returning(txn)
    .await?;
    audit::record(
        txn,
        "system",
        "user.create",
        "admin",
        serde_json::json!({ "role": ROLE_ADMIN }),
    )
    .await?;
    Ok(Some(("admin".to_owned(), password)))
}
