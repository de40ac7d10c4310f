//! People who log in to the dashboard: the provincial Department of Home Affairs
//! (province-wide) and each unit's own officer (a commune, a department, or on the
//! 2021 structure a district office and its communes).

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use entity::{unit, user};
use rand::distr::{Alphanumeric, SampleString};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder,
};
use sha2::{Digest, Sha256};
use sipas_domain::access::{NewPassword, NewUser, Principal, Role};

use super::{StorageError, audit, units};

/// A staff account as the dashboard needs it.
#[derive(Debug, Clone)]
pub struct StaffAccount {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The unit they answer for (one period of it); `None`: the whole province.
    pub unit_id: Option<i32>,
    pub unit_name: Option<String>,
    /// A fingerprint of the password hash: sessions opened with another are over.
    pub credential: String,
}

impl StaffAccount {
    pub fn principal(&self) -> Principal {
        Principal::Staff {
            id: self.id,
            username: self.username.clone(),
            role: self.role,
            unit: self.unit_id,
        }
    }
}

/// The argon2 hash of a password.
fn hash_password(password: &str) -> Result<String, StorageError> {
    Ok(Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| StorageError::Invalid(format!("cannot hash password: {e}")))?
        .to_string())
}

/// A random password of 16 letters and digits, and its argon2 hash.
fn generated_password() -> Result<(String, String), StorageError> {
    let password = Alphanumeric.sample_string(&mut rand::rng(), 16);
    let hash = hash_password(&password)?;
    Ok((password, hash))
}

/// What a session remembers of the password it was opened with, and of the last time
/// an administrator ended the account's sessions: a change of either ends it.
fn credential(
    password_hash: &str,
    sessions_since: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(password_hash.as_bytes());
    if let Some(since) = sessions_since {
        hasher.update(format!("|{}", since.timestamp_micros()).as_bytes());
    }
    hasher.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `password` matches an argon2 hash; a malformed hash matches nothing.
fn verifies(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

async fn account(
    db: &impl ConnectionTrait,
    model: user::Model,
) -> Result<Option<StaffAccount>, StorageError> {
    if model.disabled {
        return Ok(None);
    }
    let Some(role) = Role::parse(&model.role) else {
        tracing::error!(user = %model.username, role = %model.role, "a user has an unknown role");
        return Ok(None);
    };
    let unit_name = match model.unit_id {
        Some(id) => unit::Entity::find_by_id(id).one(db).await?.map(|u| u.name),
        None => None,
    };
    Ok(Some(StaffAccount {
        id: model.id,
        credential: credential(&model.password_hash, model.sessions_since),
        username: model.username,
        display_name: model.display_name,
        role,
        unit_id: model.unit_id,
        unit_name,
    }))
}

/// An enabled account by id.
pub async fn by_id(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<StaffAccount>, StorageError> {
    match user::Entity::find_by_id(id).one(db).await? {
        Some(model) => account(db, model).await,
        None => Ok(None),
    }
}

/// The enabled account with this username and password, if any. The hash is checked
/// off the async workers (argon2 is deliberately slow), and an unknown username costs
/// as much as a wrong password, so timing does not tell which usernames exist.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    username: &str,
    password: &str,
) -> Result<Option<StaffAccount>, StorageError> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let username = username.trim().to_lowercase();
    // A NUL byte: no such user (the dummy hash below still costs its time).
    let model = match super::lookup_key(&username) {
        Some(key) => {
            user::Entity::find()
                .filter(user::Column::Username.eq(key))
                .one(db)
                .await?
        }
        None => None,
    };
    let hash = match &model {
        Some(m) => m.password_hash.clone(),
        None => DUMMY
            .get_or_init(|| hash_password("not a password of anyone").unwrap_or_default())
            .clone(),
    };
    let password = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || verifies(&password, &hash))
        .await
        .unwrap_or(false);
    match model {
        Some(model) if ok => account(db, model).await,
        _ => Ok(None),
    }
}

