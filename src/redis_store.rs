//! The optional Redis shared by the nodes of a deployment (rate limits, coordination).
//! Without it the service runs on in-process equivalents; a Redis outage degrades the
//! service, it never takes it down.
//!
//! Each thread that uses Redis has its own connection, whose I/O then runs on that
//! thread: with one shared connection, whose driver ran on another runtime, every
//! command crossed threads twice, which cost a node more CPU than the command itself.
//! Every command is bounded by a short timeout, and a circuit breaker keeps requests
//! off a Redis that failed: after a failure Redis is skipped for a pause (0.5 s,
//! doubling up to 10 s), then one request tries it again while the others carry on
//! without it. No request ever waits for another's attempt to reach Redis.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::{Cmd, Pipeline, RedisError, RedisFuture, RedisResult, Value};

/// What `/healthz` and `/readyz` say about Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedisStatus {
    Up,
    Down,
    NotConfigured,
}

impl RedisStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down (in-process fallback)",
            Self::NotConfigured => "not configured",
        }
    }
}

/// The longest a request waits for Redis, to connect or for one command's answer.
pub const TIMEOUT: Duration = Duration::from_millis(500);
/// The first pause after a failure, and the longest one.
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const LONGEST_PAUSE: Duration = Duration::from_secs(10);

pub struct RedisStore {
    client: Option<redis::Client>,
    breaker: Arc<Breaker>,
    /// Each thread's own connection (the actix workers', the runtime's), made on first
    /// use while the breaker is closed.
    by_thread: Mutex<HashMap<ThreadId, ConnectionManager>>,
}

/// The shared connection and the breaker's state. Held only for a few instructions,
/// never across an await.
#[derive(Default)]
struct Breaker {
    state: Mutex<BreakerState>,
}

#[derive(Default)]
struct BreakerState {
    /// Created on the first successful connect and reused; it reconnects by itself.
    manager: Option<ConnectionManager>,
    /// After a failure Redis is skipped until then.
    skip_until: Option<Instant>,
    /// The next pause, should the next try fail too.
    pause: Duration,
    /// One request is trying Redis again; the others do not wait for it.
    trying: bool,
}

/// Whether a request may use Redis now.
enum Gate {
    /// Closed breaker: use the connection.
    Pass(ConnectionManager),
    /// This request tries Redis again (connecting first when there is no connection).
    Try(Option<ConnectionManager>),
    /// Redis failed a moment ago, or another request is trying it: do without.
    Skip,
}

impl Breaker {
    fn lock(&self) -> std::sync::MutexGuard<'_, BreakerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn admit(&self) -> Gate {
        let mut state = self.lock();
        let now = Instant::now();
        if state.skip_until.is_some_and(|until| now < until) || state.trying {
            return Gate::Skip;
        }
        match (&state.manager, state.skip_until) {
            (Some(manager), None) => Gate::Pass(manager.clone()),
            (manager, _) => {
                let manager = manager.clone();
                state.trying = true;
                Gate::Try(manager)
            }
        }
    }

    fn succeeded(&self) {
        let mut state = self.lock();
        if state.skip_until.take().is_some() {
            tracing::info!("Redis answers again");
        }
        state.pause = FIRST_PAUSE;
        state.trying = false;
    }

    fn failed(&self, error: &dyn std::fmt::Display) {
        let mut state = self.lock();
        // The first failure of an outage, or a failed try, opens the breaker; requests
        // that were already under way when it opened change nothing.
        if state.skip_until.is_some() && !state.trying {
            return;
        }
        let pause = state.pause.max(FIRST_PAUSE);
        tracing::warn!(%error, pause_ms = pause.as_millis() as u64,
            "Redis unreachable; in-process fallback until the next try");
        state.skip_until = Some(Instant::now() + pause);
        state.pause = (pause * 2).min(LONGEST_PAUSE);
        state.trying = false;
    }

    /// A try that ended without a command: let the next request try instead.
    fn release(&self) {
        self.lock().trying = false;
    }

    fn status(&self) -> RedisStatus {
        let state = self.lock();
        if state.manager.is_some() && state.skip_until.is_none() {
            RedisStatus::Up
        } else {
            RedisStatus::Down
        }
    }
}

/// Whether an error says Redis is out of reach (rather than refusing one command).
fn is_outage(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_unrecoverable_error()
}

fn timed_out() -> RedisError {
    std::io::Error::new(std::io::ErrorKind::TimedOut, "Redis did not answer in time").into()
}

/// The shared connection as one request uses it: every command bounded by
/// [`TIMEOUT`], and its outcome reported to the breaker.
pub struct RedisConnection {
    manager: ConnectionManager,
    breaker: Arc<Breaker>,
    /// This request is the one trying Redis again: its first answer decides.
    trying: bool,
}

impl RedisConnection {
    async fn bounded<T>(
        &mut self,
        command: impl std::future::Future<Output = RedisResult<T>>,
    ) -> RedisResult<T> {
        let result = tokio::time::timeout(TIMEOUT, command)
            .await
            .unwrap_or_else(|_| Err(timed_out()));
        match &result {
            Err(error) if is_outage(error) => self.breaker.failed(error),
            _ if self.trying => self.breaker.succeeded(),
            _ => {}
        }
        self.trying = false;
        result
    }
}

impl Drop for RedisConnection {
    fn drop(&mut self) {
        if self.trying {
            self.breaker.release();
        }
    }
}

impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let mut manager = self.manager.clone();
            self.bounded(async move { manager.req_packed_command(cmd).await })
                .await
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let mut manager = self.manager.clone();
            self.bounded(async move { manager.req_packed_commands(pipeline, offset, count).await })
                .await
        })
    }

    fn get_db(&self) -> i64 {
        self.manager.get_db()
    }
}

/// A new connection, bounded by [`TIMEOUT`]; its I/O runs on the calling thread's
/// runtime.
async fn connect(client: &redis::Client) -> RedisResult<ConnectionManager> {
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(TIMEOUT))
        .set_response_timeout(Some(TIMEOUT))
        .set_number_of_retries(1);
    tokio::time::timeout(
        TIMEOUT,
        ConnectionManager::new_with_config(client.clone(), config),
    )
    .await
    .unwrap_or_else(|_| Err(timed_out()))
}

/// Releases a try abandoned halfway (the request was dropped while connecting).
struct TryGuard<'a>(Option<&'a Breaker>);

impl Drop for TryGuard<'_> {
    fn drop(&mut self) {
        if let Some(breaker) = self.0 {
            breaker.release();
        }
    }
}

impl RedisStore {
    /// Parses the URL now (a typo is a start-up error) but connects lazily, so a Redis
    /// that is down at start does not stop the service.
    pub fn new(url: Option<&str>) -> Result<Self, redis::RedisError> {
        let client = url.map(redis::Client::open).transpose()?;
        Ok(Self {
            client,
            breaker: Arc::default(),
            by_thread: Mutex::default(),
        })
    }

    pub fn is_configured(&self) -> bool {
        self.client.is_some()
    }

    /// The shared connection, if Redis is configured and not skipped after a recent
    /// failure. Waits at most [`TIMEOUT`] (one request connecting); never for another
    /// request.
    pub async fn connection(&self) -> Option<RedisConnection> {
        let client = self.client.as_ref()?;
        let (manager, trying) = match self.breaker.admit() {
            Gate::Skip => return None,
            Gate::Pass(shared) => (self.this_thread(client).await.unwrap_or(shared), false),
            Gate::Try(Some(manager)) => (manager, true),
            Gate::Try(None) => {
                // Should this request be dropped while connecting, the next one tries.
                let mut guard = TryGuard(Some(&self.breaker));
                let connected = connect(client).await;
                guard.0 = None;
                match connected {
                    Ok(manager) => {
                        self.breaker.lock().manager = Some(manager.clone());
                        self.breaker.succeeded();
                        (manager, false)
                    }
                    Err(error) => {
                        self.breaker.failed(&error);
                        return None;
                    }
                }
            }
        };
        Some(RedisConnection {
            manager,
            breaker: self.breaker.clone(),
            trying,
        })
    }

    /// This thread's own connection, made now if it has none; `None` (the shared one
    /// serves) when it cannot be made: the breaker hears of failures from commands.
    async fn this_thread(&self, client: &redis::Client) -> Option<ConnectionManager> {
        let thread = std::thread::current().id();
        let by_thread = || self.by_thread.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(manager) = by_thread().get(&thread) {
            return Some(manager.clone());
        }
        let manager = connect(client).await.ok()?;
        by_thread().insert(thread, manager.clone());
        Some(manager)
    }

    /// Asks Redis (bounded by [`TIMEOUT`]); `/readyz` and start-up use it.
    pub async fn status(&self) -> RedisStatus {
        if !self.is_configured() {
            return RedisStatus::NotConfigured;
        }
        let Some(mut connection) = self.connection().await else {
            return RedisStatus::Down;
        };
        match redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
        {
            Ok(_) => RedisStatus::Up,
            Err(_) => RedisStatus::Down,
        }
    }

    /// What the last use of Redis showed, without asking it (`/healthz`).
    pub fn last_known_status(&self) -> RedisStatus {
        if !self.is_configured() {
            return RedisStatus::NotConfigured;
        }
        self.breaker.status()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pause(breaker: &Breaker) -> Duration {
        breaker.lock().pause
    }

    #[test]
    fn pauses_double_up_to_ten_seconds_and_reset_on_success() {
        let breaker = Breaker::default();
        let error = "refused";
        breaker.failed(&error);
        assert!(matches!(breaker.admit(), Gate::Skip));
        assert_eq!(pause(&breaker), Duration::from_secs(1));
        // Requests that were under way when it opened do not lengthen the pause.
        breaker.failed(&error);
        breaker.failed(&error);
        assert_eq!(pause(&breaker), Duration::from_secs(1));
        // Each failed try doubles it, up to 10 s.
        for expected in [2, 4, 8, 10, 10] {
            breaker.lock().trying = true;
            breaker.failed(&error);
            assert_eq!(pause(&breaker), Duration::from_secs(expected));
        }
        breaker.lock().trying = true;
        breaker.succeeded();
        assert_eq!(pause(&breaker), FIRST_PAUSE);
        assert!(breaker.lock().skip_until.is_none());
    }

    #[test]
    fn one_request_tries_while_the_others_go_on() {
        let breaker = Breaker::default();
        // No connection yet: the first request tries, the next ones do not wait.
        assert!(matches!(breaker.admit(), Gate::Try(None)));
        assert!(matches!(breaker.admit(), Gate::Skip));
        breaker.release();
        assert!(matches!(breaker.admit(), Gate::Try(None)));
        breaker.failed(&"timed out");
        assert!(matches!(breaker.admit(), Gate::Skip));
        breaker.lock().skip_until = Some(Instant::now());
        assert!(matches!(breaker.admit(), Gate::Try(None)));
        assert!(matches!(breaker.admit(), Gate::Skip));
    }
}
