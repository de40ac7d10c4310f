//! Exports from the dashboard: responses and scores as CSV and XLSX, read back as a
//! spreadsheet program would; scoped like the pages (a unit out of scope is a 404, a
//! viewer gets no comments); streamed in pages, and a failure midway never looks like
//! a whole file.

use std::io::Cursor;

use calamine::{Data, DataType, Reader, Xlsx, open_workbook_from_rs};
use chrono::{TimeZone, Utc};
use futures_util::StreamExt;
use serde_json::json;
use sipas::exports::ResponseExport;
use sipas::reports::exports::{FileFormat, Places, ResponseColumns};
use sipas::storage::exports::{ResponseRange, last_response_id};
use sipas::storage::{NewResponse, campaigns, responses, units};
use sipas_domain::campaign::Channel;
use sipas_domain::questionnaire::Answers;
use sipas_domain::reference::questionnaires;

use crate::backend_tests;
use crate::common::{Backend, TestApp, spawn_app};

backend_tests!(
    an_admin_downloads_every_response_and_every_score,
    each_reads_only_their_units_and_viewers_no_comments,
);

/// The 16 criterion codes of SIPAS-2023, the questionnaire of the 2026 campaigns here.
fn criteria_2023() -> Vec<String> {
    questionnaires()
        .iter()
        .find(|q| q.code == "SIPAS-2023")
        .expect("SIPAS-2023 is bundled")
        .criteria()
        .map(|(_, c)| c.code.clone())
        .collect()
}

async fn campaign(app: &TestApp, code: &str, template: &str, starts: &str, ends: &str) {
    let response = app
        .post_json(
            "/api/v1/campaigns",
            &json!({"code": code, "name": "Khảo sát xuất dữ liệu", "template": template,
                    "starts_on": starts, "ends_on": ends}),
        )
        .await;
    assert_eq!(response.status(), 201);
}

/// What a stored response looks like in a test: where, and its i-th variation.
struct Form {
    unit: String,
    channel: Channel,
    comment: Option<&'static str>,
    excluded: bool,
}

/// Stores `count` responses per form at the units' own desks, in one import: answers
/// vary with i (the second criterion is left unanswered on every third), submitted on
/// 9 March 2026 at 20:30 UTC (10 March in Vietnam) plus i seconds.
async fn store(app: &TestApp, campaign_code: &str, forms: &[(Form, usize)]) {
    let db = app.storage.db();
    let campaign = campaigns::by_code(db, campaign_code).await.unwrap();
    let criteria = sipas::storage::reference::questionnaire(db, campaign.questionnaire_id)
        .await
        .unwrap()
        .criterion_count();
    let mut stored = Vec::new();
    for (form, count) in forms {
        let unit = units::by_code(db, &form.unit, Some(campaign.units_on))
            .await
            .unwrap();
        let desk = units::default_service_point(db, &unit).await.unwrap();
        for i in 0..*count {
            let values: Vec<u8> = (0..criteria)
                .map(|k| {
                    if k == 1 && i % 3 == 0 {
                        0
                    } else {
                        1 + ((i + 2 * k) % 5) as u8
                    }
                })
                .collect();
            stored.push(NewResponse {
                unit_id: unit.id,
                service_point_id: desk.id,
                channel: form.channel,
                language: "vi",
                answers: Answers::from_values(values).unwrap(),
                comment: form.comment.map(str::to_owned),
                submitted_at: Utc.with_ymd_and_hms(2026, 3, 9, 20, 30, 0).unwrap()
                    + chrono::Duration::seconds(i as i64),
                exclusion: form.excluded.then_some("too_fast"),
                nonce: None,
                receipt_id: None,
                client_hash: None,
                is_demo: false,
            });
        }
    }
    let txn = app.storage.write().await.unwrap();
    responses::import(&txn, "test", &campaign, &stored)
        .await
        .unwrap();
    txn.commit().await.unwrap();
}

fn form(unit: &str, channel: Channel, comment: Option<&'static str>) -> Form {
    Form {
        unit: unit.to_owned(),
        channel,
        comment,
        excluded: false,
    }
}

