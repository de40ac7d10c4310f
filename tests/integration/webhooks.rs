//! Webhooks: an endpoint registered through the API receives each event once, signed
//! in the Standard Webhooks style (checked here with hmac/sha2 directly, not with the
//! service's own signing code); two nodes never both deliver one; a failing endpoint is
//! retried on the schedule and an admin can resend; the API and the page are for
//! writers and administrators only.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::backend_tests;
use crate::common::{AppOptions, Backend, TestApp, field_value, spawn_app, spawn_app_with};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    content_type: String,
    body: Vec<u8>,
}

/// A small HTTP server recording every POST, answering with `status` (and `boom` as
/// the body when it is not 2xx), after `delay`.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    async fn start(delay: Duration) -> Self {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let status = Arc::new(AtomicU16::new(200));
        let (g, s) = (got.clone(), status.clone());
        let server = HttpServer::new(move || {
            let (g, s) = (g.clone(), s.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (g, s) = (g.clone(), s.clone());
                async move {
                    let header = |name: &str| {
                        req.headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    g.lock().unwrap().push(Received {
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp"),
                        signature: header("webhook-signature"),
                        content_type: header("content-type"),
                        body: body.to_vec(),
                    });
                    tokio::time::sleep(delay).await;
                    let code = s.load(Ordering::SeqCst);
                    let status = actix_web::http::StatusCode::from_u16(code).unwrap();
                    if (200..300).contains(&code) {
                        HttpResponse::build(status).body("ok")
                    } else {
                        HttpResponse::build(status).body("boom")
                    }
                }
            }))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let port = server.addrs()[0].port();
        tokio::spawn(server.run());
        Self {
            url: format!("http://127.0.0.1:{port}/hooks/sipas"),
            got,
            status,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests came (at most `seconds`).
    async fn wait_for(&self, n: usize, seconds: u64) -> Vec<Received> {
        for _ in 0..seconds * 10 {
            if self.received().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.received()
    }
}

/// Registers `url` through the API; returns `(id, secret)`.
async fn register(app: &TestApp, url: &str) -> (i64, String) {
    let response = app
        .post_json("/api/v1/webhooks", &json!({ "url": url }))
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    (
        body["id"].as_i64().unwrap(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

fn event(campaign: &str, version: u32) -> sipas::webhooks::Event {
    sipas::webhooks::Event {
        kind: "snapshot.published".into(),
        campaign: campaign.into(),
        version,
        sha256: "ab".repeat(32),
        url: format!("http://example.vn/api/v1/campaigns/{campaign}/snapshots/{version}"),
    }
}

/// Enqueues an event as publication does: in a write transaction of its own.
async fn enqueue(app: &TestApp, event: &sipas::webhooks::Event) {
    let txn = app.storage.write().await.unwrap();
    sipas::webhooks::enqueue(&txn, event).await.unwrap();
    txn.commit().await.unwrap();
}

async fn deliveries(app: &TestApp) -> Vec<entity::webhook_delivery::Model> {
    entity::webhook_delivery::Entity::find()
        .order_by_asc(entity::webhook_delivery::Column::Id)
        .all(app.storage.db())
        .await
        .unwrap()
}

/// Checks a request's signature as a receiver would, from the Standard Webhooks
/// definition: HMAC-SHA256 with the base64-decoded secret over `id.timestamp.body`.
fn verify(secret: &str, r: &Received) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.", r.id, r.timestamp).as_bytes());
    mac.update(&r.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    r.signature.split(' ').any(|s| s == expected)
}

async fn an_event_is_delivered_once_signed(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let receiver = Receiver::start(Duration::ZERO).await;
    let (webhook_id, secret) = register(&app, &receiver.url).await;
    assert!(secret.starts_with("whsec_"));
    let key = STANDARD.decode(&secret["whsec_".len()..]).unwrap();
    assert!((24..=64).contains(&key.len()), "{} key bytes", key.len());

    // An event in a transaction that rolls back is never sent.
    let txn = app.storage.write().await.unwrap();
    sipas::webhooks::enqueue(&txn, &event("ROLLED-BACK", 1))
        .await
        .unwrap();
    txn.rollback().await.unwrap();

    let sent = event("DEMO-2026", 1);
    enqueue(&app, &sent).await;
    let got = receiver.wait_for(1, 10).await;
    assert_eq!(got.len(), 1, "{got:?}");
    // Another tick or two: still one.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let got = receiver.received();
    assert_eq!(got.len(), 1, "delivered more than once: {got:?}");
    let r = &got[0];
    assert!(r.id.starts_with("msg_"), "{}", r.id);
    assert_eq!(r.content_type, "application/json");
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        body,
        json!({"type": "snapshot.published", "campaign": "DEMO-2026", "version": 1,
               "sha256": "ab".repeat(32),
               "url": "http://example.vn/api/v1/campaigns/DEMO-2026/snapshots/1"})
    );
    let timestamp: i64 = r.timestamp.parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - timestamp).abs() < 60);
    assert!(verify(&secret, r), "the signature does not verify: {r:?}");
    // A forged body or another secret does not verify.
    let mut forged = r.clone();
    forged.body = br#"{"type":"snapshot.published","version":2}"#.to_vec();
    assert!(!verify(&secret, &forged));
    assert!(!verify(&format!("whsec_{}", STANDARD.encode([1u8; 32])), r));

    let rows = deliveries(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "delivered");
    assert_eq!(rows[0].attempts, 1);
    assert_eq!(rows[0].response_status, Some(200));
    assert_eq!(rows[0].response_body.as_deref(), Some("ok"));
    assert!(rows[0].delivered_at.is_some() && rows[0].locked_until.is_none());
    // The outbox keeps the exact bytes that were signed.
    let stored = entity::webhook_event::Entity::find()
        .all(app.storage.db())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].body.as_bytes(), r.body.as_slice());
    assert_eq!(stored[0].message_id, r.id);

    // The API lists the delivery.
    let response = app
        .get(
            &format!("/api/v1/webhooks/{webhook_id}/deliveries"),
            &app.both_token,
        )
        .send()
        .await
        .unwrap();
    let status = response.status();
    let list: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{list}");
    assert_eq!(list[0]["status"], "delivered");
    assert_eq!(list[0]["response_status"], 200);
    assert_eq!(list[0]["message_id"], r.id.as_str());
}

