//! The frame page: a file with bad lines is refused line by line (Excel rows for a
//! workbook) and changes nothing; a good file is previewed (added, changed, removed,
//! quotas before → after) and applied as previewed, on any node; a stale preview, a
//! missing form token and a commune officer change nothing.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::backend_tests;
use crate::citizen::create_campaign;
use crate::common::{Backend, TestApp, field_value, spawn_app};

backend_tests!(
    bad_lines_are_listed_and_nothing_changes,
    a_previewed_frame_is_applied_as_previewed,
    an_empty_file_removes_only_when_asked,
    impossible_frames_change_nothing,
);

const HEADER: &str = "unit_code,service_point_code,population\n";

/// A multipart body of form fields and at most one file (`file`).
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----sipas-test-boundary-7d3f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((filename, bytes)) = file {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub async fn post_multipart(
    client: &reqwest::Client,
    url: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> (u16, String) {
    let (content_type, body) = multipart(fields, file);
    let response = client
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The unescaped value of a hidden field (maud escapes `&`, `<`, `>`, `"`).
pub fn hidden(html: &str, name: &str) -> String {
    field_value(html, name)
        .unwrap_or_else(|| panic!("no field {name}"))
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#10;", "\n")
        .replace("&amp;", "&")
}

/// The campaign's frame (unit code, N) and quotas (unit code, quota), sorted.
pub async fn frame_state(app: &TestApp, code: &str) -> (Vec<(String, i64)>, Vec<(String, i64)>) {
    let db = app.storage.db();
    let campaign = sipas::storage::campaigns::by_code(db, code).await.unwrap();
    let units: std::collections::HashMap<i32, String> = entity::unit::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.id, u.code))
        .collect();
    let mut frame: Vec<(String, i64)> = entity::frame::Entity::find()
        .filter(entity::frame::Column::CampaignId.eq(campaign.id))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|f| (units[&f.unit_id].clone(), f.population))
        .collect();
    frame.sort();
    let mut quotas: Vec<(String, i64)> = entity::quota::Entity::find()
        .filter(entity::quota::Column::CampaignId.eq(campaign.id))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|q| (units[&q.unit_id].clone(), q.target))
        .collect();
    quotas.sort();
    (frame, quotas)
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    sipas::storage::audit::entries(app.storage.db())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

async fn setup(backend: Backend, code: &str) -> Option<TestApp> {
    let app = spawn_app(backend).await?;
    create_campaign(&app, json!({"code": code})).await;
    let response = app
        .send_csv(
            reqwest::Method::PUT,
            &format!("/api/v1/campaigns/{code}/frame"),
            &format!("{HEADER}18073,,120\n18100,,1000\n"),
        )
        .await;
    assert_eq!(response.status(), 200);
    Some(app)
}

