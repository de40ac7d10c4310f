//! Paper and interviewer forms on the dashboard: a file is stored all or nothing (bad
//! lines, serials stored or repeated, units outside the uploader's scope are line
//! errors); one form keyed at a time is stored once per serial, only with the form's
//! token, never by a viewer. The API's import takes the serial column too.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::backend_tests;
use crate::citizen::{create_campaign, full_answers};
use crate::common::{Backend, TestApp, field_value, spawn_app};
use crate::frame_upload::post_multipart;

backend_tests!(
    a_file_of_forms_is_all_or_nothing,
    keyed_forms_are_stored_once,
);

fn codes() -> Vec<String> {
    full_answers("").into_iter().map(|(c, _)| c).collect()
}

fn header() -> String {
    format!(
        "serial,unit_code,service_point_code,channel,{}\n",
        codes().join(",")
    )
}

fn line(serial: &str, unit: &str) -> String {
    format!("{serial},{unit},,paper{}\n", ",4".repeat(codes().len()))
}

async fn stored(app: &TestApp, code: &str) -> Vec<(Option<String>, String)> {
    let db = app.storage.db();
    let campaign = sipas::storage::campaigns::by_code(db, code).await.unwrap();
    let mut rows: Vec<(Option<String>, String)> = entity::response::Entity::find()
        .filter(entity::response::Column::CampaignId.eq(campaign.id))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.serial, r.channel))
        .collect();
    rows.sort();
    rows
}

async fn audit_count(app: &TestApp, action: &str) -> u64 {
    entity::audit_event::Entity::find()
        .filter(entity::audit_event::Column::Action.eq(action))
        .count(app.storage.db())
        .await
        .unwrap()
}

async fn setup(backend: Backend, code: &str) -> Option<TestApp> {
    let app = spawn_app(backend).await?;
    create_campaign(&app, json!({"code": code})).await;
    Some(app)
}

fn lines_of(html: &str) -> Vec<String> {
    html.split("<tr>")
        .skip(1)
        .filter_map(|row| {
            let c = row.split("<td").nth(1)?;
            let start = c.find('>')? + 1;
            Some(c[start..c.find("</td>")?].to_owned())
        })
        .collect()
}

