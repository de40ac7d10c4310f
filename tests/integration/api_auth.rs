use crate::backend_tests;
use crate::common::{Backend, spawn_app};
use serde_json::{Value, json};

backend_tests!(tokens_and_scopes_are_enforced);

fn assert_error_body(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.len() > 10),
        "a human message: {body}"
    );
    assert!(body["error"]["details"].is_array(), "{body}");
}

async fn tokens_and_scopes_are_enforced(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };

    let missing = app
        .client
        .get(app.url("/api/v1/units"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 401);
    assert_error_body(&missing.json().await.unwrap(), "unauthorized");

    let unknown = app
        .get("/api/v1/units", "sipas_notarealtoken")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401);
    assert_error_body(&unknown.json().await.unwrap(), "unauthorized");

    let basic = app
        .client
        .get(app.url("/api/v1/units"))
        .header("Authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);

    // A write-only token may not read, a read-only token may not write.
    let write_reads = app
        .get("/api/v1/units", &app.write_token)
        .send()
        .await
        .unwrap();
    assert_eq!(write_reads.status(), 403);
    assert_error_body(&write_reads.json().await.unwrap(), "forbidden");
    let read_writes = app
        .post("/api/v1/campaigns", &app.read_token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(read_writes.status(), 403);

    assert_eq!(
        app.get("/api/v1/units", &app.read_token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.get("/api/v1/units", &app.both_token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Unknown API paths answer in the same JSON shape.
    let nowhere = app
        .get("/api/v1/nowhere", &app.read_token)
        .send()
        .await
        .unwrap();
    assert_eq!(nowhere.status(), 404);
    assert_error_body(&nowhere.json().await.unwrap(), "not_found");
}
