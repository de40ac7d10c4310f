use crate::backend_tests;
use crate::common::{AppOptions, Backend, spawn_app, spawn_app_with};
use serde_json::Value;

backend_tests!(
    ready_when_database_answers,
    redis_is_reported_when_configured
);

async fn ready_when_database_answers(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    for path in ["/healthz", "/readyz"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["redis"], "not configured", "{path}");
    }
    let body: Value = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], "up");
}

async fn redis_is_reported_when_configured(backend: Backend) {
    let Some(app) = spawn_app_with(
        backend,
        AppOptions {
            redis: true,
            ..Default::default()
        },
    )
    .await
    else {
        return;
    };
    let body: Value = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["redis"], "up");
}

/// A Redis that does not answer degrades the service; it never makes it unready.
#[tokio::test]
async fn redis_outage_degrades_but_stays_ready() {
    let db = crate::common::TestDatabase::create(Backend::Sqlite)
        .await
        .unwrap();
    // Nothing listens on port 1.
    let settings = crate::common::settings(&db.url, Some("redis://127.0.0.1:1".into()));
    let app = sipas::startup::Application::build(&settings, false)
        .await
        .unwrap();
    let url = format!("http://127.0.0.1:{}/readyz", app.port());
    tokio::spawn(app.run_until_stopped());
    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["redis"], "down (in-process fallback)");
}

/// When PostgreSQL goes away under a running node, `/readyz` says 503 (and comes back
/// with the database).
#[tokio::test]
async fn unready_when_postgres_database_is_gone() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    assert_eq!(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let name = app.database.url.rsplit('/').next().unwrap().to_owned();
    let admin = sipas::storage::Storage::connect(&crate::common::postgres_admin_url())
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["database"], "down");
    // Liveness is not readiness: the process is still alive.
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
