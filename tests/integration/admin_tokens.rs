//! Administrators create API tokens from `/manage/tokens` (shown once), see when each
//! was last used, and revoke them (after a confirmation page): a revoked token is
//! refused at once. Admins only, with the form's token; every change audited.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::admin_users::page_and_csrf;
use crate::backend_tests;
use crate::common::{Backend, TestApp, spawn_app};

backend_tests!(a_token_made_on_the_page_works_is_seen_used_and_revoked_at_once);

fn secret(html: &str) -> String {
    let start = html
        .find(r#"<code class="secret""#)
        .expect("a secret is shown");
    let rest = &html[start..];
    let open = rest.find('>').unwrap() + 1;
    rest[open..open + rest[open..].find('<').unwrap()].to_owned()
}

async fn client_named(app: &TestApp, name: &str) -> Option<entity::api_client::Model> {
    entity::api_client::Entity::find()
        .filter(entity::api_client::Column::Name.eq(name))
        .one(app.storage.db())
        .await
        .unwrap()
}

async fn a_token_made_on_the_page_works_is_seen_used_and_revoked_at_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.login_as("admin", None).await;
    let (_, csrf) = page_and_csrf(&admin, &app.url("/manage/tokens")).await;
    // No scope: the error is next to the checkboxes, nothing is created.
    let response = admin
        .post(app.url("/manage/tokens"))
        .form(&[("csrf", csrf.as_str()), ("name", "one-stop")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains(r#"id="scopes-error""#)
    );
    assert!(client_named(&app, "one-stop").await.is_none());

    let response = admin
        .post(app.url("/manage/tokens"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "one-stop"),
            ("read", "1"),
            ("write", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let token = secret(&response.text().await.unwrap());
    assert!(token.starts_with("sipas_"));
    let stored = client_named(&app, "one-stop").await.unwrap();
    assert_eq!(stored.scopes, "read,write");
    assert!(stored.last_used_at.is_none());
    assert!(!stored.token_hash.contains(&token));

    // Used: the time is noted, once a minute at most.
    let answer = app.get("/api/v1/campaigns", &token).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let first_use = client_named(&app, "one-stop").await.unwrap().last_used_at;
    let first_use = first_use.expect("last_used_at is set by a request");
    assert!((chrono::Utc::now() - first_use).num_seconds() < 60);
    let again = app.get("/api/v1/campaigns", &token).send().await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(
        client_named(&app, "one-stop").await.unwrap().last_used_at,
        Some(first_use),
        "no write for every request"
    );
    let list = admin
        .get(app.url("/manage/tokens"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let row = &list[list.find("one-stop").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(!row.contains("Chưa dùng"), "{row}");
    assert!(row.contains("đọc, ghi"), "{row}");

    // Revoked after a confirmation: refused at once.
    let confirm = admin
        .get(app.url(&format!("/manage/tokens/{}/revoke", stored.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(confirm.status(), 200);
    let confirm = confirm.text().await.unwrap();
    assert!(confirm.contains("one-stop") && confirm.contains(r#"method="post""#));
    assert!(
        client_named(&app, "one-stop")
            .await
            .unwrap()
            .revoked_at
            .is_none()
    );
    let path = format!("/manage/tokens/{}/revoke", stored.id);
    let response = admin
        .post(app.url(&path))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let refused = app.get("/api/v1/campaigns", &token).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    // Twice: a clear refusal, nothing changes.
    let revoked_at = client_named(&app, "one-stop").await.unwrap().revoked_at;
    assert!(revoked_at.is_some());
    let response = admin
        .post(app.url(&path))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    assert!(response.text().await.unwrap().contains("đã bị thu hồi"));
    assert_eq!(
        client_named(&app, "one-stop").await.unwrap().revoked_at,
        revoked_at
    );

    let events = entity::audit_event::Entity::find()
        .filter(entity::audit_event::Column::Subject.eq("one-stop"))
        .all(app.storage.db())
        .await
        .unwrap();
    let actions: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.action.as_str(), e.actor.as_str()))
        .map(|(a, who)| {
            (
                a,
                if who.starts_with("admin-") {
                    "admin"
                } else {
                    who
                },
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("api_client.create", "admin"),
            ("api_client.revoke", "admin")
        ]
    );
    assert!(events.iter().all(|e| !e.detail.contains(&token)));
}

#[tokio::test]
async fn only_admins_with_the_form_token_create_or_revoke_tokens() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let writer = client_named(&app, "writer").await.unwrap();
    let revoke = format!("/manage/tokens/{}/revoke", writer.id);
    for (role, scope) in [
        ("manager", None),
        ("manager", Some("18073")),
        ("viewer", None),
    ] {
        let client = app.login_as(role, scope).await;
        let (_, csrf) = page_and_csrf(&client, &app.url("/manage")).await;
        assert_eq!(
            client.get(app.url(&revoke)).send().await.unwrap().status(),
            403
        );
        for (path, fields) in [
            ("/manage/tokens", vec![("name", "sneaky"), ("read", "1")]),
            (revoke.as_str(), vec![]),
        ] {
            let mut fields = fields;
            fields.push(("csrf", csrf.as_str()));
            let response = client
                .post(app.url(path))
                .form(&fields)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 403, "{role} {path}");
        }
    }
    let admin = app.login_as("admin", None).await;
    for (path, fields) in [
        ("/manage/tokens", vec![("name", "sneaky"), ("read", "1")]),
        (revoke.as_str(), vec![]),
    ] {
        let response = admin
            .post(app.url(path))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            403,
            "admin without the form token: {path}"
        );
    }
    assert!(client_named(&app, "sneaky").await.is_none());
    assert!(
        client_named(&app, "writer")
            .await
            .unwrap()
            .revoked_at
            .is_none()
    );
    assert_eq!(
        app.post_json("/api/v1/campaigns", &serde_json::json!({}))
            .await
            .status(),
        422,
        "the writer's token still works"
    );
    // An unknown token is not found.
    let (_, csrf) = page_and_csrf(&admin, &app.url("/manage/tokens")).await;
    let response = admin
        .post(app.url("/manage/tokens/999999/revoke"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}
