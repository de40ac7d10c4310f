//! API tokens as a node checks them: a token the database accepted is remembered, so
//! the index engine's reads cost no database round trip, and every node forgets what it
//! remembers when any token is revoked, before the revocation is answered.
//!
//! How every node learns of a revocation at once:
//! - With Redis, a revocation sets a shared *generation* to a new random value, and
//!   every request reads it (one Redis round trip, far cheaper than the database's):
//!   a node that sees a value other than the one it remembered under forgets all.
//!   A node that cannot read it checks the database, as without the cache.
//! - Every node also counts the revoked tokens in the database every [`POLL`], and
//!   remembers nothing while its last count is older than [`FRESH`]. A revocation that
//!   could not reach Redis, or made without one (one node, or `sipas token revoke`
//!   beside it), waits [`FRESH`] before it is answered, by which time every node
//!   refuses the token: revocations are rare, reads are not.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sipas_domain::access::Principal;

use crate::redis_store::RedisStore;
use crate::storage::{Storage, StorageError, api_clients};

/// How often a node counts the revoked tokens in the database.
pub const POLL: Duration = Duration::from_millis(200);
/// A node remembers tokens only while its last count is younger than this; a
/// revocation that could not tell every node through Redis waits this long.
pub const FRESH: Duration = Duration::from_secs(1);

/// The tokens a node remembers, and what tells it to forget them.
pub struct ApiTokens {
    redis: Arc<RedisStore>,
    generation_key: String,
    known: Mutex<Known>,
}

#[derive(Default)]
struct Known {
    /// Bumped whenever everything is forgotten: an answer from the database read
    /// before a bump is not remembered.
    epoch: u64,
    /// The shared generation the entries were remembered under.
    generation: Option<String>,
    /// The number of revoked tokens at the last count, and when it was taken.
    revoked: Option<(u64, Instant)>,
    /// By token hash: never the token itself.
    entries: HashMap<String, Remembered>,
}

#[derive(Clone)]
struct Remembered {
    principal: Principal,
    last_used: Option<DateTime<Utc>>,
}

/// Whether a request may use what the node remembers, and under which epoch the
/// database's answer would be remembered.
struct Check {
    epoch: u64,
    usable: bool,
}

impl Known {
    fn forget(&mut self) {
        self.epoch += 1;
        self.entries.clear();
    }

    fn fresh(&self) -> bool {
        self.revoked.is_some_and(|(_, at)| at.elapsed() < FRESH)
    }
}

impl ApiTokens {
    /// A node remembers nothing until [`ApiTokens::follow`] has counted once; a
    /// command (`sipas token revoke`) never calls it.
    pub fn new(redis: Arc<RedisStore>, prefix: &str) -> Self {
        Self {
            redis,
            generation_key: format!("{prefix}tokens:generation"),
            known: Mutex::default(),
        }
    }

    fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts the revoked tokens every [`POLL`] for as long as the node runs.
    pub fn follow(self: &Arc<Self>, storage: Storage) {
        let tokens = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                // Taken before the read: the count is as of no later than this.
                let asked = Instant::now();
                let count = api_clients::revoked_count(storage.db()).await;
                let Some(tokens) = tokens.upgrade() else {
                    return;
                };
                match count {
                    Ok(count) => tokens.counted(count, asked),
                    Err(error) => tracing::debug!(%error, "could not count revoked tokens"),
                }
                drop(tokens);
                tokio::time::sleep(POLL).await;
            }
        });
    }

    fn counted(&self, count: u64, asked: Instant) {
        let mut known = self.known();
        if known.revoked.is_some_and(|(before, _)| before != count) {
            known.forget();
        }
        known.revoked = Some((count, asked));
    }

    /// The principal a token stands for, from memory when it may be used, else from
    /// the database (then remembered), with when the token was last used.
    pub async fn authenticate(
        &self,
        storage: &Storage,
        token: &str,
    ) -> Result<Option<(Principal, Option<DateTime<Utc>>)>, StorageError> {
        let hash = api_clients::token_hash(token);
        let check = self.check().await;
        if check.usable
            && let Some(found) = self.known().entries.get(&hash).cloned()
        {
            return Ok(Some((found.principal, found.last_used)));
        }
        let found = api_clients::authenticate_with_use(storage.db(), token).await?;
        if let Some((principal, last_used)) = &found {
            let mut known = self.known();
            // Forgotten since the check: the answer may predate a revocation.
            if check.usable && known.epoch == check.epoch {
                known.entries.insert(
                    hash,
                    Remembered {
                        principal: principal.clone(),
                        last_used: *last_used,
                    },
                );
            }
        }
        Ok(found)
    }

    /// Notes that the token was noted as used at `at`, so the next requests do not
    /// write it again within the minute.
    pub fn used(&self, token: &str, at: DateTime<Utc>) {
        let hash = api_clients::token_hash(token);
        if let Some(entry) = self.known().entries.get_mut(&hash) {
            entry.last_used = Some(at);
        }
    }

    /// Reads the shared generation (with Redis) and decides whether memory may serve.
    async fn check(&self) -> Check {
        let generation = if self.redis.is_configured() {
            match self.shared_generation().await {
                Some(generation) => Some(generation),
                // Redis cannot say whether a token was revoked: ask the database.
                None => {
                    return Check {
                        epoch: self.known().epoch,
                        usable: false,
                    };
                }
            }
        } else {
            None
        };
        let mut known = self.known();
        if let Some(generation) = generation
            && known.generation.as_ref() != Some(&generation)
        {
            known.forget();
            known.generation = Some(generation);
        }
        Check {
            epoch: known.epoch,
            usable: known.fresh(),
        }
    }

    /// The shared generation, `Some("")` when none was ever set; `None` when Redis
    /// did not answer.
    async fn shared_generation(&self) -> Option<String> {
        let mut connection = self.redis.connection().await?;
        redis::cmd("GET")
            .arg(&self.generation_key)
            .query_async::<Option<String>>(&mut connection)
            .await
            .ok()
            .map(Option::unwrap_or_default)
    }

    /// After a revocation is committed: forgets every token here, tells the other
    /// nodes through Redis, and when that is not possible waits until every node's
    /// count has seen it. Returns once every node refuses the revoked token.
    pub async fn revoked(&self) {
        self.known().forget();
        if self.redis.is_configured() {
            if self.set_shared_generation().await {
                return;
            }
            tracing::warn!(
                "could not tell the other nodes of a revoked token through Redis; waiting \
                 for them to count it in the database"
            );
        }
        // Another process may serve the same database (a node, while this is the
        // command line): every count it took before the commit is stale by then.
        tokio::time::sleep(FRESH).await;
    }

    async fn set_shared_generation(&self) -> bool {
        let Some(mut connection) = self.redis.connection().await else {
            return false;
        };
        let generation = format!("{:032x}", rand::random::<u128>());
        redis::cmd("SET")
            .arg(&self.generation_key)
            .arg(generation)
            .query_async::<()>(&mut connection)
            .await
            .is_ok()
    }
}
