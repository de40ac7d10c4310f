//! Every form of the dashboard refuses a post without its session's token: another site
//! cannot make a logged-in official's browser change anything. The list of forms is read
//! from the handlers' own route attributes, so a new form that is not tried here fails
//! this test until it is.

use std::collections::BTreeSet;

use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use crate::backend_tests;
use crate::citizen::create_campaign;
use crate::common::{Backend, TestApp, spawn_app};
use crate::frame_upload::post_multipart;

/// The staff handlers' sources: every `#[post("…")]` in them is a form.
const SOURCES: &[&str] = &[
    include_str!("../../src/http/staff/account.rs"),
    include_str!("../../src/http/staff/admin.rs"),
    include_str!("../../src/http/staff/auth.rs"),
    include_str!("../../src/http/staff/desks.rs"),
    include_str!("../../src/http/staff/exports.rs"),
    include_str!("../../src/http/staff/league.rs"),
    include_str!("../../src/http/staff/overview.rs"),
    include_str!("../../src/http/staff/pages.rs"),
    include_str!("../../src/http/staff/posters.rs"),
    include_str!("../../src/http/staff/receipts.rs"),
    include_str!("../../src/http/staff/round.rs"),
    include_str!("../../src/http/staff/unit.rs"),
    include_str!("../../src/http/staff/uploads.rs"),
    include_str!("../../src/http/staff/webhooks.rs"),
];

/// The login form is posted before there is a session: its own token (a signed nonce
/// and a cookie) is tried in `staff_auth`.
const BEFORE_A_SESSION: &[&str] = &["/login"];

/// Forms sent as `multipart/form-data` (file uploads).
const MULTIPART: &[&str] = &[
    "/manage/campaigns/{campaign}/appraisals",
    "/manage/campaigns/{campaign}/frame",
    "/manage/campaigns/{campaign}/frame/apply",
    "/manage/campaigns/{campaign}/paper",
];

fn post_routes() -> BTreeSet<String> {
    // Every module of the staff layer is read: a new one must be added above.
    let modules = include_str!("../../src/http/staff/mod.rs")
        .lines()
        .filter(|l| l.starts_with("mod ") || l.starts_with("pub mod "))
        .count();
    assert_eq!(
        modules,
        SOURCES.len(),
        "a staff module is missing from SOURCES"
    );
    let mut routes = BTreeSet::new();
    for source in SOURCES {
        for piece in source.split("#[post(\"").skip(1) {
            routes.insert(piece.split('"').next().unwrap().to_owned());
        }
    }
    assert!(routes.len() > 15, "the route attributes were not found");
    routes
}

/// What every form could plausibly carry, except its token.
const FIELDS: &[(&str, &str)] = &[
    ("lang", "vi"),
    ("code", "XQ-1"),
    ("name", "Quầy mới"),
    ("template", "SIPAS-2023"),
    ("starts_on", "2026-01-01"),
    ("ends_on", "2026-12-31"),
    ("on", "2026-12-31"),
    ("confirm", "on"),
    ("target", "7"),
    ("reason", "thử"),
    ("username", "mallory"),
    ("role", "admin"),
    ("read", "on"),
    ("write", "on"),
    ("current", "x"),
    ("password", "a-long-enough-password"),
    ("confirmation", "a-long-enough-password"),
    ("serial", "S-1"),
    ("unit", "18073"),
    ("service_point", "MC"),
    ("dossier_code", "HS-1"),
    ("returned_on", "2026-12-01"),
    (
        "csv",
        "unit_code,service_point_code,population\n18073,,100\n",
    ),
    ("digest", "0"),
];

async fn audit_rows(app: &TestApp) -> u64 {
    entity::audit_event::Entity::find()
        .count(app.storage.db())
        .await
        .unwrap()
}

async fn every_form_needs_its_token(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    create_campaign(&app, json!({"code": "CS-2026", "template": "SIPAS-2023"})).await;
    app.create_user("victim", "viewer", None).await;
    let user = entity::user::Entity::find()
        .all(app.storage.db())
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == "victim")
        .unwrap()
        .id;
    let token = entity::api_client::Entity::find()
        .all(app.storage.db())
        .await
        .unwrap()[0]
        .id;
    let admin = app.login_as("admin", None).await;
    let before = audit_rows(&app).await;

    let routes = post_routes();
    for route in &routes {
        if BEFORE_A_SESSION.contains(&route.as_str()) {
            continue;
        }
        let id = if route.starts_with("/manage/tokens") {
            token
        } else {
            user
        };
        let path = route
            .replace("{campaign}", "CS-2026")
            .replace("{unit}", "18073")
            .replace("{desk}", "MC")
            .replace("{id}", &id.to_string());
        let url = app.url(&path);
        let status = if MULTIPART.contains(&route.as_str()) {
            let csv = b"unit_code,service_point_code,population\n18073,,100\n";
            post_multipart(&admin, &url, FIELDS, Some(("frame.csv", csv)))
                .await
                .0
        } else {
            admin
                .post(&url)
                .form(FIELDS)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        };
        assert_eq!(status, 403, "POST {path} without its token");
        // With a forged token, the same.
        let mut forged = FIELDS.to_vec();
        forged.push(("csrf", "AAAAforged"));
        let status = if MULTIPART.contains(&route.as_str()) {
            post_multipart(&admin, &url, &forged, Some(("frame.csv", b"x")))
                .await
                .0
        } else {
            admin
                .post(&url)
                .form(&forged)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        };
        assert_eq!(status, 403, "POST {path} with a forged token");
    }
    assert_eq!(
        audit_rows(&app).await,
        before,
        "a form without its token changed something"
    );
    // Nothing ended the session either (the logout form is one of them).
    let page = admin.get(app.url("/manage")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let listed: Vec<&String> = routes
        .iter()
        .filter(|r| !BEFORE_A_SESSION.contains(&r.as_str()))
        .collect();
    assert!(listed.len() >= 20, "{listed:?}");
}

backend_tests!(every_form_needs_its_token);
