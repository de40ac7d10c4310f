//! A survey manager's morning, in a real headless Chromium: log in through the form,
//! open the campaign's overview, filter it to the units at risk, open one unit's page,
//! download its responses as XLSX and read the file back.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::json;

use super::browser::{DESKTOP, session, start_driver};
use crate::common::{AppOptions, Backend, TestApp, spawn_app_with};

async fn wait_for_path(client: &Client, wanted: impl Fn(&str) -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let url = client.current_url().await.unwrap();
        if wanted(url.path()) {
            return;
        }
        assert!(Instant::now() < deadline, "never reached {what}: {url}");
        tokio::time::sleep(Duration::from_millis(50)).await;
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

/// The campaign's units at risk, by code, as the API reports them.
async fn at_risk(app: &TestApp, campaign: &str) -> Vec<String> {
    let quotas = app
        .read_json(&format!(
            "/api/v1/campaigns/{campaign}/quotas?status=at_risk"
        ))
        .await;
    quotas
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["unit_code"].as_str().unwrap().to_owned())
        .collect()
}

/// A finished download in `dir` ending in `extension`.
async fn downloaded(dir: &std::path::Path, extension: &str) -> std::path::PathBuf {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == extension));
        if let Some(path) = done {
            return path;
        }
        assert!(Instant::now() < deadline, "no .{extension} downloaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_manager_follows_the_round_in_chromium() {
    let Some(driver) = start_driver() else {
        return;
    };
    let Some(app) = spawn_app_with(
        Backend::Sqlite,
        AppOptions {
            demo: true,
            ..Default::default()
        },
    )
    .await
    else {
        return;
    };
    let password = app.create_user("so.noivu", "admin", None).await;
    let downloads = tempfile::tempdir().unwrap();
    let prefs = json!({
        "download.default_directory": downloads.path().to_str().unwrap(),
        "download.prompt_for_download": false,
    });
    let client = session(&driver, DESKTOP, Some(prefs)).await;

    client
        .goto(&app.url("/manage/campaigns/DEMO-2026"))
        .await
        .unwrap();
    wait_for_path(&client, |p| p == "/login", "the login page").await;
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
    click(&client, "form[action='/login'] button[type='submit']").await;
    wait_for_path(
        &client,
        |p| p == "/manage/campaigns/DEMO-2026",
        "the overview",
    )
    .await;

    // Filtered to the units at risk: exactly those the API says are.
    let expected = at_risk(&app, "DEMO-2026").await;
    assert!(!expected.is_empty(), "the demo has units at risk");
    click(&client, "a[href*='status=at_risk']").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !client
        .current_url()
        .await
        .unwrap()
        .as_str()
        .contains("status=at_risk")
    {
        assert!(Instant::now() < deadline, "the filter was not applied");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let links = client
        .find_all(Locator::Css("table a[href*='/units/']"))
        .await
        .unwrap();
    let mut listed = Vec::new();
    for link in &links {
        let href = link.attr("href").await.unwrap().unwrap();
        let code = href
            .split("/units/")
            .nth(1)
            .unwrap()
            .split(['?', '/'])
            .next()
            .unwrap();
        listed.push(code.to_owned());
    }
    let (mut listed_sorted, mut expected_sorted) = (listed.clone(), expected.clone());
    listed_sorted.sort();
    expected_sorted.sort();
    assert_eq!(listed_sorted, expected_sorted, "the at-risk filter");
    let badges = client.find_all(Locator::Css("table .badge")).await.unwrap();
    for badge in badges {
        assert_eq!(badge.text().await.unwrap(), "✖ Nguy cơ không đạt");
    }

    // One unit's page, then its responses as XLSX.
    let unit = listed[0].clone();
    links[0].clone().click().await.unwrap();
    wait_for_path(
        &client,
        |p| p.ends_with(&format!("/units/{unit}")),
        "the unit page",
    )
    .await;
    let source = client.source().await.unwrap();
    assert!(source.contains("<svg"), "charts drawn on the server");
    click(&client, "a[href*='responses.xlsx']").await;
    let file = downloaded(downloads.path(), "xlsx").await;
    client.close().await.unwrap();

    use calamine::{Data, Reader, Xlsx, open_workbook};
    let mut workbook: Xlsx<_> = open_workbook(&file).unwrap();
    let sheet = workbook.sheet_names()[0].clone();
    let range = workbook.worksheet_range(&sheet).unwrap();
    let rows: Vec<_> = range.rows().collect();
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    let (stored, unit_name) = {
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        let campaign = sipas::storage::campaigns::by_code(app.storage.db(), "DEMO-2026")
            .await
            .unwrap();
        let row = sipas::storage::units::by_code(app.storage.db(), &unit, Some(campaign.units_on))
            .await
            .unwrap();
        let count = entity::response::Entity::find()
            .filter(entity::response::Column::CampaignId.eq(campaign.id))
            .filter(entity::response::Column::UnitId.eq(row.id))
            .count(app.storage.db())
            .await
            .unwrap();
        (count, row.name)
    };
    assert_eq!(rows.len() as u64 - 1, stored, "one row per stored response");
    // Labels in the reader's language; the criteria follow the exclusion reason.
    let at = |label: &str| {
        header
            .iter()
            .position(|h| h == label)
            .unwrap_or_else(|| panic!("no column {label:?} in {header:?}"))
    };
    let (code_at, name_at, date_at) = (at("Mã đơn vị"), at("Tên đơn vị"), at("Ngày gửi"));
    let first_criterion = at("Lý do loại khỏi điểm") + 1;
    let mut numeric = 0;
    for row in &rows[1..] {
        assert_eq!(row[code_at].to_string(), unit);
        assert!(
            matches!(row[date_at], Data::DateTime(_)),
            "{:?}",
            row[date_at]
        );
        if matches!(row[first_criterion], Data::Float(_) | Data::Int(_)) {
            numeric += 1;
        }
    }
    assert!(numeric > 0, "answers are numbers, not text");
    assert_eq!(
        rows[1][name_at].to_string(),
        unit_name,
        "Vietnamese text intact"
    );
}
