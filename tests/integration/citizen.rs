//! The citizen's path over HTTP: desk and receipt QR codes, the form, validation,
//! idempotent submission, screening and rate limits.

use std::collections::HashMap;

use crate::backend_tests;
use crate::common::{AppOptions, Backend, TestApp, field_value, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use sipas::rate_limit::{Limit, RateLimits};

backend_tests!(
    desk_qr_leads_to_a_stored_response,
    blank_answers_re_show_the_form_with_answers_kept,
    repeated_form_is_stored_once,
    many_forms_at_once_each_stored_once_before_the_thanks,
    honeypot_and_speed_are_flagged_not_dropped,
    receipt_answers_once,
    bad_tokens_get_a_plain_404_page,
    a_nul_byte_in_one_comment_fails_nobody,
    a_nul_byte_in_a_path_is_not_found,
);

pub async fn open_campaign(app: &TestApp, code: &str, min_fill_seconds: u32) {
    create_campaign(
        app,
        json!({"code": code, "min_fill_seconds": min_fill_seconds}),
    )
    .await;
}

/// Creates an open SIPAS-2017 campaign; `fields` add to or override the defaults.
pub async fn create_campaign(app: &TestApp, fields: Value) {
    let mut body = json!({"name": "Khảo sát thử", "template": "SIPAS-2017",
                          "starts_on": "2026-01-01", "ends_on": "2026-12-31"});
    for (k, v) in fields.as_object().unwrap() {
        body[k] = v.clone();
    }
    let response = app.post_json("/api/v1/campaigns", &body).await;
    assert_eq!(response.status(), 201);
}

/// The survey URL of the unit's own desk, read back from its QR code by an
/// independent decoder.
pub async fn desk_url(app: &TestApp, campaign: &str, unit: &str) -> String {
    desk_url_at(app, campaign, unit, "MC").await
}

/// The survey URL of one of the unit's desks, read back from its QR code.
pub async fn desk_url_at(app: &TestApp, campaign: &str, unit: &str, desk: &str) -> String {
    let path = format!("/api/v1/campaigns/{campaign}/units/{unit}/service-points/{desk}/qr.png");
    let response = app.get(&path, &app.read_token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    let png = response.bytes().await.unwrap();
    let image = image::load_from_memory(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    let (_, content) = grids[0].decode().unwrap();
    assert!(
        content.starts_with(&format!("{}/s/", app.address)),
        "{content}"
    );
    content
}

pub fn full_answers(value: &str) -> Vec<(String, String)> {
    sipas_domain::reference::questionnaires()[0]
        .criteria()
        .map(|(_, c)| (c.code.clone(), value.to_owned()))
        .collect()
}

async fn stored(app: &TestApp) -> Vec<entity::response::Model> {
    use sea_orm::EntityTrait;
    entity::response::Entity::find()
        .all(app.storage.db())
        .await
        .unwrap()
}

async fn desk_qr_leads_to_a_stored_response(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let url = desk_url(&app, "HT-2026", "18073").await;

    let page = app.page(&url).await;
    assert!(page.contains("<html lang=\"vi\""));
    assert!(page.contains("Phường Thành Sen"), "the unit is named");
    assert!(page.contains("Bộ phận Một cửa"), "the desk is named");
    let english = app
        .client
        .get(format!("{url}?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("<html lang=\"en\""));
    assert!(english.contains("There are enough seats in the waiting area"));

    let mut answers = full_answers("4");
    answers[0].1 = "5".into();
    answers[1].1 = "0".into();
    answers.push(("comment".into(), "  Cán bộ tận tình  ".into()));
    let response = app.answer(&url, &answers).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.ends_with("/thanks?lang=vi"), "{location}");
    let thanks = app.client.get(app.url(&location)).send().await.unwrap();
    assert_eq!(thanks.status(), 200);
    assert!(thanks.text().await.unwrap().contains("Cảm ơn"));

    let rows = stored(&app).await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.answers, "5044444444444444444444");
    assert_eq!(row.channel, "desk_qr");
    assert!(!row.verified);
    assert_eq!(row.comment.as_deref(), Some("Cán bộ tận tình"));
    assert_eq!(row.exclusion, None);
    assert_eq!(row.language, "vi");
    let ward = sipas::storage::units::by_code(app.storage.db(), "18073", None)
        .await
        .unwrap();
    assert_eq!(row.unit_id, ward.id);
    // The client address is kept only as a hash, never in the clear.
    let hash = row.client_hash.as_deref().unwrap();
    assert_eq!(hash.len(), 32);
    assert!(!hash.contains("127.0.0.1"));
    // … under the day's own random key, which is purged after its retention period.
    let day = sipas_domain::campaign::vietnam_time(row.submitted_at).date();
    let key = sipas::storage::address_keys::key_for(app.storage.db(), day)
        .await
        .unwrap();
    assert_eq!(
        sipas::storage::address_keys::hash_address(&key, "127.0.0.1"),
        hash
    );
}

async fn blank_answers_re_show_the_form_with_answers_kept(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let url = desk_url(&app, "HT-2026", "18073").await;
    let mut answers = full_answers("4");
    answers.retain(|(code, _)| code != "TC3" && code != "TT2");
    answers[0].1 = "2".into();
    answers.push(("comment".into(), "Giữ lại góp ý này".into()));
    let response = app.answer(&url, &answers).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("role=\"alert\""), "an error summary");
    assert!(
        html.contains("href=\"#q-TC3\"") && html.contains("href=\"#q-TT2\""),
        "links to the missing: {html}"
    );
    assert!(
        html.contains("<input type=\"radio\" name=\"TC1\" value=\"2\" checked>"),
        "answers kept"
    );
    assert!(html.contains("Giữ lại góp ý này"), "comment kept");
    assert!(stored(&app).await.is_empty(), "nothing stored");

    // Answering everything "no opinion" is complete but counts nothing: asked again.
    let response = app.answer(&url, &full_answers("0")).await;
    assert_eq!(response.status(), 422);
    assert!(stored(&app).await.is_empty());
}

