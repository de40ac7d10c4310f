use std::collections::HashSet;

use crate::backend_tests;
use crate::common::{Backend, spawn_app};
use serde_json::{Value, json};
use sipas_domain::reference::ha_tinh_units;

backend_tests!(lists_and_filters_units, manages_service_points);

async fn units(app: &crate::common::TestApp, query: &str) -> Vec<Value> {
    let response = app
        .get(&format!("/api/v1/units{query}"), &app.read_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.unwrap()
}

async fn lists_and_filters_units(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // The structure before the 2025 reform (the campaign of 2021's).
    let reference = ha_tinh_units();

    let all = units(&app, "?on=2021-03-01").await;
    assert_eq!(all.len(), 245);
    let codes: HashSet<&str> = all.iter().map(|u| u["code"].as_str().unwrap()).collect();
    let expected: HashSet<&str> = reference.iter().map(|u| u.code.as_str()).collect();
    assert_eq!(codes, expected);
    let ward = all.iter().find(|u| u["code"] == "18073").unwrap();
    assert_eq!(ward["name"], "Phường Nam Hà");
    assert_eq!(ward["unit_type"], "commune");
    assert_eq!(ward["parent_code"], "436");
    let province = all.iter().find(|u| u["code"] == "42").unwrap();
    assert!(province["parent_code"].is_null());

    assert_eq!(units(&app, "?on=2021-03-01&type=commune").await.len(), 209);
    assert_eq!(
        units(&app, "?on=2021-03-01&type=department").await.len(),
        17
    );
    assert_eq!(units(&app, "?on=2021-03-01&type=nothing").await.len(), 0);

    let children = units(&app, "?on=2021-03-01&parent=436").await;
    let expected_children: HashSet<&str> = reference
        .iter()
        .filter(|u| u.parent_code.as_deref() == Some("436"))
        .map(|u| u.code.as_str())
        .collect();
    assert!(!expected_children.is_empty());
    let got: HashSet<&str> = children
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(got, expected_children);
    let districts_communes = units(&app, "?on=2021-03-01&type=district&parent=42").await;
    assert_eq!(districts_communes.len(), 12);
    // `parent=` is the whole subtree, not only the children: the province's communes
    // are under its districts.
    assert_eq!(units(&app, "?on=2021-03-01&parent=42").await.len(), 244);
    assert_eq!(
        units(&app, "?on=2021-03-01&type=commune&parent=42")
            .await
            .len(),
        209
    );
    let unknown = app
        .get("/api/v1/units?parent=99999", &app.read_token)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

async fn manages_service_points(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let path = "/api/v1/units/18073/service-points";

    let points: Vec<Value> = serde_json::from_value(app.read_json(path).await).unwrap();
    assert_eq!(
        points.len(),
        1,
        "every unit starts with its Bộ phận Một cửa"
    );
    assert_eq!(points[0]["code"], "MC");
    assert_eq!(points[0]["is_default"], true);

    let created = app
        .post_json(path, &json!({"code": "MC-2", "name": "Quầy 2 — Một cửa"}))
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["code"], "MC-2");
    assert_eq!(created["is_default"], false);

    let again = app
        .post_json(path, &json!({"code": "MC-2", "name": "Other"}))
        .await;
    assert_eq!(again.status(), 409);

    // The same code in another unit is fine: codes are unique within a unit.
    let other = app
        .post_json(
            "/api/v1/units/18100/service-points",
            &json!({"code": "MC-2", "name": "Quầy 2"}),
        )
        .await;
    assert_eq!(other.status(), 201);

    let bad = app
        .post_json(path, &json!({"code": "a b/c", "name": "x"}))
        .await;
    assert_eq!(bad.status(), 422);
    let body: Value = bad.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("code"));

    let missing = app
        .get("/api/v1/units/99999/service-points", &app.read_token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let points: Vec<Value> = serde_json::from_value(app.read_json(path).await).unwrap();
    let codes: Vec<&str> = points.iter().map(|p| p["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["MC", "MC-2"]);
}