async fn two_nodes_deliver_each_event_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let _second = app.spawn_node().await;
    let _third = app.spawn_node().await;
    // A slow receiver: the nodes' passes overlap while attempts are in flight.
    let receiver = Receiver::start(Duration::from_millis(150)).await;
    let (_, secret) = register(&app, &receiver.url).await;
    const N: usize = 24;
    for version in 1..=N as u32 {
        enqueue(&app, &event("NODES-2026", version)).await;
    }
    receiver.wait_for(N, 30).await;
    for _ in 0..100 {
        if deliveries(&app)
            .await
            .iter()
            .all(|d| d.status == "delivered")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let got = receiver.received();
    assert_eq!(
        got.len(),
        N,
        "three nodes sent {} requests for {N} events",
        got.len()
    );
    let mut ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), N, "an event was delivered twice");
    assert!(got.iter().all(|r| verify(&secret, r)));
    let mut versions: Vec<u64> = got
        .iter()
        .map(|r| {
            serde_json::from_slice::<Value>(&r.body).unwrap()["version"]
                .as_u64()
                .unwrap()
        })
        .collect();
    versions.sort_unstable();
    assert_eq!(versions, (1..=N as u64).collect::<Vec<_>>());
    let rows = deliveries(&app).await;
    assert_eq!(rows.len(), N);
    assert!(
        rows.iter()
            .all(|d| d.status == "delivered" && d.attempts == 1),
        "{rows:?}"
    );
}

