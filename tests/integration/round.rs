//! Running a round from the dashboard: creating a campaign through the form (each
//! problem next to its field, nothing stored), opening and closing it on its set-up
//! page, overriding a unit's quota and undoing it; who may do each, and that a form
//! without its token changes nothing. Every change is in the audit log.

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::{Backend, TestApp, field_value, spawn_app};

backend_tests!(
    a_quota_override_is_set_shown_and_undone,
    a_campaign_is_created_opened_and_closed_through_the_forms
);

fn today() -> chrono::NaiveDate {
    sipas_domain::campaign::vietnam_day(Utc::now())
}

/// The session's form token, from the logout form every staff page has.
async fn csrf(app: &TestApp, client: &reqwest::Client) -> String {
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

async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let response = client
        .post(app.url(path))
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The form's fields for a good campaign, with `csrf`.
fn good_form(csrf: &str, code: &str) -> Vec<(String, String)> {
    let t = today();
    [
        ("csrf", csrf.to_owned()),
        ("code", code.to_owned()),
        ("name", "Khảo sát 2026 của tỉnh".to_owned()),
        ("template", "SIPAS-2023".to_owned()),
        ("starts_on", t.to_string()),
        ("ends_on", (t + Duration::days(60)).to_string()),
        ("confidence", "0.99".to_owned()),
        ("margin", "4".to_owned()),
        ("quota_method", "yamane".to_owned()),
        ("min_fill_seconds", "12".to_owned()),
        ("receipt_valid_days", "45".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn with(fields: &[(String, String)], changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = fields
        .iter()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .cloned()
        .collect();
    out.extend(
        changes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    out
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

async fn audit_actions(app: &TestApp) -> Vec<entity::audit_event::Model> {
    sipas::storage::audit::entries(app.storage.db())
        .await
        .unwrap()
}

async fn status_of(app: &TestApp, code: &str) -> String {
    sipas::storage::campaigns::by_code(app.storage.db(), code)
        .await
        .unwrap()
        .status
        .as_str()
        .to_owned()
}

async fn a_campaign_is_created_opened_and_closed_through_the_forms(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let password = app.create_user("tinh-admin", "admin", None).await;
    let admin = app.log_in("tinh-admin", &password).await;
    let (status, list) = get(&app, &admin, "/manage").await;
    assert_eq!(status, 200);
    assert!(list.contains(r#"href="/manage/campaigns/new">Tạo đợt khảo sát mới<"#));
    let (status, form) = get(&app, &admin, "/manage/campaigns/new").await;
    assert_eq!(status, 200);
    assert!(form.contains(r#"<option value="SIPAS-2017""#) && form.contains("SIPAS-2023"));
    let token = field_value(&form, "csrf").unwrap();
    let good = good_form(&token, "HT-2026");

    // Bad fields: each problem next to its field and in the summary; nothing stored.
    let t = today();
    let yesterday = (t - Duration::days(1)).to_string();
    let bad = with(
        &good,
        &[
            ("code", "HT 2026"),
            ("ends_on", &yesterday),
            ("margin", "0"),
            ("min_fill_seconds", "601"),
        ],
    );
    let (status, _, html) = post(&app, &admin, "/manage/campaigns/new", &pairs(&bad)).await;
    assert_eq!(status, 422, "{html}");
    for field in ["code", "ends_on", "margin", "min_fill_seconds"] {
        assert!(
            html.contains(&format!(r#"<p class="error" id="f-{field}-error">"#)),
            "{field}"
        );
        assert!(
            html.contains(&format!(r##"<a href="#f-{field}">"##)),
            "{field}"
        );
    }
    for field in ["name", "starts_on", "receipt_valid_days", "confidence"] {
        assert!(!html.contains(&format!("f-{field}-error")), "{field}");
    }
    assert!(html.contains("Mã gồm 1–32 ký tự"));
    assert!(html.contains("Ngày kết thúc không được trước ngày bắt đầu."));
    assert!(html.contains(r#"value="HT 2026" aria-invalid="true""#));
    assert!(
        html.contains(r#"value="Khảo sát 2026 của tỉnh""#),
        "values kept"
    );
    assert!(html.contains(r#"<option value="yamane" selected>"#));
    assert!(
        sipas::storage::campaigns::all(app.storage.db())
            .await
            .unwrap()
            .is_empty()
    );

    // An empty date is a problem of its own; in English when asked.
    let undated = with(&good, &[("starts_on", ""), ("lang", "en")]);
    let (status, _, html) = post(&app, &admin, "/manage/campaigns/new", &pairs(&undated)).await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="f-starts_on-error""#) && html.contains("Choose a day"));

    // Created: a draft, with the form's settings, audited, and on to its set-up page.
    let (status, location, _) = post(&app, &admin, "/manage/campaigns/new", &pairs(&good)).await;
    assert_eq!(status, 303);
    assert_eq!(location, "/manage/campaigns/HT-2026/setup?done=created");
    let stored = sipas::storage::campaigns::by_code(app.storage.db(), "HT-2026")
        .await
        .unwrap();
    assert_eq!(stored.status.as_str(), "draft");
    assert_eq!(stored.template, "SIPAS-2023");
    assert!((stored.design.margin() - 0.04).abs() < 1e-12);
    assert!((stored.design.confidence() - 0.99).abs() < 1e-12);
    assert_eq!(stored.design.method().as_str(), "yamane");
    assert!(!stored.rules.count_unverified, "the box was not ticked");
    assert_eq!(stored.rules.min_fill_seconds, 12);
    assert_eq!(stored.rules.receipt_valid_days, 45);
    let created: Vec<_> = audit_actions(&app)
        .await
        .into_iter()
        .filter(|e| e.action == "campaign.create")
        .collect();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].actor, "tinh-admin");
    assert_eq!(created[0].subject, "HT-2026");

    // The same code again: said next to the code.
    let (status, _, html) = post(&app, &admin, "/manage/campaigns/new", &pairs(&good)).await;
    assert_eq!(status, 422);
    assert!(
        html.contains(r#"id="f-code-error""#) && html.contains("Đã có đợt khảo sát với mã này")
    );

    let (status, setup) = get(&app, &admin, &location).await;
    assert_eq!(status, 200);
    assert!(setup.contains("Đã tạo đợt khảo sát (bản nháp)"));
    assert!(setup.contains("Chưa có khung mẫu"));
    assert!(setup.contains(r#"action="/manage/campaigns/HT-2026/open""#));
    assert!(setup.contains(r#"href="/manage/campaigns/HT-2026/frame""#));
    assert!(setup.contains("±4") && setup.contains("99"));

    // Open, then close, through the set-up page's forms.
    let action = [("csrf", token.as_str())];
    let (status, location, _) = post(&app, &admin, "/manage/campaigns/HT-2026/open", &action).await;
    assert_eq!(status, 303);
    assert_eq!(location, "/manage/campaigns/HT-2026/setup?done=opened");
    assert_eq!(status_of(&app, "HT-2026").await, "open");
    let (_, setup) = get(&app, &admin, &location).await;
    assert!(setup.contains("Đã mở đợt khảo sát"));
    assert!(setup.contains(r#"action="/manage/campaigns/HT-2026/close""#));
    // The API reads the same status.
    let listed = app.read_json("/api/v1/campaigns").await;
    assert_eq!(listed[0]["status"], "open");

    // Opening again is refused with the reason, nothing changes.
    let (status, _, html) = post(&app, &admin, "/manage/campaigns/HT-2026/open", &action).await;
    assert_eq!(status, 409);
    assert!(html.contains("đã ở trạng thái"), "{html}");
    let (status, location, _) = post(
        &app,
        &admin,
        "/manage/campaigns/HT-2026/close",
        &[("csrf", token.as_str()), ("lang", "en")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        location,
        "/manage/campaigns/HT-2026/setup?done=closed&lang=en"
    );
    assert_eq!(status_of(&app, "HT-2026").await, "closed");
    let moves: Vec<(String, String)> = audit_actions(&app)
        .await
        .into_iter()
        .filter(|e| e.action.starts_with("campaign.") && e.action != "campaign.create")
        .map(|e| (e.action, e.actor))
        .collect();
    assert_eq!(
        moves,
        [
            ("campaign.open".to_owned(), "tinh-admin".to_owned()),
            ("campaign.closed".to_owned(), "tinh-admin".to_owned())
        ]
    );
}

#[tokio::test]
async fn only_province_wide_managers_create_open_and_close() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let draft = json!({
        "code": "HT-D", "name": "Nháp", "template": "SIPAS-2017", "status": "draft",
        "starts_on": today().to_string(), "ends_on": (today() + Duration::days(9)).to_string(),
    });
    assert_eq!(
        app.post_json("/api/v1/campaigns", &draft).await.status(),
        201
    );
    let before = audit_actions(&app).await.len();
    for (role, scope) in [
        ("viewer", None),
        ("manager", Some("18073")),
        ("viewer", Some("18073")),
    ] {
        let client = app.login_as(role, scope).await;
        let token = csrf(&app, &client).await;
        let (status, list) = get(&app, &client, "/manage").await;
        assert_eq!(status, 200);
        assert!(!list.contains("/manage/campaigns/new"), "{role} {scope:?}");
        let (status, _) = get(&app, &client, "/manage/campaigns/new").await;
        assert_eq!(status, 403, "{role} {scope:?}");
        let form = good_form(&token, "HT-X");
        let (status, _, _) = post(&app, &client, "/manage/campaigns/new", &pairs(&form)).await;
        assert_eq!(status, 403, "{role} {scope:?}");
        for action in ["open", "close"] {
            let (status, _, _) = post(
                &app,
                &client,
                &format!("/manage/campaigns/HT-D/{action}"),
                &[("csrf", token.as_str())],
            )
            .await;
            assert_eq!(status, 403, "{role} {scope:?} {action}");
        }
        // They read the set-up page, without its buttons.
        let (status, setup) = get(&app, &client, "/manage/campaigns/HT-D/setup").await;
        assert_eq!(status, 200);
        assert!(!setup.contains(r#"action="/manage/campaigns/HT-D/open""#));
    }
    assert_eq!(status_of(&app, "HT-D").await, "draft");
    assert_eq!(
        sipas::storage::campaigns::all(app.storage.db())
            .await
            .unwrap()
            .len(),
        1
    );
    let after = audit_actions(&app).await;
    assert!(
        after[before..]
            .iter()
            .all(|e| e.action == "user.login" || e.action == "user.create"),
        "{:?}",
        &after[before..]
    );
    // A province-wide manager may.
    let manager = app.login_as("manager", None).await;
    let token = csrf(&app, &manager).await;
    let (status, _, _) = post(
        &app,
        &manager,
        "/manage/campaigns/HT-D/open",
        &[("csrf", token.as_str())],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(status_of(&app, "HT-D").await, "open");
}

/// A small open campaign with units 18073 and 18100 in its frame.
async fn campaign_with_frame(app: &TestApp, code: &str, populations: (u64, u64)) {
    let body = json!({
        "code": code,
        "name": "Khảo sát thử",
        "template": "SIPAS-2017",
        "starts_on": (today() - Duration::days(4)).to_string(),
        "ends_on": (today() + Duration::days(5)).to_string(),
    });
    assert_eq!(
        app.post_json("/api/v1/campaigns", &body).await.status(),
        201
    );
    put_frame(app, code, populations).await;
}

async fn put_frame(app: &TestApp, code: &str, (a, b): (u64, u64)) {
    let frame = format!("unit_code,service_point_code,population\n18073,,{a}\n18100,,{b}\n");
    let response = app
        .send_csv(
            reqwest::Method::PUT,
            &format!("/api/v1/campaigns/{code}/frame"),
            &frame,
        )
        .await;
    assert_eq!(response.status(), 200);
}

/// A unit's row of the quotas API.
async fn api_quota(app: &TestApp, campaign: &str, unit: &str) -> Value {
    let all = app
        .read_json(&format!("/api/v1/campaigns/{campaign}/quotas"))
        .await;
    all.as_array()
        .unwrap()
        .iter()
        .find(|q| q["unit_code"] == unit)
        .cloned()
        .unwrap_or_else(|| panic!("{unit} not in {all}"))
}

async fn stored_quota(app: &TestApp, campaign: &str, unit: &str) -> Option<entity::quota::Model> {
    let db = app.storage.db();
    let campaign = sipas::storage::campaigns::by_code(db, campaign)
        .await
        .unwrap();
    let unit = sipas::storage::units::by_code(db, unit, Some(campaign.units_on))
        .await
        .unwrap();
    entity::quota::Entity::find()
        .filter(entity::quota::Column::CampaignId.eq(campaign.id))
        .filter(entity::quota::Column::UnitId.eq(unit.id))
        .one(db)
        .await
        .unwrap()
}

async fn a_quota_override_is_set_shown_and_undone(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    campaign_with_frame(&app, "HT-Q", (1000, 800)).await;
    app.settle().await;
    let computed = api_quota(&app, "HT-Q", "18073").await["quota"]
        .as_u64()
        .unwrap();
    assert!(computed > 150);
    let password = app.create_user("so-noi-vu", "admin", None).await;
    let admin = app.log_in("so-noi-vu", &password).await;

    // The overview links each quota to its page.
    let (_, overview) = get(&app, &admin, "/manage/campaigns/HT-Q").await;
    assert!(overview.contains(r#"href="/manage/campaigns/HT-Q/quotas/18073""#));
    assert!(!overview.contains("✎"));
    let (status, page) = get(&app, &admin, "/manage/campaigns/HT-Q/quotas/18073").await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!(">{computed}<")), "{page}");
    let token = field_value(&page, "csrf").unwrap();

    // Bad input: both problems next to their fields, nothing changed.
    let (status, _, html) = post(
        &app,
        &admin,
        "/manage/campaigns/HT-Q/quotas/18073",
        &[("csrf", &token), ("target", "0"), ("reason", "  ")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="f-target-error""#) && html.contains(r#"id="f-reason-error""#));
    assert!(html.contains("Chỉ tiêu là số nguyên dương"));
    let long = "x".repeat(501);
    let (status, _, html) = post(
        &app,
        &admin,
        "/manage/campaigns/HT-Q/quotas/18073",
        &[("csrf", &token), ("target", "150"), ("reason", &long)],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="f-reason-error""#) && !html.contains(r#"id="f-target-error""#));
    assert!(html.contains(r#"value="150""#), "the typed quota is kept");
    assert!(
        !stored_quota(&app, "HT-Q", "18073")
            .await
            .unwrap()
            .overridden
    );

    // Set: stored with who and why, audited with before and after, shown at once.
    let (status, location, _) = post(
        &app,
        &admin,
        "/manage/campaigns/HT-Q/quotas/18073",
        &[
            ("csrf", &token),
            ("target", "150"),
            ("reason", "Phường mới sáp nhập <ghi chú>"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, "/manage/campaigns/HT-Q/quotas/18073?done=set");
    let q = stored_quota(&app, "HT-Q", "18073").await.unwrap();
    assert_eq!(q.target, 150);
    assert!(q.overridden);
    assert_eq!(
        q.override_reason.as_deref(),
        Some("Phường mới sáp nhập <ghi chú>")
    );
    assert_eq!(q.override_by.as_deref(), Some("so-noi-vu"));
    assert!(q.override_at.is_some());
    let row = api_quota(&app, "HT-Q", "18073").await;
    assert_eq!(row["quota"], 150);
    assert_eq!(row["overridden"], true);
    assert_eq!(row["override_reason"], "Phường mới sáp nhập <ghi chú>");
    let other = api_quota(&app, "HT-Q", "18100").await;
    assert_eq!(other["overridden"], false);
    assert!(other["override_reason"].is_null());
    let (_, overview) = get(&app, &admin, "/manage/campaigns/HT-Q").await;
    assert!(overview.contains("✎ </span>điều chỉnh"));
    assert!(overview.contains("Phường mới sáp nhập &lt;ghi chú&gt;"));
    assert!(overview.contains(">150<"), "the overview's quota");
    let (_, unit_page) = get(&app, &admin, "/manage/campaigns/HT-Q/units/18073").await;
    assert!(unit_page.contains("Phường mới sáp nhập &lt;ghi chú&gt;"));
    assert!(unit_page.contains(r#"href="/manage/campaigns/HT-Q/quotas/18073""#));
    let (_, page) = get(&app, &admin, &location).await;
    assert!(page.contains("Đã lưu chỉ tiêu mới"));
    assert!(page.contains(r#"action="/manage/campaigns/HT-Q/quotas/18073/undo""#));
    let unit_id = sipas::storage::units::by_code(app.storage.db(), "18073", None)
        .await
        .unwrap()
        .id;
    let events: Vec<_> = audit_actions(&app)
        .await
        .into_iter()
        .filter(|e| e.action.starts_with("quota."))
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, "quota.override");
    assert_eq!(events[0].actor, "so-noi-vu");
    assert_eq!(events[0].unit_id, Some(unit_id));
    let detail: Value = serde_json::from_str(&events[0].detail).unwrap();
    assert_eq!(detail["before"]["quota"], computed);
    assert_eq!(detail["before"]["overridden"], false);
    assert_eq!(detail["after"]["quota"], 150);
    assert_eq!(detail["after"]["reason"], "Phường mới sáp nhập <ghi chú>");

    // A new frame keeps the override.
    put_frame(&app, "HT-Q", (3000, 800)).await;
    assert_eq!(
        stored_quota(&app, "HT-Q", "18073").await.unwrap().target,
        150
    );

    // Undo: the new frame's quota, audited; undoing again is refused.
    let (status, location, _) = post(
        &app,
        &admin,
        "/manage/campaigns/HT-Q/quotas/18073/undo",
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, "/manage/campaigns/HT-Q/quotas/18073?done=undone");
    let q = stored_quota(&app, "HT-Q", "18073").await.unwrap();
    assert!(!q.overridden && q.override_reason.is_none());
    let row = api_quota(&app, "HT-Q", "18073").await;
    assert_eq!(row["overridden"], false);
    let recomputed = row["quota"].as_u64().unwrap();
    assert_eq!(q.target as u64, recomputed);
    assert!(recomputed >= computed && recomputed != 150);
    let (_, overview) = get(&app, &admin, "/manage/campaigns/HT-Q").await;
    assert!(!overview.contains("✎"));
    let events: Vec<_> = audit_actions(&app)
        .await
        .into_iter()
        .filter(|e| e.action.starts_with("quota."))
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].action, "quota.override_undone");
    assert_eq!(events[1].unit_id, Some(unit_id));
    let detail: Value = serde_json::from_str(&events[1].detail).unwrap();
    assert_eq!(detail["before"]["quota"], 150);
    assert_eq!(detail["after"]["quota"], recomputed);
    assert_eq!(detail["after"]["overridden"], false);
    let (status, _, html) = post(
        &app,
        &admin,
        "/manage/campaigns/HT-Q/quotas/18073/undo",
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(status, 409);
    assert!(html.contains("không có điều chỉnh nào để hủy"));
}

#[tokio::test]
async fn a_commune_officer_overrides_only_their_own_units_quota() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    campaign_with_frame(&app, "HT-S", (1000, 800)).await;
    app.settle().await;
    let before = stored_quota(&app, "HT-S", "18100").await.unwrap();
    let officer = app.login_as("manager", Some("18073")).await;
    let token = csrf(&app, &officer).await;
    let fields = [("csrf", token.as_str()), ("target", "5"), ("reason", "thử")];

    // Another unit: as if it did not exist, and unchanged.
    let (status, _) = get(&app, &officer, "/manage/campaigns/HT-S/quotas/18100").await;
    assert_eq!(status, 404);
    let (status, _, _) = post(
        &app,
        &officer,
        "/manage/campaigns/HT-S/quotas/18100",
        &fields,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = post(
        &app,
        &officer,
        "/manage/campaigns/HT-S/quotas/18100/undo",
        &[("csrf", token.as_str())],
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(stored_quota(&app, "HT-S", "18100").await.unwrap(), before);

    // A viewer of their own commune reads but may not change it.
    let viewer = app.login_as("viewer", Some("18073")).await;
    let viewer_token = csrf(&app, &viewer).await;
    let (status, _) = get(&app, &viewer, "/manage/campaigns/HT-S/quotas/18073").await;
    assert_eq!(status, 403);
    let (status, _, _) = post(
        &app,
        &viewer,
        "/manage/campaigns/HT-S/quotas/18073",
        &[("csrf", &viewer_token), ("target", "5"), ("reason", "thử")],
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        !stored_quota(&app, "HT-S", "18073")
            .await
            .unwrap()
            .overridden
    );
    let (_, overview) = get(&app, &viewer, "/manage/campaigns/HT-S").await;
    assert!(!overview.contains("/quotas/18073"));

    // Their own unit: changed.
    let (_, overview) = get(&app, &officer, "/manage/campaigns/HT-S").await;
    assert!(overview.contains(r#"href="/manage/campaigns/HT-S/quotas/18073""#));
    let (status, _, _) = post(
        &app,
        &officer,
        "/manage/campaigns/HT-S/quotas/18073",
        &fields,
    )
    .await;
    assert_eq!(status, 303);
    let own = stored_quota(&app, "HT-S", "18073").await.unwrap();
    assert_eq!((own.target, own.overridden), (5, true));
}

#[tokio::test]
async fn a_form_without_its_token_changes_nothing() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    campaign_with_frame(&app, "HT-C", (1000, 800)).await;
    app.settle().await;
    let admin = app.login_as("admin", None).await;
    let token = csrf(&app, &admin).await;
    let quota = stored_quota(&app, "HT-C", "18073").await.unwrap();
    let audit = audit_actions(&app).await.len();
    for bad in ["", "forged-token"] {
        let form = with(&good_form(&token, "HT-NEW"), &[("csrf", bad)]);
        let (status, _, _) = post(&app, &admin, "/manage/campaigns/new", &pairs(&form)).await;
        assert_eq!(status, 403);
        for action in ["open", "close"] {
            let (status, _, _) = post(
                &app,
                &admin,
                &format!("/manage/campaigns/HT-C/{action}"),
                &[("csrf", bad)],
            )
            .await;
            assert_eq!(status, 403, "{action}");
        }
        let (status, _, _) = post(
            &app,
            &admin,
            "/manage/campaigns/HT-C/quotas/18073",
            &[("csrf", bad), ("target", "5"), ("reason", "thử")],
        )
        .await;
        assert_eq!(status, 403);
        let (status, _, _) = post(
            &app,
            &admin,
            "/manage/campaigns/HT-C/quotas/18073/undo",
            &[("csrf", bad)],
        )
        .await;
        assert_eq!(status, 403);
    }
    // Without any body at all, too.
    let response = admin
        .post(app.url("/manage/campaigns/HT-C/close"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(status_of(&app, "HT-C").await, "open");
    assert_eq!(stored_quota(&app, "HT-C", "18073").await.unwrap(), quota);
    assert!(
        sipas::storage::campaigns::by_code(app.storage.db(), "HT-NEW")
            .await
            .is_err()
    );
    assert_eq!(audit_actions(&app).await.len(), audit);
}
