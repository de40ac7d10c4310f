//! Rate limits that junk cannot exhaust: a refused request takes nobody's quota, a few
//! addresses cannot fill a desk's bucket, a client without the device cookie has its
//! own tight limit. Checked on both counters: Redis, shared by every node, and the
//! in-process one a node falls back to.

use std::collections::HashMap;
use std::time::Duration;

use crate::citizen::{desk_url, full_answers, open_campaign};
use crate::common::{AppOptions, Backend, TestApp, field_value, redis_url, spawn_app_with};
use sipas::rate_limit::{Check, Limit, RateLimiter, RateLimits};
use sipas::redis_store::RedisStore;

fn per_hour(max: u32) -> Limit {
    Limit {
        max,
        window: Duration::from_secs(3600),
    }
}

/// A desk's buckets as the citizen path builds them: the desk, the address, and the
/// address's share of a desk past half full.
fn desk_checks(address: &str) -> Vec<Check> {
    vec![
        Check::new("desk:1:1".into(), per_hour(60)),
        Check::new(format!("addr:{address}"), per_hour(30)),
        Check::new(format!("share:desk:1:1:{address}"), per_hour(3)).from(0, 30),
    ]
}

async fn junk_cannot_fill_a_desk(redis: &RedisStore) {
    let limiter = RateLimiter::new(&format!("sipas-test-{}:", uuid::Uuid::new_v4().simple()));
    // Two addresses send junk as fast as they can, far past their limits.
    let mut accepted = HashMap::new();
    for abuser in ["203.0.113.1", "203.0.113.2"] {
        for _ in 0..500 {
            if limiter.allow(redis, &desk_checks(abuser)).await {
                *accepted.entry(abuser).or_insert(0) += 1;
            }
        }
    }
    // The first reaches its own limit; the second, arriving at a half-full desk, only
    // its share.
    assert_eq!(accepted["203.0.113.1"], 30);
    assert_eq!(accepted["203.0.113.2"], 3);
    // Real citizens from other addresses still get through, each within its share.
    for citizen in 0..9 {
        let address = format!("198.51.100.{citizen}");
        assert!(
            limiter.allow(redis, &desk_checks(&address)).await,
            "citizen {citizen} refused"
        );
    }
    // A refused request counted nowhere: the abusers are still refused, the desk is
    // not full.
    assert!(!limiter.allow(redis, &desk_checks("203.0.113.1")).await);
    assert!(!limiter.allow(redis, &desk_checks("203.0.113.2")).await);
    assert!(limiter.allow(redis, &desk_checks("198.51.100.200")).await);
}

#[tokio::test]
async fn rate_limits_junk_cannot_fill_a_desk_in_process() {
    junk_cannot_fill_a_desk(&RedisStore::new(None).unwrap()).await;
}

#[tokio::test]
async fn rate_limits_junk_cannot_fill_a_desk_in_redis() {
    let Some(url) = redis_url().await else {
        return;
    };
    junk_cannot_fill_a_desk(&RedisStore::new(Some(&url)).unwrap()).await;
}

/// A request refused by one bucket is counted in none: one full bucket does not drain
/// the others.
async fn refused_takes_no_quota(redis: &RedisStore) {
    let limiter = RateLimiter::new(&format!("sipas-test-{}:", uuid::Uuid::new_v4().simple()));
    let shared = Check::new("shared".into(), per_hour(5));
    let device = |d: &str| vec![shared.clone(), Check::new(format!("dev:{d}"), per_hour(1))];
    assert!(limiter.allow(redis, &device("a")).await);
    for _ in 0..50 {
        assert!(!limiter.allow(redis, &device("a")).await);
    }
    for other in ["b", "c", "d", "e"] {
        assert!(limiter.allow(redis, &device(other)).await, "{other}");
    }
    assert!(
        !limiter.allow(redis, &device("f")).await,
        "the shared bucket is full"
    );
}

#[tokio::test]
async fn rate_limits_refused_takes_no_quota_in_process() {
    refused_takes_no_quota(&RedisStore::new(None).unwrap()).await;
}

#[tokio::test]
async fn rate_limits_refused_takes_no_quota_in_redis() {
    let Some(url) = redis_url().await else {
        return;
    };
    refused_takes_no_quota(&RedisStore::new(Some(&url)).unwrap()).await;
}

/// Posts one loaded form `times` times, with this cookie header if any; the statuses.
async fn post_form(app: &TestApp, url: &str, cookie: Option<&str>, times: usize) -> Vec<u16> {
    let html = app.page(url).await;
    let mut fields: HashMap<String, String> = full_answers("4").into_iter().collect();
    fields.insert("_nonce".into(), field_value(&html, "_nonce").unwrap());
    let mut statuses = Vec::new();
    for _ in 0..times {
        let mut request = app.client.post(url).form(&fields);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        statuses.push(request.send().await.unwrap().status().as_u16());
    }
    statuses
}

async fn a_device_hammering_does_not_lock_out_the_desk(redis: bool) {
    let limits = RateLimits {
        per_device: per_hour(3),
        per_desk: per_hour(20),
        ..RateLimits::default()
    };
    let options = AppOptions {
        redis,
        rate_limits: Some(limits),
        ..Default::default()
    };
    let Some(app) = spawn_app_with(Backend::Sqlite, options).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let url = desk_url(&app, "HT-2026", "18073").await;
    let statuses = post_form(&app, &url, Some("sipas_device=hammer"), 40).await;
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 3);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 37);
    // Its 37 refused posts took nothing from the desk: other phones still answer.
    for phone in 0..5 {
        let cookie = format!("sipas_device=phone-{phone}");
        assert_eq!(post_form(&app, &url, Some(&cookie), 1).await, [303]);
    }
}

#[tokio::test]
async fn rate_limits_a_device_hammering_does_not_lock_out_the_desk_in_process() {
    a_device_hammering_does_not_lock_out_the_desk(false).await;
}

#[tokio::test]
async fn rate_limits_a_device_hammering_does_not_lock_out_the_desk_in_redis() {
    a_device_hammering_does_not_lock_out_the_desk(true).await;
}

/// A client that drops its device cookie is not free of a per-device limit: requests
/// without one have their own, tighter, per address.
#[tokio::test]
async fn rate_limits_apply_without_the_device_cookie() {
    let limits = RateLimits {
        without_device: per_hour(4),
        ..RateLimits::default()
    };
    let options = AppOptions {
        rate_limits: Some(limits),
        ..Default::default()
    };
    let Some(app) = spawn_app_with(Backend::Sqlite, options).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let url = desk_url(&app, "HT-2026", "18073").await;
    assert_eq!(
        post_form(&app, &url, None, 6).await,
        [303, 303, 303, 303, 429, 429]
    );
    // A phone that keeps its cookie is not affected.
    assert_eq!(
        post_form(&app, &url, Some("sipas_device=kept"), 1).await,
        [303]
    );
}
