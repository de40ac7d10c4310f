//! The staff pages and the generic 404: every HTML page in the one layout, in
//! Vietnamese first and English on request.

use crate::common::{AppOptions, Backend, spawn_app_with};

fn assert_in_layout(html: &str, lang: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains(&format!("<html lang=\"{lang}\"")), "{html}");
    assert!(
        html.contains("name=\"viewport\" content=\"width=device-width,initial-scale=1\""),
        "{html}"
    );
    assert!(!html.contains("<script"), "no script");
}

#[tokio::test]
async fn unknown_pages_and_the_overview_use_the_layout() {
    let options = AppOptions {
        demo: true,
        ..Default::default()
    };
    let Some(app) = spawn_app_with(Backend::Sqlite, options).await else {
        return;
    };
    let missing = app.client.get(app.url("/nowhere")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let html = missing.text().await.unwrap();
    assert_in_layout(&html, "vi");
    assert!(html.contains("href=\"/\""), "a way home");
    let english = app
        .client
        .get(app.url("/nowhere?lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(english.status(), 404);
    assert_in_layout(&english.text().await.unwrap(), "en");

    app.settle().await;
    let home = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    let html = home.text().await.unwrap();
    assert_in_layout(&html, "vi");
    assert!(html.contains("DEMO-2021"));
    assert!(
        html.contains("01/03/2021 – 31/10/2021"),
        "dates as dd/mm/yyyy"
    );
    assert!(html.contains("Đã kết thúc") && html.contains("Đang nhận phiếu"));
    let english = app.page(&app.url("/?lang=en")).await;
    assert_in_layout(&english, "en");

    let docs = app.page(&app.url("/api/docs")).await;
    assert_in_layout(&docs, "vi");
    assert!(docs.contains("/api/v1/campaigns/{campaign}/close"));
}
