//! Staff accounts and API tokens, as administrators change them: from the dashboard
//! (`/manage/users`, `/manage/tokens`) and the command line (`sipas user`, `sipas
//! token`) alike. Each change is one write transaction with its audit entry; passwords
//! and tokens are returned once and never stored or logged in clear.

use sipas_domain::access::{NewUser, Principal, Role, Scope};
use sipas_domain::campaign::FieldError;

use crate::storage::users::{self, UserRow};
use crate::storage::{Storage, StorageError, api_clients};

/// Why an administrator's change was not made.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The fields of a new account or token, each problem with its field.
    #[error("{}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "))]
    Fields(Vec<FieldError>),
    /// A change that would lock someone out, or that is already made.
    #[error("{0}")]
    Refused(Refusal),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A change refused for what it would do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("you cannot disable your own account")]
    OwnAccount,
    #[error("this is the last enabled admin: enable or create another admin first")]
    LastAdmin,
    #[error("the token of API client {name:?} (id {id}) is already revoked")]
    AlreadyRevoked { id: i32, name: String },
}

/// Creates a staff account (checked by [`NewUser::parse`]; the scope names a unit as
/// it is today) and returns it with its generated password, shown once.
pub async fn create_user(
    storage: &Storage,
    actor: &str,
    new: &NewUser,
) -> Result<String, AccountError> {
    let txn = storage.write().await?;
    let password = match users::create(&txn, actor, new).await {
        Ok(password) => password,
        Err(StorageError::NotFound(_)) => {
            return Err(AccountError::Fields(vec![FieldError::new(
                "scope",
                format!(
                    "no unit has the code {} today",
                    new.scope.as_deref().unwrap_or_default()
                ),
            )]));
        }
        Err(StorageError::Conflict(_)) => {
            return Err(AccountError::Fields(vec![FieldError::new(
                "username",
                format!("a user {} already exists", new.username),
            )]));
        }
        Err(other) => return Err(other.into()),
    };
    txn.commit().await.map_err(StorageError::from)?;
    Ok(password)
}

/// Gives an account a new generated password, returned once with its username; every
/// session it had ends.
pub async fn reset_password(
    storage: &Storage,
    actor: &str,
    user_id: i32,
) -> Result<(String, String), AccountError> {
    let txn = storage.write().await?;
    let reset = users::reset_password_of(&txn, actor, user_id).await?;
    txn.commit().await.map_err(StorageError::from)?;
    Ok(reset)
}

/// Disables (its sessions end on every node, for good) or enables an account. An
/// administrator cannot disable the last enabled admin, nor themselves; asking for
/// the state an account is already in changes nothing and records nothing.
pub async fn set_disabled(
    storage: &Storage,
    actor_id: i32,
    actor: &str,
    user_id: i32,
    disabled: bool,
) -> Result<UserRow, AccountError> {
    // The reference-data lock: two admins disabling each other at once cannot both
    // pass the last-admin check.
    let txn = storage.write_reference().await?;
    let current = users::row_by_id(&txn, user_id).await?;
    if current.disabled == disabled {
        return Ok(current);
    }
    if disabled {
        if current.role == Role::Admin.as_str() && users::enabled_admins(&txn).await? <= 1 {
            return Err(AccountError::Refused(Refusal::LastAdmin));
        }
        if user_id == actor_id {
            return Err(AccountError::Refused(Refusal::OwnAccount));
        }
    }
    let changed = users::set_disabled(&txn, actor, user_id, disabled).await?;
    txn.commit().await.map_err(StorageError::from)?;
    Ok(changed)
}

/// Creates an API client and returns it with its token, shown once.
pub async fn create_token(
    storage: &Storage,
    actor: &str,
    name: &str,
    scopes: &[Scope],
) -> Result<(Principal, String), AccountError> {
    let txn = storage.write().await?;
    let created = match api_clients::create(&txn, actor, name, scopes).await {
        Ok(created) => created,
        Err(StorageError::Invalid(message)) => {
            return Err(AccountError::Fields(vec![FieldError::new("name", message)]));
        }
        Err(other) => return Err(other.into()),
    };
    txn.commit().await.map_err(StorageError::from)?;
    Ok(created)
}

/// Revokes the token of the client with this id (else this name): refused at once on
/// every node. An unknown client is `NotFound`; one already revoked is refused.
pub async fn revoke_token(
    storage: &Storage,
    tokens: &crate::tokens::ApiTokens,
    actor: &str,
    id_or_name: &str,
) -> Result<api_clients::ClientRow, AccountError> {
    let txn = storage.write().await?;
    let client = api_clients::find(&txn, id_or_name).await?;
    if client.revoked_at.is_some() {
        return Err(AccountError::Refused(Refusal::AlreadyRevoked {
            id: client.id,
            name: client.name,
        }));
    }
    let revoked = api_clients::revoke(&txn, actor, client.id).await?;
    txn.commit().await.map_err(StorageError::from)?;
    tokens.revoked().await;
    Ok(revoked)
}