/// Sets a user's password (audited); returns the new credential, so the session that
/// changed it can go on while every other one ends.
pub async fn set_password(
    db: &DatabaseTransaction,
    actor: &str,
    user_id: i32,
    password: &NewPassword,
) -> Result<String, StorageError> {
    let hash = {
        let password = password.as_str().to_owned();
        tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| StorageError::Invalid(format!("cannot hash password: {e}")))??
    };
    let model = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(|| StorageError::NotFound("no such user".into()))?;
    user::Entity::update(user::ActiveModel {
        id: Set(user_id),
        password_hash: Set(hash.clone()),
        ..Default::default()
    })
    .exec(db)
    .await?;
    audit::record(
        db,
        actor,
        "user.password",
        &model.username,
        serde_json::json!({}),
    )
    .await?;
    Ok(credential(&hash, model.sessions_since))
}

/// Gives a user a new generated password (an operator's reset), returned once.
pub async fn reset_password(
    db: &DatabaseTransaction,
    actor: &str,
    username: &str,
) -> Result<String, StorageError> {
    let username = username.trim().to_lowercase();
    let not_found = || StorageError::NotFound(format!("no user {username}"));
    let key = super::lookup_key(&username).ok_or_else(not_found)?;
    let model = user::Entity::find()
        .filter(user::Column::Username.eq(key))
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    reset(db, actor, model).await
}

/// [`reset_password`] of the account with this id (enabled or not). Every session
/// opened with the old password ends: its credential no longer matches.
pub async fn reset_password_of(
    db: &DatabaseTransaction,
    actor: &str,
    user_id: i32,
) -> Result<(String, String), StorageError> {
    let model = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(|| StorageError::NotFound(format!("no user {user_id}")))?;
    let username = model.username.clone();
    Ok((username, reset(db, actor, model).await?))
}

async fn reset(
    db: &DatabaseTransaction,
    actor: &str,
    model: user::Model,
) -> Result<String, StorageError> {
    let username = model.username.clone();
    let (password, hash) = tokio::task::spawn_blocking(generated_password)
        .await
        .map_err(|e| StorageError::Invalid(format!("cannot hash password: {e}")))??;
    user::Entity::update(user::ActiveModel {
        id: Set(model.id),
        password_hash: Set(hash),
        ..Default::default()
    })
    .exec(db)
    .await?;
    audit::record_for_unit(
        db,
        actor,
        "user.password_reset",
        &username,
        model.unit_id,
        serde_json::json!({ "user_id": model.id }),
    )
    .await?;
    Ok(password)
}

/// The unit a scope code names: as it is today, or, for a unit that no longer exists
/// (a district office of the 2021 structure), its last period.
async fn scope_unit(db: &impl ConnectionTrait, code: &str) -> Result<i32, StorageError> {
    match units::by_code(db, code, None).await {
        Ok(row) => Ok(row.id),
        Err(StorageError::NotFound(message)) => unit::Entity::find()
            .filter(unit::Column::Code.eq(code))
            .filter(unit::Column::ValidFrom.lte(chrono::Utc::now().date_naive()))
            .order_by_desc(unit::Column::ValidFrom)
            .one(db)
            .await?
            .map(|u| u.id)
            .ok_or(StorageError::NotFound(message)),
        Err(other) => Err(other),
    }
}

/// Creates a staff account with a generated password, returned once (only its hash is
/// stored), with its audit entry. The scope names a unit as it is today.
pub async fn create(
    db: &DatabaseTransaction,
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
        Some(code) => Some(scope_unit(db, code).await?),
        None => None,
    };
    insert(db, actor, new, unit_id).await
}

/// An account as the users page lists it, enabled or not.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    /// As stored: `admin`, `manager` or `viewer`.
    pub role: String,
    pub unit_id: Option<i32>,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    pub disabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl UserRow {
    /// What the audit log keeps of an account: never its password.
    pub fn audited(&self) -> serde_json::Value {
        serde_json::json!({
            "role": self.role,
            "scope": self.unit_code,
            "disabled": self.disabled,
        })
    }
}

