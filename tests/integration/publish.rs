//! Publication (issue 12): a closed campaign's official figures frozen as snapshot k,
//! served byte for byte with their SHA-256, immutable in the database, read by default
//! instead of the live figures, re-scored exactly from the stored moments, corrected
//! as the next version; who may publish, and the dashboard's confirmation.

use sea_orm::EntityTrait;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::backend_tests;
use crate::common::{AppOptions, Backend, TestApp, field_value, spawn_app_with};

backend_tests!(
    publishing_freezes_the_figures_as_a_verifiable_snapshot,
    a_correction_is_published_as_the_next_version,
    snapshots_are_immutable_in_the_database,
    two_nodes_serve_the_same_snapshot,
    only_administrators_publish_from_the_dashboard,
);

/// DEMO-2021 is closed with its responses in; DEMO-2026 is open.
const CLOSED: &str = "DEMO-2021";
const OPEN: &str = "DEMO-2026";

async fn demo(backend: Backend) -> Option<TestApp> {
    let app = spawn_app_with(
        backend,
        AppOptions {
            demo: true,
            ..Default::default()
        },
    )
    .await?;
    app.settle().await;
    Some(app)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn publish(app: &TestApp, campaign: &str, token: &str) -> reqwest::Response {
    app.post(&format!("/api/v1/campaigns/{campaign}/publish"), token)
        .send()
        .await
        .unwrap()
}

async fn status_of(app: &TestApp, campaign: &str) -> String {
    let all = app.read_json("/api/v1/campaigns").await;
    all.as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == campaign)
        .unwrap()["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A snapshot's bytes, asserting the headers of an immutable document.
async fn snapshot_bytes(app: &TestApp, url: &str) -> (Vec<u8>, String) {
    let response = app
        .client
        .get(url)
        .bearer_auth(&app.read_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{url}");
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    (response.bytes().await.unwrap().to_vec(), etag)
}

async fn get_status(app: &TestApp, path: &str) -> u16 {
    app.get(path, &app.read_token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn publishing_freezes_the_figures_as_a_verifiable_snapshot(backend: Backend) {
    let Some(app) = demo(backend).await else {
        return;
    };
    let scores = format!("/api/v1/campaigns/{CLOSED}/scores");
    // Before any publication the default is the live figures.
    let before = app.read_json(&format!("{scores}?detail=true")).await;
    assert_eq!(before["snapshot"], Value::Null);
    assert_eq!(before["provisional"], true);
    let before_90 = app
        .read_json(&format!(
            "{scores}?snapshot=live&confidence=0.9&detail=true"
        ))
        .await;
    assert_eq!(
        get_status(&app, &format!("/api/v1/campaigns/{CLOSED}/snapshots/1")).await,
        404
    );

    // Only a writer publishes, only a closed campaign.
    assert_eq!(publish(&app, CLOSED, &app.read_token).await.status(), 403);
    let refused = publish(&app, OPEN, &app.write_token).await;
    assert_eq!(refused.status(), 409);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("an open campaign can only be closed, not published"),
        "{body}"
    );
    let response = publish(&app, CLOSED, &app.write_token).await;
    assert_eq!(response.status(), 201);
    let published: Value = response.json().await.unwrap();
    assert_eq!(published["version"], 1);
    let sha = published["sha256"].as_str().unwrap().to_owned();
    assert_eq!(sha.len(), 64);
    let url = published["url"].as_str().unwrap().to_owned();
    assert!(url.ends_with(&format!("/api/v1/campaigns/{CLOSED}/snapshots/1")));
    assert_eq!(status_of(&app, CLOSED).await, "published");
    let again = publish(&app, CLOSED, &app.write_token).await;
    assert_eq!(again.status(), 409);

    // The document's bytes are what was published.
    let (bytes, _) = snapshot_bytes(
        &app,
        &app.url(&format!("/api/v1/campaigns/{CLOSED}/snapshots/1")),
    )
    .await;
    assert_eq!(sha256_hex(&bytes), sha);
    let document: Value = serde_json::from_slice(&bytes).unwrap();
    // Canonical: the compact serialization of its own sorted-key value.
    assert_eq!(serde_json::to_vec(&document).unwrap(), bytes);
    assert_eq!(document["format"], 1);
    assert_eq!(document["version"], 1);
    assert_eq!(document["campaign"]["code"], CLOSED);
    assert_eq!(document["campaign"]["questionnaire"]["code"], "SIPAS-2017");
    assert_eq!(document["statistics_digest"], before["statistics_digest"]);
    let d_ref = &document["d_ref"]["sipas"];
    assert!(d_ref["units"].as_u64().unwrap() >= 5, "{d_ref}");
    assert_eq!(
        d_ref["value"].as_f64().unwrap(),
        d_ref["numerator"].as_f64().unwrap() / d_ref["denominator"].as_f64().unwrap()
    );
    assert_eq!(document["d_ref"]["elements"].as_array().unwrap().len(), 5);
    assert_eq!(document["published_at"], published["published_at"]);
    let units = document["units"].as_array().unwrap();
    assert_eq!(units.len(), before["units"].as_array().unwrap().len());
    assert!(
        units
            .iter()
            .any(|u| u["frame"]["population"].as_u64().is_some())
    );

    // The list says who published what.
    let list = app
        .read_json(&format!("/api/v1/campaigns/{CLOSED}/snapshots"))
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["version"], 1);
    assert_eq!(list[0]["sha256"], sha.as_str());
    assert_eq!(list[0]["published_by"], "writer");
    assert_eq!(list[0]["url"], url.as_str());

    // Reads default to the snapshot, re-scored from its moments to the same figures.
    let after = app.read_json(&format!("{scores}?detail=true")).await;
    assert_eq!(after["snapshot"], 1);
    assert_eq!(after["provisional"], false);
    assert_eq!(
        after["units"], before["units"],
        "the frozen figures, exactly"
    );
    assert_eq!(after["aggregate"], before["aggregate"]);
    assert_eq!(after["statistics_digest"], before["statistics_digest"]);
    for unit in units {
        let code = unit["unit_code"].as_str().unwrap();
        let served = app
            .read_json(&format!(
                "/api/v1/campaigns/{CLOSED}/units/{code}/scores?snapshot=1"
            ))
            .await;
        assert_eq!(served, unit["score"], "unit {code}");
    }
    // At another confidence, the stored moments and D_ref give what the live figures
    // (unchanged since) give.
    let at_90 = app
        .read_json(&format!("{scores}?snapshot=1&confidence=0.9&detail=true"))
        .await;
    assert_eq!(at_90["snapshot"], 1);
    assert_eq!(at_90["units"], before_90["units"]);
    assert_ne!(at_90["units"], after["units"]);
    let live = app.read_json(&format!("{scores}?snapshot=live")).await;
    assert_eq!(live["snapshot"], Value::Null);
    assert_eq!(live["provisional"], true);

    // Unknown and malformed selections are refused, never the live figures.
    assert_eq!(get_status(&app, &format!("{scores}?snapshot=9")).await, 404);
    assert_eq!(
        get_status(&app, &format!("{scores}?snapshot=abc")).await,
        422
    );
    assert_eq!(get_status(&app, &format!("{scores}?snapshot=0")).await, 422);
    assert_eq!(
        get_status(
            &app,
            &format!(
                "/api/v1/campaigns/{CLOSED}/units/{}/scores?snapshot=2",
                units[0]["unit_code"].as_str().unwrap()
            )
        )
        .await,
        404
    );
    assert_eq!(
        get_status(&app, &format!("{scores}?snapshot=1&channel=desk_qr")).await,
        422
    );
    assert_eq!(
        get_status(&app, &format!("/api/v1/campaigns/{CLOSED}/snapshots/2")).await,
        404
    );

    // Audited with what was frozen.
    let events = sipas::storage::audit::entries(app.storage.db())
        .await
        .unwrap();
    let event = events
        .iter()
        .find(|e| e.action == "campaign.publish")
        .expect("campaign.publish audited");
    let detail: Value = serde_json::from_str(&event.detail).unwrap();
    assert_eq!(detail["version"], 1);
    assert_eq!(detail["sha256"], sha.as_str());
    assert_eq!(detail["units"], units.len());
}

async fn a_correction_is_published_as_the_next_version(backend: Backend) {
    let Some(app) = demo(backend).await else {
        return;
    };
    let first: Value = publish(&app, CLOSED, &app.write_token)
        .await
        .json()
        .await
        .unwrap();
    let (v1, _) = snapshot_bytes(&app, first["url"].as_str().unwrap()).await;
    // Re-opening a published campaign is refused; closing it for a correction is not.
    let reopen = app
        .post(
            &format!("/api/v1/campaigns/{CLOSED}/open"),
            &app.write_token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(reopen.status(), 409);
    let close = app
        .post(
            &format!("/api/v1/campaigns/{CLOSED}/close"),
            &app.write_token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(close.status(), 200);
    assert_eq!(status_of(&app, CLOSED).await, "closed");
    // The correction: a unit's frame was wrong.
    let v1_doc: Value = serde_json::from_slice(&v1).unwrap();
    let unit = v1_doc["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["frame"]["population"].is_u64() && u["frame"]["by_desk"].is_null())
        .expect("a unit with a whole frame");
    let code = unit["unit_code"].as_str().unwrap().to_owned();
    let old_population = unit["frame"]["population"].as_u64().unwrap();
    let corrected = old_population + 1000;
    let frame = app
        .send_csv(
            reqwest::Method::PUT,
            &format!("/api/v1/campaigns/{CLOSED}/frame"),
            &format!("unit_code,service_point_code,population\n{code},,{corrected}\n"),
        )
        .await;
    assert_eq!(frame.status(), 200, "{}", frame.text().await.unwrap());
    // While the correction is under way the default is still snapshot 1.
    let during = app
        .read_json(&format!("/api/v1/campaigns/{CLOSED}/scores"))
        .await;
    assert_eq!(during["snapshot"], 1);
    let unit_scores = format!("/api/v1/campaigns/{CLOSED}/units/{code}/scores");
    assert_eq!(
        app.read_json(&unit_scores).await["population"],
        old_population
    );
    assert_eq!(
        app.read_json(&format!("{unit_scores}?snapshot=live")).await["population"],
        corrected
    );

    let second = publish(&app, CLOSED, &app.write_token).await;
    assert_eq!(second.status(), 201);
    let second: Value = second.json().await.unwrap();
    assert_eq!(second["version"], 2);
    let (v2, _) = snapshot_bytes(&app, second["url"].as_str().unwrap()).await;
    assert_eq!(sha256_hex(&v2), second["sha256"].as_str().unwrap());
    assert_ne!(v1, v2);
    // The first stays, byte for byte.
    let (again, _) = snapshot_bytes(&app, first["url"].as_str().unwrap()).await;
    assert_eq!(again, v1);
    assert_eq!(sha256_hex(&again), first["sha256"].as_str().unwrap());
    let latest = app
        .read_json(&format!("/api/v1/campaigns/{CLOSED}/scores"))
        .await;
    assert_eq!(latest["snapshot"], 2);
    assert_eq!(app.read_json(&unit_scores).await["population"], corrected);
    assert_eq!(
        app.read_json(&format!("{unit_scores}?snapshot=1")).await["population"],
        old_population
    );
    let v2_doc: Value = serde_json::from_slice(&v2).unwrap();
    let frozen = v2_doc["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit_code"] == code.as_str())
        .unwrap();
    assert_eq!(frozen["frame"]["population"], corrected);
    let older = app
        .read_json(&format!("/api/v1/campaigns/{CLOSED}/scores?snapshot=1"))
        .await;
    assert_eq!(older["snapshot"], 1);
    let list = app
        .read_json(&format!("/api/v1/campaigns/{CLOSED}/snapshots"))
        .await;
    let versions: Vec<u64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, vec![1, 2]);
}

async fn snapshots_are_immutable_in_the_database(backend: Backend) {
    let Some(app) = demo(backend).await else {
        return;
    };
    let published: Value = publish(&app, CLOSED, &app.write_token)
        .await
        .json()
        .await
        .unwrap();
    let sha = published["sha256"].as_str().unwrap();
    for sql in [
        "UPDATE snapshots SET document = '{}', sha256 = 'x'",
        "UPDATE snapshots SET published_by = 'mallory'",
        "DELETE FROM snapshots",
    ] {
        let refused = app.storage.execute_unprepared(sql).await;
        let error = refused.expect_err(sql).to_string();
        assert!(error.contains("immutable"), "{sql}: {error}");
    }
    let (bytes, _) = snapshot_bytes(&app, published["url"].as_str().unwrap()).await;
    assert_eq!(sha256_hex(&bytes), sha);
    let stored = entity::snapshot::Entity::find()
        .all(app.storage.db())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].sha256, sha);
    assert_eq!(stored[0].published_by, "writer");
}

async fn two_nodes_serve_the_same_snapshot(backend: Backend) {
    let Some(app) = demo(backend).await else {
        return;
    };
    let other = app.spawn_node().await;
    let published: Value = publish(&app, CLOSED, &app.write_token)
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/api/v1/campaigns/{CLOSED}/snapshots/1");
    let (here, here_tag) = snapshot_bytes(&app, &app.url(&path)).await;
    let (there, there_tag) = snapshot_bytes(&app, &other.url(&path)).await;
    assert_eq!(here, there);
    assert_eq!(here_tag, there_tag);
    assert_eq!(sha256_hex(&there), published["sha256"].as_str().unwrap());
    // The other node follows the publication, then serves the same scores document.
    other.scores.catch_up().await;
    let read = |url: String| {
        let app = &app;
        async move {
            let response = app
                .client
                .get(url)
                .bearer_auth(&app.read_token)
                .send()
                .await
                .unwrap();
            let tag = response.headers()["etag"].to_str().unwrap().to_owned();
            (tag, response.bytes().await.unwrap())
        }
    };
    let scores = format!("/api/v1/campaigns/{CLOSED}/scores?detail=true");
    let (tag_here, body_here) = read(app.url(&scores)).await;
    let (tag_there, body_there) = read(other.url(&scores)).await;
    assert_eq!(body_here, body_there);
    assert_eq!(tag_here, tag_there);
    let body: Value = serde_json::from_slice(&body_there).unwrap();
    assert_eq!(body["snapshot"], 1);
    // An ETag read once answers 304 on either node.
    let not_modified = app
        .client
        .get(other.url(&path))
        .bearer_auth(&app.read_token)
        .header("if-none-match", &here_tag)
        .send()
        .await
        .unwrap();
    assert_eq!(not_modified.status(), 304);
}

async fn only_administrators_publish_from_the_dashboard(backend: Backend) {
    let Some(app) = demo(backend).await else {
        return;
    };
    let page = format!("/manage/campaigns/{CLOSED}/publish");
    let setup = format!("/manage/campaigns/{CLOSED}/setup");
    // A province-wide manager opens and closes campaigns but does not publish.
    let manager = app.login_as("manager", None).await;
    let html = manager
        .get(app.url(&setup))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains(&format!("href=\"{page}\"")));
    assert_eq!(
        manager.get(app.url(&page)).send().await.unwrap().status(),
        403
    );
    let token = field_value(&html, "csrf").unwrap();
    let refused = manager
        .post(app.url(&page))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(status_of(&app, CLOSED).await, "closed");

    let admin = app.login_as("admin", None).await;
    let html = admin
        .get(app.url(&setup))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("href=\"{page}\"")),
        "the publish button"
    );
    let confirm = admin.get(app.url(&page)).send().await.unwrap();
    assert_eq!(confirm.status(), 200);
    let confirm = confirm.text().await.unwrap();
    assert!(confirm.contains("Công bố bản số 1"));
    assert!(confirm.contains("SIPAS-2017"));
    let token = field_value(&confirm, "csrf").unwrap();
    // Without its token, or with a forged one, the form changes nothing.
    for forged in ["", "forged"] {
        let response = admin
            .post(app.url(&page))
            .form(&[("csrf", forged)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
    }
    assert_eq!(status_of(&app, CLOSED).await, "closed");
    let done = admin
        .post(app.url(&page))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    assert_eq!(status_of(&app, CLOSED).await, "published");
    let html = admin
        .get(app.url(&format!("{setup}?done=published")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let list = app
        .read_json(&format!("/api/v1/campaigns/{CLOSED}/snapshots"))
        .await;
    let sha = list[0]["sha256"].as_str().unwrap();
    assert!(
        html.contains(sha),
        "the snapshot is listed with its SHA-256"
    );
    assert!(html.contains(&format!("/manage/campaigns/{CLOSED}/snapshots/1")));
    // The JSON link serves the published bytes; the exports say which snapshot.
    let bytes = admin
        .get(app.url(&format!("/manage/campaigns/{CLOSED}/snapshots/1")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(sha256_hex(&bytes), sha);
    let csv = admin
        .get(app.url(&format!(
            "/manage/campaigns/{CLOSED}/exports/scores.csv?snapshot=1"
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains(&format!("Bản công bố số 1 (SHA-256 {sha})")));
    let live = admin
        .get(app.url(&format!(
            "/manage/campaigns/{CLOSED}/exports/scores.csv?snapshot=live"
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(live.contains("Tạm tính (chưa công bố)"));
    assert_eq!(
        admin
            .get(app.url(&format!(
                "/manage/campaigns/{CLOSED}/exports/scores.csv?snapshot=7"
            )))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // A manager cannot take the published figures back; an administrator can.
    let token = field_value(&html, "csrf").unwrap();
    let close = format!("/manage/campaigns/{CLOSED}/close");
    let manager_html = manager
        .get(app.url(&setup))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let manager_token = field_value(&manager_html, "csrf").unwrap();
    let refused = manager
        .post(app.url(&close))
        .form(&[("csrf", manager_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(status_of(&app, CLOSED).await, "published");
    let reopened = admin
        .post(app.url(&close))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(reopened.status(), 303);
    assert!(
        reopened.headers()["location"]
            .to_str()
            .unwrap()
            .contains("done=correcting")
    );
    assert_eq!(status_of(&app, CLOSED).await, "closed");
}
