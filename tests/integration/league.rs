//! The PAR Index assembly: appraised points imported all-or-nothing with line errors,
//! corrections as new audited versions, only by province-wide writers; the league of a
//! unit type (totals, ranks and rank intervals, the unranked with their reason) the
//! same in the API, the page and the XLSX.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::{TimeZone, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use sipas::storage::{NewResponse, UnitFilter, campaigns, responses, units};
use sipas_domain::campaign::Channel;
use sipas_domain::questionnaire::Answers;

use crate::backend_tests;
use crate::citizen::create_campaign;
use crate::common::{Backend, TestApp, field_value, spawn_app};
use crate::frame_upload::post_multipart;

backend_tests!(
    appraisals_are_checked_versioned_and_audited,
    the_league_is_the_same_in_the_api_the_page_and_the_xlsx,
);

const CAMPAIGN: &str = "LG-2026";

/// The first `count` communes of the campaign's structure, by code.
async fn communes(app: &TestApp, count: usize) -> Vec<String> {
    let db = app.storage.db();
    let campaign = campaigns::by_code(db, CAMPAIGN).await.unwrap();
    let mut codes: Vec<String> = units::list(
        db,
        &UnitFilter {
            on: Some(campaign.units_on),
            unit_type: Some("commune".into()),
            under: None,
        },
    )
    .await
    .unwrap()
    .into_iter()
    .map(|u| u.code)
    .collect();
    codes.sort();
    assert!(codes.len() >= count);
    codes.truncate(count);
    codes
}

/// Stores `n` responses at a unit's own desk: every criterion satisfied (5) except, on
/// each response i with `i % every == 0`, a dissatisfied answer (2) on criterion
/// `i % criteria`, so the unit's index falls as `every` shrinks.
async fn store(app: &TestApp, unit_code: &str, n: usize, every: usize) {
    let db = app.storage.db();
    let campaign = campaigns::by_code(db, CAMPAIGN).await.unwrap();
    let criteria = sipas::storage::reference::questionnaire(db, campaign.questionnaire_id)
        .await
        .unwrap()
        .criterion_count();
    let unit = units::by_code(db, unit_code, Some(campaign.units_on))
        .await
        .unwrap();
    let desk = units::default_service_point(db, &unit).await.unwrap();
    let stored: Vec<NewResponse> = (0..n)
        .map(|i| {
            let values: Vec<u8> = (0..criteria)
                .map(|k| {
                    if i % every == 0 && (k == i % criteria || k == (i + 1) % criteria) {
                        2
                    } else {
                        5
                    }
                })
                .collect();
            NewResponse {
                unit_id: unit.id,
                service_point_id: desk.id,
                channel: Channel::Paper,
                language: "vi",
                answers: Answers::from_values(values).unwrap(),
                comment: None,
                submitted_at: Utc.with_ymd_and_hms(2026, 3, 9, 8, 0, 0).unwrap()
                    + chrono::Duration::seconds(i as i64),
                exclusion: None,
                nonce: None,
                receipt_id: None,
                client_hash: None,
                is_demo: false,
            }
        })
        .collect();
    let txn = app.storage.write().await.unwrap();
    responses::import(&txn, "test", &campaign, &stored)
        .await
        .unwrap();
    txn.commit().await.unwrap();
}

