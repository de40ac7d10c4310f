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
/// citizens may share one Wi-Fi address; tight per device, tighter for a client that
/// sends no device cookie (it could otherwise post without any per-device limit); and
/// once a desk's bucket is half full, each address may add only a small share of the
/// rest, so a few addresses cannot fill it with junk and lock out everyone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub per_device: Limit,
    pub per_address: Limit,
    pub per_desk: Limit,
    /// Per address, for requests without the device cookie.
    pub without_device: Limit,
    /// What one address may add to a desk's bucket once it holds `desk_share_from`.
    pub desk_share: Limit,
    pub desk_share_from: u32,
    /// A desk's kiosk link, all its tablets together.
    pub per_kiosk: Limit,
    /// One kiosk tablet (its cookie).
    pub per_tablet: Limit,
}

impl RateLimits {
    /// Limits no load from one address can reach: `SIPAS_BENCHMARK` and the benches.
    pub fn unreachable() -> Self {
        let open = Limit {
            max: u32::MAX,
            window: Duration::from_secs(60),
        };
        Self {
            per_device: open,
            per_address: open,
            per_desk: open,
            without_device: open,
            desk_share: open,
            desk_share_from: u32::MAX,
            per_kiosk: open,
            per_tablet: open,
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        let ten_minutes = Duration::from_secs(600);
        let limit = |max| Limit {
            max,
            window: ten_minutes,
        };
        Self {
            per_device: limit(10),
            per_address: limit(300),
            per_desk: limit(600),
            without_device: limit(10),
            desk_share: limit(20),
            desk_share_from: 300,
            per_kiosk: limit(600),
            per_tablet: limit(120),
        }
    }
}

/// One bucket a request is counted in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub key: String,
    pub limit: Limit,
    /// Counted (and limited) only while the bucket of an earlier check (its index)
    /// already holds at least this many hits in its window.
    pub from: Option<(usize, u32)>,
}

impl Check {
    pub fn new(key: String, limit: Limit) -> Self {
        Self {
            key,
            limit,
            from: None,
        }
    }

    /// This check applies only once check `index` holds `count` hits.
    pub fn from(mut self, index: usize, count: u32) -> Self {
        self.from = Some((index, count));
        self
    }
}

/// Reads every bucket first, and counts the request in its buckets only if every one
/// has room: a refused request takes nobody's quota. Returns the position (1-based) of
/// the first full bucket, or 0 when the request was counted. One round trip for every
/// limit of a request. ARGV per key: window (ms), max, gate index (0: none), gate count.
const CHECK_THEN_COUNT: &str = r"
local counts, active = {}, {}
for i = 1, #KEYS do counts[i] = tonumber(redis.call('GET', KEYS[i]) or '0') end
for i = 1, #KEYS do
  local a = 4 * (i - 1)
  local gate = tonumber(ARGV[a + 3])
  active[i] = gate == 0 or counts[gate] >= tonumber(ARGV[a + 4])
  if active[i] and counts[i] >= tonumber(ARGV[a + 2]) then return i end
end
for i = 1, #KEYS do
  if active[i] then
    if redis.call('INCR', KEYS[i]) == 1 then
      redis.call('PEXPIRE', KEYS[i], ARGV[4 * (i - 1) + 1])
    end
  end
end
return 0";

pub struct RateLimiter {
    prefix: String,
    script: redis::Script,
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
            script: redis::Script::new(CHECK_THEN_COUNT),
            local: Mutex::new(LocalWindows::default()),
        }
    }

    /// Whether the request fits in every bucket of `checks`; if so it is counted in
    /// each (gated ones only when their gate is open), otherwise in none.
    pub async fn allow(&self, redis: &RedisStore, checks: &[Check]) -> bool {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        // Each key is counted in its own fixed window: (key, window start, length).
        let windows: Vec<(String, u64)> = checks
            .iter()
            .map(|check| {
                let window_ms = check.limit.window.as_millis().max(1) as u64;
                let start = now_ms - now_ms % window_ms;
                (
                    format!("{}rl:{}:{start}", self.prefix, check.key),
                    start + window_ms,
                )
            })
            .collect();
        if let Some(mut connection) = redis.connection().await {
            let mut invocation = self.script.prepare_invoke();
            for ((key, _), check) in windows.iter().zip(checks) {
                let (gate, gate_count) = check.from.map_or((0, 0), |(i, n)| (i + 1, n));
                invocation
                    .key(key)
                    .arg(check.limit.window.as_millis().max(1) as u64)
                    .arg(check.limit.max)
                    .arg(gate)
                    .arg(gate_count);
            }
            match invocation.invoke_async::<u32>(&mut connection).await {
                Ok(full) => return full == 0,
                Err(error) => {
                    tracing::warn!(%error, "Redis rate limit failed; counting in process")
                }
            }
        }
        self.allow_locally(&windows, checks, now_ms)
    }

    /// The same check-then-count as the Redis script, under this process's lock.
    fn allow_locally(&self, windows: &[(String, u64)], checks: &[Check], now_ms: u64) -> bool {
        let mut local = self.local.lock().unwrap_or_else(|p| p.into_inner());
        if local.counts.len() >= LOCAL_SWEEP_AT {
            local.counts.retain(|_, (end, _)| *end > now_ms);
        }
        let counts: Vec<u32> = windows
            .iter()
            .map(|(key, end)| match local.counts.get(key) {
                Some((e, n)) if e == end => *n,
                _ => 0,
            })
            .collect();
        let active: Vec<bool> = checks
            .iter()
            .map(|c| {
                c.from
                    .is_none_or(|(i, n)| counts.get(i).is_some_and(|&h| h >= n))
            })
            .collect();
        let fits = checks
            .iter()
            .zip(&counts)
            .zip(&active)
            .all(|((check, count), active)| !active || *count < check.limit.max);
        if fits {
            for ((key, end), active) in windows.iter().zip(&active) {
                if *active {
                    let entry = local.counts.entry(key.clone()).or_insert((*end, 0));
                    if entry.0 != *end {
                        *entry = (*end, 0);
                    }
                    entry.1 += 1;
                }
            }
        }
        fits
    }
}
