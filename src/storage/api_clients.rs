//! API clients (the index engine, the one-stop system, data-entry tools) and their
//! bearer tokens. Only a SHA-256 of a token is stored: tokens are 190-bit random
//! strings, so a fast hash is enough and keeps authentication cheap.

use entity::api_client;
use rand::distr::{Alphanumeric, SampleString};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use sha2::{Digest, Sha256};

use super::{Storage, StorageError, audit};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }

    /// Parses `read`, `write` or `read,write`.
    pub fn parse_list(text: &str) -> Result<Vec<Scope>, String> {
        let mut scopes = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let scope = match part {
                "read" => Scope::Read,
                "write" => Scope::Write,
                other => {
                    return Err(format!(
                        "unknown scope {other:?}: use read, write or read,write"
                    ));
                }
            };
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        if scopes.is_empty() {
            return Err("at least one scope is needed: read, write or read,write".into());
        }
        Ok(scopes)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiClient {
    pub id: i32,
    pub name: String,
    pub scopes: Vec<Scope>,
}

impl ApiClient {
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

const TOKEN_PREFIX: &str = "sipas_";

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Storage {
    /// Creates a client and returns its token: the only time the token exists in clear.
    pub async fn create_api_client(
        &self,
        name: &str,
        scopes: &[Scope],
    ) -> Result<(ApiClient, String), StorageError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(StorageError::Invalid("a client needs a name".into()));
        }
        let token = format!(
            "{TOKEN_PREFIX}{}",
            Alphanumeric.sample_string(&mut rand::rng(), 32)
        );
        let scope_text = scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let txn = self.db.begin().await?;
        let model = api_client::Entity::insert(api_client::ActiveModel {
            name: Set(name.to_owned()),
            token_hash: Set(token_hash(&token)),
            scopes: Set(scope_text.clone()),
            created_at: Set(chrono::Utc::now()),
            revoked_at: Set(None),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await?;
        audit::record(
            &txn,
            "cli",
            "api_client.create",
            name,
            serde_json::json!({ "scopes": scope_text }),
        )
        .await?;
        txn.commit().await?;
        Ok((
            ApiClient {
                id: model.id,
                name: model.name,
                scopes: scopes.to_vec(),
            },
            token,
        ))
    }

    /// The client a bearer token belongs to, if the token is known and not revoked.
    pub async fn authenticate(&self, token: &str) -> Result<Option<ApiClient>, StorageError> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let found = api_client::Entity::find()
            .filter(api_client::Column::TokenHash.eq(token_hash(token)))
            .filter(api_client::Column::RevokedAt.is_null())
            .one(&self.db)
            .await?;
        Ok(found.map(|m| ApiClient {
            id: m.id,
            name: m.name,
            scopes: Scope::parse_list(&m.scopes).unwrap_or_default(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::Scope;

    #[test]
    fn scopes_parse() {
        assert_eq!(Scope::parse_list("read").unwrap(), vec![Scope::Read]);
        assert_eq!(
            Scope::parse_list("read, write,read").unwrap(),
            vec![Scope::Read, Scope::Write]
        );
        assert!(Scope::parse_list("admin").is_err());
        assert!(Scope::parse_list("").is_err());
    }
}
