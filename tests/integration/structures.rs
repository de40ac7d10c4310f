//! Units across the 2025 reform: codes resolve within a campaign's structure, a province
//! sets itself up from the national list, units and desks are managed over the API,
//! and PAR schemes are data.

use std::collections::HashSet;

use crate::backend_tests;
use crate::common::{Backend, TestApp, spawn_app};
use serde_json::{Value, json};
use sipas_domain::reference::{ha_tinh_units, ha_tinh_units_2025};

backend_tests!(
    a_code_resolves_within_each_campaigns_structure,
    an_old_code_in_a_2026_file_is_refused_with_its_line,
    a_province_is_set_up_from_scratch_over_the_api,
    units_and_desks_are_managed_over_the_api,
    par_schemes_are_data_a_campaign_names,
    a_past_round_keeps_its_structure
);

async fn units(app: &TestApp, query: &str) -> Vec<Value> {
    serde_json::from_value(app.read_json(&format!("/api/v1/units{query}")).await).unwrap()
}

async fn create_campaign(app: &TestApp, code: &str, starts_on: &str, extra: Value) -> Value {
    let mut body = json!({
        "code": code, "name": code, "template": "SIPAS-2023",
        "starts_on": starts_on, "ends_on": "2026-12-31",
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let response = app.post_json("/api/v1/campaigns", &body).await;
    let status = response.status();
    let created: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{created}");
    created
}

fn codes(list: &[Value]) -> HashSet<String> {
    list.iter()
        .map(|u| u["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_code_resolves_within_each_campaigns_structure(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    create_campaign(
        &app,
        "HT-2021",
        "2021-03-01",
        json!({"template": "SIPAS-2017"}),
    )
    .await;
    create_campaign(&app, "HT-2026", "2026-03-01", json!({})).await;

    let old = units(&app, "?campaign=HT-2021").await;
    let new = units(&app, "?campaign=HT-2026").await;
    let expected_old: HashSet<String> = ha_tinh_units().into_iter().map(|u| u.code).collect();
    let expected_new: HashSet<String> = ha_tinh_units_2025().into_iter().map(|u| u.code).collect();
    assert_eq!(codes(&old), expected_old);
    assert_eq!(codes(&new), expected_new);
    let find = |list: &[Value], code: &str| list.iter().find(|u| u["code"] == code).cloned();
    // The same code names different units in the two structures.
    let nam_ha = find(&old, "18073").unwrap();
    let thanh_sen = find(&new, "18073").unwrap();
    assert_eq!(nam_ha["name"], "Phường Nam Hà");
    assert_eq!(nam_ha["parent_code"], "436");
    assert_eq!(nam_ha["valid_until"], "2025-07-01");
    assert_eq!(thanh_sen["name"], "Phường Thành Sen");
    assert_eq!(thanh_sen["parent_code"], "42");
    assert_eq!(thanh_sen["valid_from"], "2025-07-01");
    // The new Trần Phú (18100) is not the old one (18094).
    assert!(find(&old, "18094").is_some() && find(&new, "18094").is_none());
    assert!(find(&new, "18100").is_some());
    // The 2026 round: 69 communes, no district; the default day is today's structure.
    assert_eq!(
        units(&app, "?campaign=HT-2026&type=commune").await.len(),
        69
    );
    assert!(
        units(&app, "?campaign=HT-2026&type=district")
            .await
            .is_empty()
    );
    assert_eq!(units(&app, "?type=commune").await.len(), 69);
    assert_eq!(units(&app, "?on=2025-06-30&type=commune").await.len(), 209);
    assert_eq!(units(&app, "?on=2025-07-01&type=commune").await.len(), 69);
    let both = app
        .get(
            "/api/v1/units?on=2021-01-01&campaign=HT-2021",
            &app.read_token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), 400);

    // QR codes resolve the unit within the campaign's structure.
    let qr = |campaign: &str, unit: &str| {
        format!("/api/v1/campaigns/{campaign}/units/{unit}/service-points/MC/qr.svg")
    };
    for (campaign, unit, status) in [
        ("HT-2021", "18077", 200),
        ("HT-2026", "18077", 404),
        ("HT-2021", "S-NNMT", 404),
        ("HT-2026", "S-NNMT", 200),
    ] {
        let response = app
            .get(&qr(campaign, unit), &app.read_token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{campaign} {unit}");
        if status == 404 {
            let body: Value = response.json().await.unwrap();
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains(unit), "{message}");
        }
    }
}

async fn an_old_code_in_a_2026_file_is_refused_with_its_line(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    create_campaign(&app, "HT-2026", "2026-03-01", json!({})).await;
    let frame = "unit_code,service_point_code,population\n18100,,400\n18094,,300\n18073,,900\n";
    let response = app
        .send_csv(
            reqwest::Method::PUT,
            "/api/v1/campaigns/HT-2026/frame",
            frame,
        )
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let details = body["error"]["details"].as_array().unwrap();
    assert_eq!(details.len(), 1, "{body}");
    assert_eq!(details[0]["line"], 3);
    assert_eq!(details[0]["column"], "unit_code");
    let message = details[0]["message"].as_str().unwrap();
    assert!(
        message.contains("18094") && message.contains("Phường Trần Phú (2020-01-01 – 2025-06-30)"),
        "{message}"
    );
    // Nothing was stored: the quotas are still empty.
    let quotas = app.read_json("/api/v1/campaigns/HT-2026/quotas").await;
    assert_eq!(quotas, json!([]));
}

const HANOI_OWN_UNITS: &str = "code,name,unit_type,parent_code
HN-S-NV,Sở Nội vụ,department,
HN-S-TP,Sở Tư pháp,department,
HN-S-YT,Sở Y tế,department,01
HN-TW-CA,Công an thành phố,central_agency,
";

async fn import(app: &TestApp, query: &str, body: Option<&str>) -> reqwest::Response {
    let path = format!("/api/v1/units/import{query}");
    match body {
        Some(body) => app.send_csv(reqwest::Method::POST, &path, body).await,
        None => app.post(&path, &app.write_token).send().await.unwrap(),
    }
}

async fn a_province_is_set_up_from_scratch_over_the_api(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // A bad own file: every bad line, nothing stored.
    let bad = "code,name,unit_type,parent_code\nHN-S-NV,Sở Nội vụ,department,\nHN X,,department,\nHN-S-GD,Sở Giáo dục,ministry,\nHN-S-YT,Sở Y tế,department,HN-NOWHERE\n";
    let refused = import(&app, "?province=01", Some(bad)).await;
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    let lines: Vec<(u64, String)> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["line"].as_u64().unwrap(),
                d["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![(3, "code".to_owned()), (3, "name".to_owned()),],
        "{body}"
    );
    // Lines that parse but name an unknown type or parent are refused by the store.
    let bad = "code,name,unit_type,parent_code\nHN-S-GD,Sở Giáo dục,ministry,\nHN-S-YT,Sở Y tế,department,HN-NOWHERE\n";
    let refused = import(&app, "?province=01", Some(bad)).await;
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    let details = body["error"]["details"].as_array().unwrap();
    assert_eq!(details.len(), 2, "{body}");
    assert_eq!(
        (details[0]["line"].as_u64(), details[0]["column"].as_str()),
        (Some(2), Some("unit_type"))
    );
    assert_eq!(
        (details[1]["line"].as_u64(), details[1]["column"].as_str()),
        (Some(3), Some("parent_code"))
    );
    // Nothing was stored: the province does not exist yet.
    let none = app
        .get("/api/v1/units?parent=01", &app.read_token)
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 404);

    let unknown = import(&app, "?province=63", None).await;
    assert_eq!(unknown.status(), 404);

    let response = import(&app, "?province=01", Some(HANOI_OWN_UNITS)).await;
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report, json!({"created": 1 + 126 + 4, "unchanged": 0}));
    let hanoi = units(&app, "?parent=01").await;
    assert_eq!(hanoi.len(), 130);
    assert_eq!(units(&app, "?parent=01&type=commune").await.len(), 126);
    assert_eq!(units(&app, "?parent=01&type=department").await.len(), 3);
    let ba_dinh = hanoi.iter().find(|u| u["code"] == "00004").unwrap();
    assert_eq!(ba_dinh["name"], "Phường Ba Đình");
    assert_eq!(ba_dinh["valid_from"], "2025-07-01");
    // Every unit got its own desk.
    let desks: Vec<Value> =
        serde_json::from_value(app.read_json("/api/v1/units/HN-S-YT/service-points").await)
            .unwrap();
    assert_eq!(desks.len(), 1);

    // Again: nothing changes.
    let again: Value = import(&app, "?province=01", Some(HANOI_OWN_UNITS))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again, json!({"created": 0, "unchanged": 131}));
    // A line that names an existing code differently is refused, by its line.
    let clash = "code,name,unit_type,parent_code\nHN-S-NV,Sở Nội vụ Hà Nội,department,\n";
    let response = import(&app, "?province=01", Some(clash)).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["details"][0]["line"], 2);
    assert!(
        body["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("already names Sở Nội vụ")
    );

    // A 2026 round for Hà Nội: its units are there, its own PAR scheme names the points.
    let scheme = app
        .client
        .put(app.url("/api/v1/par-schemes/HN-2026"))
        .bearer_auth(&app.write_token)
        .json(&json!({"name": "Hà Nội 2026", "points": {
            "department": {"criteria_max_points": 80, "survey_max_points": 20, "max_total": 100},
            "commune": {"criteria_max_points": 75, "survey_max_points": 25, "max_total": 100}
        }}))
        .send()
        .await
        .unwrap();
    assert_eq!(scheme.status(), 201);
    let campaign = create_campaign(
        &app,
        "HN-2026",
        "2026-03-01",
        json!({"par_scheme": "HN-2026"}),
    )
    .await;
    assert_eq!(campaign["par_scheme"], "HN-2026");
    let response = app
        .send_csv(
            reqwest::Method::PUT,
            "/api/v1/campaigns/HN-2026/frame",
            "unit_code,service_point_code,population\n00004,,500\nHN-S-NV,,800\n",
        )
        .await;
    assert_eq!(response.status(), 200);
    let quotas = app.read_json("/api/v1/campaigns/HN-2026/quotas").await;
    let with_quota: HashSet<&str> = quotas
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["unit_code"].as_str().unwrap())
        .collect();
    assert_eq!(with_quota, HashSet::from(["00004", "HN-S-NV"]));
}