fn workbook(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            match cell.parse::<f64>() {
                Ok(n) => sheet.write_number(r as u32, c as u16, n).map(|_| ()),
                Err(_) => sheet.write_string(r as u32, c as u16, *cell).map(|_| ()),
            }
            .unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

/// The (line, column) cells of a refusal's table, in order.
fn problem_cells(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for row in html.split("<tr>").skip(1) {
        let cells: Vec<String> = row
            .split("<td")
            .skip(1)
            .map(|c| {
                let start = c.find('>').unwrap() + 1;
                c[start..c.find("</td>").unwrap()].to_owned()
            })
            .collect();
        if cells.len() == 3 {
            out.push((cells[0].clone(), cells[1].clone()));
        }
    }
    out
}

async fn bad_lines_are_listed_and_nothing_changes(backend: Backend) {
    let Some(app) = setup(backend, "FR-BAD").await else {
        return;
    };
    let admin = app.login_as("admin", None).await;
    let page_url = app.url("/manage/campaigns/FR-BAD/frame");
    let page = admin.get(&page_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("18073"), "the current frame is listed");
    let csrf = field_value(&page, "csrf").unwrap();
    let before = frame_state(&app, "FR-BAD").await;
    let audits = audit_actions(&app).await.len();

    let csv = format!("{HEADER}18073,,x\n99999,,5\n18100,,10\n18115,,-1\n");
    let (status, html) = post_multipart(
        &admin,
        &page_url,
        &[("csrf", &csrf)],
        Some(("frame.csv", csv.as_bytes())),
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert_eq!(
        problem_cells(&html),
        [
            ("2".to_owned(), "population".to_owned()),
            ("3".to_owned(), "unit_code".to_owned()),
            ("5".to_owned(), "population".to_owned())
        ],
        "{html}"
    );
    assert!(html.contains("không có gì thay đổi"));
    assert_eq!(frame_state(&app, "FR-BAD").await, before);

    // A workbook: the problems are at Excel's rows, blank rows counted.
    let book = workbook(&[
        &["unit_code", "service_point_code", "population"],
        &["18073", "", "300"],
        &[],
        &["18100", "", "many"],
        &["NOPE", "", "4"],
    ]);
    let (status, html) = post_multipart(
        &admin,
        &page_url,
        &[("csrf", &csrf)],
        Some(("frame.xlsx", &book)),
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert_eq!(
        problem_cells(&html),
        [
            ("4".to_owned(), "population".to_owned()),
            ("5".to_owned(), "unit_code".to_owned())
        ]
    );
    // Not a table at all.
    let (status, html) = post_multipart(
        &admin,
        &page_url,
        &[("csrf", &csrf)],
        Some(("frame.bin", &[0xff, 0xfe, 0x00])),
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("CSV UTF-8"));
    assert_eq!(frame_state(&app, "FR-BAD").await, before);
    assert_eq!(audit_actions(&app).await.len(), audits);

    // The templates: the header and the campaign's units, in CSV and XLSX.
    let template = admin
        .get(app.url("/manage/campaigns/FR-BAD/frame/template.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(template.status(), 200);
    let text = template.text().await.unwrap();
    assert!(text.starts_with("\u{feff}unit_code,service_point_code,population,unit_name\n"));
    assert!(text.contains("\n18073,,120,"), "{}", &text[..200]);
    let xlsx = admin
        .get(app.url("/manage/campaigns/FR-BAD/frame/template.xlsx"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let as_csv = sipas::tabular::csv_text(&xlsx).unwrap();
    assert!(as_csv.starts_with("unit_code,service_point_code,population,unit_name\n"));
    assert!(as_csv.contains("\n18073,,120,"));

    // A commune officer neither sees nor changes the frame; no token, no change.
    let officer = app.login_as("manager", Some("18073")).await;
    assert_eq!(officer.get(&page_url).send().await.unwrap().status(), 403);
    let officer_page = officer
        .get(app.url("/manage/campaigns/FR-BAD/paper"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let officer_csrf = field_value(&officer_page, "csrf").unwrap();
    let good = format!("{HEADER}18073,,999\n");
    let digest = before_digest(&app, &admin, &csrf, &good).await;
    let (status, _) = post_multipart(
        &officer,
        &app.url("/manage/campaigns/FR-BAD/frame/apply"),
        &[("csrf", &officer_csrf), ("csv", &good), ("digest", &digest)],
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = post_multipart(
        &admin,
        &app.url("/manage/campaigns/FR-BAD/frame/apply"),
        &[("csv", &good), ("digest", &digest)],
        None,
    )
    .await;
    assert_eq!(status, 403, "no form token");
    let (status, _) = post_multipart(
        &admin,
        &page_url,
        &[("csrf", "forged")],
        Some(("frame.csv", good.as_bytes())),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(frame_state(&app, "FR-BAD").await, before);
}

/// The digest of a preview of `csv`.
async fn before_digest(app: &TestApp, admin: &reqwest::Client, csrf: &str, csv: &str) -> String {
    let (status, html) = post_multipart(
        admin,
        &app.url("/manage/campaigns/FR-BAD/frame"),
        &[("csrf", csrf)],
        Some(("frame.csv", csv.as_bytes())),
    )
    .await;
    assert_eq!(status, 200, "{html}");
    hidden(&html, "digest")
}

fn quota_of(quotas: &[(String, i64)], unit: &str) -> Option<i64> {
    quotas.iter().find(|(u, _)| u == unit).map(|(_, q)| *q)
}

async fn a_previewed_frame_is_applied_as_previewed(backend: Backend) {
    let Some(app) = setup(backend, "FR-OK").await else {
        return;
    };
    let admin = app.login_as("admin", None).await;
    let page_url = app.url("/manage/campaigns/FR-OK/frame");
    let page = admin
        .get(&page_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = field_value(&page, "csrf").unwrap();
    let (_, quotas_before) = frame_state(&app, "FR-OK").await;
    let q18073 = quota_of(&quotas_before, "18073").unwrap();

    let csv = format!("{HEADER}18073,,500\n18115,,80\n");
    let (status, html) = post_multipart(
        &admin,
        &page_url,
        &[("csrf", &csrf)],
        Some(("frame.csv", csv.as_bytes())),
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let added = &html[html.find("Đơn vị thêm vào khung mẫu").expect("added")..];
    assert!(added.contains("18115"));
    let changed = &html[html.find("Đơn vị thay đổi").expect("changed")..];
    assert!(changed.contains("120 → 500"), "{changed}");
    let missing = &html[html.find("không có trong tệp").expect("missing")..];
    assert!(missing.contains("18100"));
    assert!(html.contains("Xoá cả 1 đơn vị không có trong tệp"));
    assert!(!html.contains("name=\"remove\" value=\"1\" checked"));
    let digest = hidden(&html, "digest");
    let sent = hidden(&html, "csv");
    assert_eq!(sent, csv);

    // Applied from a second node: the preview holds all it needs.
    let node = app.spawn_node().await;
    let (status, applied) = post_multipart(
        &admin,
        &node.url("/manage/campaigns/FR-OK/frame/apply"),
        &[("csrf", &csrf), ("csv", &sent), ("digest", &digest)],
        None,
    )
    .await;
    assert_eq!(status, 200, "{applied}");
    assert!(applied.contains("Đã áp dụng khung mẫu: 1 đơn vị thêm, 1 thay đổi, 0 xoá."));
    let (frame, quotas) = frame_state(&app, "FR-OK").await;
    assert_eq!(
        frame,
        [
            ("18073".to_owned(), 500),
            ("18100".to_owned(), 1000),
            ("18115".to_owned(), 80)
        ],
        "merged: 18100 kept"
    );
    // The quotas the preview showed are the quotas stored.
    let q_new = quota_of(&quotas, "18073").unwrap();
    assert!(q_new > q18073);
    assert!(
        changed.contains(&format!("{q18073} → {q_new}")),
        "{changed}"
    );
    let q_added = quota_of(&quotas, "18115").unwrap();
    assert!(added.contains(&format!("— → {q_added}")), "{added}");
    assert_eq!(
        quota_of(&quotas, "18100"),
        quota_of(&quotas_before, "18100")
    );
    let audit = sipas::storage::audit::entries(app.storage.db())
        .await
        .unwrap();
    let last = audit.last().unwrap();
    assert_eq!(last.action, "frame.update");
    let detail: serde_json::Value = serde_json::from_str(&last.detail).unwrap();
    assert_eq!(detail["added"], 1);
    assert_eq!(detail["changed"], 1);
    assert_eq!(detail["before"]["18073"]["population"], 120);
    assert_eq!(detail["after"]["18073"]["quota"], q_new);

    // The same preview again is stale: the frame changed since.
    let before = frame_state(&app, "FR-OK").await;
    let (status, html) = post_multipart(
        &admin,
        &app.url("/manage/campaigns/FR-OK/frame/apply"),
        &[
            ("csrf", &csrf),
            ("csv", &sent),
            ("digest", &digest),
            ("remove", "1"),
        ],
        None,
    )
    .await;
    assert_eq!(status, 409);
    assert!(html.contains("đã thay đổi kể từ khi xem trước"));
    assert_eq!(frame_state(&app, "FR-OK").await, before);

    // A fresh preview with the removal ticked replaces the frame.
    let (_, html) = post_multipart(
        &admin,
        &page_url,
        &[("csrf", &csrf)],
        Some(("frame.csv", csv.as_bytes())),
    )
    .await;
    let (status, _) = post_multipart(
        &admin,
        &app.url("/manage/campaigns/FR-OK/frame/apply"),
        &[
            ("csrf", &csrf),
            ("csv", &hidden(&html, "csv")),
            ("digest", &hidden(&html, "digest")),
            ("remove", "1"),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (frame, quotas) = frame_state(&app, "FR-OK").await;
    assert_eq!(frame, [("18073".to_owned(), 500), ("18115".to_owned(), 80)]);
    assert_eq!(quota_of(&quotas, "18100"), None);
    assert_eq!(audit_actions(&app).await.last().unwrap(), "frame.replace");
}

async fn an_empty_file_removes_only_when_asked(backend: Backend) {
    let Some(app) = setup(backend, "FR-EMPTY").await else {
        return;
    };
    let admin = app.login_as("admin", None).await;
    let page_url = app.url("/manage/campaigns/FR-EMPTY/frame");
    let page = admin
        .get(&page_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = field_value(&page, "csrf").unwrap();
    let before = frame_state(&app, "FR-EMPTY").await;
    let preview = |csrf: String| {
        let admin = admin.clone();
        let page_url = page_url.clone();
        async move {
            let (status, html) = post_multipart(
                &admin,
                &page_url,
                &[("csrf", &csrf)],
                Some(("frame.csv", HEADER.as_bytes())),
            )
            .await;
            assert_eq!(status, 200, "{html}");
            html
        }
    };
    let html = preview(csrf.clone()).await;
    assert!(html.contains("Tệp không thêm và không thay đổi đơn vị nào."));
    assert!(
        html.contains("Xoá cả 2 đơn vị khỏi khung mẫu (khung mẫu sẽ trống: mọi đơn vị bị xoá)")
    );
    let apply = |html: String, remove: bool| {
        let admin = admin.clone();
        let csrf = csrf.clone();
        let url = app.url("/manage/campaigns/FR-EMPTY/frame/apply");
        async move {
            let csv = hidden(&html, "csv");
            let digest = hidden(&html, "digest");
            let mut fields = vec![("csrf", csrf.as_str()), ("csv", &csv), ("digest", &digest)];
            if remove {
                fields.push(("remove", "1"));
            }
            post_multipart(&admin, &url, &fields, None).await.0
        }
    };
    assert_eq!(apply(html, false).await, 200);
    assert_eq!(
        frame_state(&app, "FR-EMPTY").await,
        before,
        "a merge of nothing"
    );
    let html = preview(csrf.clone()).await;
    assert_eq!(apply(html, true).await, 200);
    let (frame, quotas) = frame_state(&app, "FR-EMPTY").await;
    assert!(frame.is_empty());
    assert!(quotas.is_empty());
}

/// Issue 13, finding 5: a header-only file replaced the frame with nothing (every frame
/// row and quota deleted, 200), and populations near 2^63 wrapped. Both are refused with
/// their line, and nothing changes.
async fn impossible_frames_change_nothing(backend: Backend) {
    let Some(app) = setup(backend, "FR-BAD").await else {
        return;
    };
    let before = frame_state(&app, "FR-BAD").await;
    assert!(!before.0.is_empty());
    for (body, line) in [
        (HEADER.to_owned(), 1),
        (format!("{HEADER}18073,,9223372036854775808\n"), 2),
        (
            format!(
                "{HEADER}18100,,1\n18073,MC,9223372036854775807\n18073,MC-2,9223372036854775809\n"
            ),
            3,
        ),
    ] {
        let response = app
            .send_csv(
                reqwest::Method::PUT,
                "/api/v1/campaigns/FR-BAD/frame",
                &body,
            )
            .await;
        assert_eq!(response.status(), 422, "{body}");
        let error: serde_json::Value = response.json().await.unwrap();
        assert_eq!(error["error"]["details"][0]["line"], line, "{error}");
        assert_eq!(frame_state(&app, "FR-BAD").await, before, "nothing changed");
    }
}
