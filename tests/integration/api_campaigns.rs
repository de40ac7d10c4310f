use crate::backend_tests;
use crate::common::{Backend, spawn_app};
use serde_json::{Value, json};

backend_tests!(
    creates_and_lists_campaigns,
    refuses_bad_campaigns_with_every_reason,
    a_campaign_moves_through_its_lifecycle,
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

async fn transition(app: &crate::common::TestApp, code: &str, to: &str) -> reqwest::Response {
    app.post(&format!("/api/v1/campaigns/{code}/{to}"), &app.write_token)
        .send()
        .await
        .unwrap()
}

/// Draft → open → closed → open again; answers only while open; each refusal says why.
async fn a_campaign_moves_through_its_lifecycle(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut draft = campaign("HT-2026");
    draft["status"] = json!("draft");
    draft["template"] = json!("SIPAS-2017");
    draft["starts_on"] = json!("2026-01-01");
    draft["ends_on"] = json!("2026-12-31");
    draft["min_fill_seconds"] = json!(0);
    let created = app.post_json("/api/v1/campaigns", &draft).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["status"], "draft");

    // A draft takes no answers (a 410 page), but its frame can be prepared.
    let url = crate::citizen::desk_url(&app, "HT-2026", "18073").await;
    assert_eq!(app.client.get(&url).send().await.unwrap().status(), 410);
    let frame = app
        .client
        .put(app.url("/api/v1/campaigns/HT-2026/frame"))
        .bearer_auth(&app.write_token)
        .header("content-type", "text/csv")
        .body("unit_code,service_point_code,population\n18073,,120\n")
        .send()
        .await
        .unwrap();
    assert_eq!(frame.status(), 200);
    let refused = transition(&app, "HT-2026", "close").await;
    assert_eq!(refused.status(), 409);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["error"]["message"].as_str().unwrap().contains("draft"),
        "{body}"
    );

    let opened = transition(&app, "HT-2026", "open").await;
    assert_eq!(opened.status(), 200);
    let opened: Value = opened.json().await.unwrap();
    assert_eq!(opened["status"], "open");
    assert_eq!(transition(&app, "HT-2026", "open").await.status(), 409);
    let answered = app.answer(&url, &crate::citizen::full_answers("4")).await;
    assert_eq!(answered.status(), 303);

    assert_eq!(transition(&app, "HT-2026", "close").await.status(), 200);
    assert_eq!(app.client.get(&url).send().await.unwrap().status(), 410);
    // Re-opened (the round was extended), it takes answers again.
    assert_eq!(transition(&app, "HT-2026", "open").await.status(), 200);
    assert_eq!(
        app.answer(&url, &crate::citizen::full_answers("5"))
            .await
            .status(),
        303
    );
    assert_eq!(transition(&app, "NOPE", "open").await.status(), 404);
    let listed = app.read_json("/api/v1/campaigns").await;
    assert_eq!(listed[0]["status"], "open");
    // Every move is in the audit log, with who made it.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let moves: Vec<String> = entity::audit_event::Entity::find()
        .filter(entity::audit_event::Column::Subject.eq("HT-2026"))
        .all(app.storage.db())
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{} by {}", e.action, e.actor))
        .collect();
    assert_eq!(
        moves,
        [
            "campaign.create by writer",
            "frame.replace by writer",
            "campaign.open by writer",
            "campaign.closed by writer",
            "campaign.open by writer",
        ],
        "{moves:?}"
    );
}
