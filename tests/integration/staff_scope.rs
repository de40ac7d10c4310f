//! Scope is enforced where data is read: a commune's officer and a district office
//! (of the 2021 structure) open their own units' pages, charts and exports, and get
//! 404 for anyone else's, as if those units did not exist. A scope follows its unit
//! across the 2025 reform through the crosswalk.

use crate::common::{AppOptions, Backend, TestApp, spawn_app_with};

async fn demo() -> Option<TestApp> {
    spawn_app_with(
        Backend::Sqlite,
        AppOptions {
            demo: true,
            ..Default::default()
        },
    )
    .await
}

/// Every URL that reads one unit's data in a campaign.
fn unit_urls(campaign: &str, unit: &str) -> Vec<String> {
    let base = format!("/manage/campaigns/{campaign}");
    let mut urls = vec![format!("{base}/units/{unit}")];
    for chart in ["elements", "criteria", "daily", "weekly", "channels"] {
        urls.push(format!("{base}/units/{unit}/charts/{chart}.svg"));
    }
    for export in [
        "responses.csv",
        "responses.xlsx",
        "scores.csv",
        "scores.xlsx",
    ] {
        urls.push(format!("{base}/exports/{export}?unit={unit}"));
    }
    urls
}

async fn statuses(app: &TestApp, client: &reqwest::Client, urls: &[String]) -> Vec<(String, u16)> {
    let mut out = Vec::new();
    for url in urls {
        let status = client.get(app.url(url)).send().await.unwrap().status();
        out.push((url.clone(), status.as_u16()));
    }
    out
}

fn assert_all(got: &[(String, u16)], expected: u16, who: &str) {
    let wrong: Vec<_> = got.iter().filter(|(_, s)| *s != expected).collect();
    assert!(
        wrong.is_empty(),
        "{who}: expected {expected} for all, got {wrong:?}"
    );
}

/// The rows of a CSV export (header first), BOM removed.
async fn csv_rows(app: &TestApp, client: &reqwest::Client, url: &str) -> Vec<Vec<String>> {
    let response = client.get(app.url(url)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    let text = response.text().await.unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// The values of the column named `name` in CSV rows.
fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let at = rows[0]
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", rows[0]));
    rows[1..].iter().map(|r| r[at].clone()).collect()
}

#[tokio::test]
async fn a_commune_officer_reads_their_commune_and_what_merged_into_it() {
    let Some(app) = demo().await else {
        return;
    };
    // Phường Thành Sen (18073 today) was made of nine wards of 2021, Phường Nam Hà
    // (18073 then) and Phường Bắc Hà (18077) among them; Xã Sơn Kim 1 (18196) is another
    // commune in both structures.
    let officer = app.login_as("manager", Some("18073")).await;
    assert_all(
        &statuses(&app, &officer, &unit_urls("DEMO-2026", "18073")).await,
        200,
        "own 2026",
    );
    for old_ward in ["18073", "18077"] {
        assert_all(
            &statuses(&app, &officer, &unit_urls("DEMO-2021", old_ward)).await,
            200,
            "a ward merged into theirs, in 2021",
        );
    }
    for (campaign, other) in [
        ("DEMO-2026", "18196"),
        ("DEMO-2021", "18196"),
        ("DEMO-2026", "42"),
    ] {
        assert_all(
            &statuses(&app, &officer, &unit_urls(campaign, other)).await,
            404,
            &format!("{other} in {campaign}"),
        );
    }
    // A unit that does not exist answers the same as one out of scope.
    assert_all(
        &statuses(&app, &officer, &unit_urls("DEMO-2026", "99999")).await,
        404,
        "unknown",
    );

    // The overview and the whole-campaign exports hold their units only.
    let overview = officer
        .get(app.url("/manage/campaigns/DEMO-2026"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(overview.contains("Phường Thành Sen"));
    assert!(!overview.contains("Xã Sơn Kim 1"), "another commune's row");
    let rows = csv_rows(
        &app,
        &officer,
        "/manage/campaigns/DEMO-2026/exports/scores.csv",
    )
    .await;
    let units: Vec<String> = column(&rows, "unit_code");
    assert_eq!(units, ["18073"]);
    let rows = csv_rows(
        &app,
        &officer,
        "/manage/campaigns/DEMO-2021/exports/scores.csv",
    )
    .await;
    let mut units = column(&rows, "unit_code");
    units.sort();
    assert_eq!(units.len(), 9, "the nine wards of 2021: {units:?}");
    assert!(units.contains(&"18077".to_owned()) && !units.contains(&"18196".to_owned()));
    let rows = csv_rows(
        &app,
        &officer,
        "/manage/campaigns/DEMO-2021/exports/responses.csv",
    )
    .await;
    assert!(rows.len() > 100, "their wards' responses");
    assert!(column(&rows, "unit_code").iter().all(|u| units.contains(u)));
}

#[tokio::test]
async fn an_unchanged_commune_is_the_same_officers_in_both_rounds() {
    let Some(app) = demo().await else {
        return;
    };
    let officer = app.login_as("viewer", Some("18196")).await;
    for campaign in ["DEMO-2021", "DEMO-2026"] {
        assert_all(
            &statuses(&app, &officer, &unit_urls(campaign, "18196")).await,
            200,
            campaign,
        );
        assert_all(
            &statuses(&app, &officer, &unit_urls(campaign, "18073")).await,
            404,
            campaign,
        );
    }
    // A viewer reads figures, not citizens' words.
    let rows = csv_rows(
        &app,
        &officer,
        "/manage/campaigns/DEMO-2026/exports/responses.csv?unit=18196",
    )
    .await;
    assert!(!rows[0].iter().any(|h| h == "comment"), "{:?}", rows[0]);
}

#[tokio::test]
async fn a_district_office_reads_its_communes_of_2021_only() {
    let Some(app) = demo().await else {
        return;
    };
    // Thành phố Hà Tĩnh (436) was a district until 1 July 2025.
    let office = app.login_as("manager", Some("436")).await;
    for unit in ["436", "18077"] {
        assert_all(
            &statuses(&app, &office, &unit_urls("DEMO-2021", unit)).await,
            200,
            unit,
        );
    }
    // Xã Sơn Kim 1 was in district 439.
    assert_all(
        &statuses(&app, &office, &unit_urls("DEMO-2021", "18196")).await,
        404,
        "18196",
    );
    // The district is gone from today's map: nothing of 2026 is theirs.
    assert_all(
        &statuses(&app, &office, &unit_urls("DEMO-2026", "18073")).await,
        404,
        "2026",
    );
    let rows = csv_rows(
        &app,
        &office,
        "/manage/campaigns/DEMO-2026/exports/scores.csv",
    )
    .await;
    assert_eq!(rows.len(), 1, "a header and no unit: {rows:?}");
    // An admin reads everything.
    let admin = app.login_as("admin", None).await;
    assert_all(
        &statuses(&app, &admin, &unit_urls("DEMO-2021", "18196")).await,
        200,
        "admin",
    );
}
