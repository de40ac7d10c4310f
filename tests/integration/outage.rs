//! Issue 13, findings 2 and 3: a Redis or PostgreSQL outage degrades the service and
//! answers fast; it never takes the node out nor loses a citizen's answers.

use std::time::{Duration, Instant};

use crate::citizen::{desk_url, full_answers, open_campaign};
use crate::common::{AppOptions, Backend, TestApp, spawn_app_with};

/// A local port with nothing listening: connections are refused at once.
fn refused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A listener that accepts connections and never answers (a hung server); it holds
/// them for as long as the test runs.
async fn hung_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    port
}

async fn timed_get(app: &TestApp, path: &str) -> (u16, Duration) {
    let started = Instant::now();
    let response = app.client.get(app.url(path)).send().await.unwrap();
    (response.status().as_u16(), started.elapsed())
}

async fn stored_count(app: &TestApp) -> usize {
    use sea_orm::{EntityTrait, PaginatorTrait};
    entity::response::Entity::find()
        .count(app.storage.db())
        .await
        .unwrap() as usize
}

/// A node whose Redis refuses or hangs keeps answering desk submissions and health
/// checks at once (they used to queue on the reconnecting client: about a second per
/// submission with a hung Redis, and as long for `/healthz` and `/readyz`).
async fn a_redis_outage_keeps_the_node_fast(redis_port: u16) {
    let options = AppOptions {
        redis_url: Some(format!("redis://127.0.0.1:{redis_port}")),
        ..Default::default()
    };
    let Some(app) = spawn_app_with(Backend::Sqlite, options).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let url = desk_url(&app, "HT-2026", "18073").await;
    for path in ["/healthz", "/readyz"] {
        let (status, took) = timed_get(&app, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(took < Duration::from_millis(1500), "{path} took {took:?}");
    }
    let started = Instant::now();
    let answers = full_answers("4");
    let submissions = (0..20).map(|_| app.answer(&url, &answers));
    for response in futures_util::future::join_all(submissions).await {
        assert_eq!(response.status(), 303);
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(6),
        "20 submissions took {took:?}"
    );
    assert_eq!(stored_count(&app).await, 20);
    let body: serde_json::Value = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["redis"], "down (in-process fallback)");
}

#[tokio::test]
async fn a_refused_redis_keeps_the_node_fast() {
    a_redis_outage_keeps_the_node_fast(refused_port()).await;
}

#[tokio::test]
async fn a_hung_redis_keeps_the_node_fast() {
    a_redis_outage_keeps_the_node_fast(hung_port().await).await;
}
