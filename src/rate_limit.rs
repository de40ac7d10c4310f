//! Fixed-window rate limits on the citizen's path, shared by every node through Redis
//! when it is configured and reachable, kept in this process otherwise.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::redis_store::RedisStore;

/// One limit: at most `max` hits per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

/// The limits of the desk path. Generous per network address, since a whole office's
/// citizens may share one Wi-Fi address; tight per device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub per_device: Limit,
    pub per_address: Limit,
    pub per_desk: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        let ten_minutes = Duration::from_secs(600);
        Self {
            per_device: Limit {
                max: 10,
                window: ten_minutes,
            },
            per_address: Limit {
                max: 300,
                window: ten_minutes,
            },
            per_desk: Limit {
                max: 600,
                window: ten_minutes,
            },
        }
    }
}

/// Counts a hit on each key in turn, each expiring with its window, and stops at the
/// first over its limit: returns its position (1-based), or 0 when all are within.
/// One round trip for every limit of a request.
const INCREMENT: &str = r"
for i = 1, #KEYS do
  local n = redis.call('INCR', KEYS[i])
  if n == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[2 * i - 1]) end
  if n > tonumber(ARGV[2 * i]) then return i end
end
return 0";

pub struct RateLimiter {
    prefix: String,
    increment: redis::Script,
    local: Mutex<LocalWindows>,
}

/// In-process counters: key → (end of its current window in ms, hits in it).
#[derive(Default)]
struct LocalWindows {
    counts: HashMap<String, (u64, u32)>,
}

/// Past this many keys, ended windows are swept out.
const LOCAL_SWEEP_AT: usize = 50_000;

impl RateLimiter {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
            increment: redis::Script::new(INCREMENT),
            local: Mutex::new(LocalWindows::default()),
        }
    }

    /// Counts one hit on each key, in order, and says whether all are within their
    /// limits; counting stops at the first key over its limit.
    pub async fn allow(&self, redis: &RedisStore, checks: &[(String, Limit)]) -> bool {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        // Each key is counted in its own fixed window: (key, window start, length).
        let windows: Vec<(&str, u64, u64)> = checks
            .iter()
            .map(|(key, limit)| {
                let window_ms = limit.window.as_millis().max(1) as u64;
                (key.as_str(), now_ms - now_ms % window_ms, window_ms)
            })
            .collect();
        if let Some(mut connection) = redis.connection().await {
            let mut invocation = self.increment.prepare_invoke();
            for ((key, start, window_ms), (_, limit)) in windows.iter().zip(checks) {
                invocation
                    .key(format!("{}rl:{key}:{start}", self.prefix))
                    .arg(*window_ms)
                    .arg(limit.max);
            }
            match invocation.invoke_async::<u32>(&mut connection).await {
                Ok(over) => return over == 0,
                Err(error) => {
                    tracing::warn!(%error, "Redis rate limit failed; counting in process")
                }
            }
        }
        windows
            .iter()
            .zip(checks)
            .all(|((key, start, window_ms), (_, limit))| {
                self.count_locally(key, start + window_ms, now_ms) <= limit.max
            })
    }

    fn count_locally(&self, key: &str, window_end: u64, now_ms: u64) -> u32 {
        let mut local = self.local.lock().unwrap_or_else(|p| p.into_inner());
        if local.counts.len() >= LOCAL_SWEEP_AT {
            local.counts.retain(|_, (end, _)| *end > now_ms);
        }
        let entry = local
            .counts
            .entry(key.to_owned())
            .or_insert((window_end, 0));
        if entry.0 != window_end {
            *entry = (window_end, 0);
        }
        entry.1 += 1;
        entry.1
    }
}
