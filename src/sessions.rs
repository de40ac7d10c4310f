//! Staff sessions, known to every node: in Redis when it is configured (a key per
//! session that expires by itself), in the database otherwise, and in the database too
//! while a configured Redis is down, so a login never fails for want of Redis.
//!
//! The cookie carries a random secret and its signature; what is stored is keyed by a
//! hash of the secret, so neither a leaked table nor a leaked Redis opens a session.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use redis::AsyncCommands;
use sipas_domain::token::SigningKeys;

use crate::redis_store::RedisStore;
use crate::storage::staff_sessions::{self, SessionRecord};
use crate::storage::{Storage, StorageError};

/// A session lasts a working day, however it is used.
pub const SESSION_HOURS: i64 = 12;

/// A session as a request presents it: the cookie's secret, checked.
#[derive(Clone)]
pub struct SessionKey {
    secret: String,
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(…)")
    }
}

pub struct SessionStore {
    storage: Storage,
    redis: Arc<RedisStore>,
    keys: SigningKeys,
    prefix: String,
}

impl SessionStore {
    pub fn new(storage: Storage, redis: Arc<RedisStore>, keys: SigningKeys, prefix: &str) -> Self {
        Self {
            storage,
            redis,
            keys,
            prefix: prefix.to_owned(),
        }
    }

    /// The cookie value of a session key: the secret and its signature.
    pub fn cookie_value(&self, key: &SessionKey) -> String {
        format!("{}.{}", key.secret, self.signature(&key.secret))
    }

    /// The session key a cookie value carries, if its signature is right.
    pub fn from_cookie(&self, value: &str) -> Option<SessionKey> {
        let (secret, signature) = value.split_once('.')?;
        let expected = self.signature(secret);
        constant_time_eq(signature.as_bytes(), expected.as_bytes()).then(|| SessionKey {
            secret: secret.to_owned(),
        })
    }

    fn signature(&self, secret: &str) -> String {
        self.keys
            .keyed_hash("staff-session-cookie", secret.as_bytes())[..32]
            .to_owned()
    }

    /// The token every form of this session carries (CSRF protection): derived from the
    /// session, so it needs no storage and dies with the session.
    pub fn csrf_token(&self, key: &SessionKey) -> String {
        self.keys.keyed_hash("staff-csrf", key.secret.as_bytes())[..32].to_owned()
    }

    /// Whether `token` is this session's form token.
    pub fn csrf_matches(&self, key: &SessionKey, token: &str) -> bool {
        constant_time_eq(token.as_bytes(), self.csrf_token(key).as_bytes())
    }

    fn id(&self, key: &SessionKey) -> String {
        self.keys
            .keyed_hash("staff-session-id", key.secret.as_bytes())
    }

    fn redis_key(&self, id: &str) -> String {
        format!("{}session:{id}", self.prefix)
    }

    /// Opens a session for a user who just proved who they are.
    pub async fn open(&self, user_id: i32, credential: &str) -> Result<SessionKey, StorageError> {
        let mut secret = [0u8; 32];
        rand::Rng::fill(&mut rand::rng(), &mut secret);
        let key = SessionKey {
            secret: URL_SAFE_NO_PAD.encode(secret),
        };
        let record = SessionRecord {
            user_id,
            credential: credential.to_owned(),
            expires_at: Utc::now() + Duration::hours(SESSION_HOURS),
        };
        let id = self.id(&key);
        if let Some(mut redis) = self.redis.connection().await {
            let json = serde_json::to_string(&record).unwrap_or_default();
            let stored: redis::RedisResult<()> = redis
                .set_ex(
                    self.redis_key(&id),
                    json,
                    (SESSION_HOURS * 3600).unsigned_abs(),
                )
                .await;
            match stored {
                Ok(()) => return Ok(key),
                Err(error) => {
                    tracing::warn!(%error, "Redis refused a session; keeping it in the database")
                }
            }
        }
        staff_sessions::insert(self.storage.db(), &id, &record).await?;
        Ok(key)
    }

    /// The session of a key, unless it has ended.
    pub async fn find(&self, key: &SessionKey) -> Result<Option<SessionRecord>, StorageError> {
        let id = self.id(key);
        if let Some(mut redis) = self.redis.connection().await {
            let found: redis::RedisResult<Option<String>> = redis.get(self.redis_key(&id)).await;
            match found {
                Ok(Some(json)) => {
                    return Ok(serde_json::from_str::<SessionRecord>(&json)
                        .ok()
                        .filter(|r| r.expires_at > Utc::now()));
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%error, "Redis unreadable; looking for the session in the database")
                }
            }
        }
        staff_sessions::get(self.storage.db(), &id).await
    }

    /// Ends a session wherever it is kept. With Redis configured, a logout that cannot
    /// reach it fails rather than leave a session that comes back with Redis.
    pub async fn close(&self, key: &SessionKey) -> Result<(), StorageError> {
        let id = self.id(key);
        staff_sessions::delete(self.storage.db(), &id).await?;
        if !self.redis.is_configured() {
            return Ok(());
        }
        let unreachable =
            |e: String| StorageError::Unavailable(format!("the session could not be ended: {e}"));
        let mut redis = self
            .redis
            .connection()
            .await
            .ok_or_else(|| unreachable("Redis is unreachable".into()))?;
        redis
            .del::<_, ()>(self.redis_key(&id))
            .await
            .map_err(|e| unreachable(e.to_string()))
    }
}

/// Compares without stopping at the first difference, so timing does not reveal how
/// much of a forged value was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn compares_whole_values() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
