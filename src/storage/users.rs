//! People who log in to the dashboard: the provincial Department of Home Affairs
//! (province-wide) and each unit's own officer (a commune, a department, or on the
//! 2021 structure a district office and its communes).

use argon2::Argon2;
use argon2::password_hash::PasswordHasher;
use entity::user;
use rand::distr::{Alphanumeric, SampleString};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use sipas_domain::access::{NewUser, Role};

use super::{StorageError, audit, units};

/// A random password of 16 letters and digits, and its argon2 hash.
fn generated_password() -> Result<(String, String), StorageError> {
    let password = Alphanumeric.sample_string(&mut rand::rng(), 16);
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| StorageError::Invalid(format!("cannot hash password: {e}")))?
        .to_string();
    Ok((password, hash))
}

/// Creates a staff account with a generated password, returned once (only its hash is
/// stored), with its audit entry. The scope names a unit as it is today.
pub async fn create(
    db: &impl ConnectionTrait,
    actor: &str,
    new: &NewUser,
) -> Result<String, StorageError> {
    let taken = user::Entity::find()
        .filter(user::Column::Username.eq(&new.username))
        .one(db)
        .await?
        .is_some();
    if taken {
        return Err(StorageError::Conflict(format!(
            "a user {} already exists",
            new.username
        )));
    }
    let unit_id = match &new.scope {
        Some(code) => Some(units::by_code(db, code, None).await?.id),
        None => None,
    };
    let (password, hash) = generated_password()?;
    user::Entity::insert(user::ActiveModel {
        username: Set(new.username.clone()),
        display_name: Set(new.display_name.clone()),
        password_hash: Set(hash),
        role: Set(new.role.as_str().to_owned()),
        unit_id: Set(unit_id),
        disabled: Set(false),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    audit::record(
        db,
        actor,
        "user.create",
        &new.username,
        serde_json::json!({ "role": new.role.as_str(), "scope": new.scope }),
    )
    .await?;
    Ok(password)
}

/// On the very first start, creates the `admin` account with a random password and
/// returns it, so the operator can log in once and change it; later starts get None.
/// Run it in a write transaction, so two nodes starting at once create one admin.
pub async fn ensure_first_admin(
    txn: &impl ConnectionTrait,
) -> Result<Option<(String, String)>, StorageError> {
    if user::Entity::find().count(txn).await? > 0 {
        return Ok(None);
    }
    let (password, hash) = generated_password()?;
    user::Entity::insert(user::ActiveModel {
        username: Set("admin".to_owned()),
        display_name: Set("Quản trị viên".to_owned()),
        password_hash: Set(hash),
        role: Set(Role::Admin.as_str().to_owned()),
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
        serde_json::json!({ "role": Role::Admin.as_str() }),
    )
    .await?;
    Ok(Some(("admin".to_owned(), password)))
}
