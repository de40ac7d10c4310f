//! Administrators manage staff accounts from `/manage/users`: create one with a role
//! and a scope (its password shown once works), reset a password (their sessions end),
//! disable and enable (a disabled account cannot log in and its sessions stop on every
//! node, for good). Admins only; every form needs its token; every change is audited
//! with before and after, never the password.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::backend_tests;
use crate::common::{AppOptions, Backend, TestApp, field_value, spawn_app, spawn_app_with};

backend_tests!(
    an_admin_creates_an_account_whose_shown_password_logs_in,
    a_reset_password_ends_the_sessions_opened_with_the_old_one,
);

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Logs in through the form; the status of the login POST (303 logged in).
pub async fn try_log_in(
    app: &TestApp,
    client: &reqwest::Client,
    username: &str,
    password: &str,
) -> u16 {
    let form = client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = field_value(&form, "csrf").unwrap();
    client
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// A page's HTML and the csrf field of its forms.
pub async fn page_and_csrf(client: &reqwest::Client, url: &str) -> (String, String) {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    let html = response.text().await.unwrap();
    let csrf = field_value(&html, "csrf").expect("a csrf field");
    (html, csrf)
}

/// The one-time secret on a result page.
fn secret(html: &str) -> String {
    let start = html
        .find(r#"<code class="secret""#)
        .expect("a secret is shown");
    let rest = &html[start..];
    let open = rest.find('>').unwrap() + 1;
    rest[open..open + rest[open..].find('<').unwrap()].to_owned()
}

async fn user(app: &TestApp, username: &str) -> Option<entity::user::Model> {
    entity::user::Entity::find()
        .filter(entity::user::Column::Username.eq(username))
        .one(app.storage.db())
        .await
        .unwrap()
}

async fn audit_of(app: &TestApp, action: &str) -> Vec<entity::audit_event::Model> {
    entity::audit_event::Entity::find()
        .filter(entity::audit_event::Column::Action.eq(action))
        .all(app.storage.db())
        .await
        .unwrap()
}

async fn status(client: &reqwest::Client, url: &str) -> u16 {
    client.get(url).send().await.unwrap().status().as_u16()
}

async fn an_admin_creates_an_account_whose_shown_password_logs_in(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.login_as("admin", None).await;
    let (page, csrf) = page_and_csrf(&admin, &app.url("/manage/users")).await;
    assert!(page.contains("<optgroup"), "the scope is chosen from units");
    assert!(page.contains(r#"value="18073""#));

    // Every problem next to its field, nothing stored.
    let response = admin
        .post(app.url("/manage/users"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "a b"),
            ("role", "admin"),
            ("scope", "18073"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains(r##"href="#username""##) && html.contains(r##"href="#scope""##));
    assert!(html.contains(r#"id="username-error""#) && html.contains(r#"aria-invalid="true""#));
    assert!(!html.contains(r#"class="secret""#));
    assert!(user(&app, "a b").await.is_none());
    // A unit that does not exist today is the scope's error.
    let response = admin
        .post(app.url("/manage/users"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "ghost"),
            ("role", "manager"),
            ("scope", "99999"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains(r#"id="scope-error""#)
    );
    assert!(user(&app, "ghost").await.is_none());

    let response = admin
        .post(app.url("/manage/users?lang=en"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("lang", "en"),
            ("username", "Lan.NT"),
            ("display_name", "Nguyễn Thị Lan"),
            ("role", "manager"),
            ("scope", "18073"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    let html = response.text().await.unwrap();
    let password = secret(&html);
    assert_eq!(password.len(), 16, "{password}");
    assert!(html.contains("not be shown again"));
    let stored = user(&app, "lan.nt").await.expect("created");
    assert_eq!((stored.role.as_str(), stored.disabled), ("manager", false));
    assert!(!stored.password_hash.contains(&password));

    // The shown password logs in, as that commune's manager.
    let lan = browser();
    assert_eq!(try_log_in(&app, &lan, "lan.nt", &password).await, 303);
    assert_eq!(status(&lan, &app.url("/manage")).await, 200);
    // A taken username is refused, and nothing else is created.
    let response = admin
        .post(app.url("/manage/users"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "lan.nt"),
            ("role", "viewer"),
            ("scope", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(user(&app, "lan.nt").await.unwrap().role, "manager");

    let created = audit_of(&app, "user.create").await;
    let entry = created.iter().find(|e| e.subject == "lan.nt").unwrap();
    assert!(entry.actor.starts_with("admin-"), "{}", entry.actor);
    assert_eq!(entry.unit_id, Some(stored.unit_id.unwrap()));
    let detail: serde_json::Value = serde_json::from_str(&entry.detail).unwrap();
    assert_eq!(detail["after"]["role"], "manager");
    assert_eq!(detail["after"]["scope"], "18073");
    assert!(!entry.detail.contains(&password));
}

#[tokio::test]
async fn only_admins_with_the_form_token_change_accounts() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let target_password = app.create_user("target", "viewer", Some("18073")).await;
    let target_id = user(&app, "target").await.unwrap().id;
    let before = entity::audit_event::Entity::find()
        .all(app.storage.db())
        .await
        .unwrap()
        .len();
    for (role, scope) in [
        ("manager", None),
        ("manager", Some("18073")),
        ("viewer", None),
    ] {
        let client = app.login_as(role, scope).await;
        for path in ["/manage/users", "/manage/tokens", "/manage/audit"] {
            assert_eq!(status(&client, &app.url(path)).await, 403, "{role} {path}");
        }
        // Their own session's token, still refused.
        let (_, csrf) = page_and_csrf(&client, &app.url("/manage")).await;
        let posts = [
            (
                "/manage/users".to_owned(),
                vec![("username", "sneaky"), ("role", "admin"), ("scope", "")],
            ),
            (format!("/manage/users/{target_id}/reset"), vec![]),
            (format!("/manage/users/{target_id}/disable"), vec![]),
        ];
        for (path, mut fields) in posts {
            fields.push(("csrf", csrf.as_str()));
            let response = client
                .post(app.url(&path))
                .form(&fields)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 403, "{role} POST {path}");
        }
    }
    assert!(user(&app, "sneaky").await.is_none());
    // An admin without the form's token changes nothing either.
    let admin = app.login_as("admin", None).await;
    let forged = [
        (
            "/manage/users".to_owned(),
            vec![("username", "sneaky"), ("role", "admin"), ("scope", "")],
        ),
        (format!("/manage/users/{target_id}/reset"), vec![]),
        (format!("/manage/users/{target_id}/disable"), vec![]),
    ];
    for (path, fields) in forged {
        for csrf in [None, Some("forged")] {
            let mut fields = fields.clone();
            if let Some(csrf) = csrf {
                fields.push(("csrf", csrf));
            }
            let response = admin
                .post(app.url(&path))
                .form(&fields)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 403, "admin POST {path} with {csrf:?}");
        }
    }
    assert!(user(&app, "sneaky").await.is_none());
    let target = user(&app, "target").await.unwrap();
    assert!(!target.disabled);
    assert_eq!(
        try_log_in(&app, &browser(), "target", &target_password).await,
        303
    );
    // Only logins were recorded since.
    let actions: Vec<String> = entity::audit_event::Entity::find()
        .all(app.storage.db())
        .await
        .unwrap()
        .into_iter()
        .skip(before)
        .map(|e| e.action)
        .filter(|a| a != "user.login" && a != "user.create")
        .collect();
    assert!(actions.is_empty(), "{actions:?}");
    // An unknown account is not found.
    let (_, csrf) = page_and_csrf(&admin, &app.url("/manage/users")).await;
    let response = admin
        .post(app.url("/manage/users/999999/disable"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

async fn a_reset_password_ends_the_sessions_opened_with_the_old_one(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let old = app.create_user("thu.pt", "manager", Some("18073")).await;
    let thu = app.log_in("thu.pt", &old).await;
    assert_eq!(status(&thu, &app.url("/manage")).await, 200);
    let id = user(&app, "thu.pt").await.unwrap().id;
    let admin = app.login_as("admin", None).await;
    let (_, csrf) = page_and_csrf(&admin, &app.url("/manage/users")).await;
    let response = admin
        .post(app.url(&format!("/manage/users/{id}/reset")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let new = secret(&response.text().await.unwrap());
    assert_ne!(new, old);
    assert_eq!(
        status(&thu, &app.url("/manage")).await,
        303,
        "their session ended"
    );
    assert_eq!(try_log_in(&app, &browser(), "thu.pt", &old).await, 401);
    assert_eq!(try_log_in(&app, &browser(), "thu.pt", &new).await, 303);
    // The admin's own session goes on.
    assert_eq!(status(&admin, &app.url("/manage/users")).await, 200);
    let entry = audit_of(&app, "user.password_reset").await.pop().unwrap();
    assert_eq!(entry.subject, "thu.pt");
    assert!(!entry.detail.contains(&new));
}

/// Disabled on one node, the account's session stops on the other at once (PostgreSQL
/// and Redis, as in production), cannot log in, and its old session does not come back
/// when the account is enabled again.
#[tokio::test]
async fn a_disabled_account_is_shut_out_on_every_node_for_good() {
    let Some(app) = spawn_app_with(
        Backend::Postgres,
        AppOptions {
            redis: true,
            ..Default::default()
        },
    )
    .await
    else {
        return;
    };
    let b = app.spawn_node().await;
    let password = app.create_user("hoa.lt", "manager", Some("18073")).await;
    let hoa = app.log_in("hoa.lt", &password).await;
    assert_eq!(
        status(&hoa, &b.url("/manage")).await,
        200,
        "the session works on node B"
    );
    let id = user(&app, "hoa.lt").await.unwrap().id;

    let admin = app.login_as("admin", None).await;
    let (_, csrf) = page_and_csrf(&admin, &app.url("/manage/users")).await;
    let response = admin
        .post(app.url(&format!("/manage/users/{id}/disable")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("hoa.lt"));
    assert!(user(&app, "hoa.lt").await.unwrap().disabled);
    assert_eq!(
        status(&hoa, &b.url("/manage")).await,
        303,
        "node B refuses it at once"
    );
    assert_eq!(status(&hoa, &app.url("/manage")).await, 303);
    assert_eq!(try_log_in(&app, &browser(), "hoa.lt", &password).await, 401);

    let response = admin
        .post(b.url(&format!("/manage/users/{id}/enable")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        status(&hoa, &b.url("/manage")).await,
        303,
        "the old session stays over"
    );
    assert_eq!(try_log_in(&app, &browser(), "hoa.lt", &password).await, 303);

    let disabled = audit_of(&app, "user.disable").await.pop().unwrap();
    assert_eq!(disabled.subject, "hoa.lt");
    let detail: serde_json::Value = serde_json::from_str(&disabled.detail).unwrap();
    assert_eq!(detail["before"]["disabled"], false);
    assert_eq!(detail["after"]["disabled"], true);
    assert_eq!(detail["after"]["role"], "manager");
    assert_eq!(detail["after"]["scope"], "18073");
    assert!(disabled.unit_id.is_some());
    let enabled = audit_of(&app, "user.enable").await.pop().unwrap();
    let detail: serde_json::Value = serde_json::from_str(&enabled.detail).unwrap();
    assert_eq!(detail["after"]["disabled"], false);
}

#[tokio::test]
async fn the_last_enabled_admin_and_ones_own_account_stay_enabled() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let password = app.create_user("chief", "admin", None).await;
    let chief = app.log_in("chief", &password).await;
    let chief_id = user(&app, "chief").await.unwrap().id;
    let first = user(&app, "admin").await.unwrap().id;
    let (_, csrf) = page_and_csrf(&chief, &app.url("/manage/users?lang=en")).await;
    let disable = |id: i32| {
        chief
            .post(app.url(&format!("/manage/users/{id}/disable")))
            .form(&[("csrf", csrf.as_str()), ("lang", "en")])
            .send()
    };
    // Two admins: not oneself.
    let response = disable(chief_id).await.unwrap();
    assert_eq!(response.status(), 409);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("cannot disable your own account")
    );
    // The other admin may go; then chief is the last one.
    assert_eq!(disable(first).await.unwrap().status(), 200);
    let response = disable(chief_id).await.unwrap();
    assert_eq!(response.status(), 409);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("last enabled admin")
    );
    assert!(!user(&app, "chief").await.unwrap().disabled);
    assert_eq!(status(&chief, &app.url("/manage/users")).await, 200);
    // However asked (the command line's service too), the last admin stays.
    let refused = sipas::accounts::set_disabled(&app.storage, 0, "cli", chief_id, true).await;
    assert!(
        matches!(
            refused,
            Err(sipas::accounts::AccountError::Refused(
                sipas::accounts::Refusal::LastAdmin
            ))
        ),
        "{refused:?}"
    );
    assert_eq!(audit_of(&app, "user.disable").await.len(), 1);
}
