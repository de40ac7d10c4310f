//! Fuzzing (issue 13) through the real server: mutated frame and responses files sent
//! to the API are never answered with a 5xx, and an import changes all or nothing:
//! either the whole file is applied, or the stored frame, quotas and responses are the
//! same as before. On SQLite and PostgreSQL; `PROPTEST_CASES` sets a long run.

#[path = "../../domain/tests/mutations/mod.rs"]
mod mutations;

use mutations::{frame_file, mutate, mutation, responses_file};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::citizen::create_campaign;
use crate::common::{Backend, TestApp, spawn_app};
use crate::frame_upload::frame_state;

fn cases(suite: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(suite);
    Config {
        cases,
        // Each case is a request and a few queries: no forking, no shrinking for ever.
        max_shrink_iters: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/integration/fuzz_uploads.proptest-regressions",
        ))),
        ..Config::default()
    }
}

#[test]
fn uploads_never_fail_and_change_all_or_nothing_sqlite() {
    fuzz(Backend::Sqlite);
}

#[test]
fn uploads_never_fail_and_change_all_or_nothing_postgres() {
    fuzz(Backend::Postgres);
}

#[test]
fn citizen_forms_never_fail_postgres() {
    fuzz_forms(Backend::Postgres);
}

/// A form field: a criterion, a hidden field, or anything.
fn form_field() -> impl Strategy<Value = (String, String)> {
    let q = sipas_domain::reference::questionnaires().remove(0);
    let codes: Vec<String> = q.criteria().map(|(_, c)| c.code.clone()).collect();
    let name = prop_oneof![
        2 => proptest::sample::select(codes),
        1 => proptest::sample::select(vec![
            "_nonce".to_owned(), "_issued".to_owned(), "website".to_owned(),
            "comment".to_owned(), "lang".to_owned(),
        ]),
        1 => "\\PC{0,8}",
    ];
    (name, mutations::nasty())
}

/// Citizens' forms, valid answers with random fields over them, and raw bodies of any
/// bytes: never a 5xx (a NUL byte once failed a whole batch on PostgreSQL).
fn fuzz_forms(backend: Backend) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let Some((app, url)) = runtime.block_on(async {
        let app = spawn_app(backend).await?;
        create_campaign(&app, json!({"code": "FUZZ-FORM", "min_fill_seconds": 0})).await;
        let url = crate::citizen::desk_url(&app, "FUZZ-FORM", "18073").await;
        Some((app, url))
    }) else {
        return;
    };
    let client = crate::common::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let strategy = (
        proptest::collection::vec(form_field(), 0..4),
        proptest::collection::vec(any::<u8>(), 0..200),
        any::<bool>(),
    );
    let mut runner = proptest::test_runner::TestRunner::new(cases(12));
    let tally = std::cell::RefCell::new(std::collections::BTreeMap::<u16, u64>::new());
    let result = runner.run(&strategy, |(fields, raw, send_raw)| {
        let status = runtime.block_on(async {
            let html = app.page(&url).await;
            let mut form: Vec<(String, String)> = crate::citizen::full_answers("4");
            for hidden in ["_nonce", "_issued"] {
                form.push((
                    hidden.into(),
                    crate::common::field_value(&html, hidden).unwrap(),
                ));
            }
            form.push(("website".into(), String::new()));
            form.extend(fields);
            let request = client.post(&url);
            let request = if send_raw {
                request
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(raw)
            } else {
                request.form(&form)
            };
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            (status, body)
        });
        prop_assert!(status.0 < 500, "{}: {}", status.0, status.1);
        *tally.borrow_mut().entry(status.0).or_default() += 1;
        Ok(())
    });
    eprintln!(
        "fuzz_forms {backend:?}: forms by status {:?}",
        tally.borrow()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Everything an import may change: the frame, the quotas and the responses.
type Stored = (
    (Vec<(String, i64)>, Vec<(String, i64)>),
    Vec<(i32, i32, String, String, Option<String>)>,
);

async fn stored(app: &TestApp) -> Stored {
    let db = app.storage.db();
    let campaign = sipas::storage::campaigns::by_code(db, "FUZZ")
        .await
        .unwrap();
    let mut responses: Vec<_> = entity::response::Entity::find()
        .filter(entity::response::Column::CampaignId.eq(campaign.id))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.unit_id,
                r.service_point_id,
                r.channel,
                r.answers,
                r.serial,
            )
        })
        .collect();
    responses.sort();
    (frame_state(app, "FUZZ").await, responses)
}

