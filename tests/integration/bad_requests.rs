//! Issue 13, findings 8 (limits) and 9 (first half): a citizen who is refused keeps
//! their answers; a form over the limit and a JSON body of the wrong type get a clear
//! answer of their own.

use std::time::Duration;

use crate::citizen::{desk_url, full_answers, open_campaign};
use crate::common::{AppOptions, Backend, field_value, spawn_app, spawn_app_with};
use crate::outage::checked;
use serde_json::{Value, json};
use sipas::rate_limit::{Limit, RateLimits};

/// The 429 page is the form again, every answer and the comment kept, with
/// `Retry-After` (it used to be an error page that threw all 22 answers away).
#[tokio::test]
async fn a_rate_limited_citizen_keeps_the_answers() {
    let minute = Duration::from_secs(60);
    let limit = |max| Limit {
        max,
        window: minute,
    };
    let options = AppOptions {
        rate_limits: Some(RateLimits {
            per_device: limit(1),
            per_address: limit(1000),
            per_desk: limit(1000),
            ..RateLimits::default()
        }),
        ..Default::default()
    };
    let Some(app) = spawn_app_with(Backend::Sqlite, options).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let url = desk_url(&app, "HT-2026", "18073").await;
    let mut answers = full_answers("3");
    answers[2].1 = "5".into();
    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..2 {
        let form = app.page(&url).await;
        let mut fields = answers.clone();
        fields.push(("comment".into(), "Chờ hơi lâu".into()));
        fields.push(("_nonce".into(), field_value(&form, "_nonce").unwrap()));
        let response = app
            .client
            .post(&url)
            .header("cookie", "sipas_device=shared-phone")
            .form(&fields)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        last = Some(response);
    }
    assert_eq!(statuses, [303, 429]);
    let response = last.unwrap();
    assert!(response.headers().contains_key("retry-after"));
    let page = response.text().await.unwrap();
    assert!(page.contains("Có quá nhiều phiếu"), "the page says why");
    let mut kept = checked(&page);
    kept.sort();
    answers.sort();
    assert_eq!(kept, answers, "every answer is checked again");
    assert!(page.contains("Chờ hơi lâu"), "the comment is kept");
    assert!(
        field_value(&page, "_nonce").is_some(),
        "the form can be sent again"
    );
}

/// A form over 32 KB is 413 with a page that says what to do, not the "system fault"
/// page with 400.
#[tokio::test]
async fn a_form_over_the_limit_is_413_with_a_clear_page() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let url = desk_url(&app, "HT-2026", "18073").await;
    let mut fields = full_answers("4");
    fields.push(("comment".into(), "x".repeat(40 * 1024)));
    let response = app.client.post(&url).form(&fields).send().await.unwrap();
    assert_eq!(response.status(), 413);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = response.text().await.unwrap();
    assert!(
        page.contains("quá lớn"),
        "the page says the form was too large"
    );
    assert!(
        !page.contains("Hệ thống đang gặp sự cố"),
        "not the system fault page"
    );
    assert!(page.contains(&format!("href=\"{}", url.trim_start_matches(&app.address))));
}

/// A JSON body sent as `text/json` or `text/plain` is 415 with the contract's error
/// body, and nothing is created; `application/…+json` is JSON (docs/api.md).
#[tokio::test]
async fn a_json_body_of_the_wrong_type_is_415() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let campaign = |code: &str| {
        json!({"code": code, "name": "Khảo sát", "template": "SIPAS-2017",
               "starts_on": "2026-01-01", "ends_on": "2026-12-31"})
        .to_string()
    };
    for content_type in ["text/json", "text/plain", "text/json; charset=utf-8"] {
        let response = app
            .post("/api/v1/campaigns", &app.write_token)
            .header("content-type", content_type)
            .body(campaign("HT-WRONG"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 415, "{content_type}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unsupported_media_type");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("application/json")
        );
    }
    let listed = app.read_json("/api/v1/campaigns").await;
    assert!(!listed.to_string().contains("HT-WRONG"), "nothing created");
    let response = app
        .post("/api/v1/campaigns", &app.write_token)
        .header("content-type", "application/vnd.sipas+json")
        .body(campaign("HT-SUFFIX"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}