async fn repeated_form_is_stored_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let url = desk_url(&app, "HT-2026", "18073").await;
    let html = app.page(&url).await;
    let mut fields = full_answers("5");
    fields.push(("_nonce".into(), field_value(&html, "_nonce").unwrap()));
    fields.push(("_issued".into(), field_value(&html, "_issued").unwrap()));
    // A double tap and a retry: three posts of the same form, at once and after.
    let posts = (0..2).map(|_| app.client.post(&url).form(&fields).send());
    for response in futures_util::future::join_all(posts).await {
        assert_eq!(response.unwrap().status(), 303);
    }
    let retry = app.client.post(&url).form(&fields).send().await.unwrap();
    assert_eq!(retry.status(), 303);
    assert_eq!(stored(&app).await.len(), 1);

    // A tampered nonce does not store; the form comes back with the answers kept.
    let mut forged = fields.clone();
    forged
        .iter_mut()
        .find(|(k, _)| k == "_nonce")
        .unwrap()
        .1
        .replace_range(5..6, "Q");
    let response = app.client.post(&url).form(&forged).send().await.unwrap();
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("<input type=\"radio\" name=\"TC1\" value=\"5\" checked>"));
    assert_eq!(stored(&app).await.len(), 1);
}

/// Forms arriving together share commits: each citizen is thanked only once their
/// response is committed, and a form sent twice at the same moment (the copies in one
/// group or in two) is stored once.
async fn many_forms_at_once_each_stored_once_before_the_thanks(backend: Backend) {
    let open = Limit {
        max: u32::MAX,
        window: std::time::Duration::from_secs(60),
    };
    let options = AppOptions {
        rate_limits: Some(RateLimits {
            per_device: open,
            per_address: open,
            without_device: open,
            ..RateLimits::default()
        }),
        ..AppOptions::default()
    };
    let Some(app) = spawn_app_with(backend, options).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let url = desk_url(&app, "HT-2026", "18073").await;
    const FORMS: usize = 60;
    let mut forms = Vec::new();
    for i in 0..FORMS {
        let html = app.page(&url).await;
        let mut fields = full_answers(&(1 + i % 5).to_string());
        fields.push(("_nonce".into(), field_value(&html, "_nonce").unwrap()));
        forms.push(fields);
    }
    let posts = forms.iter().chain(forms.iter().rev()).map(|fields| {
        let (app, url) = (&app, &url);
        async move {
            let response = app.client.post(url).form(fields).send().await.unwrap();
            assert_eq!(response.status(), 303);
            let nonce = &fields.iter().find(|(k, _)| k == "_nonce").unwrap().1;
            // Thanked, so committed: another connection reads it at once.
            let rows = stored(app).await;
            assert!(
                rows.iter().any(|r| r.nonce.as_ref() == Some(nonce)),
                "thanked before its commit"
            );
        }
    });
    futures_util::future::join_all(posts).await;
    let rows = stored(&app).await;
    assert_eq!(rows.len(), FORMS, "each form stored once");
    let nonces: std::collections::HashSet<_> = rows.iter().map(|r| r.nonce.clone()).collect();
    assert_eq!(nonces.len(), FORMS);
}