async fn units_and_desks_are_managed_over_the_api(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let created = app
        .post_json(
            "/api/v1/units",
            &json!({"code": "S-NGV", "name": "Sở Ngoại vụ", "unit_type": "department",
                    "parent_code": "42", "valid_from": "2026-01-01"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let unit: Value = created.json().await.unwrap();
    assert_eq!(unit["valid_from"], "2026-01-01");
    assert_eq!(unit["parent_code"], "42");
    // Not before its first day.
    assert!(
        units(&app, "?on=2025-12-31")
            .await
            .iter()
            .all(|u| u["code"] != "S-NGV")
    );
    let twice = app
        .post_json(
            "/api/v1/units",
            &json!({"code": "S-NGV", "name": "x", "unit_type": "department", "parent_code": "42",
                    "valid_from": "2026-02-01"}),
        )
        .await;
    assert_eq!(twice.status(), 409);
    let bad = app
        .post_json(
            "/api/v1/units",
            &json!({"code": "a b", "name": "", "unit_type": "department", "parent_code": "42"}),
        )
        .await;
    assert_eq!(bad.status(), 422);
    let bad_type = app
        .post_json(
            "/api/v1/units",
            &json!({"code": "S-X", "name": "X", "unit_type": "ministry", "parent_code": "42"}),
        )
        .await;
    assert_eq!(bad_type.status(), 422);

    // Renaming a 2025 department leaves its 2021 namesake alone.
    let renamed = app
        .client
        .patch(app.url("/api/v1/units/S-NV"))
        .bearer_auth(&app.write_token)
        .json(&json!({"name": "Sở Nội vụ tỉnh Hà Tĩnh"}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);
    let now = units(&app, "?type=department").await;
    assert_eq!(
        now.iter().find(|u| u["code"] == "S-NV").unwrap()["name"],
        "Sở Nội vụ tỉnh Hà Tĩnh"
    );
    let then = units(&app, "?on=2021-03-01&type=department").await;
    assert_eq!(
        then.iter().find(|u| u["code"] == "S-NV").unwrap()["name"],
        "Sở Nội vụ"
    );

    // Closing: a department with nothing under it closes at a date.
    let close = |code: &'static str, on: &'static str| {
        let app = &app;
        async move {
            app.client
                .post(app.url(&format!("/api/v1/units/{code}/close")))
                .bearer_auth(&app.write_token)
                .json(&json!({"on": on}))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        close("42", "2026-09-01").await.status(),
        409,
        "units under it"
    );
    assert_eq!(
        close("S-NNMT", "2025-07-01").await.status(),
        422,
        "not after its first day"
    );
    let closed = close("S-NNMT", "2026-09-01").await;
    assert_eq!(closed.status(), 200);
    assert!(
        units(&app, "?on=2026-09-01")
            .await
            .iter()
            .all(|u| u["code"] != "S-NNMT")
    );
    assert!(
        units(&app, "?on=2026-08-31")
            .await
            .iter()
            .any(|u| u["code"] == "S-NNMT")
    );
    // Closed units are not found after their end, and the error says when they were.
    let again = close("S-NNMT", "2026-10-01").await;
    assert_eq!(again.status(), 404);
    let body: Value = again.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("(2025-07-01 – 2026-08-31)"), "{message}");

    // Desks: rename and close; the unit's own desk closes only with it.
    let desk = "/api/v1/units/18073/service-points";
    assert_eq!(
        app.post_json(desk, &json!({"code": "Q2", "name": "Quầy 2"}))
            .await
            .status(),
        201
    );
    let renamed = app
        .client
        .patch(app.url(&format!("{desk}/Q2")))
        .bearer_auth(&app.write_token)
        .json(&json!({"name": "Quầy số 2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);
    let closing = |code: &'static str| {
        let app = &app;
        async move {
            app.client
                .post(app.url(&format!("{desk}/{code}/close")))
                .bearer_auth(&app.write_token)
                .json(&json!({"on": "2026-11-01"}))
                .send()
                .await
                .unwrap()
        }
    };
    create_campaign(&app, "HT-2026", "2026-03-01", json!({})).await;
    let printed = crate::citizen::desk_url_at(&app, "HT-2026", "18073", "Q2").await;
    assert_eq!(app.client.get(&printed).send().await.unwrap().status(), 200);
    assert_eq!(closing("MC").await.status(), 409);
    assert_eq!(closing("Q2").await.status(), 200);
    // Closed from 1 November: no new QR code, and the printed one takes no answers.
    let qr = app
        .get(
            "/api/v1/campaigns/HT-2026/units/18073/service-points/Q2/qr.svg",
            &app.read_token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(qr.status(), 404);
    let page = app.client.get(&printed).send().await.unwrap();
    assert_ne!(page.status(), 200);
    let desks: Vec<Value> = serde_json::from_value(app.read_json(desk).await).unwrap();
    let q2 = desks.iter().find(|d| d["code"] == "Q2").unwrap();
    assert_eq!(
        (q2["name"].as_str(), q2["valid_until"].as_str()),
        (Some("Quầy số 2"), Some("2026-11-01"))
    );
    // A reader may not change units.
    let denied = app
        .client
        .patch(app.url("/api/v1/units/S-NV"))
        .bearer_auth(&app.read_token)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 403);

    // Every change is audited.
    let actions: Vec<String> = sipas::storage::audit::entries(app.storage.db())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        "unit.create",
        "unit.rename",
        "unit.close",
        "service_point.rename",
        "service_point.close",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
}

async fn par_schemes_are_data_a_campaign_names(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let schemes = app.read_json("/api/v1/par-schemes").await;
    assert_eq!(schemes[0]["code"], "HT-52-2019");
    assert_eq!(schemes[0]["points"]["commune"]["survey_max_points"], 30.0);
    let put = |body: Value| {
        let app = &app;
        async move {
            app.client
                .put(app.url("/api/v1/par-schemes/HT-2026"))
                .bearer_auth(&app.write_token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let bad = put(json!({"name": "x", "points": {"commune": {"criteria_max_points": 80, "survey_max_points": 30, "max_total": 100}}})).await;
    assert_eq!(bad.status(), 422, "80 + 30 > 100");
    let unknown = put(json!({"name": "x", "points": {"ministry": {"criteria_max_points": 70, "survey_max_points": 30, "max_total": 100}}})).await;
    assert_eq!(unknown.status(), 422);
    let scheme = json!({"name": "Hà Tĩnh 2026", "points": {"commune": {"criteria_max_points": 65, "survey_max_points": 35, "max_total": 100}}});
    assert_eq!(put(scheme.clone()).await.status(), 201);
    // A campaign names its scheme; its points follow it.
    create_campaign(
        &app,
        "HT-2026",
        "2026-03-01",
        json!({"par_scheme": "HT-2026", "status": "draft"}),
    )
    .await;
    let unknown = app
        .post_json(
            "/api/v1/campaigns",
            &json!({"code": "X", "name": "X", "template": "SIPAS-2023", "starts_on": "2026-01-01",
                    "ends_on": "2026-12-31", "par_scheme": "NOPE"}),
        )
        .await;
    assert_eq!(unknown.status(), 422);
    let body: Value = unknown.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("HT-2026"),
        "{body}"
    );
    // Replacing is allowed while only drafts use it, not once the campaign is open.
    assert_eq!(put(scheme.clone()).await.status(), 200);
    let opened = app
        .post_json("/api/v1/campaigns/HT-2026/open", &json!({}))
        .await;
    assert_eq!(opened.status(), 200);
    assert_eq!(put(scheme).await.status(), 409);
    let one = app.read_json("/api/v1/par-schemes/HT-2026").await;
    assert_eq!(one["points"]["commune"]["survey_max_points"], 35.0);
}

/// Changes to units never reach back into a round that has data or is closed, never
/// give one code two periods at once, and never leave a unit under a parent that ends.
async fn a_past_round_keeps_its_structure(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    create_campaign(
        &app,
        "HT-2021",
        "2021-03-01",
        json!({"template": "SIPAS-2017", "ends_on": "2021-10-31"}),
    )
    .await;
    let frame = app
        .send_csv(
            reqwest::Method::PUT,
            "/api/v1/campaigns/HT-2021/frame",
            "unit_code,service_point_code,population\n18077,,300\n",
        )
        .await;
    assert_eq!(frame.status(), 200);
    let post = |path: &'static str, body: Value| {
        let app = &app;
        async move {
            let response = app.post_json(path, &body).await;
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            (
                status,
                body["error"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        }
    };
    // Closing Bắc Hà before the 2021 round would take its frame out of that round.
    let (status, message) = post("/api/v1/units/18077/close", json!({"on": "2021-01-01"})).await;
    assert_eq!(status, 409, "{message}");
    assert!(message.contains("HT-2021"), "{message}");
    assert_eq!(units(&app, "?campaign=HT-2021").await.len(), 245);

    // One code, one period at a time.
    let new_unit = |from: &str| {
        json!({"code": "S-NEW", "name": "Sở mới", "unit_type": "department",
               "parent_code": "42", "valid_from": from})
    };
    assert_eq!(post("/api/v1/units", new_unit("2026-06-01")).await.0, 201);
    let (status, message) = post("/api/v1/units", new_unit("2026-01-01")).await;
    assert_eq!(status, 409, "{message}");
    assert!(message.contains("(from 2026-06-01)"), "{message}");
    let listed = units(&app, "?on=2026-07-01").await;
    assert_eq!(listed.iter().filter(|u| u["code"] == "S-NEW").count(), 1);

    // A unit under a district that ends with the reform cannot outlive it.
    let (status, message) = post(
        "/api/v1/units",
        json!({"code": "X1", "name": "Xã thử", "unit_type": "commune",
               "parent_code": "436", "valid_from": "2024-01-01"}),
    )
    .await;
    assert_eq!(status, 422, "{message}");
    assert!(message.contains("ends on 2025-07-01"), "{message}");

    // Once the 2021 round is closed its structure is final: no unit joins it.
    assert_eq!(
        post("/api/v1/campaigns/HT-2021/close", json!({})).await.0,
        200
    );
    let (status, message) = post(
        "/api/v1/units",
        json!({"code": "99", "name": "Tỉnh thử", "unit_type": "province",
               "parent_code": null, "valid_from": "2021-01-01"}),
    )
    .await;
    assert_eq!(status, 409, "{message}");
    assert!(
        message.contains("HT-2021") && message.contains("closed"),
        "{message}"
    );
    assert_eq!(units(&app, "?campaign=HT-2021").await.len(), 245);
}