async fn get(client: &reqwest::Client, url: &str) -> reqwest::Response {
    client.get(url).send().await.unwrap()
}

fn read_xlsx(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes)).expect("a readable XLSX")
}

/// The CSV's lines after its byte-order mark, split in fields (no field here holds a
/// comma or a quote).
fn csv_lines(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "UTF-8 with a byte-order mark"
    );
    std::str::from_utf8(&bytes[3..])
        .unwrap()
        .split_terminator("\r\n")
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

async fn an_admin_downloads_every_response_and_every_score(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    campaign(&app, "EX-2026", "SIPAS-2023", "2026-01-01", "2026-12-31").await;
    // More responses than one page holds (5,000), over three units, some flagged.
    store(
        &app,
        "EX-2026",
        &[
            (
                form("18196", Channel::DeskQr, Some("Cán bộ tận tình")),
                5_300,
            ),
            (form("18073", Channel::Paper, None), 40),
            (
                Form {
                    excluded: true,
                    ..form("18073", Channel::DeskQr, Some("=1+1"))
                },
                2,
            ),
        ],
    )
    .await;
    let frame = "unit_code,service_point_code,population\n18196,,9000\n18073,,800\n";
    let response = app
        .send_csv(
            reqwest::Method::PUT,
            "/api/v1/campaigns/EX-2026/frame",
            frame,
        )
        .await;
    assert_eq!(response.status(), 200);
    app.settle().await;
    let admin = app.login_as("admin", None).await;
    let criteria = criteria_2023();

    // XLSX: one row per response, answers as numbers, dates as dates.
    let response = get(
        &admin,
        &app.url("/manage/campaigns/EX-2026/exports/responses.xlsx"),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"EX-2026-responses.xlsx\""
    );
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    let mut book = read_xlsx(response.bytes().await.unwrap().to_vec());
    let sheet = book.worksheet_range("Phiếu trả lời").unwrap();
    assert_eq!(sheet.height(), 1 + 5_300 + 40 + 2);
    assert_eq!(sheet.width(), 10 + criteria.len() + 1);
    let header: Vec<String> = sheet[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(header[1], "Mã đơn vị");
    assert_eq!(header[10..10 + criteria.len()], criteria[..]);
    assert_eq!(header.last().unwrap(), "Ý kiến");
    let ids: Vec<f64> = sheet
        .rows()
        .skip(1)
        .map(|r| r[0].as_f64().unwrap())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "in id order, none twice"
    );
    let first = &sheet[1];
    assert_eq!(first[1], Data::String("18196".into()));
    assert_eq!(first[2], Data::String("Xã Sơn Kim 1".into()));
    assert_eq!(first[4], Data::String("Bộ phận Một cửa".into()));
    assert_eq!(first[5], Data::String("desk_qr".into()));
    assert_eq!(first[6], Data::Bool(false));
    match &first[7] {
        Data::DateTime(d) => assert_eq!(d.to_ymd_hms_milli(), (2026, 3, 10, 0, 0, 0, 0)),
        other => panic!("a date cell, not {other:?}"),
    }
    assert!(matches!(first[8], Data::DateTime(_)), "a time cell");
    // Response 0 of its unit: criterion 1 answered 1, criterion 2 unanswered.
    assert_eq!(first[10], Data::Float(1.0));
    assert_eq!(first[11], Data::Empty);
    assert_eq!(first[12], Data::Float(5.0));
    assert_eq!(
        first[10 + criteria.len()],
        Data::String("Cán bộ tận tình".into())
    );
    let flagged: Vec<&[Data]> = sheet
        .rows()
        .filter(|r| r[9] == Data::String("too_fast".into()))
        .collect();
    assert_eq!(flagged.len(), 2, "flagged responses are there, with why");
    assert_eq!(flagged[0][2], Data::String("Phường Thành Sen".into()));

    // CSV: the same rows, with a byte-order mark and a header.
    let response = get(
        &admin,
        &app.url("/manage/campaigns/EX-2026/exports/responses.csv?lang=en"),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let lines = csv_lines(&response.bytes().await.unwrap());
    assert_eq!(lines.len(), 1 + 5_342);
    // Named in the API's words, whatever the language.
    assert_eq!(lines[0][..3], ["response_id", "unit_code", "unit_name"]);
    assert_eq!(lines[0].last().unwrap(), "comment");
    assert_eq!(lines[1][7..9], ["10/03/2026", "03:30:00"]);
    let csv_ids: Vec<f64> = lines[1..].iter().map(|l| l[0].parse().unwrap()).collect();
    assert_eq!(csv_ids, ids);
    let last = lines.last().unwrap();
    assert_eq!(last[9], "too_fast");
    assert_eq!(
        last.last().unwrap(),
        "'=1+1",
        "a formula from a citizen is defused"
    );

    // Scores: the figures the API serves, one row per unit.
    let api = app.read_json("/api/v1/campaigns/EX-2026/scores").await;
    let response = get(
        &admin,
        &app.url("/manage/campaigns/EX-2026/exports/scores.xlsx"),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"EX-2026-scores.xlsx\""
    );
    let mut book = read_xlsx(response.bytes().await.unwrap().to_vec());
    let sheet = book.worksheet_range("Điểm số").unwrap();
    let units = api["units"].as_array().unwrap();
    assert_eq!(sheet.height(), 1 + units.len());
    // Equal to the last bit but for serde_json's parsing of the API's figures, which
    // is not correctly rounded (its `float_roundtrip` feature is off).
    let same = |cell: &Data, figure: &serde_json::Value| match (cell.as_f64(), figure.as_f64()) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-12 * b.abs().max(1.0),
        (a, b) => a == b,
    };
    for (row, unit) in sheet.rows().skip(1).zip(units) {
        assert_eq!(
            row[0],
            Data::String(unit["unit_code"].as_str().unwrap().into())
        );
        for (col, figure) in [
            (4, &unit["n"]),
            (5, &unit["population"]),
            (6, &unit["quota"]),
            (7, &unit["sipas"]["estimate"]),
            (8, &unit["sipas"]["ci_low"]),
            (9, &unit["sipas"]["ci_high"]),
            (10, &unit["mean_score"]["estimate"]),
            (11, &unit["mean_score"]["ci_low"]),
            (12, &unit["mean_score"]["ci_high"]),
            (13, &unit["par"]["survey_max_points"]),
            (14, &unit["par"]["points"]),
            (15, &unit["par"]["ci_low"]),
            (16, &unit["par"]["ci_high"]),
        ] {
            assert!(
                same(&row[col], figure),
                "column {col}: {:?} ≠ {figure}",
                row[col]
            );
        }
    }
    assert_eq!(
        sheet[1][4].as_f64(),
        Some(40.0),
        "18073: flagged ones not counted"
    );
    assert!(
        [7, 8, 9, 10, 14]
            .iter()
            .all(|c| sheet[1][*c].as_f64().is_some()),
        "figures, not empty cells, were compared: {:?}",
        &sheet[1]
    );
    let response = get(
        &admin,
        &app.url("/manage/campaigns/EX-2026/exports/scores.csv"),
    )
    .await;
    let lines = csv_lines(&response.bytes().await.unwrap());
    assert_eq!(lines.len(), 1 + units.len());
    assert_eq!(lines[1][0], "18073");
    assert_eq!(lines[2][0], "18196");
}