async fn honeypot_and_speed_are_flagged_not_dropped(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    open_campaign(&app, "FAST", 8).await;
    let url = desk_url(&app, "FAST", "18073").await;
    // Sent at once: kept, flagged too fast.
    assert_eq!(app.answer(&url, &full_answers("4")).await.status(), 303);
    // A bot filling the hidden field: kept, flagged, and still thanked.
    let html = app.page(&url).await;
    let mut fields = full_answers("5");
    fields.push(("_nonce".into(), field_value(&html, "_nonce").unwrap()));
    fields.push(("_issued".into(), "0".into()));
    fields.push(("website".into(), "http://spam.example".into()));
    assert_eq!(
        app.client
            .post(&url)
            .form(&fields)
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    let mut exclusions: Vec<Option<String>> = stored(&app)
        .await
        .into_iter()
        .map(|r| r.exclusion)
        .collect();
    exclusions.sort();
    assert_eq!(
        exclusions,
        vec![Some("honeypot".into()), Some("too_fast".into())]
    );
}

async fn receipt_answers_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let today = chrono::Utc::now().date_naive();
    let body = json!({"dossier_code": "H42.18073-260101-0001", "unit_code": "18073",
                      "service_point_code": "MC", "returned_on": today});
    let first = app
        .post_json("/api/v1/campaigns/HT-2026/receipts", &body)
        .await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = app
        .post_json("/api/v1/campaigns/HT-2026/receipts", &body)
        .await;
    assert_eq!(again.status(), 200, "idempotent per dossier");
    let again: Value = again.json().await.unwrap();
    assert_eq!(first, again);
    let url = first["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/s/", app.address)));
    let expires: chrono::DateTime<chrono::Utc> =
        first["expires_at"].as_str().unwrap().parse().unwrap();
    let days = (expires - chrono::Utc::now()).num_days();
    assert!(
        (29..=31).contains(&days),
        "expires in about 30 days: {days}"
    );
    // The dossier code itself is nowhere in the database.
    use sea_orm::EntityTrait;
    let receipts = entity::receipt::Entity::find()
        .all(app.storage.db())
        .await
        .unwrap();
    assert_eq!(receipts.len(), 1);
    assert!(!receipts[0].dossier_hash.contains("H42"));
    let svg = app
        .client
        .get(first["qr_svg_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");

    let form = app.page(&url).await;
    let mut mine = full_answers("3");
    for hidden in ["_nonce", "_issued"] {
        mine.push((hidden.into(), field_value(&form, hidden).unwrap()));
    }
    mine.push(("website".into(), String::new()));
    assert_eq!(
        app.client
            .post(&url)
            .form(&mine)
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    // The same form sent again (a double tap, a reload after a slow network): it was
    // stored, so the citizen is thanked, not told the receipt was used (issue 13, 9).
    let resent = app.client.post(&url).form(&mine).send().await.unwrap();
    assert_eq!(resent.status(), 303, "the citizen's own form, resent");
    assert!(
        resent.headers()["location"]
            .to_str()
            .unwrap()
            .contains("/thanks")
    );
    // Reopening the used link says the answer was received, not that it was lost.
    let page = app.page(&url).await;
    assert!(page.contains("đã được trả lời"), "already answered page");
    assert!(
        page.contains("đã được ghi nhận"),
        "the answer is said to be received"
    );
    assert!(
        !page.contains("không được lưu"),
        "never 'not saved' on reopening"
    );
    let mut fields = full_answers("1");
    fields.push(("_nonce".into(), app_nonce(&app).await));
    fields.push(("_issued".into(), "0".into()));
    let second = app.client.post(&url).form(&fields).send().await.unwrap();
    assert_eq!(second.status(), 200);
    assert!(second.text().await.unwrap().contains("đã được trả lời"));
    let rows = stored(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].channel, "receipt_qr");
    assert!(rows[0].verified);
    assert_eq!(rows[0].receipt_id, Some(receipts[0].id));

    // A result is not returned in the future (issue 13, finding 8): refused, not stored.
    for future in [
        "9999-12-31".to_owned(),
        (today + chrono::Days::new(2)).to_string(),
    ] {
        let body = json!({"dossier_code": "FUTURE-1", "unit_code": "18073", "returned_on": future});
        let refused = app
            .post_json("/api/v1/campaigns/HT-2026/receipts", &body)
            .await;
        assert_eq!(refused.status(), 422, "{future}");
        let error: Value = refused.json().await.unwrap();
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("future"),
            "{error}"
        );
    }
    assert_eq!(
        entity::receipt::Entity::find()
            .all(app.storage.db())
            .await
            .unwrap()
            .len(),
        1
    );
    // A result returned long ago would already be expired: refused with a reason.
    let old = json!({"dossier_code": "OLD-1", "unit_code": "18073", "returned_on": "2020-01-01"});
    let refused = app
        .post_json("/api/v1/campaigns/HT-2026/receipts", &old)
        .await;
    assert_eq!(refused.status(), 422);
    let unknown_unit = json!({"dossier_code": "X-1", "unit_code": "99999", "returned_on": today});
    let refused = app
        .post_json("/api/v1/campaigns/HT-2026/receipts", &unknown_unit)
        .await;
    assert_eq!(refused.status(), 404);
}

