//! An official sets up a round in a real headless Chromium, without the API: logs in,
//! creates a campaign through the form (first with a last day before the first: the
//! message is next to that field), lands on its set-up page, opens it; then overrides a
//! unit's quota from the overview and sees the marker with its reason.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::json;

use super::browser::{DESKTOP, session, start_driver};
use crate::common::{Backend, spawn_app};

/// Waits until the page's path and query (`None`: none) are what is wanted.
async fn wait_for(client: &Client, wanted: impl Fn(&Where) -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let url = client.current_url().await.unwrap();
        if wanted(&Where {
            path: url.path(),
            query: url.query(),
        }) {
            return;
        }
        assert!(Instant::now() < deadline, "never reached {what}: {url}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Where the browser is.
struct Where<'a> {
    path: &'a str,
    query: Option<&'a str>,
}

impl Where<'_> {
    fn path(&self) -> &str {
        self.path
    }

    fn query(&self) -> Option<&str> {
        self.query
    }
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap();
}

async fn type_into(client: &Client, css: &str, text: &str) {
    let field = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// A date field's value, set as the date picker would (typing into one follows the
/// browser's locale).
async fn set_date(client: &Client, id: &str, day: chrono::NaiveDate) {
    client
        .execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![json!(id), json!(day.to_string())],
        )
        .await
        .unwrap();
}

async fn text(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_official_sets_up_a_round_in_chromium() {
    let Some(driver) = start_driver() else {
        return;
    };
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let password = app.create_user("so.noivu", "admin", None).await;
    let client = session(&driver, DESKTOP, None).await;

    client.goto(&app.url("/manage")).await.unwrap();
    wait_for(&client, |u| u.path() == "/login", "the login page").await;
    type_into(&client, "#username", "so.noivu").await;
    type_into(&client, "#password", &password).await;
    click(&client, "form[action='/login'] button[type='submit']").await;
    wait_for(&client, |u| u.path() == "/manage", "the campaign list").await;

    click(&client, "a[href='/manage/campaigns/new']").await;
    wait_for(
        &client,
        |u| u.path() == "/manage/campaigns/new",
        "the new campaign form",
    )
    .await;
    let today = sipas_domain::campaign::vietnam_day(chrono::Utc::now());
    type_into(&client, "#f-code", "HT-WEB").await;
    type_into(&client, "#f-name", "Khảo sát SIPAS 2026").await;
    set_date(&client, "f-starts_on", today).await;
    set_date(&client, "f-ends_on", today - chrono::Duration::days(1)).await;
    click(
        &client,
        "form[action='/manage/campaigns/new'] button.btn-main",
    )
    .await;

    // The one problem, next to its field and in the summary; nothing stored.
    let deadline = Instant::now() + Duration::from_secs(20);
    while client.find(Locator::Css("#f-ends_on-error")).await.is_err() {
        assert!(Instant::now() < deadline, "no error shown");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        text(&client, "#f-ends_on-error")
            .await
            .contains("Ngày kết thúc không được trước ngày bắt đầu")
    );
    let invalid = client
        .find(Locator::Css("#f-ends_on"))
        .await
        .unwrap()
        .attr("aria-invalid")
        .await
        .unwrap();
    assert_eq!(invalid.as_deref(), Some("true"));
    assert_eq!(
        client
            .find_all(Locator::Css("p.error"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        text(&client, ".summary a[href='#f-ends_on']")
            .await
            .contains("Ngày kết thúc")
    );
    let kept = client
        .find(Locator::Css("#f-name"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("Khảo sát SIPAS 2026"));
    assert!(
        sipas::storage::campaigns::all(app.storage.db())
            .await
            .unwrap()
            .is_empty()
    );

    // Fixed: created, and on its set-up page.
    set_date(&client, "f-ends_on", today + chrono::Duration::days(30)).await;
    click(
        &client,
        "form[action='/manage/campaigns/new'] button.btn-main",
    )
    .await;
    wait_for(
        &client,
        |u| u.path() == "/manage/campaigns/HT-WEB/setup",
        "the set-up page",
    )
    .await;
    assert!(
        text(&client, "[role=status]")
            .await
            .contains("Đã tạo đợt khảo sát")
    );

    // Its frame (uploaded by the frame page, here through the API), then open it.
    let frame = "unit_code,service_point_code,population\n18073,,1000\n18100,,800\n";
    let response = app
        .send_csv(
            reqwest::Method::PUT,
            "/api/v1/campaigns/HT-WEB/frame",
            frame,
        )
        .await;
    assert_eq!(response.status(), 200);
    client
        .goto(&app.url("/manage/campaigns/HT-WEB/setup"))
        .await
        .unwrap();
    click(
        &client,
        "form[action='/manage/campaigns/HT-WEB/open'] button",
    )
    .await;
    wait_for(
        &client,
        |u| u.query().is_some_and(|q| q.contains("done=opened")),
        "the campaign opened",
    )
    .await;
    assert!(
        text(&client, "[role=status]")
            .await
            .contains("Đã mở đợt khảo sát")
    );
    let stored = sipas::storage::campaigns::by_code(app.storage.db(), "HT-WEB")
        .await
        .unwrap();
    assert_eq!(stored.status.as_str(), "open");

    // A quota override from the overview, and its marker there.
    client
        .goto(&app.url("/manage/campaigns/HT-WEB"))
        .await
        .unwrap();
    click(&client, "a[href='/manage/campaigns/HT-WEB/quotas/18073']").await;
    wait_for(
        &client,
        |u| u.path() == "/manage/campaigns/HT-WEB/quotas/18073",
        "the quota page",
    )
    .await;
    type_into(&client, "#f-target", "120").await;
    type_into(&client, "#f-reason", "Phường mới sáp nhập").await;
    click(
        &client,
        "form[action='/manage/campaigns/HT-WEB/quotas/18073'] button.btn-main",
    )
    .await;
    wait_for(
        &client,
        |u| u.query().is_some_and(|q| q.contains("done=set")),
        "the quota saved",
    )
    .await;
    click(&client, "a[href='/manage/campaigns/HT-WEB']").await;
    wait_for(
        &client,
        |u| u.path() == "/manage/campaigns/HT-WEB",
        "the overview",
    )
    .await;
    let marker = client
        .find(Locator::Css("details.ovr"))
        .await
        .expect("the override marker");
    let summary = marker.find(Locator::Css("summary")).await.unwrap();
    assert!(summary.text().await.unwrap().contains("điều chỉnh"));
    // Opened by the keyboard: the reason is then visible.
    summary.send_keys(" ").await.unwrap();
    let reason = marker.find(Locator::Css("small")).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !reason.is_displayed().await.unwrap() {
        assert!(Instant::now() < deadline, "the reason never shows");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(reason.text().await.unwrap().contains("Phường mới sáp nhập"));
    let row = marker
        .find(Locator::XPath("./ancestor::td"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(row.starts_with("120"), "{row}");
    client.close().await.unwrap();
}
