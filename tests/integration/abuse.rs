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

/// An app behind a "proxy" (the tests' own address, trusted) with these limits.
async fn behind_a_proxy(limits: RateLimits, redis: bool) -> Option<(TestApp, String)> {
    let options = AppOptions {
        redis,
        rate_limits: Some(limits),
        trusted_proxies: Some("127.0.0.1/32, ::1"),
        ..Default::default()
    };
    let app = spawn_app_with(Backend::Sqlite, options).await?;
    open_campaign(&app, "HT-2026", 0).await;
    let url = desk_url(&app, "HT-2026", "18073").await;
    Some((app, url))
}

/// Posts one loaded form `times` times as forwarded for `forwarded` (a new phone each
/// time); the statuses.
async fn post_forwarded(app: &TestApp, url: &str, forwarded: &str, times: usize) -> Vec<u16> {
    let html = app.page(url).await;
    let mut fields: HashMap<String, String> = full_answers("4").into_iter().collect();
    fields.insert("_nonce".into(), field_value(&html, "_nonce").unwrap());
    let mut statuses = Vec::new();
    for _ in 0..times {
        let response = app
            .client
            .post(url)
            .header("x-forwarded-for", forwarded)
            .header("cookie", crate::common::fresh_device())
            .form(&fields)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    statuses
}

/// Two addresses sending junk as fast as they can do not lock real citizens out of
/// the desk: the first is held to its own limit, the second to its share.
async fn two_abusers_do_not_lock_out_citizens(redis: bool) {
    let limits = RateLimits {
        per_address: per_hour(20),
        per_desk: per_hour(40),
        desk_share: per_hour(3),
        desk_share_from: 20,
        ..RateLimits::default()
    };
    let Some((app, url)) = behind_a_proxy(limits, redis).await else {
        return;
    };
    let first = post_forwarded(&app, &url, "203.0.113.1", 60).await;
    let second = post_forwarded(&app, &url, "203.0.113.2", 60).await;
    assert_eq!(first.iter().filter(|s| **s == 303).count(), 20);
    assert_eq!(second.iter().filter(|s| **s == 303).count(), 3);
    for citizen in 0..10 {
        let address = format!("198.51.100.{citizen}");
        assert_eq!(
            post_forwarded(&app, &url, &address, 1).await,
            [303],
            "citizen {citizen}"
        );
    }
}

#[tokio::test]
async fn rate_limits_two_abusers_do_not_lock_out_citizens_in_process() {
    two_abusers_do_not_lock_out_citizens(false).await;
}

#[tokio::test]
async fn rate_limits_two_abusers_do_not_lock_out_citizens_in_redis() {
    two_abusers_do_not_lock_out_citizens(true).await;
}

/// A client's own `X-Forwarded-For` entries, on the left of what our proxy appended,
/// do not move it to another bucket.
#[tokio::test]
async fn trusted_proxies_a_spoofed_leftmost_address_keeps_the_bucket() {
    let limits = RateLimits {
        per_address: per_hour(3),
        ..RateLimits::default()
    };
    let Some((app, url)) = behind_a_proxy(limits, false).await else {
        return;
    };
    let mut statuses = Vec::new();
    for spoof in ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"] {
        let forwarded = format!("{spoof}, 203.0.113.5");
        statuses.extend(post_forwarded(&app, &url, &forwarded, 1).await);
    }
    assert_eq!(statuses, [303, 303, 303, 429, 429]);
    // Another client behind the same proxy has its own bucket.
    assert_eq!(post_forwarded(&app, &url, "203.0.113.6", 1).await, [303]);
}

/// An IPv6 client may take any address of its /64: the /64 is one bucket.
#[tokio::test]
async fn trusted_proxies_ipv6_addresses_in_one_64_share_a_bucket() {
    let limits = RateLimits {
        per_address: per_hour(3),
        ..RateLimits::default()
    };
    let Some((app, url)) = behind_a_proxy(limits, false).await else {
        return;
    };
    let mut statuses = Vec::new();
    for forwarded in [
        "2001:db8:1:2::1",
        "2001:db8:1:2::2",
        "2001:db8:1:2:abcd::3",
        "2001:db8:1:2:ffff:ffff:ffff:ffff",
    ] {
        statuses.extend(post_forwarded(&app, &url, forwarded, 1).await);
    }
    assert_eq!(statuses, [303, 303, 303, 429]);
    assert_eq!(
        post_forwarded(&app, &url, "2001:db8:1:3::1", 1).await,
        [303],
        "the next /64 is another client"
    );
}