fn fuzz(backend: Backend) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let Some((app, codes)) = runtime.block_on(async {
        let app = spawn_app(backend).await?;
        create_campaign(&app, json!({"code": "FUZZ"})).await;
        let units = app.read_json("/api/v1/units?campaign=FUZZ").await;
        let mut codes: Vec<String> = units
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["unit_type"] == "commune")
            .filter_map(|u| u["code"].as_str().map(str::to_owned))
            .take(12)
            .collect();
        codes.sort();
        Some((app, codes))
    }) else {
        return;
    };
    assert!(codes.len() >= 4, "{codes:?}");
    let unit: &'static str = Box::leak(codes[0].clone().into_boxed_str());
    let strategy = (
        prop_oneof![frame_file(codes.clone()), responses_file(unit)],
        proptest::collection::vec(mutation(), 0..4),
    );
    let mut runner = proptest::test_runner::TestRunner::new(cases(12));
    let tally = std::cell::RefCell::new(std::collections::BTreeMap::<u16, u64>::new());
    let result = runner.run(&strategy, |(file, mutations)| {
        let text = mutate(&file, &mutations);
        let status = runtime.block_on(one_upload(&app, &text))?;
        *tally.borrow_mut().entry(status).or_default() += 1;
        Ok(())
    });
    // The long run's figures (docs/fuzzing.md): uploads by status.
    eprintln!(
        "fuzz_uploads {backend:?}: uploads by status {:?}",
        tally.borrow()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Sends one file and checks it changed all or nothing; its status.
async fn one_upload(app: &TestApp, text: &str) -> Result<u16, TestCaseError> {
    let is_frame = text.starts_with("unit_code") || !text.contains("channel");
    let before = stored(app).await;
    let (method, path) = if is_frame {
        (reqwest::Method::PUT, "/api/v1/campaigns/FUZZ/frame")
    } else {
        (reqwest::Method::POST, "/api/v1/campaigns/FUZZ/responses")
    };
    let response = app.send_csv(method, path, text).await;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    prop_assert!(status < 500, "{} → {}: {}\n{:?}", path, status, body, text);
    let after = stored(app).await;
    if !matches!(status, 200 | 201) {
        prop_assert_eq!(
            &after,
            &before,
            "refused ({}) yet changed: {:?}",
            status,
            text
        );
        return Ok(status);
    }
    if is_frame {
        // Applied whole: the frame is exactly the file's lines.
        let (lines, _) = sipas_domain::import::read_frame(text);
        let mut expected: Vec<(String, i64)> = lines
            .iter()
            .map(|l| (l.unit_code.clone(), l.population as i64))
            .collect();
        expected.sort();
        prop_assert_eq!(&after.0.0, &expected, "{:?}", text);
        prop_assert_eq!(&after.1, &before.1, "a frame changes no response");
    } else {
        let imported = serde_json::from_str::<serde_json::Value>(&body).unwrap()["imported"]
            .as_u64()
            .unwrap() as usize;
        let q = sipas_domain::reference::questionnaires().remove(0);
        let (lines, _) = sipas_domain::import::read_responses(text, &q);
        prop_assert_eq!(imported, lines.len(), "every line or none: {:?}", text);
        prop_assert_eq!(after.1.len(), before.1.len() + imported);
        prop_assert_eq!(&after.0, &before.0, "responses change no frame");
    }
    Ok(status)
}