/// A valid nonce from any form of the app (nonces are not tied to a token).
async fn app_nonce(app: &TestApp) -> String {
    let url = desk_url(app, "HT-2026", "18100").await;
    let html = app.page(&url).await;
    field_value(&html, "_nonce").unwrap()
}

async fn bad_tokens_get_a_plain_404_page(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let url = desk_url(&app, "HT-2026", "18073").await;
    let mut forged = url.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let truncated = url[..url.len() - 3].to_owned();
    for bad in [forged, truncated, app.url("/s/%00%ff"), app.url("/s/x")] {
        let response = app.client.get(&bad).send().await.unwrap();
        assert_eq!(response.status(), 404, "{bad}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("Mã khảo sát không hợp lệ hoặc đã hết hạn"),
            "{bad}"
        );
        let post = app
            .client
            .post(&bad)
            .form(&full_answers("4"))
            .send()
            .await
            .unwrap();
        assert_eq!(post.status(), 404, "POST {bad}");
    }
    assert!(stored(&app).await.is_empty());
    // A closed campaign stops taking answers, with its own message.
    let closed = app
        .post("/api/v1/campaigns/HT-2026/close", &app.write_token)
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), 200);
    let other_desk = desk_url(&app, "HT-2026", "18100").await;
    let response = app.client.get(&other_desk).send().await.unwrap();
    assert_eq!(response.status(), 410);
}

