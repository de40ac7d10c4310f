//! The optional Redis shared by the nodes of a deployment (rate limits, coordination).
//! Without it the service runs on in-process equivalents; a Redis outage degrades the
//! service, it never takes it down.

use std::time::Duration;

use redis::aio::ConnectionManager;
use tokio::sync::Mutex;

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

const TIMEOUT: Duration = Duration::from_millis(500);

pub struct RedisStore {
    client: Option<redis::Client>,
    /// Created on first success and reused; it reconnects by itself after an outage.
    manager: Mutex<Option<ConnectionManager>>,
}

impl RedisStore {
    /// Parses the URL now (a typo is a start-up error) but connects lazily, so a Redis
    /// that is down at start does not stop the service.
    pub fn new(url: Option<&str>) -> Result<Self, redis::RedisError> {
        let client = url.map(redis::Client::open).transpose()?;
        Ok(Self {
            client,
            manager: Mutex::new(None),
        })
    }

    pub fn is_configured(&self) -> bool {
        self.client.is_some()
    }

    /// A connection if Redis is configured and answers within a short timeout.
    pub async fn connection(&self) -> Option<ConnectionManager> {
        let client = self.client.as_ref()?;
        let mut guard = self.manager.lock().await;
        if guard.is_none() {
            let config = redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(Some(TIMEOUT))
                .set_response_timeout(Some(TIMEOUT))
                .set_number_of_retries(1);
            match tokio::time::timeout(
                TIMEOUT * 2,
                ConnectionManager::new_with_config(client.clone(), config),
            )
            .await
            {
                Ok(Ok(manager)) => *guard = Some(manager),
                Ok(Err(error)) => {
                    tracing::warn!(%error, "Redis unreachable; using in-process fallback")
                }
                Err(_) => tracing::warn!("Redis connection timed out; using in-process fallback"),
            }
        }
        guard.clone()
    }

    pub async fn status(&self) -> RedisStatus {
        if !self.is_configured() {
            return RedisStatus::NotConfigured;
        }
        let Some(mut connection) = self.connection().await else {
            return RedisStatus::Down;
        };
        let ping = redis::cmd("PING");
        match tokio::time::timeout(TIMEOUT, ping.query_async::<String>(&mut connection)).await {
            Ok(Ok(_)) => RedisStatus::Up,
            _ => RedisStatus::Down,
        }
    }
}