async fn row(db: &impl ConnectionTrait, model: user::Model) -> Result<UserRow, StorageError> {
    let unit = match model.unit_id {
        Some(id) => unit::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    Ok(UserRow {
        id: model.id,
        username: model.username,
        display_name: model.display_name,
        role: model.role,
        unit_id: model.unit_id,
        unit_code: unit.as_ref().map(|u| u.code.clone()),
        unit_name: unit.map(|u| u.name),
        disabled: model.disabled,
        created_at: model.created_at,
    })
}

/// Every account, by username, enabled or not.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<UserRow>, StorageError> {
    let models = user::Entity::find()
        .order_by_asc(user::Column::Username)
        .all(db)
        .await?;
    let units: std::collections::HashMap<i32, unit::Model> = unit::Entity::find()
        .filter(
            unit::Column::Id.is_in(
                models
                    .iter()
                    .filter_map(|m| m.unit_id)
                    .collect::<std::collections::HashSet<_>>(),
            ),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    Ok(models
        .into_iter()
        .map(|m| {
            let unit = m.unit_id.and_then(|id| units.get(&id));
            UserRow {
                id: m.id,
                unit_code: unit.map(|u| u.code.clone()),
                unit_name: unit.map(|u| u.name.clone()),
                username: m.username,
                display_name: m.display_name,
                role: m.role,
                unit_id: m.unit_id,
                disabled: m.disabled,
                created_at: m.created_at,
            }
        })
        .collect())
}

/// An account by id, enabled or not.
pub async fn row_by_id(db: &impl ConnectionTrait, id: i32) -> Result<UserRow, StorageError> {
    let model = user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StorageError::NotFound(format!("no user {id}")))?;
    row(db, model).await
}

/// How many enabled admins there are.
pub async fn enabled_admins(db: &impl ConnectionTrait) -> Result<u64, StorageError> {
    Ok(user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin.as_str()))
        .filter(user::Column::Disabled.eq(false))
        .count(db)
        .await?)
}

/// Disables or enables an account, audited with its state before and after. A
/// disabled account cannot log in, and its sessions stop at their next request on
/// every node (the session's account is read on each one). The caller checks who may.
pub async fn set_disabled(
    db: &DatabaseTransaction,
    actor: &str,
    user_id: i32,
    disabled: bool,
) -> Result<UserRow, StorageError> {
    let before = row_by_id(db, user_id).await?;
    let mut update = user::Entity::update_many().col_expr(user::Column::Disabled, disabled.into());
    if disabled {
        // Its sessions end for good: enabled again, it logs in afresh.
        update = update.col_expr(user::Column::SessionsSince, Some(chrono::Utc::now()).into());
    }
    update.filter(user::Column::Id.eq(user_id)).exec(db).await?;
    let after = UserRow {
        disabled,
        ..before.clone()
    };
    audit::record_for_unit(
        db,
        actor,
        if disabled {
            "user.disable"
        } else {
            "user.enable"
        },
        &before.username,
        before.unit_id,
        serde_json::json!({ "before": before.audited(), "after": after.audited() }),
    )
    .await?;
    Ok(after)
}

/// Stores an account with a generated password and its audit entry; the password is
/// returned once (only its hash is kept).
async fn insert(
    db: &DatabaseTransaction,
    actor: &str,
    new: &NewUser,
    unit_id: Option<i32>,
) -> Result<String, StorageError> {
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
    audit::record_for_unit(
        db,
        actor,
        "user.create",
        &new.username,
        unit_id,
        serde_json::json!({
            "role": new.role.as_str(),
            "scope": new.scope,
            "after": {
                "role": new.role.as_str(),
                "scope": new.scope,
                "display_name": new.display_name,
                "disabled": false,
            },
        }),
    )
    .await?;
    Ok(password)
}

/// On the very first start, creates the `admin` account with a random password and
/// returns it, so the operator can log in once and change it; later starts get None.
/// Run it in a write transaction, so two nodes starting at once create one admin.
pub async fn ensure_first_admin(
    txn: &DatabaseTransaction,
) -> Result<Option<(String, String)>, StorageError> {
    if user::Entity::find().count(txn).await? > 0 {
        return Ok(None);
    }
    let admin = NewUser {
        username: "admin".to_owned(),
        display_name: "Quản trị viên".to_owned(),
        role: Role::Admin,
        scope: None,
    };
    let password = insert(txn, "system", &admin, None).await?;
    Ok(Some(("admin".to_owned(), password)))
}