async fn put_appraisals(app: &TestApp, csv: &str) -> (u16, Value) {
    let response = app
        .send_csv(
            reqwest::Method::PUT,
            &format!("/api/v1/campaigns/{CAMPAIGN}/appraisals"),
            csv,
        )
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn stored_rows(app: &TestApp) -> u64 {
    entity::appraisal::Entity::find()
        .count(app.storage.db())
        .await
        .unwrap()
}

async fn appraisals_are_checked_versioned_and_audited(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    create_campaign(&app, json!({"code": CAMPAIGN, "template": "SIPAS-2023"})).await;
    let codes = communes(&app, 3).await;
    let (a, b, c) = (&codes[0], &codes[1], &codes[2]);

    // Every bad line at once, with its line and column; nothing stored. A commune's
    // appraised maximum under HT-52-2019 is 70.
    let bad = format!(
        "unit_code,points,c1,c2\n{a},50,20,30\nNOPE,10,5,5\n{b},70.5,40,30.5\n{c},12,5,5\n{a},1,0.5,0.5\n"
    );
    let (status, body) = put_appraisals(&app, &bad).await;
    assert_eq!(status, 422, "{body}");
    let details: Vec<(u64, String)> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["line"].as_u64().unwrap(),
                d["column"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        details,
        vec![
            (3, "unit_code".to_owned()),
            (4, "points".to_owned()),
            (5, "points".to_owned()),
            (6, "unit_code".to_owned()),
        ],
        "{body}"
    );
    assert!(
        body["error"]["details"][1]["message"]
            .as_str()
            .unwrap()
            .contains("70"),
        "the maximum is named: {body}"
    );
    assert_eq!(stored_rows(&app).await, 0, "nothing stored");

    // A read-only token cannot import.
    let response = app
        .client
        .put(app.url(&format!("/api/v1/campaigns/{CAMPAIGN}/appraisals")))
        .bearer_auth(&app.read_token)
        .header("Content-Type", "text/csv")
        .body(format!("unit_code,points\n{a},10\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);

    // A good file is version 1.
    let (status, body) = put_appraisals(
        &app,
        &format!("unit_code,points,c1,c2\n{a},50,20,30\n{b},62.5,40,22.5\n"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"version": 1, "units": 2}));

    // A correction of one unit is version 2; the other keeps its points.
    let (status, body) = put_appraisals(&app, &format!("unit_code,points\n{a},55\n")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"version": 2, "units": 1}));
    let campaign = campaigns::by_code(app.storage.db(), CAMPAIGN)
        .await
        .unwrap();
    let current = sipas::storage::appraisals::current(app.storage.db(), campaign.id)
        .await
        .unwrap();
    let mut points: Vec<(i32, f64)> = current.values().map(|x| (x.version, x.points)).collect();
    points.sort_by(|x, y| x.partial_cmp(y).unwrap());
    assert_eq!(points, vec![(1, 62.5), (2, 55.0)]);
    let audited = entity::audit_event::Entity::find()
        .filter(entity::audit_event::Column::Action.eq("appraisal.import"))
        .all(app.storage.db())
        .await
        .unwrap();
    assert_eq!(audited.len(), 3, "one entry per unit and import");
    let correction = audited
        .iter()
        .find(|e| e.subject == format!("{CAMPAIGN}/{a}") && e.detail.contains("\"version\":2"))
        .expect("the correction is audited");
    let detail: Value = serde_json::from_str(&correction.detail).unwrap();
    assert_eq!(detail["before"]["points"], json!(50.0));
    assert_eq!(
        detail["before"]["criteria"],
        json!({"c1": 20.0, "c2": 30.0})
    );
    assert_eq!(detail["after"]["points"], json!(55.0));
    assert!(correction.unit_id.is_some());

    // The dashboard: a commune officer can neither see the page nor upload.
    let officer = app.login_as("manager", Some(a)).await;
    let url = app.url(&format!("/manage/campaigns/{CAMPAIGN}/appraisals"));
    assert_eq!(officer.get(&url).send().await.unwrap().status(), 403);
    let page = officer
        .get(app.url(&format!("/manage/campaigns/{CAMPAIGN}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = field_value(&page, "csrf").expect("the officer's pages carry a token");
    let (status, _) = post_multipart(
        &officer,
        &url,
        &[("csrf", &csrf)],
        Some(("a.csv", format!("unit_code,points\n{a},1\n").as_bytes())),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(stored_rows(&app).await, 3);

    // A provincial manager uploads a bad file (listed, nothing stored), then a good one.
    let manager = app.login_as("manager", None).await;
    let page = manager
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("55,00"), "current points shown");
    let csrf = field_value(&page, "csrf").unwrap();
    let (status, page) = post_multipart(
        &manager,
        &url,
        &[("csrf", &csrf)],
        Some(("a.csv", format!("unit_code,points\n{c},71\n").as_bytes())),
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("role=\"alert\""), "{page}");
    assert_eq!(stored_rows(&app).await, 3);
    let (status, page) = post_multipart(
        &manager,
        &url,
        &[("csrf", &csrf)],
        Some(("a.csv", format!("unit_code,points\n{c},33\n").as_bytes())),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("33,00"));
    assert_eq!(stored_rows(&app).await, 4);
    // A workbook: a bad row is named by its Excel row, nothing stored.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "unit_code").unwrap();
    sheet.write_string(0, 1, "points").unwrap();
    sheet.write_string(1, 0, a.as_str()).unwrap();
    sheet.write_number(1, 1, 20.0).unwrap();
    sheet.write_string(3, 0, b.as_str()).unwrap();
    sheet.write_number(3, 1, 90.0).unwrap();
    let xlsx = book.save_to_buffer().unwrap();
    let (status, page) =
        post_multipart(&manager, &url, &[("csrf", &csrf)], Some(("a.xlsx", &xlsx))).await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("<td class=\"num\" data-label=\"Dòng\">4</td>"),
        "Excel row 4: {page}"
    );
    assert_eq!(stored_rows(&app).await, 4);
    // The template lists the campaign's units.
    let template = manager
        .get(format!("{url}/template.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(template.starts_with("\u{feff}unit_code,points\n"));
    assert!(template.contains(&format!("\n{a},\n")));
}

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

/// `x` as the pages show points: two decimals, a decimal comma.
fn vi(x: f64) -> String {
    format!("{x:.2}").replace('.', ",")
}

async fn the_league_is_the_same_in_the_api_the_page_and_the_xlsx(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    create_campaign(&app, json!({"code": CAMPAIGN, "template": "SIPAS-2023"})).await;
    let codes = communes(&app, 9).await;
    // Six communes with responses and appraisals, two of them alike (close totals);
    // one with a single response; one without appraisal; one without responses.
    let plan: [(usize, usize, Option<f64>); 8] = [
        (40, 50, Some(60.0)),
        (40, 3, Some(40.0)),
        (35, 4, Some(50.0)),
        (35, 4, Some(50.5)),
        (60, 2, Some(45.0)),
        (30, 7, Some(30.0)),
        (1, 2, Some(65.0)),
        (30, 5, None),
    ];
    let mut csv = String::from("unit_code,points\n");
    for (i, (n, every, points)) in plan.iter().enumerate() {
        store(&app, &codes[i], *n, *every).await;
        if let Some(p) = points {
            csv.push_str(&format!("{},{p}\n", codes[i]));
        }
    }
    csv.push_str(&format!("{},20\n", codes[8]));
    let (status, body) = put_appraisals(&app, &csv).await;
    assert_eq!(status, 200, "{body}");
    app.settle().await;

    // unit_type is required, and an unknown one lists the valid ones.
    let path = format!("/api/v1/campaigns/{CAMPAIGN}/league");
    for query in ["", "?unit_type=hamlet"] {
        let response = app
            .get(&format!("{path}{query}"), &app.read_token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422);
        let body: Value = response.json().await.unwrap();
        let valid: Vec<&str> = body["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["valid"].as_str().unwrap())
            .collect();
        assert!(
            valid.contains(&"commune") && valid.contains(&"central_agency"),
            "{body}"
        );
    }
    let response = app
        .get(
            &format!("{path}?unit_type=commune&snapshot=first"),
            &app.read_token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422, "a malformed snapshot is refused");

    let league = app.read_json(&format!("{path}?unit_type=commune")).await;
    assert_eq!(league["unit_type"], "commune");
    assert_eq!(league["max_total"], json!(100.0));
    assert_eq!(league["survey_max_points"], json!(30.0));
    assert_eq!(league["confidence"], json!(0.9));
    assert_eq!(league["provisional"], json!(true));
    let units = league["units"].as_array().unwrap();
    let k = units.len();
    assert_eq!(k, 6, "{league}");
    assert!((number(&league["unit_confidence"]) - (1.0 - 0.1 / 5.0)).abs() < 1e-12);
    let reasons: Vec<(String, String)> = league["unranked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["unit_code"].as_str().unwrap().to_owned(),
                u["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let reason = |code: &str| {
        reasons
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, r)| r.as_str())
    };
    assert_eq!(reason(&codes[6]), Some("no_variance"));
    assert_eq!(reason(&codes[7]), Some("no_appraisal"));
    assert_eq!(reason(&codes[8]), Some("no_survey"));
    // Every other commune of the structure has no responses.
    assert!(reasons.len() > 3);
    assert!(
        reasons
            .iter()
            .filter(|(c, _)| !codes[6..].contains(c))
            .all(|(_, r)| r == "no_survey")
    );
    let mut sorted = reasons.clone();
    sorted.sort();
    assert_eq!(reasons, sorted, "ordered by code");
    let mut previous = (0usize, f64::INFINITY);
    for u in units {
        let total = number(&u["total"]);
        let appraised = number(&u["appraised_points"]);
        let survey = number(&u["survey_points"]);
        assert!((total - appraised - survey).abs() < 1e-9);
        assert!(
            (number(&u["index_percent"]) - total).abs() < 1e-9,
            "out of 100"
        );
        assert!(number(&u["survey_points_ci_low"]) <= survey);
        assert!(survey <= number(&u["survey_points_ci_high"]));
        let rank = u["rank"].as_u64().unwrap() as usize;
        let expected_rank = 1 + units.iter().filter(|v| number(&v["total"]) > total).count();
        assert_eq!(rank, expected_rank, "rank = 1 + #{{ahead}}");
        assert!(rank >= previous.0 && total <= previous.1, "ordered by rank");
        previous = (rank, total);
        let (low, high) = (
            u["rank_low"].as_u64().unwrap() as usize,
            u["rank_high"].as_u64().unwrap() as usize,
        );
        assert!(1 <= low && low <= rank && rank <= high && high <= k, "{u}");
    }
    // The two alike communes (0.5 appraised points apart, same answers) cannot be told
    // apart; the one 10 points ahead of everyone is surely first.
    let of = |code: &str| units.iter().find(|u| u["unit_code"] == code).unwrap();
    let (p, q) = (of(&codes[2]), of(&codes[3]));
    assert!(p["rank_high"].as_u64() > q["rank_low"].as_u64());
    assert_eq!(of(&codes[0])["rank"], json!(1));
    assert_eq!(of(&codes[0])["rank_low"], json!(1));

    // A survey-only league ranks the commune without appraisal too.
    let survey_only = app
        .read_json(&format!("{path}?unit_type=commune&survey_only=true"))
        .await;
    assert_eq!(survey_only["units"].as_array().unwrap().len(), 7);
    assert_eq!(survey_only["survey_max_points"], json!(1.0));
    assert!(survey_only["units"][0]["appraised_points"].is_null());

    // The entity tag: unchanged figures answer 304, a new appraisal changes the tag.
    let url = format!("{path}?unit_type=commune");
    let response = app.get(&url, &app.read_token).send().await.unwrap();
    let tag = response.headers()["etag"].to_str().unwrap().to_owned();
    let again = app
        .get(&url, &app.read_token)
        .header("If-None-Match", format!("W/{tag}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let (status, _) = put_appraisals(&app, &format!("unit_code,points\n{},61\n", codes[0])).await;
    assert_eq!(status, 200);
    let changed = app.get(&url, &app.read_token).send().await.unwrap();
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), tag);
    let league: Value = changed.json().await.unwrap();
    let units = league["units"].as_array().unwrap().clone();

    // The page shows the same numbers.
    let viewer = app.login_as("viewer", None).await;
    let page = viewer
        .get(app.url(&format!(
            "/manage/campaigns/{CAMPAIGN}/league?unit_type=commune"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    for u in &units {
        assert!(page.contains(&vi(number(&u["total"]))), "total of {u}");
        let (low, high) = (
            u["rank_low"].as_u64().unwrap(),
            u["rank_high"].as_u64().unwrap(),
        );
        let interval = if low == high {
            low.to_string()
        } else {
            format!("{low}–{high}")
        };
        assert!(
            page.contains(&format!("<span class=\"ri\">{interval}</span>")),
            "{interval}"
        );
    }
    assert!(
        page.contains("Chưa có điểm thẩm định"),
        "reasons in Vietnamese"
    );
    assert!(
        page.contains("Số liệu tạm thời"),
        "provisional figures said so"
    );

    // The XLSX holds the API's numbers, unrounded.
    let response = viewer
        .get(app.url(&format!(
            "/manage/campaigns/{CAMPAIGN}/league.xlsx?unit_type=commune"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap().to_vec();
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("Bảng xếp hạng").unwrap();
    assert_eq!(sheet.height(), 1 + k + reasons.len());
    for (row, u) in sheet.rows().skip(1).zip(&units) {
        let f = |i: usize| match &row[i] {
            Data::Float(x) => *x,
            Data::Int(x) => *x as f64,
            other => panic!("not a number: {other:?}"),
        };
        assert_eq!(
            row[3],
            Data::String(u["unit_code"].as_str().unwrap().to_owned())
        );
        assert_eq!(f(0) as u64, u["rank"].as_u64().unwrap());
        assert_eq!(f(1) as u64, u["rank_low"].as_u64().unwrap());
        assert_eq!(f(2) as u64, u["rank_high"].as_u64().unwrap());
        assert!(
            (f(5) - number(&u["appraised_points"])).abs() < 1e-12,
            "appraised_points"
        );
        assert!(
            (f(6) - number(&u["survey_points"])).abs() < 1e-12,
            "survey_points"
        );
        assert!((f(9) - number(&u["total"])).abs() < 1e-12, "total");
        assert!(
            (f(10) - number(&u["index_percent"])).abs() < 1e-12,
            "index_percent"
        );
    }

    // A commune officer reads neither the league page nor its export.
    let officer = app.login_as("manager", Some(&codes[0])).await;
    for file in ["league", "league.xlsx"] {
        let status = officer
            .get(app.url(&format!(
                "/manage/campaigns/{CAMPAIGN}/{file}?unit_type=commune"
            )))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 403, "{file}");
    }
}