async fn posts_until_limited(app: &TestApp, url: &str, device: &str) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let html = app
            .client
            .get(url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut fields: HashMap<String, String> = full_answers("4").into_iter().collect();
        fields.insert("_nonce".into(), field_value(&html, "_nonce").unwrap());
        let response = app
            .client
            .post(url)
            .header("cookie", format!("sipas_device={device}"))
            .form(&fields)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    statuses
}

fn tight_limits() -> RateLimits {
    let minute = std::time::Duration::from_secs(60);
    RateLimits {
        per_device: Limit {
            max: 2,
            window: minute,
        },
        per_address: Limit {
            max: 1000,
            window: minute,
        },
        per_desk: Limit {
            max: 1000,
            window: minute,
        },
        ..RateLimits::default()
    }
}

async fn rate_limits_apply(redis: bool) {
    let options = AppOptions {
        redis,
        rate_limits: Some(tight_limits()),
        ..Default::default()
    };
    let Some(app) = spawn_app_with(Backend::Sqlite, options).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let url = desk_url(&app, "HT-2026", "18073").await;
    assert_eq!(
        posts_until_limited(&app, &url, "phone-a").await,
        vec![303, 303, 429, 429]
    );
    // Another phone behind the same address is not affected.
    assert_eq!(
        posts_until_limited(&app, &url, "phone-b").await[..2],
        [303, 303]
    );
    assert_eq!(stored(&app).await.len(), 4);
}

#[tokio::test]
async fn rate_limits_in_process() {
    rate_limits_apply(false).await;
}

#[tokio::test]
async fn rate_limits_in_redis() {
    rate_limits_apply(true).await;
}

/// The printable poster carries the desk's names, the instruction, the QR code and
/// the URL in text; it is one self-contained page.
#[tokio::test]
async fn desk_poster_is_printable() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let url = desk_url(&app, "HT-2026", "18073").await;
    let response = app
        .client
        .get(app.url("/posters/HT-2026/18073/MC"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("Quét mã để đánh giá mức độ hài lòng"));
    assert!(html.contains("Phường Thành Sen") && html.contains("Bộ phận Một cửa"));
    assert!(html.contains("<svg") && !html.contains("<?xml"));
    assert!(html.contains(url.trim_start_matches("http://")));
    assert!(html.contains("@page"), "print CSS");
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "no outside resources"
    );
    let missing = app
        .client
        .get(app.url("/posters/HT-2026/18073/NOPE"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

/// A receipt past its window is a plain 404, like a forged token.
#[tokio::test]
async fn expired_receipt_is_not_found() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    create_campaign(&app, json!({"code": "HT-2026", "receipt_valid_days": 1})).await;
    let body = json!({"dossier_code": "D-1", "unit_code": "18073",
                      "returned_on": chrono::Utc::now().date_naive()});
    let receipt: Value = app
        .post_json("/api/v1/campaigns/HT-2026/receipts", &body)
        .await
        .json()
        .await
        .unwrap();
    let url = receipt["url"].as_str().unwrap();
    assert_eq!(app.client.get(url).send().await.unwrap().status(), 200);
    app.storage
        .execute_unprepared("UPDATE receipts SET expires_at = '2020-01-01T00:00:00Z'")
        .await
        .unwrap();
    let response = app.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("đã hết hạn"));
}

