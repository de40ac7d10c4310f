//! A unit's desks on the dashboard: a manager adds (with a generated or a given code),
//! renames and closes desks through the forms, each change stored and audited under the
//! unit with its before and after; a refused form keeps what was typed and changes
//! nothing; a commune officer cannot touch another unit's desks (404) and a viewer
//! cannot touch their own (403); a form without its CSRF token changes nothing.

use sipas::storage::{ServicePointRecord, audit, campaigns, units};

use crate::backend_tests;
use crate::common::{Backend, TestApp, field_value, spawn_app};

pub const CAMPAIGN: &str = "HT-2026";
/// Phường Thành Sen and Phường Trần Phú, both of today's structure.
pub const OWN: &str = "18073";
pub const OTHER: &str = "18100";

/// A fresh app with an open campaign on today's structure.
pub async fn app_with_campaign(backend: Backend) -> Option<TestApp> {
    let app = spawn_app(backend).await?;
    crate::citizen::open_campaign(&app, CAMPAIGN, 0).await;
    Some(app)
}

pub fn desks_path(unit: &str) -> String {
    format!("/manage/campaigns/{CAMPAIGN}/units/{unit}/desks")
}

/// The session's CSRF token, from a page the client may open.
pub async fn csrf(app: &TestApp, client: &reqwest::Client) -> String {
    let html = client
        .get(app.url("/manage"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    field_value(&html, "csrf").expect("a csrf field")
}

/// A unit's desks in the campaign's structure, as stored.
pub async fn desks(app: &TestApp, unit: &str) -> Vec<ServicePointRecord> {
    let db = app.storage.db();
    let campaign = campaigns::by_code(db, CAMPAIGN).await.unwrap();
    let unit = units::by_code(db, unit, Some(campaign.units_on))
        .await
        .unwrap();
    units::service_points(db, unit.id).await.unwrap()
}

pub async fn unit_id(app: &TestApp, unit: &str) -> i32 {
    let db = app.storage.db();
    let campaign = campaigns::by_code(db, CAMPAIGN).await.unwrap();
    units::by_code(db, unit, Some(campaign.units_on))
        .await
        .unwrap()
        .id
}

async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url(path))
        .form(fields)
        .send()
        .await
        .unwrap()
}

fn detail(event: &entity::audit_event::Model) -> serde_json::Value {
    serde_json::from_str(&event.detail).unwrap()
}