async fn a_failing_endpoint_is_retried_and_can_be_resent(backend: Backend) {
    let Some(app) = spawn_app_with(
        backend,
        AppOptions {
            webhooks: Some(sipas::webhooks::WorkerSettings {
                poll: Duration::from_millis(200),
                first_retry: Duration::from_millis(300),
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await
    else {
        return;
    };
    let receiver = Receiver::start(Duration::ZERO).await;
    receiver.status.store(500, Ordering::SeqCst);
    register(&app, &receiver.url).await;
    enqueue(&app, &event("RETRY-2026", 3)).await;
    // The first attempt, then the first retry (short here); the next one is 5 min on.
    let got = receiver.wait_for(2, 10).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].id, got[1].id, "a retry keeps its webhook-id");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 2, "retried before the back-off");
    let row = deliveries(&app).await.remove(0);
    assert_eq!(row.status, "pending");
    assert_eq!(row.attempts, 2);
    assert_eq!(row.response_status, Some(500));
    assert_eq!(row.response_body.as_deref(), Some("boom"));
    let wait = row.next_attempt_at - chrono::Utc::now();
    assert!(
        wait > chrono::Duration::minutes(4) && wait <= chrono::Duration::minutes(5),
        "the second retry should be 5 minutes on, is {wait}"
    );

    // The admin sees it and resends it; the endpoint now answers.
    receiver.status.store(204, Ordering::SeqCst);
    let admin = app.login_as("admin", None).await;
    let page = admin
        .get(app.url("/manage/webhooks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("HTTP 500") && page.contains("boom"), "{page}");
    assert!(page.contains("RETRY-2026 · v3"));
    let resend = format!("/manage/webhooks/deliveries/{}/resend", row.id);
    assert!(page.contains(&resend));
    let csrf = field_value(&page, "csrf").unwrap();
    // Without the form's token: refused, nothing sent.
    let refused = admin
        .post(app.url(&resend))
        .form(&[("lang", "vi")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let resent = admin
        .post(app.url(&resend))
        .form(&[("csrf", csrf.as_str()), ("lang", "vi")])
        .send()
        .await
        .unwrap();
    assert_eq!(resent.status(), 200);
    let got = receiver.wait_for(3, 10).await;
    assert_eq!(got.len(), 3);
    for _ in 0..50 {
        if deliveries(&app).await[0].status == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let row = deliveries(&app).await.remove(0);
    assert_eq!(row.status, "delivered");
    assert_eq!(row.response_status, Some(204));
    let actions: Vec<String> = entity::audit_event::Entity::find()
        .all(app.storage.db())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(
        actions.contains(&"webhook.resend".to_owned()),
        "{actions:?}"
    );
    // A delivered one is not resent.
    let again = admin
        .post(app.url(&resend))
        .form(&[("csrf", csrf.as_str()), ("lang", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
}

async fn the_api_manages_endpoints(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // Read tokens may not.
    for request in [
        app.get("/api/v1/webhooks", &app.read_token),
        app.post("/api/v1/webhooks", &app.read_token)
            .json(&json!({"url": "https://engine.example.vn/hook"})),
        app.client
            .delete(app.url("/api/v1/webhooks/1"))
            .bearer_auth(&app.read_token),
    ] {
        assert_eq!(request.send().await.unwrap().status(), 403);
    }
    let long = format!("https://engine.example.vn/{}", "x".repeat(2000));
    for bad in [
        json!({"url": "engine.example.vn/hook"}),
        json!({"url": "ftp://engine.example.vn/hook"}),
        json!({"url": "/hook"}),
        json!({"url": ""}),
        json!({"url": long}),
        json!({}),
    ] {
        let response = app.post_json("/api/v1/webhooks", &bad).await;
        assert_eq!(response.status(), 422, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_request");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
    let response = app
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": "https://engine.example.vn/hook"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert_eq!(created["url"], "https://engine.example.vn/hook");
    assert!(created["created_at"].is_string());
    let (other, _) = register(&app, "http://10.0.0.7:8080/sipas").await;

    // A GET needs `read` as every GET does, and `write` as every webhook route does.
    let write_only = app
        .get("/api/v1/webhooks", &app.write_token)
        .send()
        .await
        .unwrap();
    assert_eq!(write_only.status(), 403);
    let listed = app
        .get("/api/v1/webhooks", &app.both_token)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    let text = listed.text().await.unwrap();
    assert!(
        !text.contains(&secret) && !text.contains("secret"),
        "{text}"
    );
    let listed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[0]["id"], created["id"]);

    let delete = |id: i64| {
        app.client
            .delete(app.url(&format!("/api/v1/webhooks/{id}")))
            .bearer_auth(&app.write_token)
            .send()
    };
    assert_eq!(delete(other).await.unwrap().status(), 204);
    assert_eq!(delete(other).await.unwrap().status(), 404);
    assert_eq!(delete(9999).await.unwrap().status(), 404);
    let listed: Value = app
        .get("/api/v1/webhooks", &app.both_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);

    // An event now goes to the remaining endpoint only.
    enqueue(&app, &event("API-2026", 1)).await;
    let rows = deliveries(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].webhook_id as i64, created["id"].as_i64().unwrap());

    let audit: Vec<(String, String, String)> = entity::audit_event::Entity::find()
        .all(app.storage.db())
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("webhook."))
        .map(|e| (e.action, e.actor, e.detail))
        .collect();
    let actions: Vec<&str> = audit.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(
        actions,
        ["webhook.create", "webhook.create", "webhook.delete"]
    );
    assert!(
        audit
            .iter()
            .all(|a| a.1 == "writer" && !a.2.contains("whsec_"))
    );
}

async fn the_page_is_for_admins_with_its_forms_protected(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    for role in ["manager", "viewer"] {
        let member = app.login_as(role, None).await;
        let page = member
            .get(app.url("/manage/webhooks"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 403, "{role}");
        let home = member
            .get(app.url("/manage"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!home.contains("/manage/webhooks"), "{role} sees the link");
    }
    let admin = app.login_as("admin", None).await;
    let home = admin
        .get(app.url("/manage"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("href=\"/manage/webhooks?lang=vi\""));
    let page = admin.get(app.url("/manage/webhooks")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("<h1") && page.contains("label for=\"url\""));
    let csrf = field_value(&page, "csrf").unwrap();

    // No token, a forged one: refused, nothing stored.
    for fields in [
        vec![("url", "https://engine.example.vn/hook")],
        vec![
            ("url", "https://engine.example.vn/hook"),
            ("csrf", "AAAAforged"),
        ],
    ] {
        let response = admin
            .post(app.url("/manage/webhooks"))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
    }
    assert!(
        sipas::storage::webhooks::active(app.storage.db())
            .await
            .unwrap()
            .is_empty()
    );

    // A bad URL: the form comes back with the error next to the field.
    let refused = admin
        .post(app.url("/manage/webhooks"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("lang", "en"),
            ("url", "engine.example.vn"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let text = refused.text().await.unwrap();
    assert!(text.contains("id=\"url-error\"") && text.contains("value=\"engine.example.vn\""));

    let created = admin
        .post(app.url("/manage/webhooks"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("lang", "vi"),
            ("url", "https://engine.example.vn/hook"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let text = created.text().await.unwrap();
    let stored = sipas::storage::webhooks::active(app.storage.db())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(text.contains(&stored[0].secret), "the secret is shown once");
    // …and only then.
    let again = admin
        .get(app.url("/manage/webhooks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(again.contains("https://engine.example.vn/hook") && !again.contains(&stored[0].secret));

    // An event on its way to it…
    enqueue(&app, &event("PAGE-2026", 1)).await;
    // Removal asks first, then needs the token.
    let confirm_path = format!("/manage/webhooks/{}/delete", stored[0].id);
    let confirm = admin.get(app.url(&confirm_path)).send().await.unwrap();
    assert_eq!(confirm.status(), 200);
    let confirm = confirm.text().await.unwrap();
    assert!(confirm.contains("https://engine.example.vn/hook"));
    let no_token = admin
        .post(app.url(&confirm_path))
        .form(&[("lang", "vi")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 403);
    let removed = admin
        .post(app.url(&confirm_path))
        .form(&[
            ("csrf", field_value(&confirm, "csrf").unwrap().as_str()),
            ("lang", "vi"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 200);
    assert!(
        sipas::storage::webhooks::active(app.storage.db())
            .await
            .unwrap()
            .is_empty()
    );
    // …is not sent any more, and cannot be resent.
    let rows = deliveries(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "failed");
    assert_eq!(rows[0].error.as_deref(), Some("the endpoint was removed"));
    let after = admin
        .get(app.url("/manage/webhooks?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(after.contains("the endpoint was removed") && !after.contains("/resend"));
    let gone = admin.get(app.url(&confirm_path)).send().await.unwrap();
    assert_eq!(gone.status(), 404);
}

backend_tests!(
    an_event_is_delivered_once_signed,
    two_nodes_deliver_each_event_once,
    a_failing_endpoint_is_retried_and_can_be_resent,
    the_api_manages_endpoints,
    the_page_is_for_admins_with_its_forms_protected,
);
