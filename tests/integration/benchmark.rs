//! `SIPAS_BENCHMARK=1`: a form sent at once is not flagged too fast and one device is
//! not rate-limited; without the setting both protections hold.

use crate::citizen::{desk_url, full_answers, open_campaign};
use crate::common::{AppOptions, Backend, field_value, spawn_app_with};

/// Sends `count` forms, each fetched and posted at once, from one device cookie.
async fn exclusions_of_quick_forms(benchmark: bool, count: usize) -> Vec<Option<String>> {
    let options = AppOptions {
        benchmark,
        ..AppOptions::default()
    };
    let Some(app) = spawn_app_with(Backend::Sqlite, options).await else {
        return Vec::new();
    };
    open_campaign(&app, "NHANH", 8).await;
    let url = desk_url(&app, "NHANH", "18073").await;
    let device = "sipas_device=0123456789abcdef0123456789abcdef";
    for _ in 0..count {
        let html = app.page(&url).await;
        let mut fields = full_answers("4");
        for hidden in ["_nonce", "_issued"] {
            fields.push((hidden.into(), field_value(&html, hidden).expect(hidden)));
        }
        fields.push(("website".into(), String::new()));
        let response = app
            .client
            .post(&url)
            .header("cookie", device)
            .form(&fields)
            .send()
            .await
            .unwrap();
        // Refused ones (the per-device limit) answer 429 and store nothing.
        assert!(
            [303, 429].contains(&response.status().as_u16()),
            "{}",
            response.status()
        );
    }
    use sea_orm::EntityTrait;
    entity::response::Entity::find()
        .all(app.storage.db())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.exclusion)
        .collect()
}

#[tokio::test]
async fn the_benchmark_setting_lifts_min_fill_time_and_rate_limits() {
    // 12 forms from one device: past the per-device limit of 10.
    let lifted = exclusions_of_quick_forms(true, 12).await;
    assert_eq!(lifted, vec![None; 12]);
}

#[tokio::test]
async fn without_the_benchmark_setting_quick_forms_are_flagged_and_limited() {
    let normal = exclusions_of_quick_forms(false, 12).await;
    assert_eq!(normal, vec![Some("too_fast".to_owned()); 10]);
}