/// The first field of every data line: the unit codes of a responses CSV, in order.
fn unit_codes(lines: &[Vec<String>]) -> Vec<String> {
    let mut codes: Vec<String> = lines[1..].iter().map(|l| l[1].clone()).collect();
    codes.dedup();
    codes
}

async fn each_reads_only_their_units_and_viewers_no_comments(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    campaign(&app, "EX-2026", "SIPAS-2023", "2026-01-01", "2026-12-31").await;
    store(
        &app,
        "EX-2026",
        &[
            (form("18073", Channel::Paper, Some("Phường tốt")), 3),
            (form("18196", Channel::DeskQr, Some("Xã tốt")), 4),
        ],
    )
    .await;
    let frame = "unit_code,service_point_code,population\n18196,,900\n18073,,800\n";
    let response = app
        .send_csv(
            reqwest::Method::PUT,
            "/api/v1/campaigns/EX-2026/frame",
            frame,
        )
        .await;
    assert_eq!(response.status(), 200);
    app.settle().await;
    let base = app.url("/manage/campaigns/EX-2026/exports");

    // Not logged in: to the login page, and back to the file afterwards.
    let anonymous = crate::common::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = get(&anonymous, &format!("{base}/responses.csv")).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "/login?next=%2Fmanage%2Fcampaigns%2FEX%2D2026%2Fexports%2Fresponses%2Ecsv"
    );

    // Phường Thành Sen's officer: their ward's rows, comments included, nothing else.
    let officer = app.login_as("manager", Some("18073")).await;
    let response = get(&officer, &format!("{base}/responses.csv")).await;
    assert_eq!(response.status(), 200);
    let lines = csv_lines(&response.bytes().await.unwrap());
    assert_eq!(lines.len(), 1 + 3);
    assert_eq!(unit_codes(&lines), ["18073"]);
    assert_eq!(lines[1].last().unwrap(), "Phường tốt");
    for file in [
        "responses.csv",
        "responses.xlsx",
        "scores.csv",
        "scores.xlsx",
    ] {
        let other = get(&officer, &format!("{base}/{file}?unit=18196")).await;
        assert_eq!(other.status(), 404, "{file} of another commune");
    }
    let own = get(&officer, &format!("{base}/responses.xlsx?unit=18073")).await;
    assert_eq!(own.status(), 200);
    assert_eq!(
        own.headers()["content-disposition"],
        "attachment; filename=\"EX-2026-responses-18073.xlsx\""
    );
    let mut book = read_xlsx(own.bytes().await.unwrap().to_vec());
    assert_eq!(
        book.worksheet_range("Phiếu trả lời").unwrap().height(),
        1 + 3
    );
    let scores = csv_lines(
        &get(&officer, &format!("{base}/scores.csv"))
            .await
            .bytes()
            .await
            .unwrap(),
    );
    assert_eq!(scores.len(), 2);
    assert_eq!(scores[1][..2], ["18073", "Phường Thành Sen"]);

    // A viewer of the same ward: the figures, not the citizens' words.
    let viewer = app.login_as("viewer", Some("18073")).await;
    let response = get(&viewer, &format!("{base}/responses.csv")).await;
    assert_eq!(response.status(), 200);
    let body = response.bytes().await.unwrap();
    assert!(!String::from_utf8_lossy(&body).contains("Phường tốt"));
    let lines = csv_lines(&body);
    assert_eq!(lines[0].last().unwrap(), criteria_2023().last().unwrap());
    assert_eq!(lines[0].len(), 10 + criteria_2023().len());
    let mut book = read_xlsx(
        get(&viewer, &format!("{base}/responses.xlsx"))
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec(),
    );
    let sheet = book.worksheet_range("Phiếu trả lời").unwrap();
    assert_eq!(
        sheet.width(),
        10 + criteria_2023().len(),
        "no comment column"
    );

    // The province's admin: every unit, narrowed on demand; bad names are 404s.
    let admin = app.login_as("admin", None).await;
    let lines = csv_lines(
        &get(
            &admin,
            &format!("{base}/responses.csv?type=commune&unit=42"),
        )
        .await
        .bytes()
        .await
        .unwrap(),
    );
    assert_eq!(unit_codes(&lines), ["18073", "18196"]);
    let lines = csv_lines(
        &get(&admin, &format!("{base}/responses.csv?type=department"))
            .await
            .bytes()
            .await
            .unwrap(),
    );
    assert_eq!(lines.len(), 1, "no department answered: the header alone");
    for path in [
        "/manage/campaigns/EX-2026/exports/responses.csv?unit=99999",
        "/manage/campaigns/EX-2026/exports/responses.csv?type=castle",
        "/manage/campaigns/EX-2026/exports/responses.pdf",
        "/manage/campaigns/EX-2026/exports/answers.csv",
        "/manage/campaigns/NOPE-2026/exports/responses.csv",
    ] {
        assert_eq!(get(&admin, &app.url(path)).await.status(), 404, "{path}");
    }
}

