//! Issue 13, findings 1, 5 and 8 (bad input): a control character (a NUL byte above
//! all, which PostgreSQL refuses in any text) in a name, a code, a login or a cell of
//! an imported file is refused with the field, line and column it is in, or is simply
//! not found, and is never a database error; unknown JSON fields are refused by name.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::citizen::create_campaign;
use crate::common::{Backend, TestApp, field_value, spawn_app};
use crate::frame_upload::frame_state;

backend_tests!(
    control_characters_in_json_bodies_are_refused_by_field,
    control_characters_in_imported_cells_are_refused_by_line_and_column,
    a_nul_byte_in_a_login_or_a_lookup_is_not_found,
    unknown_json_fields_and_far_years_are_refused_by_name,
    an_empty_replacement_is_refused_by_the_frame_service,
);

const FRAME_HEADER: &str = "unit_code,service_point_code,population\n";

/// The status and the error body of a JSON request with the write token.
async fn send(app: &TestApp, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
    let response = app
        .client
        .request(method, app.url(path))
        .bearer_auth(&app.write_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The fields an error's `details` name.
fn fields(error: &Value) -> Vec<String> {
    error["error"]["details"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn control_characters_in_json_bodies_are_refused_by_field(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let campaign = |name: &str, template: &str| {
        json!({"code": "BAD-1", "name": name, "template": template,
               "starts_on": "2026-01-01", "ends_on": "2026-12-31"})
    };
    let post = reqwest::Method::POST;
    for (body, field) in [
        (campaign("Khảo\0sát", "SIPAS-2017"), "name"),
        (campaign("Khảo\u{1b}[2Jsát", "SIPAS-2017"), "name"),
        (campaign("Khảo sát", "SIPAS\0-2017"), "template"),
    ] {
        let (status, error) = send(&app, post.clone(), "/api/v1/campaigns", body.clone()).await;
        assert_eq!(status, 422, "{body} → {error}");
        assert!(fields(&error).contains(&field.to_owned()), "{error}");
    }
    create_campaign(&app, json!({"code": "BAD-OK"})).await;
    for (path, body, field) in [
        (
            "/api/v1/units",
            json!({"code": "X-1", "name": "Sở\0", "unit_type": "department", "parent_code": "42"}),
            "name",
        ),
        (
            "/api/v1/units/18073/service-points",
            json!({"code": "MC-9", "name": "Một\0cửa"}),
            "name",
        ),
    ] {
        let (status, error) = send(&app, post.clone(), path, body.clone()).await;
        assert_eq!(status, 422, "{path} {body} → {error}");
        assert!(fields(&error).contains(&field.to_owned()), "{error}");
    }
    // Codes that name nothing: not found (404) or refused (422), never a 500.
    for body in [
        json!({"dossier_code": "D-1", "unit_code": "18073\0", "returned_on": "2026-03-01"}),
        json!({"dossier_code": "D-1", "unit_code": "18073", "service_point_code": "MC\0",
               "returned_on": "2026-03-01"}),
    ] {
        let (status, error) = send(
            &app,
            post.clone(),
            "/api/v1/campaigns/BAD-OK/receipts",
            body.clone(),
        )
        .await;
        assert!(matches!(status, 404 | 422), "{body} → {status} {error}");
    }
    let (status, error) = send(
        &app,
        reqwest::Method::PUT,
        "/api/v1/par-schemes/P\0X",
        json!({"name": "x", "points": {}}),
    )
    .await;
    assert!(matches!(status, 404 | 422), "{status} {error}");
    let (status, error) = send(
        &app,
        reqwest::Method::PUT,
        "/api/v1/par-schemes/NEW-1",
        json!({"name": "Thang\0điểm", "points": {}}),
    )
    .await;
    assert_eq!(status, 422, "{error}");
}

async fn control_characters_in_imported_cells_are_refused_by_line_and_column(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    create_campaign(&app, json!({"code": "BAD-CSV"})).await;
    let good = format!("{FRAME_HEADER}18073,,120\n18100,,1000\n");
    let response = app
        .send_csv(
            reqwest::Method::PUT,
            "/api/v1/campaigns/BAD-CSV/frame",
            &good,
        )
        .await;
    assert_eq!(response.status(), 200);
    let before = frame_state(&app, "BAD-CSV").await;
    let questionnaire = sipas_domain::reference::questionnaires().remove(0);
    let codes: Vec<&str> = questionnaire
        .criteria()
        .map(|(_, c)| c.code.as_str())
        .collect();
    let responses_header = format!(
        "serial,unit_code,service_point_code,channel,{}\n",
        codes.join(",")
    );
    let answers = ",4".repeat(22);
    for (method, path, body, line, column) in [
        (
            reqwest::Method::PUT,
            "/api/v1/campaigns/BAD-CSV/frame",
            format!("{FRAME_HEADER}18073,,120\n18100\0,,1000\n"),
            3,
            "unit_code",
        ),
        (
            reqwest::Method::PUT,
            "/api/v1/campaigns/BAD-CSV/frame",
            format!("{FRAME_HEADER}18073,M\u{7}C,120\n"),
            2,
            "service_point_code",
        ),
        (
            reqwest::Method::POST,
            "/api/v1/campaigns/BAD-CSV/responses",
            format!("{responses_header}A-1,18073,,paper{answers}\nA\0-2,18073,,paper{answers}\n"),
            3,
            "serial",
        ),
        (
            reqwest::Method::POST,
            "/api/v1/campaigns/BAD-CSV/responses",
            format!("{responses_header}A-1,18073\0,,paper{answers}\n"),
            2,
            "unit_code",
        ),
        (
            reqwest::Method::POST,
            "/api/v1/units/import?province=42",
            "code,name,unit_type,parent_code\nS-X,Sở\0X,department,\n".to_owned(),
            2,
            "name",
        ),
    ] {
        let response = app.send_csv(method, path, &body).await;
        let status = response.status().as_u16();
        let error: Value = response.json().await.unwrap();
        assert_eq!(status, 422, "{path} {body:?} → {error}");
        let first = &error["error"]["details"][0];
        assert_eq!(first["line"], line, "{body:?} → {error}");
        assert_eq!(first["column"], column, "{body:?} → {error}");
        assert!(
            first["message"]
                .as_str()
                .unwrap()
                .contains("control character"),
            "{error}"
        );
    }
    assert_eq!(
        frame_state(&app, "BAD-CSV").await,
        before,
        "nothing changed"
    );
    let stored: Value = app.read_json("/api/v1/campaigns/BAD-CSV/quotas").await;
    assert!(
        stored
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["responses"] == 0),
        "no response stored: {stored}"
    );
}

async fn a_nul_byte_in_a_login_or_a_lookup_is_not_found(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // The login form: a NUL in the username is a wrong username (401), not a fault.
    let client = crate::common::client_builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = field_value(&form, "csrf").unwrap();
    let response = client
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("next", "/manage"),
            ("username", "admin\0"),
            ("password", "whatever-123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // Storage lookups by code: not found, on every backend.
    let db = app.storage.db();
    use sipas::storage::{StorageError, api_clients, campaigns, par_schemes, reference, units};
    assert!(matches!(
        campaigns::by_code(db, "DEMO\0").await,
        Err(StorageError::NotFound(_))
    ));
    assert!(matches!(
        units::by_code(db, "18073\0", None).await,
        Err(StorageError::NotFound(_))
    ));
    let unit = units::by_code(db, "18073", None).await.unwrap();
    assert!(matches!(
        units::service_point_by_code(db, &unit, "MC\0").await,
        Err(StorageError::NotFound(_))
    ));
    assert!(matches!(
        api_clients::find(db, "reader\0").await,
        Err(StorageError::NotFound(_))
    ));
    assert!(matches!(
        par_schemes::by_code(db, "X\0").await,
        Err(StorageError::NotFound(_))
    ));
    assert_eq!(
        reference::latest_questionnaire_id(db, "SIPAS-2017\0")
            .await
            .unwrap(),
        None
    );
    assert!(
        sipas::storage::users::authenticate(db, "admin\0", "x")
            .await
            .unwrap()
            .is_none()
    );
    let txn = sea_orm::TransactionTrait::begin(db).await.unwrap();
    assert!(matches!(
        sipas::storage::users::reset_password(&txn, "cli", "admin\0").await,
        Err(StorageError::NotFound(_))
    ));
    txn.rollback().await.unwrap();
}

/// Issue 13, finding 8: `confidance` fell back to the default confidence (201), and a
/// campaign could run until 9999.
async fn unknown_json_fields_and_far_years_are_refused_by_name(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let post = reqwest::Method::POST;
    let campaign = json!({"code": "YEARS", "name": "Khảo sát", "template": "SIPAS-2017",
                          "starts_on": "2026-01-01", "ends_on": "2026-12-31"});
    let mut misspelt = campaign.clone();
    misspelt["confidance"] = json!(0.99);
    let (status, error) = send(&app, post.clone(), "/api/v1/campaigns", misspelt).await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(fields(&error), ["confidance"], "{error}");
    let mut far = campaign.clone();
    far["ends_on"] = json!("9999-12-31");
    far["starts_on"] = json!("1900-01-01");
    let (status, error) = send(&app, post.clone(), "/api/v1/campaigns", far).await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(fields(&error), ["starts_on", "ends_on"], "{error}");
    let (status, _) = send(&app, post.clone(), "/api/v1/campaigns", campaign).await;
    assert_eq!(status, 201);
    for (method, path, body, field) in [
        (
            post.clone(),
            "/api/v1/campaigns/YEARS/receipts",
            json!({"dossier_code": "D-1", "unit_code": "18073", "returned_on": "2026-03-01",
                   "service_point": "MC"}),
            "service_point",
        ),
        (
            post.clone(),
            "/api/v1/units/18073/service-points",
            json!({"code": "MC-9", "name": "Một cửa 9", "nmae": "x"}),
            "nmae",
        ),
        (
            post.clone(),
            "/api/v1/webhooks",
            json!({"url": "https://example.org/hook", "secret": "mine"}),
            "secret",
        ),
        (
            reqwest::Method::PUT,
            "/api/v1/par-schemes/NEW-1",
            json!({"name": "x", "points": {"commune": {"criteria_max_points": 1.0,
                   "survey_max_points": 1.0, "max_total": 2.0, "bonus": 1.0}}}),
            "bonus",
        ),
    ] {
        let (status, error) = send(&app, method, path, body.clone()).await;
        assert_eq!(status, 422, "{path} {body} → {error}");
        assert_eq!(fields(&error), [field], "{error}");
    }
    // The OpenAPI document says so.
    let doc: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for schema in [
        "NewCampaignDoc",
        "NewReceipt",
        "NewServicePointBody",
        "NewUnitBody",
        "RenameBody",
        "CloseBody",
        "NewWebhook",
        "ParSchemeBody",
        "ParMaxPointsDoc",
    ] {
        assert_eq!(
            doc["components"]["schemas"][schema]["additionalProperties"],
            json!(false),
            "{schema}: {}",
            doc["components"]["schemas"][schema]
        );
    }
}

/// Issue 13, finding 5: the header-only check lived in the API handler only; the
/// service that applies a frame (used by the API, the dashboard and any later caller)
/// refuses it itself, unless it is a previewed change.
async fn an_empty_replacement_is_refused_by_the_frame_service(backend: Backend) {
    use sipas::frames::{FrameError, FrameMode, apply};
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    create_campaign(&app, json!({"code": "EMPTY-SVC"})).await;
    let good = format!("{FRAME_HEADER}18073,,120\n18100,,1000\n");
    let response = app
        .send_csv(
            reqwest::Method::PUT,
            "/api/v1/campaigns/EMPTY-SVC/frame",
            &good,
        )
        .await;
    assert_eq!(response.status(), 200);
    let before = frame_state(&app, "EMPTY-SVC").await;
    for text in [FRAME_HEADER, "unit_code,service_point_code,population"] {
        let result = apply(
            &app.storage,
            &app.scores,
            "test",
            "EMPTY-SVC",
            text,
            FrameMode::Replace,
            None,
        )
        .await;
        match result {
            Err(FrameError::Refused(problems)) => {
                let (listed, _) = problems.into_parts();
                assert_eq!(listed.len(), 1, "{text:?}: {listed:?}");
                assert!(listed[0].line <= 3, "{listed:?}");
            }
            other => panic!("{text:?}: {other:?}"),
        }
        assert_eq!(frame_state(&app, "EMPTY-SVC").await, before, "{text:?}");
    }
    let merged = apply(
        &app.storage,
        &app.scores,
        "test",
        "EMPTY-SVC",
        FRAME_HEADER,
        FrameMode::Merge,
        None,
    )
    .await;
    assert!(merged.is_ok(), "a merge of nothing changes nothing");
    assert_eq!(frame_state(&app, "EMPTY-SVC").await, before);
}