async fn a_manager_adds_renames_and_closes_desks(backend: Backend) {
    let Some(app) = app_with_campaign(backend).await else {
        return;
    };
    let client = app.login_as("admin", None).await;
    let token = csrf(&app, &client).await;
    let page = client.get(app.url(&desks_path(OWN))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Bộ phận Một cửa") && html.contains("Thêm quầy"));
    let unit = unit_id(&app, OWN).await;

    // Added with a generated code, then with a given one.
    let added = post(
        &app,
        &client,
        &format!("{}/add", desks_path(OWN)),
        &[
            ("csrf", &token),
            ("name", "  Quầy số 2 – Đất đai "),
            ("code", ""),
        ],
    )
    .await;
    assert_eq!(added.status(), 303);
    let location = added.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("done=added&desk=Q1"), "{location}");
    let shown = client
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shown.contains("Đã thêm quầy Q1."));
    let added = post(
        &app,
        &client,
        &format!("{}/add", desks_path(OWN)),
        &[("csrf", &token), ("name", "Quầy BHXH"), ("code", "BHXH")],
    )
    .await;
    assert_eq!(added.status(), 303);
    let stored = desks(&app, OWN).await;
    let codes: Vec<(&str, &str)> = stored
        .iter()
        .map(|d| (d.code.as_str(), d.name.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            ("MC", "Bộ phận Một cửa"),
            ("BHXH", "Quầy BHXH"),
            ("Q1", "Quầy số 2 – Đất đai")
        ]
    );

    // Renamed.
    let renamed = post(
        &app,
        &client,
        &format!("{}/Q1/rename", desks_path(OWN)),
        &[("csrf", &token), ("name", "Quầy Đất đai")],
    )
    .await;
    assert_eq!(renamed.status(), 303);

    // Closing needs the confirmation: without it, nothing changes and the page says so
    // next to the box.
    let close_path = format!("{}/Q1/close", desks_path(OWN));
    let refused = post(
        &app,
        &client,
        &close_path,
        &[("csrf", &token), ("on", "2026-12-31")],
    )
    .await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains(r##"href="#confirm-Q1""##),
        "summary links the box"
    );
    assert!(html.contains(r#"id="confirm-Q1-error""#));
    assert!(
        html.contains(r#"value="2026-12-31""#),
        "the date typed is kept"
    );
    let q1 = |all: &[ServicePointRecord]| all.iter().find(|d| d.code == "Q1").cloned().unwrap();
    assert_eq!(q1(&desks(&app, OWN).await).valid_until, None);
    let closed = post(
        &app,
        &client,
        &close_path,
        &[("csrf", &token), ("on", "31/12/2026"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(closed.status(), 303);
    let after = q1(&desks(&app, OWN).await);
    assert_eq!(after.name, "Quầy Đất đai");
    assert_eq!(
        after.valid_until,
        chrono::NaiveDate::from_ymd_opt(2026, 12, 31)
    );

    // Each change is audited under the unit, with its before and after.
    let events = audit::entries(app.storage.db()).await.unwrap();
    let of = |action: &str| -> Vec<&entity::audit_event::Model> {
        events.iter().filter(|e| e.action == action).collect()
    };
    let created = of("service_point.create");
    assert_eq!(created.len(), 2);
    assert!(created.iter().all(|e| e.unit_id == Some(unit)));
    assert_eq!(detail(created[0])["after"]["code"], "Q1");
    assert_eq!(detail(created[0])["after"]["name"], "Quầy số 2 – Đất đai");
    assert!(created[0].actor.starts_with("admin-"));
    let renamed = of("service_point.rename");
    assert_eq!(renamed.len(), 1);
    assert_eq!(renamed[0].unit_id, Some(unit));
    assert_eq!(detail(renamed[0])["before"]["name"], "Quầy số 2 – Đất đai");
    assert_eq!(detail(renamed[0])["after"]["name"], "Quầy Đất đai");
    let closes = of("service_point.close");
    assert_eq!(closes.len(), 1);
    assert_eq!(closes[0].unit_id, Some(unit));
    assert_eq!(
        detail(closes[0])["before"]["closed_from"],
        serde_json::Value::Null
    );
    assert_eq!(detail(closes[0])["after"]["closed_from"], "2026-12-31");
}

async fn bad_desk_forms_change_nothing(backend: Backend) {
    let Some(app) = app_with_campaign(backend).await else {
        return;
    };
    let client = app.login_as("manager", Some(OWN)).await;
    let token = csrf(&app, &client).await;
    let before = desks(&app, OWN).await;
    let add = format!("{}/add", desks_path(OWN));
    // No name, a bad code: both fields in error, the values kept.
    let refused = post(
        &app,
        &client,
        &add,
        &[("csrf", &token), ("name", "   "), ("code", "a b/c")],
    )
    .await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains(r##"href="#add-name""##) && html.contains(r##"href="#add-code""##));
    assert_eq!(html.matches(r#"aria-invalid="true""#).count(), 2);
    assert!(html.contains(r#"value="a b/c""#));
    // A code the unit already has.
    let taken = post(
        &app,
        &client,
        &add,
        &[("csrf", &token), ("name", "Quầy mới"), ("code", "MC")],
    )
    .await;
    assert_eq!(taken.status(), 422);
    assert!(
        taken
            .text()
            .await
            .unwrap()
            .contains("Đơn vị đã có quầy mã MC")
    );
    // The unit's own desk closes only with the unit.
    let own = post(
        &app,
        &client,
        &format!("{}/MC/close", desks_path(OWN)),
        &[("csrf", &token), ("on", "2026-12-31"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(own.status(), 422);
    // A name too long, a desk that does not exist, a date that is not one.
    let long = "x".repeat(201);
    let renamed = post(
        &app,
        &client,
        &format!("{}/MC/rename", desks_path(OWN)),
        &[("csrf", &token), ("name", &long)],
    )
    .await;
    assert_eq!(renamed.status(), 422);
    let missing = post(
        &app,
        &client,
        &format!("{}/NOPE/rename", desks_path(OWN)),
        &[("csrf", &token), ("name", "Quầy")],
    )
    .await;
    assert_eq!(missing.status(), 404);
    let bad_date = post(
        &app,
        &client,
        &format!("{}/MC/close", desks_path(OWN)),
        &[("csrf", &token), ("on", "31/02/2026"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(bad_date.status(), 422);
    assert_eq!(desks(&app, OWN).await, before);
    let events = audit::entries(app.storage.db()).await.unwrap();
    assert!(
        !events
            .iter()
            .any(|e| e.action.starts_with("service_point."))
    );
}

async fn nobody_touches_another_units_desks(backend: Backend) {
    let Some(app) = app_with_campaign(backend).await else {
        return;
    };
    // A desk on the other unit to try to rename and close.
    let made = app
        .post_json(
            &format!("/api/v1/units/{OTHER}/service-points"),
            &serde_json::json!({"code": "Q1", "name": "Quầy 1"}),
        )
        .await;
    assert_eq!(made.status(), 201);
    let before = desks(&app, OTHER).await;

    let officer = app.login_as("manager", Some(OWN)).await;
    let token = csrf(&app, &officer).await;
    let page = officer
        .get(app.url(&desks_path(OTHER)))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    let tries = [
        (
            format!("{}/add", desks_path(OTHER)),
            vec![("name", "Quầy lạ"), ("code", "")],
        ),
        (
            format!("{}/Q1/rename", desks_path(OTHER)),
            vec![("name", "Đổi tên")],
        ),
        (
            format!("{}/Q1/close", desks_path(OTHER)),
            vec![("on", "2026-12-31"), ("confirm", "yes")],
        ),
    ];
    for (path, fields) in &tries {
        let mut fields = fields.clone();
        fields.push(("csrf", &token));
        let response = post(&app, &officer, path, &fields).await;
        assert_eq!(response.status(), 404, "{path}");
    }
    // Their own unit is theirs.
    let own = post(
        &app,
        &officer,
        &format!("{}/add", desks_path(OWN)),
        &[("csrf", &token), ("name", "Quầy 2")],
    )
    .await;
    assert_eq!(own.status(), 303);

    // A viewer reads their unit but changes nothing.
    let viewer = app.login_as("viewer", Some(OTHER)).await;
    let token = csrf(&app, &viewer).await;
    for (path, fields) in &tries {
        let mut fields = fields.clone();
        fields.push(("csrf", &token));
        let response = post(&app, &viewer, path, &fields).await;
        assert_eq!(response.status(), 403, "{path}");
    }
    assert_eq!(desks(&app, OTHER).await, before);
    let events = audit::entries(app.storage.db()).await.unwrap();
    let other = unit_id(&app, OTHER).await;
    // Only the API's creation of Q1 is recorded on the other unit.
    let on_other: Vec<&str> = events
        .iter()
        .filter(|e| e.unit_id == Some(other) && e.action.starts_with("service_point."))
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(on_other, ["service_point.create"]);
}

async fn a_form_without_its_token_changes_nothing(backend: Backend) {
    let Some(app) = app_with_campaign(backend).await else {
        return;
    };
    let client = app.login_as("admin", None).await;
    let before = desks(&app, OWN).await;
    for token in ["", "forged-token"] {
        for (path, fields) in [
            (
                format!("{}/add", desks_path(OWN)),
                vec![("name", "Quầy 9"), ("code", "Q9")],
            ),
            (
                format!("{}/MC/rename", desks_path(OWN)),
                vec![("name", "Đổi tên")],
            ),
        ] {
            let mut fields = fields.clone();
            fields.push(("csrf", token));
            let response = post(&app, &client, &path, &fields).await;
            assert_eq!(response.status(), 403, "{path} with {token:?}");
        }
    }
    // No body at all.
    let bare = client
        .post(app.url(&format!("{}/add", desks_path(OWN))))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 403);
    assert_eq!(desks(&app, OWN).await, before);
}

/// The API's desk routes go through the same service: audited under the unit too.
async fn the_api_and_the_page_share_the_desk_service(backend: Backend) {
    let Some(app) = app_with_campaign(backend).await else {
        return;
    };
    let made = app
        .post_json(
            &format!("/api/v1/units/{OWN}/service-points"),
            &serde_json::json!({"code": "", "name": "Quầy"}),
        )
        .await;
    assert_eq!(made.status(), 422, "the API still wants a code");
    let made = app
        .post_json(
            &format!("/api/v1/units/{OWN}/service-points"),
            &serde_json::json!({"code": "Q5", "name": "Quầy 5"}),
        )
        .await;
    assert_eq!(made.status(), 201);
    let closed = app
        .post_json(
            &format!("/api/v1/units/{OWN}/service-points/Q5/close"),
            &serde_json::json!({"on": "2026-12-31"}),
        )
        .await;
    assert_eq!(closed.status(), 200);
    let unit = unit_id(&app, OWN).await;
    let events = audit::entries(app.storage.db()).await.unwrap();
    let desk_events: Vec<_> = events
        .iter()
        .filter(|e| e.action.starts_with("service_point."))
        .collect();
    assert_eq!(desk_events.len(), 2);
    assert!(desk_events.iter().all(|e| e.unit_id == Some(unit)));
    // The manager's page lists the desk with its closing day.
    let client = app.login_as("manager", Some(OWN)).await;
    let html = client
        .get(app.url(&desks_path(OWN)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Quầy 5") && html.contains("31/12/2026"));
    // And the unit page links the desks page for someone who may change them.
    let unit_page = client
        .get(app.url(&format!("/manage/campaigns/{CAMPAIGN}/units/{OWN}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(unit_page.contains(&format!("{}?lang=vi", desks_path(OWN))));
}

backend_tests!(
    a_manager_adds_renames_and_closes_desks,
    bad_desk_forms_change_nothing,
    nobody_touches_another_units_desks,
    a_form_without_its_token_changes_nothing,
    the_api_and_the_page_share_the_desk_service,
);
