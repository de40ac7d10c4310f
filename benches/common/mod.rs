//! What the benchmarks share: settings from the environment and percentiles. Each
//! benchmark uses some of it.
#![allow(dead_code)]

use std::time::Duration;

use sipas::config::Settings;
use sipas::rate_limit::RateLimits;

/// A setting from the environment, or its default.
pub fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `p` quantile of sorted latencies (nearest rank).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// A node's settings for a benchmark: a random port, a fixed key, and the rate limits
/// lifted (all the load comes from one address and a few desks).
pub fn settings(database_url: &str, redis_url: Option<String>) -> Settings {
    let mut settings = Settings::from_lookup(|_| None).unwrap();
    settings.database_url = database_url.to_owned();
    settings.redis_url = redis_url;
    settings.bind = "127.0.0.1:0".parse().unwrap();
    settings.secret = Some("bench-secret-0123456789".into());
    settings.rate_limits = RateLimits::unreachable();
    settings
}

/// A benchmark's campaign: its code, name, questionnaire and days, every other setting
/// at its default but the minimum fill time.
pub fn campaign(
    code: &str,
    name: &str,
    template: &str,
    days: (chrono::NaiveDate, chrono::NaiveDate),
    min_fill_seconds: Option<u32>,
) -> sipas_domain::campaign::NewCampaign {
    sipas_domain::campaign::CampaignRequest {
        code: code.into(),
        name: name.into(),
        template: template.into(),
        starts_on: days.0,
        ends_on: days.1,
        confidence: None,
        margin: None,
        quota_method: None,
        count_unverified: None,
        min_fill_seconds,
        receipt_valid_days: None,
        status: None,
        par_scheme: None,
    }
    .parse()
    .expect("a valid benchmark campaign")
}
