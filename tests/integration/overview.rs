//! The dashboard's campaign list, overview and daily digest, as a logged-in staff member
//! sees them: every readable unit and nothing more, filters and orders, the alerts
//! since the last visit, and a day's responses counted as the scores count them.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use sipas_domain::campaign::Channel;
use sipas_domain::questionnaire::Answers;
use sipas_domain::quota::pace;

use crate::backend_tests;
use crate::common::{AppOptions, Backend, TestApp, spawn_app, spawn_app_with};

backend_tests!(
    a_second_visit_shows_what_changed,
    the_digest_counts_a_days_responses
);

/// Vietnam's offset: the campaigns' days.
fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).unwrap()
}

fn local_today() -> NaiveDate {
    Utc::now().with_timezone(&vietnam()).date_naive()
}

/// An instant given in Vietnam's local time.
fn local(day: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    vietnam()
        .from_local_datetime(&day.and_hms_opt(h, m, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn dmy(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let (status, body) = get(client, app, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// The text between two markers, after the first.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).map(|i| i + start.len()).unwrap_or(0);
    let rest = &text[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// The rows of a page's data table.
fn rows(html: &str) -> Vec<&str> {
    if !html.contains("<tbody>") {
        return Vec::new();
    }
    between(html, "<tbody>", "</tbody>")
        .split("<tr>")
        .skip(1)
        .collect()
}

/// A row's unit code (the small text beside the unit's name).
fn code(row: &str) -> &str {
    between(row, "<small>", "</small>")
}

/// A row's cell by its column label, as text with its tags removed.
fn cell(row: &str, label: &str) -> String {
    let inner = between(row, &format!("data-label=\"{label}\">"), "</td>");
    let mut text = String::new();
    let mut in_tag = false;
    for c in inner.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.trim().to_owned()
}

/// A whole number as the Vietnamese page writes it (1.234).
fn number(text: &str) -> u64 {
    text.replace('.', "")
        .parse()
        .unwrap_or_else(|_| panic!("{text:?}"))
}

/// The statuses of a row's badges, in order.
fn badges(row: &str) -> Vec<&str> {
    row.split("class=\"badge s-")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect()
}

fn demo_options() -> AppOptions {
    AppOptions {
        demo: true,
        ..Default::default()
    }
}

/// A provincial admin sees every unit of the open demo round, with the status the pace
/// gives as of Vietnam's today, the units at risk first; filters and orders work.
#[tokio::test]
async fn an_admin_sees_every_unit_filtered_and_sorted() {
    let Some(app) = spawn_app_with(Backend::Sqlite, demo_options()).await else {
        return;
    };
    app.settle().await;
    let admin = app.login_as("admin", None).await;
    let quotas = app.read_json("/api/v1/campaigns/DEMO-2026/quotas").await;
    let quotas = quotas.as_array().unwrap();
    let campaigns = app.read_json("/api/v1/campaigns").await;
    let campaign = campaigns
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "DEMO-2026")
        .unwrap();
    let day = |key: &str| NaiveDate::parse_from_str(campaign[key].as_str().unwrap(), "%Y-%m-%d");
    let (starts, ends) = (day("starts_on").unwrap(), day("ends_on").unwrap());
    let today = local_today();
    let expected_status = |q: &Value| {
        pace(
            q["responses"].as_u64().unwrap(),
            q["quota"].as_u64().unwrap(),
            starts,
            ends,
            today,
        )
        .status
        .as_str()
    };

    let html = page(&admin, &app, "/manage/campaigns/DEMO-2026").await;
    let listed = rows(&html);
    assert_eq!(listed.len(), 85, "every unit with a quota");
    let codes: BTreeSet<&str> = listed.iter().map(|r| code(r)).collect();
    let all: BTreeSet<&str> = quotas
        .iter()
        .map(|q| q["unit_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, all);
    // Worst first: the statuses never get better going down the table.
    let order = ["at_risk", "behind", "on_track", "met"];
    let ranks: Vec<usize> = listed
        .iter()
        .map(|r| order.iter().position(|s| *s == badges(r)[0]).unwrap())
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
    for row in &listed {
        let q = quotas.iter().find(|q| q["unit_code"] == code(row)).unwrap();
        assert_eq!(badges(row)[0], expected_status(q), "{}", code(row));
        assert_eq!(
            number(&cell(row, "Phiếu")),
            q["responses"].as_u64().unwrap()
        );
        assert_eq!(number(&cell(row, "Chỉ tiêu")), q["quota"].as_u64().unwrap());
    }
    assert!(html.contains("Nguy cơ không đạt") && html.contains("Đúng tiến độ"));
    assert!(html.contains("lần đầu"), "a first visit says so");

    // The count of each status links to that status, and the filter lists just those.
    let at_risk = quotas
        .iter()
        .filter(|q| expected_status(q) == "at_risk")
        .count();
    assert!(at_risk > 0);
    assert!(html.contains(&format!(
        "href=\"/manage/campaigns/DEMO-2026?status=at_risk\"><span class=\"badge s-at_risk\"><span aria-hidden=\"true\">✖ </span>Nguy cơ không đạt</span><strong>{at_risk}</strong>"
    )));
    let filtered = page(&admin, &app, "/manage/campaigns/DEMO-2026?status=at_risk").await;
    let filtered = rows(&filtered);
    assert_eq!(filtered.len(), at_risk);
    assert!(filtered.iter().all(|r| badges(r)[0] == "at_risk"));

    let communes = page(
        &admin,
        &app,
        "/manage/campaigns/DEMO-2026?unit_type=commune&status=at_risk&lang=en",
    )
    .await;
    let expected = quotas
        .iter()
        .filter(|q| q["unit_type"] == "commune" && expected_status(q) == "at_risk")
        .count();
    assert_eq!(rows(&communes).len(), expected);
    assert!(communes.contains("At risk") && communes.contains("<html lang=\"en\">"));
    assert!(
        communes.contains("href=\"/manage/campaigns/DEMO-2026?unit_type=commune&amp;status=at_risk&amp;sort=responses&amp;lang=en\""),
        "sort links keep the filters and the language"
    );

    // Any column, both ways.
    let sorted = page(
        &admin,
        &app,
        "/manage/campaigns/DEMO-2026?sort=responses&dir=desc",
    )
    .await;
    assert!(sorted.contains("aria-sort=\"descending\""));
    let counts: Vec<u64> = rows(&sorted)
        .iter()
        .map(|r| number(&cell(r, "Phiếu")))
        .collect();
    assert_eq!(counts.len(), 85);
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    let by_quota = page(&admin, &app, "/manage/campaigns/DEMO-2026?sort=quota").await;
    let quota_column: Vec<u64> = rows(&by_quota)
        .iter()
        .map(|r| number(&cell(r, "Chỉ tiêu")))
        .collect();
    assert!(quota_column.windows(2).all(|w| w[0] <= w[1]));

    // Bad filters are said plainly; an unknown parent is not found.
    for (query, status) in [
        ("?status=late", 400),
        ("?sort=name", 400),
        ("?sort=quota&dir=down", 400),
        ("?unit_type=ward", 400),
        ("?parent=99999", 404),
        ("?parent=436", 404), // a 2021 district: not a unit of this round
    ] {
        let (got, body) = get(&admin, &app, &format!("/manage/campaigns/DEMO-2026{query}")).await;
        assert_eq!(got, status, "{query}");
        assert!(!body.is_empty());
    }
    let (status, _) = get(&admin, &app, "/manage/campaigns/NO-SUCH").await;
    assert_eq!(status, 404);

    // The campaign list: both rounds, their status in words, links to each overview.
    let list = page(&admin, &app, "/manage").await;
    assert!(list.contains("href=\"/manage/campaigns/DEMO-2021\""));
    assert!(list.contains("href=\"/manage/campaigns/DEMO-2026/digest\""));
    assert!(list.contains("Đã kết thúc") && list.contains("Đang nhận phiếu"));
    let total: u64 = quotas
        .iter()
        .map(|q| q["responses"].as_u64().unwrap())
        .sum();
    let line = rows(&list)
        .into_iter()
        .find(|r| r.contains("DEMO-2026"))
        .unwrap();
    assert!(number(&cell(line, "Phiếu được tính")) >= total);
    assert_eq!(
        cell(line, "Đơn vị nguy cơ không đạt"),
        format!("{at_risk} / 85")
    );

    // Not logged in: to the login page, back here after.
    let anonymous = crate::common::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in [
        "/manage",
        "/manage/campaigns/DEMO-2026",
        "/manage/campaigns/DEMO-2026/digest",
    ] {
        let response = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 303, "{path}");
        assert!(
            response.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/login?next=%2Fmanage"),
            "{path}"
        );
    }
}

/// A commune officer reads their own ward in the 2026 round and, in the 2021 round, the
/// old wards merged into it; nothing else, on the overview and the digest alike.
#[tokio::test]
async fn a_commune_officer_sees_only_their_units() {
    let Some(app) = spawn_app_with(Backend::Sqlite, demo_options()).await else {
        return;
    };
    app.settle().await;
    let officer = app.login_as("manager", Some("18073")).await;

    let now = page(&officer, &app, "/manage/campaigns/DEMO-2026").await;
    let codes: Vec<&str> = rows(&now).iter().map(|r| code(r)).collect();
    assert_eq!(codes, ["18073"]);
    assert!(now.contains("Phường Thành Sen"));

    let merged: BTreeSet<String> = sipas_domain::reference::ha_tinh_successions()
        .into_iter()
        .filter(|s| s.new_code == "18073")
        .map(|s| s.old_code)
        .collect();
    assert!(merged.len() > 2, "{merged:?}");
    let then = page(&officer, &app, "/manage/campaigns/DEMO-2021").await;
    let codes: BTreeSet<String> = rows(&then).iter().map(|r| code(r).to_owned()).collect();
    assert_eq!(codes, merged);
    assert!(
        !then.contains("Thuộc đơn vị"),
        "no parent of theirs to pick"
    );

    // Another unit as parent, in scope or not, is the same 404.
    for query in ["?parent=436", "?parent=42", "?parent=18100"] {
        let (status, _) = get(
            &officer,
            &app,
            &format!("/manage/campaigns/DEMO-2021{query}"),
        )
        .await;
        assert_eq!(status, 404, "{query}");
    }

    let digest = page(
        &officer,
        &app,
        "/manage/campaigns/DEMO-2021/digest?day=15/06/2021",
    )
    .await;
    let codes: BTreeSet<String> = rows(&digest).iter().map(|r| code(r).to_owned()).collect();
    assert_eq!(codes, merged);
    let digest = page(&officer, &app, "/manage/campaigns/DEMO-2026/digest").await;
    let codes: Vec<&str> = rows(&digest).iter().map(|r| code(r)).collect();
    assert_eq!(codes, ["18073"]);

    // A district office of the old structure has nothing on today's map.
    let office = app.login_as("manager", Some("436")).await;
    let html = page(&office, &app, "/manage/campaigns/DEMO-2026").await;
    assert!(rows(&html).is_empty());
    assert!(html.contains("Bạn không được xem đơn vị nào có chỉ tiêu"));
    let html = page(&office, &app, "/manage/campaigns/DEMO-2026/digest").await;
    assert!(rows(&html).is_empty());
    assert!(html.contains("Bạn chưa được xem đơn vị nào có chỉ tiêu"));
    let html = page(&office, &app, "/manage/campaigns/DEMO-2021").await;
    let codes: BTreeSet<&str> = rows(&html).iter().map(|r| code(r)).collect();
    assert!(codes.contains("436") && codes.contains("18077") && !codes.contains("18196"));

    // Their campaign list counts their units only.
    let list = page(&officer, &app, "/manage").await;
    let line = rows(&list)
        .into_iter()
        .find(|r| r.contains("DEMO-2021"))
        .unwrap();
    assert!(
        cell(line, "Đơn vị nguy cơ không đạt").ends_with(&format!("/ {}", merged.len())),
        "{line}"
    );
}

/// A campaign that started four days ago and ends in five, with two wards of ten
/// dossiers each (quota 10): half its time gone, no response, both at risk.
async fn small_campaign(app: &TestApp, code: &str, count_unverified: bool) {
    let today = local_today();
    let body = json!({
        "code": code,
        "name": "Khảo sát thử",
        "template": "SIPAS-2017",
        "starts_on": (today - Duration::days(4)).to_string(),
        "ends_on": (today + Duration::days(5)).to_string(),
        "count_unverified": count_unverified,
    });
    assert_eq!(
        app.post_json("/api/v1/campaigns", &body).await.status(),
        201
    );
    let frame = "unit_code,service_point_code,population\n18073,,10\n18100,,10\n";
    let response = app
        .send_csv(
            reqwest::Method::PUT,
            &format!("/api/v1/campaigns/{code}/frame"),
            frame,
        )
        .await;
    assert_eq!(response.status(), 200);
}

fn responses_csv(unit: &str, channel: &str, n: usize) -> String {
    let criteria: Vec<String> = sipas_domain::reference::questionnaires()[0]
        .criteria()
        .map(|(_, c)| c.code.clone())
        .collect();
    let mut csv = format!(
        "unit_code,service_point_code,channel,{}\n",
        criteria.join(",")
    );
    for _ in 0..n {
        csv.push_str(&format!(
            "{unit},,{channel},{}\n",
            vec!["4"; criteria.len()].join(",")
        ));
    }
    csv
}

/// The alerts list the units whose status changed since the reader's last visit, and
/// stay while they sort and filter; another reader has their own visits.
async fn a_second_visit_shows_what_changed(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    small_campaign(&app, "HT-OV", true).await;
    app.settle().await;
    let admin = app.login_as("admin", None).await;

    let first = page(&admin, &app, "/manage/campaigns/HT-OV").await;
    assert!(first.contains("Đây là lần đầu bạn xem"));
    let statuses: Vec<Vec<&str>> = rows(&first).iter().map(|r| badges(r)).collect();
    assert_eq!(statuses, [["at_risk"], ["at_risk"]]);

    let csv = responses_csv("18073", "paper", 10);
    let response = app
        .send_csv(
            reqwest::Method::POST,
            "/api/v1/campaigns/HT-OV/responses",
            &csv,
        )
        .await;
    assert_eq!(response.status(), 201);
    app.settle().await;

    let second = page(&admin, &app, "/manage/campaigns/HT-OV").await;
    let alerts = between(&second, "<ul class=\"alerts\">", "</ul>");
    assert!(alerts.contains("Phường Thành Sen"), "{alerts}");
    assert!(!alerts.contains("18100") && alerts.matches("<li>").count() == 1);
    assert_eq!(badges(alerts), ["at_risk", "met"], "from, to");
    assert!(second.contains("href=\"/manage/campaigns/HT-OV/units/18073\""));

    // Sorting a moment later: the same sitting, the same alerts.
    let sorted = page(&admin, &app, "/manage/campaigns/HT-OV?sort=unit&lang=en").await;
    let alerts = between(&sorted, "<ul class=\"alerts\">", "</ul>");
    assert_eq!(badges(alerts), ["at_risk", "met"]);
    assert!(sorted.contains("Changes since your last visit"));

    // Another reader's first visit.
    let officer = app.login_as("viewer", Some("18073")).await;
    let theirs = page(&officer, &app, "/manage/campaigns/HT-OV").await;
    assert!(theirs.contains("Đây là lần đầu bạn xem"));
    let codes: Vec<&str> = rows(&theirs).iter().map(|r| code(r)).collect();
    assert_eq!(codes, ["18073"]);
    let again = page(&officer, &app, "/manage/campaigns/HT-OV").await;
    assert!(again.contains("Không có đơn vị nào đổi trạng thái"));
}

/// A stored response at a given moment, for a unit's default desk.
async fn store(
    app: &TestApp,
    campaign: &sipas::storage::CampaignRecord,
    unit: &str,
    channel: Channel,
    at: DateTime<Utc>,
    exclusion: Option<&'static str>,
) {
    let db = app.storage.db();
    let unit = sipas::storage::units::by_code(db, unit, None)
        .await
        .unwrap();
    let desk = sipas::storage::units::default_service_point(db, &unit)
        .await
        .unwrap();
    let response = sipas::storage::NewResponse {
        unit_id: unit.id,
        service_point_id: desk.id,
        channel,
        language: "vi",
        answers: Answers::from_digits(&"4".repeat(22)).unwrap(),
        comment: None,
        submitted_at: at,
        exclusion,
        nonce: None,
        receipt_id: None,
        client_hash: None,
        is_demo: false,
    };
    let txn = app.storage.write().await.unwrap();
    sipas::storage::responses::import(&txn, "test", campaign, &[response])
        .await
        .unwrap();
    txn.commit().await.unwrap();
}

/// A day's responses are the ones submitted between its local midnights, counted as
/// the scores count them (official channels, no bot, some answer); the statuses at
/// both ends of the day are the pace as of each day.
async fn the_digest_counts_a_days_responses(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // Desk answers (unverified) do not count in this campaign.
    small_campaign(&app, "HT-DG", false).await;
    let campaign = sipas::storage::campaigns::by_code(app.storage.db(), "HT-DG")
        .await
        .unwrap();
    let today = local_today();
    let day = today - Duration::days(2);
    let before = day - Duration::days(1);
    let unit = "18073";
    for h in [8, 9, 10, 11] {
        store(
            &app,
            &campaign,
            unit,
            Channel::Paper,
            local(before, h, 0),
            None,
        )
        .await;
    }
    // On the day: just after its first midnight, just before its last.
    for at in [
        local(day, 0, 0),
        local(day, 0, 30),
        local(day, 7, 0),
        local(day, 23, 30),
        local(day, 23, 59),
    ] {
        store(&app, &campaign, unit, Channel::ReceiptQr, at, None).await;
    }
    // Not counted: a bot, a desk answer, a row without any answer, a damaged row.
    store(
        &app,
        &campaign,
        unit,
        Channel::Paper,
        local(day, 12, 0),
        Some("too_fast"),
    )
    .await;
    store(
        &app,
        &campaign,
        unit,
        Channel::DeskQr,
        local(day, 12, 0),
        None,
    )
    .await;
    let unit_row = sipas::storage::units::by_code(app.storage.db(), unit, None)
        .await
        .unwrap();
    let desk = sipas::storage::units::default_service_point(app.storage.db(), &unit_row)
        .await
        .unwrap();
    for answers in ["0".repeat(22), "4".repeat(21)] {
        entity::response::Entity::insert(entity::response::ActiveModel {
            campaign_id: Set(campaign.id),
            unit_id: Set(unit_row.id),
            service_point_id: Set(desk.id),
            channel: Set("paper".into()),
            verified: Set(true),
            language: Set("vi".into()),
            answers: Set(answers),
            submitted_at: Set(local(day, 12, 0)),
            is_demo: Set(false),
            ..Default::default()
        })
        .exec_without_returning(app.storage.db())
        .await
        .unwrap();
    }
    // The next day from its first instant.
    store(
        &app,
        &campaign,
        unit,
        Channel::Paper,
        local(day + Duration::days(1), 0, 0),
        None,
    )
    .await;
    app.settle().await;
    let admin = app.login_as("admin", None).await;

    let digest = page(
        &admin,
        &app,
        &format!("/manage/campaigns/HT-DG/digest?day={}", dmy(day)),
    )
    .await;
    assert!(digest.contains(&format!("Bản tin ngày {}", dmy(day))));
    let listed = rows(&digest);
    assert_eq!(listed.len(), 2, "both units with a quota");
    let ward = listed.iter().find(|r| code(r) == unit).unwrap();
    assert_eq!(number(&cell(ward, "Nhận trong ngày")), 5);
    assert_eq!(number(&cell(ward, "Tổng cuối ngày")), 9);
    let (starts, ends) = (campaign.starts_on, campaign.ends_on);
    let statuses = badges(ward);
    assert_eq!(
        statuses,
        [
            pace(4, 10, starts, ends, before).status.as_str(),
            pace(9, 10, starts, ends, day).status.as_str()
        ]
    );
    let totals = between(&digest, "<dl class=\"totals\">", "</dl>");
    assert!(totals.contains("<dd>5</dd>"), "{totals}");
    assert!(totals.contains("9 / 20"), "{totals}");
    // Links to the days around it.
    assert!(digest.contains(&format!("digest?day={}", dmy(before))));
    assert!(digest.contains(&format!("digest?day={}", dmy(day + Duration::days(1)))));

    let next = page(
        &admin,
        &app,
        &format!(
            "/manage/campaigns/HT-DG/digest?day={}",
            (day + Duration::days(1)).format("%Y-%m-%d")
        ),
    )
    .await;
    let ward = rows(&next).into_iter().find(|r| code(r) == unit).unwrap();
    assert_eq!(number(&cell(ward, "Nhận trong ngày")), 1);
    assert_eq!(number(&cell(ward, "Tổng cuối ngày")), 10);

    // Today's total is what the scores count.
    let quotas = app.read_json("/api/v1/campaigns/HT-DG/quotas").await;
    let counted = quotas
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["unit_code"] == unit)
        .unwrap()["responses"]
        .as_u64()
        .unwrap();
    assert_eq!(counted, 10);
    let now = page(
        &admin,
        &app,
        &format!("/manage/campaigns/HT-DG/digest?day={}", dmy(today)),
    )
    .await;
    let ward = rows(&now).into_iter().find(|r| code(r) == unit).unwrap();
    assert_eq!(number(&cell(ward, "Tổng cuối ngày")), counted);

    // By default, yesterday.
    let default = page(&admin, &app, "/manage/campaigns/HT-DG/digest").await;
    assert!(default.contains(&format!("Bản tin ngày {}", dmy(today - Duration::days(1)))));

    // Days that are not days, or have no digest, are said plainly.
    for query in [
        "?day=31/02/2026".to_owned(),
        "?day=hôm qua".to_owned(),
        format!("?day={}", dmy(today + Duration::days(1))),
        format!("?day={}", dmy(campaign.starts_on - Duration::days(1))),
    ] {
        let (status, body) = get(
            &admin,
            &app,
            &format!("/manage/campaigns/HT-DG/digest{query}"),
        )
        .await;
        assert_eq!(status, 400, "{query}");
        assert!(
            body.contains("/manage/campaigns/HT-DG/digest"),
            "a way back"
        );
    }
}