/// A scope follows its unit across the 2025 reform: in a 2021 round, the officer of
/// today's Phường Thành Sen reads the old wards that merged into it; Xã Sơn Kim 1,
/// which did not change, is its own officer's in both rounds.
#[tokio::test]
async fn a_scope_follows_its_unit_back_across_the_reform() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let lines = sipas_domain::reference::ha_tinh_successions();
    let mut predecessors: Vec<&str> = lines
        .iter()
        .filter(|l| l.new_code == "18073")
        .map(|l| l.old_code.as_str())
        .collect();
    predecessors.sort_unstable();
    assert!(predecessors.len() >= 2);
    campaign(&app, "EX-2021", "SIPAS-2017", "2021-03-01", "2021-10-31").await;
    store(
        &app,
        "EX-2021",
        &[
            (form(predecessors[0], Channel::Paper, None), 2),
            (form(predecessors[1], Channel::Paper, None), 3),
            (form("18196", Channel::Paper, None), 4),
        ],
    )
    .await;
    let base = app.url("/manage/campaigns/EX-2021/exports/responses.csv");
    let officer = app.login_as("manager", Some("18073")).await;
    let csv = csv_lines(&get(&officer, &base).await.bytes().await.unwrap());
    assert_eq!(unit_codes(&csv), predecessors[..2]);
    assert_eq!(
        get(&officer, &format!("{base}?unit=18196")).await.status(),
        404
    );
    let unchanged = app.login_as("manager", Some("18196")).await;
    let csv = csv_lines(&get(&unchanged, &base).await.bytes().await.unwrap());
    assert_eq!(unit_codes(&csv), ["18196"]);
    assert_eq!(csv.len(), 1 + 4);
}

