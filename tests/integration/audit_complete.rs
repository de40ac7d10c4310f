//! Every change through the API is in the audit log: this walks every write route of
//! `/api/v1` (the OpenAPI document's list, so a new route without a case here fails),
//! each with a request that succeeds, and checks that each added at least one audit
//! entry whose actor is the calling token's client.
//!
//! Two routes are audited by other parts of the same issue: response imports
//! (`responses.import`, the import service) and receipts (`receipt.issue`, the receipts
//! service). Their cases are here too, so this test passes once all of them are merged.

use std::collections::BTreeSet;

use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, spawn_app};

/// One write request and what it must be answered with.
struct Case {
    method: &'static str,
    /// The route as the OpenAPI document names it.
    route: &'static str,
    path: String,
    body: Body,
    status: u16,
}

enum Body {
    Json(Value),
    Csv(String),
    None,
}

fn case(method: &'static str, route: &'static str, path: &str, body: Body, status: u16) -> Case {
    Case {
        method,
        route,
        path: path.to_owned(),
        body,
        status,
    }
}

fn responses_csv() -> String {
    let criteria: Vec<String> = sipas_domain::reference::questionnaires()[0]
        .criteria()
        .map(|(_, c)| c.code.clone())
        .collect();
    let answers = vec!["4"; criteria.len()].join(",");
    format!(
        "unit_code,service_point_code,channel,{}\n18073,,paper,{answers}\n18073,,paper,{answers}\n",
        criteria.join(",")
    )
}

fn cases() -> Vec<Case> {
    let today = chrono::Utc::now().date_naive();
    vec![
        case(
            "PUT",
            "/api/v1/par-schemes/{scheme}",
            "/api/v1/par-schemes/AUDIT-2026",
            Body::Json(json!({"name": "Thử 2026", "points": {
                "department": {"criteria_max_points": 80, "survey_max_points": 20, "max_total": 100},
                "commune": {"criteria_max_points": 75, "survey_max_points": 25, "max_total": 100}
            }})),
            201,
        ),
        case(
            "POST",
            "/api/v1/units",
            "/api/v1/units",
            Body::Json(
                json!({"code": "S-NGV", "name": "Sở Ngoại vụ", "unit_type": "department",
                              "parent_code": "42", "valid_from": "2026-01-01"}),
            ),
            201,
        ),
        case(
            "PATCH",
            "/api/v1/units/{unit}",
            "/api/v1/units/S-NGV",
            Body::Json(json!({"name": "Sở Ngoại vụ tỉnh Hà Tĩnh"})),
            200,
        ),
        case(
            "POST",
            "/api/v1/units/{unit}/service-points",
            "/api/v1/units/S-NGV/service-points",
            Body::Json(json!({"code": "Q2", "name": "Quầy 2"})),
            201,
        ),
        case(
            "PATCH",
            "/api/v1/units/{unit}/service-points/{service_point}",
            "/api/v1/units/S-NGV/service-points/Q2",
            Body::Json(json!({"name": "Quầy số 2"})),
            200,
        ),
        case(
            "POST",
            "/api/v1/units/{unit}/service-points/{service_point}/close",
            "/api/v1/units/S-NGV/service-points/Q2/close",
            Body::Json(json!({"on": "2026-11-01"})),
            200,
        ),
        case(
            "POST",
            "/api/v1/units/{unit}/close",
            "/api/v1/units/S-NGV/close",
            Body::Json(json!({"on": "2026-12-01"})),
            200,
        ),
        case(
            "POST",
            "/api/v1/units/import",
            "/api/v1/units/import?province=01",
            Body::None,
            200,
        ),
        case(
            "POST",
            "/api/v1/campaigns",
            "/api/v1/campaigns",
            Body::Json(
                json!({"code": "AUDIT-1", "name": "Khảo sát thử", "template": "SIPAS-2017",
                              "starts_on": "2026-01-01", "ends_on": "2026-12-31"}),
            ),
            201,
        ),
        case(
            "PUT",
            "/api/v1/campaigns/{campaign}/frame",
            "/api/v1/campaigns/AUDIT-1/frame",
            Body::Csv("unit_code,service_point_code,population\n18073,,900\nS-NV,,300\n".into()),
            200,
        ),
        case(
            "PUT",
            "/api/v1/campaigns/{campaign}/appraisals",
            "/api/v1/campaigns/AUDIT-1/appraisals",
            Body::Csv("unit_code,points,c1,c2\n18073,50,20,30\n".into()),
            200,
        ),
        // Audited by the import service's change (H2): `responses.import`.
        case(
            "POST",
            "/api/v1/campaigns/{campaign}/responses",
            "/api/v1/campaigns/AUDIT-1/responses",
            Body::Csv(responses_csv()),
            201,
        ),
        // Audited by the receipts service's change (H3): `receipt.issue`.
        case(
            "POST",
            "/api/v1/campaigns/{campaign}/receipts",
            "/api/v1/campaigns/AUDIT-1/receipts",
            Body::Json(
                json!({"dossier_code": "H42.18073-260101-0001", "unit_code": "18073",
                              "service_point_code": "MC", "returned_on": today}),
            ),
            201,
        ),
        case(
            "POST",
            "/api/v1/campaigns/{campaign}/close",
            "/api/v1/campaigns/AUDIT-1/close",
            Body::Json(json!({})),
            200,
        ),
        case(
            "POST",
            "/api/v1/campaigns/{campaign}/open",
            "/api/v1/campaigns/AUDIT-1/open",
            Body::Json(json!({})),
            200,
        ),
        case(
            "POST",
            "/api/v1/campaigns/{campaign}/close",
            "/api/v1/campaigns/AUDIT-1/close",
            Body::Json(json!({})),
            200,
        ),
        // `campaign.publish`, with the snapshot's version and SHA-256.
        case(
            "POST",
            "/api/v1/campaigns/{campaign}/publish",
            "/api/v1/campaigns/AUDIT-1/publish",
            Body::None,
            201,
        ),
        // Closed again for a correction.
        case(
            "POST",
            "/api/v1/campaigns/{campaign}/close",
            "/api/v1/campaigns/AUDIT-1/close",
            Body::Json(json!({})),
            200,
        ),
        case(
            "POST",
            "/api/v1/webhooks",
            "/api/v1/webhooks",
            Body::Json(json!({"url": "https://engine.example.vn/hook"})),
            201,
        ),
        // The first endpoint of a fresh database, created just above.
        case(
            "DELETE",
            "/api/v1/webhooks/{id}",
            "/api/v1/webhooks/1",
            Body::None,
            204,
        ),
    ]
}

