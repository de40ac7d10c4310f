//! API tokens as a node checks them: a token the database accepted is remembered, so
//! the index engine's reads cost no database round trip, and every node forgets what it
//! remembers when any token is revoked, before the revocation is answered.
//!
//! How every node learns of a revocation: every node counts the revoked tokens in the
//! database every [`POLL`] (the count only grows), forgets everything when the count
//! changes, and remembers nothing while its last count is older than [`FRESH`]. A
//! revocation waits [`FRESH`] after its commit before it is answered, by which time
//! every node's count has seen it: revocations are rare, reads are not. (A shared
//! generation in Redis, read on every request, made revocations answer at once, but
//! cost a Redis round trip on every read of the index engine.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sipas_domain::access::Principal;

use crate::storage::{Storage, StorageError, api_clients};

/// How often a node counts the revoked tokens in the database.
pub const POLL: Duration = Duration::from_millis(200);
/// A node remembers tokens only while its last count is younger than this; a
/// revocation waits this long before it is answered.
pub const FRESH: Duration = Duration::from_secs(1);

/// The tokens a node remembers, and what tells it to forget them. It remembers nothing
/// until [`ApiTokens::follow`] has counted once; a command (`sipas token revoke`) never
/// calls it.
#[derive(Default)]
pub struct ApiTokens {
    known: Mutex<Known>,
}

#[derive(Default)]
struct Known {
    /// Bumped whenever everything is forgotten: an answer from the database read
    /// before a bump is not remembered.
    epoch: u64,
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
        let check = self.check();
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

    /// Whether memory may serve now, and the epoch an answer would be remembered under.
    fn check(&self) -> Check {
        let known = self.known();
        Check {
            epoch: known.epoch,
            usable: known.fresh(),
        }
    }

    /// After a revocation is committed: forgets every token here, then waits until
    /// every node's count has seen it. Returns once every node refuses the revoked
    /// token.
    pub async fn revoked(&self) {
        self.known().forget();
        // Another process may serve the same database (a node, while this is the
        // command line): every count it took before the commit is stale by then.
        tokio::time::sleep(FRESH).await;
    }
}