/// The stream of an export read directly, with small pages.
async fn export_stream(
    app: &TestApp,
    campaign_code: &str,
    page_rows: u64,
) -> impl futures_util::Stream<Item = Result<actix_web::web::Bytes, std::io::Error>> {
    let db = app.storage.db();
    let campaign = campaigns::by_code(db, campaign_code).await.unwrap();
    let export = ResponseExport {
        range: ResponseRange {
            campaign_id: campaign.id,
            units: None,
            up_to: last_response_id(db, campaign.id).await.unwrap(),
            comments: true,
        },
        columns: ResponseColumns {
            lang: sipas_templates::Lang::Vi,
            criteria: criteria_2023(),
            comments: true,
        },
        places: Places::default(),
        format: FileFormat::Csv,
        page_rows,
    };
    sipas::exports::responses(app.storage.clone(), export)
}

#[tokio::test]
async fn pages_follow_each_other_and_a_failure_midway_cuts_the_stream() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    campaign(&app, "EX-2026", "SIPAS-2023", "2026-01-01", "2026-12-31").await;
    store(
        &app,
        "EX-2026",
        &[(form("18073", Channel::Paper, None), 203)],
    )
    .await;

    // Read whole in pages of 10: every response once, in order.
    let mut whole = Vec::new();
    let mut stream = Box::pin(export_stream(&app, "EX-2026", 10).await);
    while let Some(chunk) = stream.next().await {
        whole.extend_from_slice(&chunk.expect("no failure"));
    }
    let lines = csv_lines(&whole);
    assert_eq!(lines.len(), 1 + 203);
    let ids: Vec<i64> = lines[1..].iter().map(|l| l[0].parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1));

    // The table goes away after the first page: the stream ends with an error, never
    // as if the file were whole.
    let mut stream = Box::pin(export_stream(&app, "EX-2026", 5).await);
    let first = stream.next().await.unwrap().expect("the first page");
    assert!(first.starts_with(b"\xEF\xBB\xBF"));
    app.storage
        .execute_unprepared("ALTER TABLE responses RENAME TO responses_gone")
        .await
        .unwrap();
    let mut items = Vec::new();
    while let Some(item) = stream.next().await {
        items.push(item);
    }
    let rows: usize = items
        .iter()
        .filter_map(|i| i.as_ref().ok())
        .map(|b| b.split(|c| *c == b'\n').count() - 1)
        .sum::<usize>()
        + 1;
    assert!(rows < 203, "stopped midway ({rows} rows)");
    let last = items.last().expect("an ending item");
    assert!(last.is_err(), "the stream ends with an error");
}
