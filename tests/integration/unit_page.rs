//! The unit page: a manager reads one unit's index, counts, charts and comments; a
//! unit outside their scope, its charts and its QR files are 404; viewers read the
//! figures but not the comments.

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;
use sipas::storage::{NewResponse, campaigns, responses, units};
use sipas_domain::campaign::Channel;
use sipas_domain::questionnaire::Answers;

use crate::backend_tests;
use crate::citizen::create_campaign;
use crate::common::{Backend, TestApp, spawn_app};

backend_tests!(
    a_manager_reads_the_index_counts_charts_and_comments,
    a_units_responses_and_comments_are_read_across_pages,
);

const CAMPAIGN: &str = "HT-2026";
const UNIT: &str = "18073";
const PAGE: &str = "/manage/campaigns/HT-2026/units/18073";
const KIND_COMMENT: &str = "Cán bộ rất nhiệt tình, cảm ơn!";
const HOSTILE_COMMENT: &str = "<script>alert(1)</script> Thái độ TỐT nhưng chờ lâu";
const BOT_COMMENT: &str = "spam-bot link";

/// An open campaign with a frame for the ward and 30 counted responses on 15 days
/// (every third on paper), two with comments, and one flagged response with a comment.
async fn seeded(backend: Backend) -> Option<TestApp> {
    let app = spawn_app(backend).await?;
    create_campaign(&app, json!({"code": CAMPAIGN})).await;
    let frame = app
        .send_csv(
            reqwest::Method::PUT,
            &format!("/api/v1/campaigns/{CAMPAIGN}/frame"),
            &format!("unit_code,service_point_code,population\n{UNIT},,500\n"),
        )
        .await;
    assert!(frame.status().is_success());
    let db = app.storage.db();
    let campaign = campaigns::by_code(db, CAMPAIGN).await.unwrap();
    let unit = units::by_code(db, UNIT, Some(campaign.units_on))
        .await
        .unwrap();
    let desk = units::default_service_point(db, &unit).await.unwrap();
    let first = Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap();
    let response = |i: usize, comment: Option<&str>, exclusion| NewResponse {
        unit_id: unit.id,
        service_point_id: desk.id,
        channel: if i.is_multiple_of(3) {
            Channel::Paper
        } else {
            Channel::DeskQr
        },
        language: "vi",
        answers: Answers::from_values((0..22).map(|k| (1 + (i * 7 + k * 3) % 5) as u8).collect())
            .unwrap(),
        comment: comment.map(str::to_owned),
        submitted_at: first + Duration::days((i % 15) as i64) + Duration::minutes(i as i64),
        exclusion,
        nonce: None,
        receipt_id: None,
        client_hash: None,
        is_demo: false,
    };
    let mut rows: Vec<NewResponse> = (0..30)
        .map(|i| {
            let comment = match i {
                3 => Some(KIND_COMMENT),
                7 => Some(HOSTILE_COMMENT),
                _ => None,
            };
            response(i, comment, None)
        })
        .collect();
    rows.push(response(30, Some(BOT_COMMENT), Some("too_fast")));
    let txn = app.storage.write().await.unwrap();
    responses::import(&txn, "test", &campaign, &rows)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    app.settle().await;
    Some(app)
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// A share as the Vietnamese page writes it: 86,29 %.
fn vi_percent(share: f64) -> String {
    format!("{:.2}\u{a0}%", share * 100.0).replace('.', ",")
}

async fn a_manager_reads_the_index_counts_charts_and_comments(backend: Backend) {
    let Some(app) = seeded(backend).await else {
        return;
    };
    let manager = app.login_as("manager", Some(UNIT)).await;
    let (status, page) = get(&manager, &app, PAGE).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<h1>Phường Thành Sen</h1>"));

    // The index and its interval are the API's figures, and the last week of the
    // weekly series is the same figure (all 30 responses).
    let scores = app
        .read_json(&format!("/api/v1/campaigns/{CAMPAIGN}/units/{UNIT}/scores"))
        .await;
    assert_eq!(scores["n"], 30);
    let sipas = &scores["sipas"];
    let (estimate, low, high) = (
        sipas["estimate"].as_f64().unwrap(),
        sipas["ci_low"].as_f64().unwrap(),
        sipas["ci_high"].as_f64().unwrap(),
    );
    let interval = format!("{} – {}", vi_percent(low), vi_percent(high));
    assert!(page.contains(&vi_percent(estimate)), "the index");
    assert!(
        page.matches(&interval).count() >= 2,
        "the interval, in the headline and the last week: {interval}"
    );
    assert!(page.contains("<dd>30 / "), "counted responses / quota");
    let par = &scores["par"];
    assert!(
        page.contains(&format!("{:.2}", par["points"].as_f64().unwrap()).replace('.', ",")),
        "PAR points"
    );
    // Counts: 30 counted on 15 days, 10 on paper (and one flagged), 20 at the desk.
    assert!(
        page.contains("Tổng cộng 30 phiếu"),
        "the daily chart's description"
    );
    let channel = |name: &str, counted: u64, flagged: u64| {
        format!(
            "<td data-label=\"Kênh\">{name}</td><td class=\"num\" data-label=\"Phiếu hợp lệ\">{counted}</td><td class=\"num\" data-label=\"Bị gắn cờ\">{flagged}</td>"
        )
    };
    assert!(page.contains(&channel("Phiếu giấy", 10, 1)));
    assert!(page.contains(&channel("Quét mã QR tại quầy", 20, 0)));
    assert!(page.contains("Gửi quá nhanh sau khi mở phiếu"));
    // Charts are inline images with a text alternative.
    assert_eq!(page.matches("role=\"img\"").count(), 5);
    assert!(page.contains("<title id=\"chart-weekly-title\">"));

    // Comments, escaped, newest first; the flagged response's is not a citizen's.
    assert!(page.contains("2 góp ý, mới nhất trước."));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; Thái độ TỐT"));
    assert!(!page.contains("<script>alert"));
    assert!(!page.contains(BOT_COMMENT));
    let hostile_at = page.find("alert(1)").unwrap();
    let kind_at = page.find(KIND_COMMENT).unwrap();
    assert!(hostile_at < kind_at, "the newer comment first");

    // The search ignores case and accents.
    let (status, found) = get(&manager, &app, &format!("{PAGE}?q=thai%20DO")).await;
    assert_eq!(status, 200);
    assert!(found.contains("1 góp ý có"), "one match");
    assert!(found.contains("Thái độ TỐT") && !found.contains(KIND_COMMENT));
    let (_, none) = get(&manager, &app, &format!("{PAGE}?q=xyz&lang=en")).await;
    assert!(none.contains("0 comments contain"));
    // A page number that is not one is the first page; one past the last, the last.
    for odd in ["?page=abc", "?page=999", "?page=-1"] {
        let (status, page) = get(&manager, &app, &format!("{PAGE}{odd}")).await;
        assert_eq!(status, 200, "{odd}");
        assert!(page.contains(KIND_COMMENT), "{odd}");
    }

    // Each chart at its own URL, the same drawing as on the page.
    for name in ["elements", "criteria", "daily", "weekly", "channels"] {
        let response = manager
            .get(app.url(&format!("{PAGE}/charts/{name}.svg")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{name}");
        assert_eq!(
            response.headers()["content-type"],
            "image/svg+xml; charset=utf-8"
        );
        let svg = response.text().await.unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        let title = format!("<title id=\"chart-{name}-title\">");
        assert!(svg.contains(&title), "{name}");
        let inline = &page[page.find(&title).unwrap()..];
        let desc_of = |s: &str| {
            let at = s.find("-desc\">").unwrap() + 7;
            s[at..at + s[at..].find("</desc>").unwrap()].to_owned()
        };
        assert_eq!(desc_of(&svg), desc_of(inline), "{name}: same description");
    }
    assert_eq!(
        get(&manager, &app, &format!("{PAGE}/charts/nope.svg"))
            .await
            .0,
        404
    );

    // The desk's QR code for a logged-in member (the API's wants a token).
    let qr = manager
        .get(app.url(&format!("{PAGE}/service-points/MC/qr.svg")))
        .send()
        .await
        .unwrap();
    assert_eq!(qr.status(), 200);
    assert_eq!(qr.headers()["content-type"], "image/svg+xml");
    assert!(page.contains(&format!("href=\"/posters/{CAMPAIGN}/{UNIT}/MC\"")));
}

#[tokio::test]
async fn other_units_their_charts_and_qr_codes_are_not_found() {
    let Some(app) = seeded(Backend::Sqlite).await else {
        return;
    };
    let db = app.storage.db();
    let campaign = campaigns::by_code(db, CAMPAIGN).await.unwrap();
    let other = units::surveyed(db, &campaign)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.code != UNIT && matches!(u.unit_type.as_str(), "commune" | "ward"))
        .expect("another commune")
        .code;
    let officer = app.login_as("manager", Some(UNIT)).await;
    let admin = app.login_as("admin", None).await;
    let theirs = format!("/manage/campaigns/{CAMPAIGN}/units/{other}");
    for path in [
        theirs.clone(),
        format!("{theirs}/charts/daily.svg"),
        format!("{theirs}/charts/elements.svg"),
        format!("{theirs}/service-points/MC/qr.png"),
        // Another unit's desk through one's own unit.
        format!("{PAGE}/service-points/NOPE/qr.svg"),
        // Unknown campaign and unit.
        format!("/manage/campaigns/NOPE/units/{UNIT}"),
        format!("/manage/campaigns/{CAMPAIGN}/units/99999"),
    ] {
        let (status, body) = get(&officer, &app, &path).await;
        assert_eq!(status, 404, "{path}");
        assert!(
            !body.contains("SIPAS index") && !body.contains("Chỉ số SIPAS"),
            "{path}"
        );
    }
    assert_eq!(get(&officer, &app, PAGE).await.0, 200);
    // The province's admin reads every unit.
    assert_eq!(get(&admin, &app, &theirs).await.0, 200);
    assert_eq!(
        get(&admin, &app, &format!("{theirs}/charts/daily.svg"))
            .await
            .0,
        200
    );
    // Not logged in: to the login page, and back here afterwards.
    let response = app.client.get(app.url(PAGE)).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login?next=%2Fmanage%2Fcampaigns%2FHT%2D2026%2Funits%2F18073")
    );
}

#[tokio::test]
async fn a_viewer_reads_the_figures_but_not_the_comments() {
    let Some(app) = seeded(Backend::Sqlite).await else {
        return;
    };
    let viewer = app.login_as("viewer", Some(UNIT)).await;
    for path in [PAGE.to_owned(), format!("{PAGE}?q=thai")] {
        let (status, page) = get(&viewer, &app, &path).await;
        assert_eq!(status, 200);
        assert!(page.contains("Chỉ số SIPAS") && page.contains("Tổng cộng 30 phiếu"));
        assert!(!page.contains("Góp ý của người dân") && !page.contains("id=\"comments\""));
        assert!(!page.contains("Thái độ TỐT") && !page.contains(KIND_COMMENT));
    }
}

#[tokio::test]
async fn the_change_since_the_previous_round_is_the_apis() {
    let Some(app) = crate::common::spawn_app_with(
        Backend::Sqlite,
        crate::common::AppOptions {
            demo: true,
            ..Default::default()
        },
    )
    .await
    else {
        return;
    };
    app.settle().await;
    // Phường Thành Sen's officer: today's ward against the nine wards of 2021.
    let officer = app.login_as("manager", Some(UNIT)).await;
    let (status, page) = get(&officer, &app, "/manage/campaigns/DEMO-2026/units/18073").await;
    assert_eq!(status, 200);
    let change = app
        .read_json("/api/v1/campaigns/DEMO-2026/units/18073/change?from=DEMO-2021")
        .await;
    let from = change["from"]["estimate"].as_f64().unwrap();
    let delta = change["change"]["estimate"].as_f64().unwrap();
    assert!(
        page.contains(&format!("<dd>{}</dd>", vi_percent(from))),
        "the 2021 group"
    );
    let points = format!("{:.2}", delta.abs() * 100.0).replace('.', ",");
    let sign = if delta < 0.0 { "−" } else { "+" };
    assert!(
        page.contains(&format!("{sign}{points} điểm %")),
        "the change: {sign}{points}"
    );
    let wards = change["from"]["units"].as_array().unwrap();
    assert_eq!(wards.len(), 9);
    for ward in wards {
        let href = format!(
            "/manage/campaigns/DEMO-2021/units/{}?lang=vi",
            ward.as_str().unwrap()
        );
        assert!(page.contains(&href), "{href}");
        // Each old ward's page is the officer's to read.
        assert_eq!(get(&officer, &app, &href).await.0, 200, "{href}");
    }
    // The 2021 round has no earlier one.
    let (_, old) = get(&officer, &app, "/manage/campaigns/DEMO-2021/units/18077").await;
    assert!(old.contains("Chưa có đợt khảo sát trước có số liệu"));
    // A closed round's desks have no poster to print.
    assert!(!old.contains("/posters/"));
}

/// More rows than one read holds (5,000), many sharing a time: every response once in
/// id order, every comment once, newest first (ties by id), without the flagged ones.
async fn a_units_responses_and_comments_are_read_across_pages(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    create_campaign(&app, json!({"code": CAMPAIGN})).await;
    let db = app.storage.db();
    let campaign = campaigns::by_code(db, CAMPAIGN).await.unwrap();
    let unit = units::by_code(db, UNIT, Some(campaign.units_on))
        .await
        .unwrap();
    let desk = units::default_service_point(db, &unit).await.unwrap();
    let at = Utc.with_ymd_and_hms(2026, 5, 1, 8, 0, 0).unwrap();
    let rows: Vec<NewResponse> = (0..5_003)
        .map(|i: i64| NewResponse {
            unit_id: unit.id,
            service_point_id: desk.id,
            channel: Channel::Paper,
            language: "vi",
            answers: Answers::from_values(vec![4; 22]).unwrap(),
            // Every other response has a comment; times repeat in threes.
            comment: (i % 2 == 0).then(|| format!("c{i}")),
            submitted_at: at + Duration::seconds(i / 3),
            exclusion: (i % 1000 == 0).then_some("honeypot"),
            nonce: None,
            receipt_id: None,
            client_hash: None,
            is_demo: false,
        })
        .collect();
    let txn = app.storage.write().await.unwrap();
    responses::import(&txn, "test", &campaign, &rows)
        .await
        .unwrap();
    txn.commit().await.unwrap();

    let mut ids = Vec::new();
    let read =
        sipas::storage::activity::each_response(db, campaign.id, unit.id, |r| ids.push(r.id))
            .await
            .unwrap();
    assert_eq!(read, 5_003);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "id order, each once");

    let mut comments = Vec::new();
    sipas::storage::activity::each_comment(db, campaign.id, unit.id, |c| {
        comments.push((c.submitted_at, c.id, c.comment))
    })
    .await
    .unwrap();
    // 2,502 comments, 6 of them on flagged responses (i = 0, 1000, …, 5000).
    assert_eq!(comments.len(), 2_502 - 6);
    assert!(
        comments
            .windows(2)
            .all(|w| (w[0].0, w[0].1) > (w[1].0, w[1].1)),
        "newest first, ties by id, each once"
    );
    assert_eq!(comments[0].2, "c5002");
    assert!(!comments.iter().any(|c| c.2 == "c1000"));
}
