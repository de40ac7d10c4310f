use crate::backend_tests;
use crate::common::{Backend, spawn_app};
use serde_json::{Value, json};

backend_tests!(
    creates_and_lists_campaigns,
    refuses_bad_campaigns_with_every_reason
);

fn campaign(code: &str) -> Value {
    json!({
        "code": code,
        "name": "Khảo sát SIPAS 2022",
        "template": "SIPAS-2023",
        "starts_on": "2022-03-01",
        "ends_on": "2022-10-31"
    })
}

async fn creates_and_lists_campaigns(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let response = app
        .post("/api/v1/campaigns", &app.write_token)
        .json(&campaign("HT-2022"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["code"], "HT-2022");
    assert_eq!(created["template"], "SIPAS-2023");
    assert_eq!(created["confidence"], 0.95);
    assert_eq!(created["margin"], 0.05);
    assert_eq!(created["quota_method"], "cochran");
    assert_eq!(created["status"], "open");
    assert_eq!(created["is_demo"], false);

    let mut yamane = campaign("HT-2023");
    yamane["quota_method"] = json!("yamane");
    yamane["confidence"] = json!(0.9);
    let response = app.post_json("/api/v1/campaigns", &yamane).await;
    assert_eq!(response.status(), 201);

    let list: Vec<Value> =
        serde_json::from_value(app.read_json("/api/v1/campaigns").await).unwrap();
    let codes: Vec<&str> = list.iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["HT-2022", "HT-2023"]);
    assert_eq!(list[1]["quota_method"], "yamane");
    assert_eq!(list[1]["confidence"], 0.9);

    let duplicate = app
        .post("/api/v1/campaigns", &app.write_token)
        .json(&campaign("HT-2022"))
        .send()
        .await
        .unwrap();
    assert_eq!(duplicate.status(), 409);
    let body: Value = duplicate.json().await.unwrap();
    assert_eq!(body["error"]["code"], "conflict");
}

async fn refuses_bad_campaigns_with_every_reason(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut bad = campaign("bad code!");
    bad["ends_on"] = json!("2021-01-01");
    bad["confidence"] = json!(1.5);
    let response = app.post_json("/api/v1/campaigns", &bad).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["code", "ends_on", "confidence"]);

    let mut unknown = campaign("HT-X");
    unknown["template"] = json!("SIPAS-1999");
    let response = app.post_json("/api/v1/campaigns", &unknown).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("SIPAS-1999") && message.contains("SIPAS-2017"),
        "{message}"
    );

    let garbage = app
        .post("/api/v1/campaigns", &app.write_token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 422);
    let body: Value = garbage.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_request");

    // Nothing of the refused requests was stored.
    let list: Vec<Value> =
        serde_json::from_value(app.read_json("/api/v1/campaigns").await).unwrap();
    assert!(list.is_empty());
}