async fn send(app: &TestApp, c: &Case) -> reqwest::Response {
    let method = reqwest::Method::from_bytes(c.method.as_bytes()).unwrap();
    let request = app
        .client
        .request(method, app.url(&c.path))
        .bearer_auth(&app.write_token);
    let request = match &c.body {
        Body::Json(v) => request.json(v),
        Body::Csv(text) => request
            .header("Content-Type", "text/csv")
            .body(text.clone()),
        Body::None => request,
    };
    request.send().await.unwrap()
}

async fn last_id(app: &TestApp) -> i64 {
    entity::audit_event::Entity::find()
        .order_by_desc(entity::audit_event::Column::Id)
        .one(app.storage.db())
        .await
        .unwrap()
        .map_or(0, |e| e.id)
}

/// The API's write operations, as its OpenAPI document lists them.
async fn write_routes(app: &TestApp) -> BTreeSet<(String, String)> {
    let doc: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut routes = BTreeSet::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            if ["post", "put", "patch", "delete"].contains(&method.as_str()) {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

#[tokio::test]
async fn every_write_route_of_the_api_is_audited_with_its_caller() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let cases = cases();
    let covered: BTreeSet<(String, String)> = cases
        .iter()
        .map(|c| (c.method.to_owned(), c.route.to_owned()))
        .collect();
    let listed = write_routes(&app).await;
    let missing: Vec<_> = listed.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "write routes without a case in audit_complete.rs: {missing:?}"
    );
    assert!(listed.len() >= 14, "{listed:?}");

    let mut unaudited = Vec::new();
    for c in &cases {
        let before = last_id(&app).await;
        let response = send(&app, c).await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_eq!(status, c.status, "{} {}: {text}", c.method, c.path);
        let added: Vec<entity::audit_event::Model> = entity::audit_event::Entity::find()
            .order_by_asc(entity::audit_event::Column::Id)
            .all(app.storage.db())
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.id > before)
            .collect();
        if added.is_empty() {
            unaudited.push(format!("{} {}", c.method, c.route));
            continue;
        }
        for e in &added {
            assert_eq!(
                e.actor, "writer",
                "{} {}: {} recorded as {}",
                c.method, c.path, e.action, e.actor
            );
        }
    }
    assert!(
        unaudited.is_empty(),
        "these write routes left no audit entry: {unaudited:?}"
    );
}
