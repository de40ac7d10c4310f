//! A district's posters printed by a real headless Chromium: the manager logs in,
//! opens the print page of Thị xã Hồng Lĩnh (a district of the structure before the
//! 2025 reform, with its six communes), prints it to PDF on A4 (WebDriver "Print
//! Page"), and each page, rasterised by poppler's `pdftoppm`, holds exactly one QR code
//! decoding to one desk's link: one page per desk of the district, every desk once.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use fantoccini::wd::{PrintConfiguration, PrintMargins, PrintSize};
use fantoccini::{Client, Locator};
use serde_json::json;

use super::browser::{DESKTOP, session, start_driver};
use crate::common::{Backend, TestApp, spawn_app};

const CAMPAIGN: &str = "HT-2024";
const DISTRICT: &str = "437";

fn pdftoppm() -> Option<&'static str> {
    const PATH: &str = "/usr/bin/pdftoppm";
    if std::path::Path::new(PATH).exists() {
        return Some(PATH);
    }
    if std::env::var("SIPAS_TEST_REQUIRE_SERVICES").is_ok_and(|v| v == "1") {
        panic!("{PATH} is required for the poster test (apt-get install poppler-utils)");
    }
    eprintln!("SKIPPED: {PATH} not installed (poppler-utils); poster test ran nothing");
    None
}

/// Every desk of the district and its communes in the campaign, with its link read back
/// from the API's QR code.
async fn district_desk_links(app: &TestApp) -> BTreeSet<String> {
    let mut codes = vec![DISTRICT.to_owned()];
    let units = app
        .read_json(&format!(
            "/api/v1/units?parent={DISTRICT}&campaign={CAMPAIGN}"
        ))
        .await;
    codes.extend(
        units
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["code"].as_str().unwrap().to_owned()),
    );
    let mut links = BTreeSet::new();
    for unit in codes {
        let desks = app
            .read_json(&format!(
                "/api/v1/units/{unit}/service-points?on=2024-01-01"
            ))
            .await;
        for desk in desks.as_array().unwrap() {
            if desk["valid_until"].is_null() {
                let code = desk["code"].as_str().unwrap();
                links.insert(crate::citizen::desk_url_at(app, CAMPAIGN, &unit, code).await);
            }
        }
    }
    links
}

async fn log_in(client: &Client, app: &TestApp, username: &str, password: &str, next: &str) {
    client.goto(&app.url(next)).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while client.current_url().await.unwrap().path() != "/login" {
        assert!(Instant::now() < deadline, "no login page");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for (field, value) in [("#username", username), ("#password", password)] {
        client
            .find(Locator::Css(field))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    client
        .find(Locator::Css("form[action='/login'] button[type='submit']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while client.current_url().await.unwrap().path() == "/login" {
        assert!(Instant::now() < deadline, "the login did not go through");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_districts_posters_print_one_qr_code_per_page() {
    let Some(driver) = start_driver() else {
        return;
    };
    let Some(pdftoppm) = pdftoppm() else {
        return;
    };
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    crate::citizen::create_campaign(
        &app,
        json!({"code": CAMPAIGN, "starts_on": "2024-01-01", "ends_on": "2024-12-31", "status": "draft"}),
    )
    .await;
    // A commune with a second desk: two of the district's pages are one commune's.
    let made = app
        .post_json(
            "/api/v1/units/18115/service-points?on=2024-01-01",
            &json!({"code": "Q1", "name": "Quầy Đất đai"}),
        )
        .await;
    assert_eq!(made.status(), 201);
    let expected = district_desk_links(&app).await;
    assert_eq!(
        expected.len(),
        8,
        "the district, its six communes, one more desk"
    );

    let password = app.create_user("so.noivu", "admin", None).await;
    let client = session(&driver, DESKTOP, None).await;
    // The chooser, then the district's print page, as a manager reaches it.
    let print_path = format!("/manage/campaigns/{CAMPAIGN}/posters/print?parent={DISTRICT}");
    log_in(
        &client,
        &app,
        "so.noivu",
        &password,
        &format!("/manage/campaigns/{CAMPAIGN}/posters"),
    )
    .await;
    let source = client.source().await.unwrap();
    assert!(
        source.contains(&format!("value=\"{DISTRICT}\"")),
        "the district is offered"
    );
    client.goto(&app.url(&print_path)).await.unwrap();
    let sheets = client.find_all(Locator::Css(".sheet")).await.unwrap();
    assert_eq!(sheets.len(), expected.len());

    let pdf = client
        .print(
            PrintConfiguration::builder()
                .size(PrintSize::A4)
                .margins(PrintMargins {
                    top: 1.0,
                    bottom: 1.0,
                    left: 1.0,
                    right: 1.0,
                })
                .background(true)
                .build()
                .unwrap(),
        )
        .await
        .expect("Chromium prints the page");
    client.close().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("posters.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let status = std::process::Command::new(pdftoppm)
        .args(["-r", "100", "-png"])
        .arg(&file)
        .arg(dir.path().join("page"))
        .status()
        .expect("pdftoppm runs");
    assert!(status.success());
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pages.sort();
    assert_eq!(pages.len(), expected.len(), "one printed page per desk");
    let mut decoded = BTreeSet::new();
    for page in &pages {
        let image = image::open(page).unwrap().to_luma8();
        let mut prepared = rqrr::PreparedImage::prepare(image);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "exactly one QR code on {}", page.display());
        let (_, content) = grids[0].decode().expect("the QR code decodes");
        assert!(decoded.insert(content.clone()), "{content} printed twice");
    }
    assert_eq!(decoded, expected, "each page is one desk of the district");
}