async fn a_file_of_forms_is_all_or_nothing(backend: Backend) {
    let Some(app) = setup(backend, "PA-FILE").await else {
        return;
    };
    // Through the API, with serials: stored and audited per unit.
    let response = app
        .send_csv(
            reqwest::Method::POST,
            "/api/v1/campaigns/PA-FILE/responses",
            &format!("{}{}{}", header(), line("A-1", "18073"), line("", "18100")),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(audit_count(&app, "responses.import").await, 2);
    let response = app
        .send_csv(
            reqwest::Method::POST,
            "/api/v1/campaigns/PA-FILE/responses",
            &format!("{}{}", header(), line("A-1", "18073")),
        )
        .await;
    assert_eq!(response.status(), 422, "a serial stored already");
    let before = stored(&app, "PA-FILE").await;
    assert_eq!(before.len(), 2);

    let admin = app.login_as("admin", None).await;
    let url = app.url("/manage/campaigns/PA-FILE/paper");
    let page = admin.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    let csrf = field_value(&page, "csrf").unwrap();
    let bad = format!(
        "{}{}{}{}B-3,18073,,email{}\n",
        header(),
        line("B-1", "18073"),
        line("A-1", "18073"),
        line("B-1", "18100"),
        ",4".repeat(codes().len()),
    );
    let (status, html) = post_multipart(
        &admin,
        &url,
        &[("csrf", &csrf)],
        Some(("forms.csv", bad.as_bytes())),
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert_eq!(lines_of(&html), ["3", "4", "5"], "{html}");
    assert!(html.contains("serial A-1 is already stored"));
    assert!(html.contains("serial B-1 is also on line 2"));
    assert_eq!(stored(&app, "PA-FILE").await, before, "nothing stored");

    // A commune officer: a line of another unit is refused, and nothing is stored.
    let officer = app.login_as("manager", Some("18073")).await;
    let officer_page = officer
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let officer_csrf = field_value(&officer_page, "csrf").unwrap();
    let mixed = format!(
        "{}{}{}",
        header(),
        line("C-1", "18073"),
        line("C-2", "18100")
    );
    let (status, html) = post_multipart(
        &officer,
        &url,
        &[("csrf", &officer_csrf)],
        Some(("forms.csv", mixed.as_bytes())),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(lines_of(&html), ["3"]);
    assert!(html.contains("outside your scope"));
    assert_eq!(stored(&app, "PA-FILE").await, before);
    // Without the token: nothing.
    let own = format!("{}{}", header(), line("C-1", "18073"));
    let (status, _) = post_multipart(
        &officer,
        &url,
        &[("csrf", "nope")],
        Some(("forms.csv", own.as_bytes())),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(stored(&app, "PA-FILE").await, before);
    // Their own unit's forms are stored.
    let (status, html) = post_multipart(
        &officer,
        &url,
        &[("csrf", &officer_csrf)],
        Some(("forms.csv", own.as_bytes())),
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Đã lưu 1 phiếu."));
    assert_eq!(stored(&app, "PA-FILE").await.len(), 3);
    // A viewer enters nothing.
    let viewer = app.login_as("viewer", None).await;
    assert_eq!(viewer.get(&url).send().await.unwrap().status(), 403);
}

async fn keyed_forms_are_stored_once(backend: Backend) {
    let Some(app) = setup(backend, "PA-KEY").await else {
        return;
    };
    let officer = app.login_as("manager", Some("18073")).await;
    let url = app.url("/manage/campaigns/PA-KEY/paper/entry");
    let page = officer.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    let csrf = field_value(&page, "csrf").unwrap();
    let form = |csrf: &str, serial: &str, unit: &str| {
        let mut fields: Vec<(String, String)> = vec![
            ("csrf".into(), csrf.into()),
            ("serial".into(), serial.into()),
            ("unit".into(), unit.into()),
            ("desk".into(), String::new()),
            ("channel".into(), "interviewer".into()),
            ("comment".into(), "Nhanh gọn".into()),
        ];
        for (i, code) in codes().into_iter().enumerate() {
            fields.push((code, if i == 3 { String::new() } else { "5".into() }));
        }
        fields
    };
    let response = officer
        .post(&url)
        .form(&form(&csrf, "K-001", "18073"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("saved=K%2D001") || location.contains("saved=K-001"));
    let next = officer
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(next.contains("Phiếu số K-001 đã lưu."), "{next}");
    assert!(
        next.contains("<option value=\"interviewer\" selected"),
        "the channel is kept"
    );
    assert_eq!(field_value(&next, "serial").as_deref(), Some(""));
    let rows = stored(&app, "PA-KEY").await;
    assert_eq!(rows, [(Some("K-001".to_owned()), "interviewer".to_owned())]);
    assert_eq!(audit_count(&app, "response.keyed").await, 1);

    // The same serial again: refused, nothing stored, the keyed values kept.
    let response = officer
        .post(&url)
        .form(&form(&csrf, "K-001", "18073"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Phiếu số K-001 đã được nhập trước đó"),
        "{html}"
    );
    assert!(html.contains("aria-invalid=\"true\""));
    assert_eq!(field_value(&html, "serial").as_deref(), Some("K-001"));
    assert_eq!(field_value(&html, "comment").as_deref(), Some("Nhanh gọn"));
    assert_eq!(stored(&app, "PA-KEY").await, rows);

    // Another unit than theirs, a missing serial, a bad answer: refused.
    for (serial, unit) in [("K-002", "18100"), ("", "18073")] {
        let response = officer
            .post(&url)
            .form(&form(&csrf, serial, unit))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422);
    }
    let mut bad = form(&csrf, "K-003", "18073");
    bad.push(("TC1".into(), "9".into()));
    bad.retain(|(k, v)| k != "TC1" || v == "9");
    let response = officer.post(&url).form(&bad).send().await.unwrap();
    assert_eq!(response.status(), 422);
    // No token: nothing.
    let response = officer
        .post(&url)
        .form(&form("", "K-004", "18073"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(stored(&app, "PA-KEY").await, rows);

    // A viewer neither opens the page nor keys.
    let viewer = app.login_as("viewer", None).await;
    assert_eq!(viewer.get(&url).send().await.unwrap().status(), 403);
    let viewer_csrf = field_value(
        &viewer
            .get(app.url("/manage"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "csrf",
    )
    .unwrap();
    let response = viewer
        .post(&url)
        .form(&form(&viewer_csrf, "K-005", "18073"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(stored(&app, "PA-KEY").await, rows);
}
