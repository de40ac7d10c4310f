//! The audit log page: newest first, a page of 100 at a time, who / what (in words,
//! unknown actions raw) / subject / when (Vietnam time) / before → after, filtered by
//! user, by unit (with every unit below it) and by Vietnam days. Admins only.

use chrono::TimeZone;
use sea_orm::{ActiveValue::Set, EntityTrait};

use crate::admin_users::page_and_csrf;
use crate::common::{Backend, TestApp, spawn_app};

async fn event(
    app: &TestApp,
    at: chrono::DateTime<chrono::Utc>,
    actor: &str,
    action: &str,
    subject: &str,
    unit_id: Option<i32>,
    detail: serde_json::Value,
) {
    entity::audit_event::Entity::insert(entity::audit_event::ActiveModel {
        at: Set(at),
        actor: Set(actor.to_owned()),
        action: Set(action.to_owned()),
        subject: Set(subject.to_owned()),
        detail: Set(detail.to_string()),
        unit_id: Set(unit_id),
        ..Default::default()
    })
    .exec_without_returning(app.storage.db())
    .await
    .unwrap();
}

async fn unit_id(app: &TestApp, code: &str) -> i32 {
    sipas::storage::units::by_code(app.storage.db(), code, None)
        .await
        .unwrap()
        .id
}

/// The subjects listed on a page of the log, in order (they all start with `s-`).
fn subjects(html: &str) -> Vec<String> {
    html.split(r#"data-label=""#)
        .filter_map(|cell| {
            let text = &cell[cell.find('>')? + 1..];
            text.starts_with("s-")
                .then(|| text[..text.find(['<', ' ']).unwrap_or(text.len())].to_owned())
        })
        .collect()
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_log_is_filtered_by_user_unit_subtree_and_vietnam_days() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let thanh_sen = unit_id(&app, "18073").await;
    let other = unit_id(&app, "S-NV").await;
    let utc = |d, h| chrono::Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap();
    // 1 March 10:00 UTC is 17:00 in Vietnam; 1 March 18:00 UTC is 2 March 01:00.
    event(
        &app,
        utc(1, 10),
        "alice",
        "user.disable",
        "s-one",
        Some(thanh_sen),
        serde_json::json!({"before": {"disabled": false}, "after": {"disabled": true}}),
    )
    .await;
    event(
        &app,
        utc(1, 18),
        "bob",
        "quota.override",
        "s-two",
        Some(other),
        serde_json::json!({"before": {"quota": 100}, "after": {"quota": 80}, "reason": "đóng cửa"}),
    )
    .await;
    event(
        &app,
        utc(5, 3),
        "alice",
        "mystery.action",
        "s-three",
        None,
        serde_json::json!({"lines": 3}),
    )
    .await;

    let admin = app.login_as("admin", None).await;
    let (status, all) = get(&admin, &app, "/manage/audit").await;
    assert_eq!(status, 200);
    let listed = subjects(&all);
    assert_eq!(
        &listed[listed.len() - 3..],
        ["s-three", "s-two", "s-one"],
        "newest first"
    );
    assert!(all.contains("01/03/2026 17:00") && all.contains("02/03/2026 01:00"));
    assert!(all.contains("Khóa tài khoản") && all.contains("mystery.action"));
    assert!(all.contains("<b>quota: </b>100") && all.contains("<b>quota: </b>80"));
    assert!(all.contains("<b>reason: </b>đóng cửa"));
    assert!(all.contains("<b>lines: </b>3"));
    assert!(all.contains("Phường Thành Sen (18073)"));
    // The user filter lists who acted.
    assert!(all.contains(r#"<option value="alice">"#));

    let (_, alice) = get(&admin, &app, "/manage/audit?actor=alice").await;
    assert_eq!(subjects(&alice), ["s-three", "s-one"]);
    // The province holds both units; a commune only itself.
    let (_, province) = get(&admin, &app, "/manage/audit?unit=42").await;
    assert!(subjects(&province).ends_with(&["s-two".to_owned(), "s-one".to_owned()]));
    assert!(!subjects(&province).contains(&"s-three".to_owned()));
    let (_, commune) = get(&admin, &app, "/manage/audit?unit=18073").await;
    assert_eq!(subjects(&commune), ["s-one"]);
    let (_, day) = get(&admin, &app, "/manage/audit?from=02/03/2026&to=2026-03-02").await;
    assert_eq!(subjects(&day), ["s-two"]);
    let (_, both) = get(
        &admin,
        &app,
        "/manage/audit?actor=alice&from=2026-03-01&to=2026-03-01&lang=en",
    )
    .await;
    assert_eq!(subjects(&both), ["s-one"]);
    assert!(both.contains("Account disabled"));

    // A bad filter says what is wrong, next to its field.
    let (status, bad) = get(&admin, &app, "/manage/audit?unit=nope&from=31/02/2026").await;
    assert_eq!(status, 400);
    assert!(bad.contains(r#"id="unit-error""#) && bad.contains(r#"id="from-error""#));
    assert!(bad.contains(r#"aria-invalid="true""#));

    // Not for managers, even of their own unit.
    let officer = app.login_as("manager", Some("18073")).await;
    assert_eq!(get(&officer, &app, "/manage/audit?unit=18073").await.0, 403);
}

#[tokio::test]
async fn the_log_is_paged_by_a_hundred_newest_first() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let start = chrono::Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
    for i in 0..105 {
        event(
            &app,
            start + chrono::Duration::minutes(i),
            "pager",
            "unit.rename",
            &format!("s-{i:03}"),
            None,
            serde_json::json!({"from": "a", "to": "b"}),
        )
        .await;
    }
    let admin = app.login_as("admin", None).await;
    let (_, first) = get(&admin, &app, "/manage/audit?actor=pager").await;
    let listed = subjects(&first);
    assert_eq!(listed.len(), 100);
    assert_eq!(
        (listed[0].as_str(), listed[99].as_str()),
        ("s-104", "s-005")
    );
    let older = first
        .split(r#"<a href=""#)
        .map(|s| &s[..s.find('"').unwrap()])
        .find(|href| href.contains("before="))
        .expect("a link to older events")
        .replace("&amp;", "&");
    assert!(older.contains("actor=pager"), "{older}");
    let (_, second) = get(&admin, &app, &older).await;
    assert_eq!(
        subjects(&second),
        ["s-004", "s-003", "s-002", "s-001", "s-000"]
    );
    assert!(!second.contains("before="), "no older page");
    assert!(second.contains("Mới nhất"));
    let _ = page_and_csrf;
}
