//! API clients (the index engine, the one-stop system, data-entry tools) and their
//! bearer tokens. Only a SHA-256 of a token is stored: tokens are 190-bit random
//! strings, so a fast hash is enough and keeps authentication cheap.

use entity::api_client;
use rand::distr::{Alphanumeric, SampleString};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use sipas_domain::access::{Principal, Scope};

use super::{StorageError, audit};

const TOKEN_PREFIX: &str = "sipas_";

fn token_hash(token: &str) -> String {
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
    db: &impl ConnectionTrait,
    actor: &str,
    name: &str,
    scopes: &[Scope],
) -> Result<(Principal, String), StorageError> {
    let name = name.trim();
    if name.is_empty() || name.chars().any(char::is_control) {
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
        serde_json::json!({ "scopes": scope_text(scopes) }),
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
    if !token.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let found = api_client::Entity::find()
        .filter(api_client::Column::TokenHash.eq(token_hash(token)))
        .filter(api_client::Column::RevokedAt.is_null())
        .one(db)
        .await?;
    Ok(found.map(|m| Principal::ApiClient {
        id: m.id,
        name: m.name,
        scopes: Scope::parse_list(&m.scopes).unwrap_or_default(),
    }))
}
