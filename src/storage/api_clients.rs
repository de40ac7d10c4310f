//! API clients (the index engine, the one-stop system, data-entry tools) and their
//! bearer tokens. Only a SHA-256 of a token is stored: tokens are 190-bit random
//! strings, so a fast hash is enough and keeps authentication cheap.

use chrono::{DateTime, Utc};
use entity::api_client;
use rand::distr::{Alphanumeric, SampleString};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder,
};
use sha2::{Digest, Sha256};
use sipas_domain::access::{Principal, Scope};

use super::{StorageError, audit};

const TOKEN_PREFIX: &str = "sipas_";

/// What is stored of a token (and what a node remembers it by): its SHA-256, in hex.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn scope_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Creates a client and returns it with its token: the only time the token exists in
/// clear. Run it in a transaction: the audit entry goes with it.
pub async fn create(
    db: &DatabaseTransaction,
    actor: &str,
    name: &str,
    scopes: &[Scope],
) -> Result<(Principal, String), StorageError> {
    let name = name.trim();
    if name.is_empty() || sipas_domain::text::refuse_control(name).is_err() {
        return Err(StorageError::Invalid(
            "a client needs a name without control characters".into(),
        ));
    }
    let token = format!(
        "{TOKEN_PREFIX}{}",
        Alphanumeric.sample_string(&mut rand::rng(), 32)
    );
    let model = api_client::Entity::insert(api_client::ActiveModel {
        name: Set(name.to_owned()),
        token_hash: Set(token_hash(&token)),
        scopes: Set(scope_text(scopes)),
        created_at: Set(chrono::Utc::now()),
        revoked_at: Set(None),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    audit::record(
        db,
        actor,
        "api_client.create",
        name,
        serde_json::json!({
            "scopes": scope_text(scopes),
            "after": { "scopes": scope_text(scopes), "revoked": false },
        }),
    )
    .await?;
    Ok((
        Principal::ApiClient {
            id: model.id,
            name: model.name,
            scopes: scopes.to_vec(),
        },
        token,
    ))
}

/// The client a bearer token belongs to, if the token is known and not revoked.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<Principal>, StorageError> {
    Ok(authenticate_with_use(db, token).await?.map(|(p, _)| p))
}

/// [`authenticate`], with when the token was last used before this request.
pub async fn authenticate_with_use(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<(Principal, Option<DateTime<Utc>>)>, StorageError> {
    if !token.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let found = api_client::Entity::find()
        .filter(api_client::Column::TokenHash.eq(token_hash(token)))
        .filter(api_client::Column::RevokedAt.is_null())
        .one(db)
        .await?;
    Ok(found.map(|m| {
        (
            Principal::ApiClient {
                id: m.id,
                name: m.name,
                scopes: Scope::parse_list(&m.scopes).unwrap_or_default(),
            },
            m.last_used_at,
        )
    }))
}

/// How many tokens were ever revoked: it only grows, so a node that sees it change
/// knows a token was revoked since it last looked.
pub async fn revoked_count(db: &impl ConnectionTrait) -> Result<u64, StorageError> {
    Ok(api_client::Entity::find()
        .filter(api_client::Column::RevokedAt.is_not_null())
        .count(db)
        .await?)
}

/// Whether a token last used at `last_used` should be noted as used at `now`.
pub fn use_is_stale(last_used: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_used.is_none_or(|at| now - at >= chrono::Duration::seconds(LAST_USED_RESOLUTION_SECONDS))
}

/// How often a token's `last_used_at` is written at most: a busy client costs one
/// write a minute, not one per request, and the time is right to the minute on every
/// node (the condition is in the database, not in one node's memory).
pub const LAST_USED_RESOLUTION_SECONDS: i64 = 60;

/// Notes that a client's token authenticated a request now, unless it was already
/// noted less than [`LAST_USED_RESOLUTION_SECONDS`] ago (then nothing is written).
pub async fn touch(
    db: &impl ConnectionTrait,
    client_id: i32,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let stale = now - chrono::Duration::seconds(LAST_USED_RESOLUTION_SECONDS);
    let updated = api_client::Entity::update_many()
        .col_expr(api_client::Column::LastUsedAt, Some(now).into())
        .filter(api_client::Column::Id.eq(client_id))
        .filter(
            Condition::any()
                .add(api_client::Column::LastUsedAt.is_null())
                .add(api_client::Column::LastUsedAt.lt(stale)),
        )
        .exec(db)
        .await?;
    Ok(updated.rows_affected > 0)
}

/// An API client as the tokens page and `sipas token list` show it (never its token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRow {
    pub id: i32,
    pub name: String,
    /// `read`, `write` or `read,write`.
    pub scopes: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<api_client::Model> for ClientRow {
    fn from(m: api_client::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            scopes: m.scopes,
            created_at: m.created_at,
            last_used_at: m.last_used_at,
            revoked_at: m.revoked_at,
        }
    }
}

/// Every client, newest first.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<ClientRow>, StorageError> {
    Ok(api_client::Entity::find()
        .order_by_desc(api_client::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The client a `sipas token revoke` argument names: its id, else its name. A name
/// that several clients share is refused (say the id).
pub async fn find(db: &impl ConnectionTrait, id_or_name: &str) -> Result<ClientRow, StorageError> {
    let id_or_name = id_or_name.trim();
    if let Ok(id) = id_or_name.parse::<i32>()
        && let Some(found) = api_client::Entity::find_by_id(id).one(db).await?
    {
        return Ok(found.into());
    }
    let mut named = match super::lookup_key(id_or_name) {
        Some(key) => {
            api_client::Entity::find()
                .filter(api_client::Column::Name.eq(key))
                .all(db)
                .await?
        }
        None => Vec::new(),
    };
    // A revoked client of the same name does not make a live one ambiguous.
    if named.len() > 1 {
        named.retain(|m| m.revoked_at.is_none());
    }
    match named.len() {
        0 => Err(StorageError::NotFound(format!(
            "no API client with id or name {id_or_name:?}"
        ))),
        1 => Ok(named.remove(0).into()),
        n => Err(StorageError::Conflict(format!(
            "{n} API clients are named {id_or_name:?}; give the id (sipas token list)"
        ))),
    }
}

/// Revokes a client's token at once (its next request is refused), audited. Revoking
/// one already revoked is a conflict, and changes nothing.
pub async fn revoke(
    db: &DatabaseTransaction,
    actor: &str,
    client_id: i32,
) -> Result<ClientRow, StorageError> {
    let before: ClientRow = api_client::Entity::find_by_id(client_id)
        .one(db)
        .await?
        .ok_or_else(|| StorageError::NotFound(format!("no API client {client_id}")))?
        .into();
    let now = Utc::now();
    let updated = api_client::Entity::update_many()
        .col_expr(api_client::Column::RevokedAt, Some(now).into())
        .filter(api_client::Column::Id.eq(client_id))
        .filter(api_client::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(StorageError::Conflict(format!(
            "the token of API client {:?} (id {}) is already revoked",
            before.name, before.id
        )));
    }
    audit::record(
        db,
        actor,
        "api_client.revoke",
        &before.name,
        serde_json::json!({
            "id": before.id,
            "before": { "scopes": before.scopes, "revoked": false },
            "after": { "scopes": before.scopes, "revoked": true },
        }),
    )
    .await?;
    Ok(ClientRow {
        revoked_at: Some(now),
        ..before
    })
}
