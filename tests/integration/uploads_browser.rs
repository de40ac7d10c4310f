//! An administrator in a real headless Chromium uploads a frame with a bad line (sees
//! the line, nothing applied), fixes it, previews and applies it; then keys a paper
//! form with the keyboard only (digits, Tab, Enter) and sees it saved.

use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::json;

use super::browser::{DESKTOP, session, start_driver};
use crate::citizen::create_campaign;
use crate::common::{Backend, spawn_app};
use crate::frame_upload::frame_state;

async fn wait_for_text(client: &Client, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let source = client.source().await.unwrap();
        if source.contains(text) {
            return source;
        }
        assert!(Instant::now() < deadline, "never saw {text:?}: {source}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn upload(client: &Client, path: &std::path::Path) {
    client
        .find(Locator::Css("#file"))
        .await
        .unwrap()
        .send_keys(path.to_str().unwrap())
        .await
        .unwrap();
    client
        .find(Locator::Css(
            "form[enctype='multipart/form-data'] button[type='submit']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test]
async fn an_admin_uploads_a_frame_and_keys_a_form_in_chromium() {
    let Some(driver) = start_driver() else {
        return;
    };
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    create_campaign(&app, json!({"code": "BR-2026"})).await;
    let password = app.create_user("so.noivu", "admin", None).await;
    let client = session(&driver, DESKTOP, None).await;
    client.goto(&app.url("/login")).await.unwrap();
    client
        .find(Locator::Css("#username"))
        .await
        .unwrap()
        .send_keys("so.noivu")
        .await
        .unwrap();
    client
        .find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(&password)
        .await
        .unwrap();
    client
        .find(Locator::Css("form[action='/login'] button[type='submit']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "Đăng xuất").await;

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("frame-bad.csv");
    std::fs::write(
        &bad,
        "unit_code,service_point_code,population\n18073,,120\n18100,,nhiều\n",
    )
    .unwrap();
    client
        .goto(&app.url("/manage/campaigns/BR-2026/frame"))
        .await
        .unwrap();
    upload(&client, &bad).await;
    let page = wait_for_text(&client, "không có gì thay đổi").await;
    assert!(page.contains("nhiều"), "the bad value is named");
    let cell = client
        .find(Locator::Css("#problems td"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(cell, "3", "the bad line");
    assert!(
        frame_state(&app, "BR-2026").await.0.is_empty(),
        "nothing applied"
    );

    let good = dir.path().join("frame.csv");
    std::fs::write(
        &good,
        "unit_code,service_point_code,population\n18073,,120\n18100,,1000\n",
    )
    .unwrap();
    upload(&client, &good).await;
    wait_for_text(&client, "Xem trước: chưa có gì được áp dụng").await;
    assert!(
        frame_state(&app, "BR-2026").await.0.is_empty(),
        "a preview applies nothing"
    );
    client
        .find(Locator::Css(
            "form[action*='/frame/apply'] button[type='submit']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "Đã áp dụng khung mẫu: 2 đơn vị thêm").await;
    assert_eq!(
        frame_state(&app, "BR-2026").await.0,
        [("18073".to_owned(), 120), ("18100".to_owned(), 1000)]
    );

    // Keying with the keyboard only: the serial has the focus; Tab between fields.
    client
        .goto(&app.url("/manage/campaigns/BR-2026/paper/entry"))
        .await
        .unwrap();
    wait_for_text(&client, "Nhập phiếu giấy").await;
    let tab = char::from(Key::Tab);
    let mut keys = format!("P-0001{tab}18073{tab}{tab}{tab}");
    for i in 0..22 {
        keys.push(if i % 2 == 0 { '5' } else { '4' });
        keys.push(tab);
    }
    keys.push(char::from(Key::Enter));
    client
        .active_element()
        .await
        .unwrap()
        .send_keys(&keys)
        .await
        .unwrap();
    wait_for_text(&client, "Phiếu số P-0001 đã lưu.").await;
    let db = app.storage.db();
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(entity::response::Entity::find().count(db).await.unwrap(), 1);
    let stored = entity::response::Entity::find()
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.serial.as_deref(), Some("P-0001"));
    assert_eq!(stored.answers, "5454545454545454545454");
    client.close().await.unwrap();
}