/// A new signing key does not break printed codes while the old one is kept in
/// `SIPAS_PREVIOUS_SECRETS`; dropping it retires them.
#[tokio::test]
async fn key_rotation_keeps_printed_codes() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let printed = desk_url(&app, "HT-2026", "18073").await;
    let token = printed.rsplit('/').next().unwrap().to_owned();

    let mut settings = crate::common::settings(&app.database.url, None);
    let old = settings
        .secret
        .replace("a-brand-new-secret-456789".into())
        .unwrap();
    settings.previous_secrets = vec![old];
    let rotated = sipas::startup::Application::build(&settings, false)
        .await
        .unwrap();
    let rotated_base = format!("http://127.0.0.1:{}", rotated.port());
    tokio::spawn(rotated.run_until_stopped());
    let response = app
        .client
        .get(format!("{rotated_base}/s/{token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "the printed code still works");

    settings.previous_secrets.clear();
    let retired = sipas::startup::Application::build(&settings, false)
        .await
        .unwrap();
    let retired_base = format!("http://127.0.0.1:{}", retired.port());
    tokio::spawn(retired.run_until_stopped());
    let response = app
        .client
        .get(format!("{retired_base}/s/{token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

/// A body that is not a form gets the citizen's error page, not a bare 400 text.
#[tokio::test]
async fn a_body_that_is_not_a_form_gets_a_page() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let url = desk_url(&app, "HT-2026", "18073").await;
    let response = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"TC1\": 5}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("lang=\"vi\""));
    assert!(stored(&app).await.is_empty());
}

/// Issue 13, finding 1: PostgreSQL refuses a NUL byte in text, and desk answers share
/// one commit; one citizen's `%00` used to roll back every answer of its batch.
async fn a_nul_byte_in_one_comment_fails_nobody(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let url = desk_url(&app, "HT-2026", "18073").await;
    let citizens = 24;
    let posts = (0..citizens).map(|i| {
        let url = url.clone();
        async move {
            // Each citizen is a phone of their own (device limits are per phone).
            let client = crate::common::client_builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let html = client.get(&url).send().await.unwrap().text().await.unwrap();
            let mut fields = full_answers("4");
            let comment = if i == 0 {
                "Góp\0 ý\u{1} lạ\u{7f}\n dòng hai".to_owned()
            } else {
                format!("Người thứ {i}")
            };
            fields.push(("comment".into(), comment));
            for hidden in ["_nonce", "_issued"] {
                fields.push((hidden.into(), field_value(&html, hidden).unwrap()));
            }
            fields.push(("website".into(), String::new()));
            client
                .post(&url)
                .form(&fields)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(posts).await;
    assert_eq!(statuses, vec![303; citizens], "every citizen is thanked");
    let rows = stored(&app).await;
    assert_eq!(rows.len(), citizens, "every answer is stored");
    let odd = rows
        .iter()
        .filter_map(|r| r.comment.as_deref())
        .find(|c| c.starts_with("Góp"))
        .expect("the odd comment is kept, cleaned");
    assert_eq!(
        odd, "Góp ý lạ\n dòng hai",
        "control characters dropped, the line break kept"
    );
}

/// Issue 13, finding 1: a NUL byte in a path value reached PostgreSQL (which refuses it)
/// and answered 500, with no login needed. No resource's name holds one: 404, on every
/// audience.
async fn a_nul_byte_in_a_path_is_not_found(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let staff = app.login_as("admin", None).await;
    for path in [
        "/posters/%00/18073/MC",
        "/posters/HT-2026/%00/MC",
        "/posters/HT-2026/18073/%00",
        "/s/%00",
        "/api/v1/campaigns/%00",
        "/api/v1/campaigns/HT-2026/units/%00",
        "/api/v1/units/%00",
        "/manage/campaigns/%00",
        "/manage/campaigns/HT-2026/units/%00",
        "/api/v1/campaigns/HT-2026/scores?snapshot=%00",
    ] {
        for client in [&app.client, &staff] {
            let response = client
                .get(app.url(path))
                .bearer_auth(&app.read_token)
                .send()
                .await
                .unwrap();
            assert!(
                response.status().is_client_error(),
                "{path}: {}",
                response.status()
            );
        }
    }
}
