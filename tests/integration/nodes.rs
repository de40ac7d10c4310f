//! Several nodes on one database (and one Redis): each node's figures follow the
//! database, whichever node stored what. Store through one node, read through another.

use std::time::{Duration, Instant};

use crate::backend_tests;
use crate::citizen::{desk_url, full_answers, open_campaign};
use crate::common::{AppOptions, Backend, TestApp, field_value, spawn_app, spawn_app_with};
use serde_json::Value;

backend_tests!(
    scores_quotas_and_etags_agree_across_nodes,
    the_same_form_sent_to_both_nodes_is_counted_once,
    closing_on_one_node_stops_answers_on_every_node,
    nodes_starting_at_once_all_come_up,
    damaged_rows_do_not_stop_the_follower,
    a_unit_renamed_or_a_desk_closed_on_one_node_is_followed_by_every_node,
    a_token_revoked_anywhere_is_refused_by_every_node_at_once,
);

/// Nodes remember the tokens they have checked, so the index engine's reads skip the
/// database; still, once `sipas token revoke` returns, every node refuses the token on
/// its very next request (the command waits until every node has counted the
/// revocation).
async fn a_token_revoked_anywhere_is_refused_by_every_node_at_once(backend: Backend) {
    let Some(a) = app(backend).await else {
        return;
    };
    let b = a.spawn_node().await;
    let (_, token) = sipas::accounts::create_token(
        &a.storage,
        "test",
        "engine",
        &[sipas_domain::access::Scope::Read],
    )
    .await
    .unwrap();
    let status = |url: String| {
        let request = a.client.get(url).bearer_auth(&token);
        async move { request.send().await.unwrap().status() }
    };
    let on_a = a.url("/api/v1/campaigns");
    let on_b = b.url("/api/v1/campaigns");
    // Each node has checked the token (and may remember it) before it is revoked.
    for _ in 0..3 {
        assert_eq!(status(on_a.clone()).await, 200);
        assert_eq!(status(on_b.clone()).await, 200);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let mut revoke = std::process::Command::new(env!("CARGO_BIN_EXE_sipas"));
    revoke
        .args(["token", "revoke", "engine"])
        .env("SIPAS_DATABASE_URL", &a.settings.database_url)
        .env("SIPAS_REDIS_PREFIX", &a.settings.redis_prefix)
        .env("RUST_LOG", "warn");
    match &a.settings.redis_url {
        Some(url) => revoke.env("SIPAS_REDIS_URL", url),
        None => revoke.env_remove("SIPAS_REDIS_URL"),
    };
    let out = tokio::task::spawn_blocking(move || revoke.output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        status(on_b.clone()).await,
        401,
        "node B after the revocation"
    );
    assert_eq!(
        status(on_a.clone()).await,
        401,
        "node A after the revocation"
    );
    // Another token still works on both: only what was revoked is refused.
    for url in [&on_a, &on_b] {
        let other = a
            .client
            .get(url.as_str())
            .bearer_auth(&a.read_token)
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 200, "{url}");
    }
}

/// Units and desks are data every node describes from the database: a rename on node
/// A shows in node B's scores, and a desk closed on A takes no answers on B.
async fn a_unit_renamed_or_a_desk_closed_on_one_node_is_followed_by_every_node(backend: Backend) {
    let Some(a) = app(backend).await else {
        return;
    };
    open_campaign(&a, "HT-2026", 0).await;
    put_frame(
        &a,
        "unit_code,service_point_code,population
18073,,120
",
    )
    .await;
    let created = a
        .post_json(
            "/api/v1/units/18073/service-points",
            &serde_json::json!({"code": "Q2", "name": "Quầy 2"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let b = a.spawn_node().await;
    let printed = crate::citizen::desk_url_at(&a, "HT-2026", "18073", "Q2").await;
    let on_b = printed.replacen(&a.address, &b.address, 1);
    // B has shown the desk's page once, so it keeps the desk in its cache.
    assert_eq!(a.client.get(&on_b).send().await.unwrap().status(), 200);

    let renamed = a
        .client
        .patch(a.url("/api/v1/units/18073"))
        .bearer_auth(&a.write_token)
        .json(&serde_json::json!({"name": "Phường Thành Sen (mới)"}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);
    let unit_b = b.url("/api/v1/campaigns/HT-2026/units/18073/scores");
    until(&a, &unit_b, "the new name on node B", |u| {
        u["unit_name"] == "Phường Thành Sen (mới)"
    })
    .await;

    let today = chrono::Utc::now().date_naive().to_string();
    let closed = a
        .client
        .post(a.url("/api/v1/units/18073/service-points/Q2/close"))
        .bearer_auth(&a.write_token)
        .json(&serde_json::json!({"on": today}))
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), 200);
    let started = Instant::now();
    loop {
        let status = a.client.get(&on_b).send().await.unwrap().status();
        if status != 200 {
            break;
        }
        assert!(
            started.elapsed() < FOLLOW_DEADLINE,
            "node B still takes answers at a closed desk"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How long a test waits for another node to follow. The service aims at well under
/// a second (BENCHMARKS.md measures it); a loaded CI machine gets slack.
const FOLLOW_DEADLINE: Duration = Duration::from_secs(10);

/// The app, on PostgreSQL with Redis too (the production shape).
async fn app(backend: Backend) -> Option<TestApp> {
    let options = AppOptions {
        redis: backend == Backend::Postgres,
        ..Default::default()
    };
    spawn_app_with(backend, options).await
}

async fn get(app: &TestApp, url: &str, etag: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(url).bearer_auth(&app.read_token);
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    request.send().await.unwrap()
}

async fn json(app: &TestApp, url: &str) -> (String, Value) {
    let response = get(app, url, None).await;
    let status = response.status();
    if status != 200 {
        panic!("{url}: {status} {}", response.text().await.unwrap());
    }
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    (etag, response.json().await.unwrap())
}

/// Reads `url` until `done` holds of its body; returns the body and how long it took. A
/// 404 is "not yet" (a unit's scores exist once its first answer is followed).
async fn until(
    app: &TestApp,
    url: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> (Value, Duration) {
    let started = Instant::now();
    loop {
        let response = get(app, url, None).await;
        let body = if response.status() == 404 {
            Value::Null
        } else {
            assert_eq!(response.status(), 200, "{url}");
            response.json().await.unwrap()
        };
        if done(&body) {
            return (body, started.elapsed());
        }
        if started.elapsed() > FOLLOW_DEADLINE {
            let mut text = body.to_string();
            text.truncate(300);
            panic!("{what}: not seen at {url} after {FOLLOW_DEADLINE:?}: {text}…");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Nodes A and B of one deployment with an open campaign, and a desk's survey URL on
/// each.
async fn two_nodes(backend: Backend) -> Option<(TestApp, crate::common::Node, String, String)> {
    let a = app(backend).await?;
    open_campaign(&a, "HT-2026", 0).await;
    let b = a.spawn_node().await;
    let url_a = desk_url(&a, "HT-2026", "18073").await;
    let url_b = url_a.replacen(&a.address, &b.address, 1);
    Some((a, b, url_a, url_b))
}

/// A paper response of campaign 1 written by hand, as another writer would (PostgreSQL):
/// `$1` unit, `$2` desk, `$3` answers; it returns the row's id.
const INSERT_BY_HAND: &str = "INSERT INTO responses (campaign_id, unit_id, service_point_id, \
    channel, verified, language, answers, submitted_at, is_demo) \
    VALUES (1, $1, $2, 'paper', TRUE, 'vi', $3, now(), FALSE) RETURNING id";

/// Phường Nam Hà (18073) and its default desk, for rows written by hand.
async fn ward_and_desk(
    app: &TestApp,
) -> (sipas::storage::UnitRow, sipas::storage::ServicePointRecord) {
    let ward = sipas::storage::units::by_code(app.storage.db(), "18073", None)
        .await
        .unwrap();
    let desk = sipas::storage::units::default_service_point(app.storage.db(), &ward)
        .await
        .unwrap();
    (ward, desk)
}

/// A form as a browser sends it: loaded once, every answer 4, its hidden fields kept.
async fn loaded_form(app: &TestApp, url: &str) -> Vec<(String, String)> {
    let html = app.page(url).await;
    let mut fields = full_answers("4");
    for hidden in ["_nonce", "_issued"] {
        fields.push((hidden.into(), field_value(&html, hidden).unwrap()));
    }
    fields.push(("website".into(), String::new()));
    fields
}

fn unit<'a>(scores: &'a Value, code: &str) -> &'a Value {
    scores["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit_code"] == code)
        .unwrap_or(&Value::Null)
}

async fn put_frame(app: &TestApp, csv: &str) {
    let response = app
        .client
        .put(app.url("/api/v1/campaigns/HT-2026/frame"))
        .bearer_auth(&app.write_token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

async fn scores_quotas_and_etags_agree_across_nodes(backend: Backend) {
    let Some(a) = app(backend).await else {
        return;
    };
    open_campaign(&a, "HT-2026", 0).await;
    put_frame(
        &a,
        "unit_code,service_point_code,population\n18073,,120\n18100,,1000\n",
    )
    .await;
    let b = a.spawn_node().await;
    let scores_b = b.url("/api/v1/campaigns/HT-2026/scores");
    let quotas_b = b.url("/api/v1/campaigns/HT-2026/quotas");
    let (before, _) = json(&a, &scores_b).await;

    // 30 answers through node A.
    let url = desk_url(&a, "HT-2026", "18073").await;
    for i in 0..30 {
        let answers = full_answers(["3", "4", "5"][i % 3]);
        assert_eq!(a.answer(&url, &answers).await.status(), 303);
    }
    let (_, waited) = until(&a, &scores_b, "30 answers stored on A", |s| {
        unit(s, "18073")["n"] == 30
    })
    .await;
    println!("node B counted 30 answers stored on node A within {waited:?}");

    // A client holding B's old tag gets the new figures, not 304.
    assert_eq!(get(&a, &scores_b, Some(&before)).await.status(), 200);
    // Both nodes serve the same document under the same tag; either node honours it.
    a.settle().await;
    b.scores.catch_up().await;
    let scores_a = a.url("/api/v1/campaigns/HT-2026/scores");
    let (tag_a, body_a) = json(&a, &scores_a).await;
    let (body_b, _) = until(&a, &scores_b, "the same figures", |s| *s == body_a).await;
    let (tag_b, _) = json(&a, &scores_b).await;
    assert_eq!(
        tag_a, tag_b,
        "the same data has the same ETag on every node"
    );
    assert_eq!(body_a, body_b);
    assert_eq!(get(&a, &scores_b, Some(&tag_a)).await.status(), 304);
    let unit_path = "/api/v1/campaigns/HT-2026/units/18073/scores";
    let (unit_tag_a, unit_a) = json(&a, &a.url(unit_path)).await;
    let (unit_tag_b, unit_b) = json(&a, &b.url(unit_path)).await;
    assert_eq!((unit_tag_a, unit_a), (unit_tag_b, unit_b));

    // A frame replaced through A: B's population and quota follow, and so do its tags.
    let (quota_tag, quotas) = json(&a, &quotas_b).await;
    let quota_before = quotas[0]["quota"].as_u64().unwrap();
    put_frame(
        &a,
        "unit_code,service_point_code,population\n18073,,300\n18100,,1000\n",
    )
    .await;
    let (scores, _) = until(&a, &scores_b, "the new frame", |s| {
        unit(s, "18073")["population"] == 300
    })
    .await;
    let quota_after = unit(&scores, "18073")["quota"].as_u64().unwrap();
    assert!(quota_after > quota_before, "{quota_before} → {quota_after}");
    let (quotas, _) = until(&a, &quotas_b, "the new quotas", |q| {
        q[0]["quota"].as_u64() == Some(quota_after)
    })
    .await;
    assert_eq!(quotas[0]["population"], 300);
    assert_eq!(get(&a, &quotas_b, Some(&quota_tag)).await.status(), 200);
    let (quota_tag_a, quotas_a) = json(&a, &a.url("/api/v1/campaigns/HT-2026/quotas")).await;
    let (quota_tag_b, quotas_b) = json(&a, &quotas_b).await;
    assert_eq!((quota_tag_a, quotas_a), (quota_tag_b, quotas_b));
}

async fn the_same_form_sent_to_both_nodes_is_counted_once(backend: Backend) {
    let Some((a, b, url_a, url_b)) = two_nodes(backend).await else {
        return;
    };
    const FORMS: usize = 15;
    for _ in 0..FORMS {
        // One form, loaded once, sent to both nodes at the same moment (a retry through
        // the load balancer, a double tap).
        let fields = loaded_form(&a, &url_a).await;
        let device = crate::common::fresh_device();
        let (first, second) = tokio::join!(
            a.client
                .post(&url_a)
                .header("cookie", &device)
                .form(&fields)
                .send(),
            a.client
                .post(&url_b)
                .header("cookie", &device)
                .form(&fields)
                .send()
        );
        assert_eq!(first.unwrap().status(), 303);
        assert_eq!(second.unwrap().status(), 303);
    }
    let stored = sipas::storage::responses::counts(a.storage.db(), 1)
        .await
        .unwrap();
    assert_eq!(
        stored.values().sum::<u64>(),
        FORMS as u64,
        "stored once each"
    );
    a.settle().await;
    b.scores.catch_up().await;
    for node in [a.address.clone(), b.address.clone()] {
        let path = format!("{node}/api/v1/campaigns/HT-2026/units/18073/scores");
        let (body, _) = until(&a, &path, "every form", |s| s["n"].as_u64().is_some()).await;
        assert_eq!(body["n"], FORMS, "counted once on {node}");
    }
}

async fn closing_on_one_node_stops_answers_on_every_node(backend: Backend) {
    let Some((a, b, url_a, url_b)) = two_nodes(backend).await else {
        return;
    };
    // A citizen opens the form on B while the campaign is open...
    let fields = loaded_form(&a, &url_b).await;
    // ...a manager closes it through A...
    let closed = a
        .post("/api/v1/campaigns/HT-2026/close", &a.write_token)
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), 200);
    let body: Value = closed.json().await.unwrap();
    assert_eq!(body["status"], "closed");
    // ...and the answer sent to B right after is refused, not stored.
    let late = a.client.post(&url_b).form(&fields).send().await.unwrap();
    assert_eq!(late.status(), 410);
    assert!(late.text().await.unwrap().contains("không nhận phiếu"));
    let stored = sipas::storage::responses::counts(a.storage.db(), 1)
        .await
        .unwrap();
    assert!(stored.is_empty(), "{stored:?}");
    let import = a
        .client
        .post(b.url("/api/v1/campaigns/HT-2026/responses"))
        .bearer_auth(&a.write_token)
        .header("content-type", "text/csv")
        .body(format!(
            "unit_code,service_point_code,channel,{}\n18073,,paper{}\n",
            full_answers("")
                .into_iter()
                .map(|(c, _)| c)
                .collect::<Vec<_>>()
                .join(","),
            ",4".repeat(22)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(import.status(), 409, "no import into a closed campaign");
    // B's own pages follow: the form is gone there too.
    let started = Instant::now();
    while a.client.get(&url_b).send().await.unwrap().status() != 410 {
        assert!(
            started.elapsed() < FOLLOW_DEADLINE,
            "B still shows the form"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Re-opened through B, A takes answers again.
    let reopened = a
        .client
        .post(b.url("/api/v1/campaigns/HT-2026/open"))
        .bearer_auth(&a.write_token)
        .send()
        .await
        .unwrap();
    assert_eq!(reopened.status(), 200);
    let started = Instant::now();
    while a.client.get(&url_a).send().await.unwrap().status() != 200 {
        assert!(
            started.elapsed() < FOLLOW_DEADLINE,
            "A still refuses the form"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(a.answer(&url_a, &full_answers("5")).await.status(), 303);
    // Opening an open campaign is refused, with the reason.
    let again = a
        .client
        .post(b.url("/api/v1/campaigns/HT-2026/open"))
        .bearer_auth(&a.write_token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    let body: Value = again.json().await.unwrap();
    assert!(
        body["error"]["message"].as_str().unwrap().contains("open"),
        "{body}"
    );
}

/// PostgreSQL commits transactions in any order: a response whose id is below one the
/// follower has already read must still be counted when its transaction commits.
#[tokio::test]
async fn a_late_commit_below_the_position_is_counted() {
    use sea_orm::sqlx;
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let unit_path = app.url("/api/v1/campaigns/HT-2026/units/18073/scores");
    let (ward, desk) = ward_and_desk(&app).await;
    // A slow writer (an import, another node) takes an id and holds its transaction.
    let pool = app.storage.db().get_postgres_connection_pool();
    let mut slow = pool.begin().await.unwrap();
    let (late_id,): (i64,) = sqlx::query_as(INSERT_BY_HAND)
        .bind(ward.id)
        .bind(desk.id)
        .bind("1111111111111111111111")
        .fetch_one(&mut *slow)
        .await
        .unwrap();
    // Meanwhile two answers with larger ids commit and are counted.
    let url = desk_url(&app, "HT-2026", "18073").await;
    for _ in 0..2 {
        assert_eq!(app.answer(&url, &full_answers("5")).await.status(), 303);
    }
    app.settle().await;
    let (body, _) = until(&app, &unit_path, "the two answers", |s| s["n"] == 2).await;
    assert_eq!(body["criteria"][0]["satisfied"], 2);
    let stored: Vec<i64> = sqlx::query_scalar("SELECT id FROM responses ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap();
    assert!(
        stored.iter().all(|id| *id > late_id),
        "{late_id} < {stored:?}"
    );
    // The slow writer commits: its row, below the follower's position, is counted.
    slow.commit().await.unwrap();
    let (body, waited) = until(&app, &unit_path, "the late commit", |s| s["n"] == 3).await;
    assert_eq!(
        body["criteria"][0]["satisfied"], 2,
        "the late answer is a 1"
    );
    println!("late commit counted within {waited:?}");
}

/// Two processes on one SQLite file: each serves what the other stored.
#[tokio::test]
async fn two_processes_on_one_sqlite_file_serve_the_same_figures() {
    let Some(a) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    open_campaign(&a, "HT-2026", 0).await;
    put_frame(&a, "unit_code,service_point_code,population\n18073,,120\n").await;
    let b = a.spawn_node_process();
    let url_a = desk_url(&a, "HT-2026", "18073").await;
    let url_b = url_a.replacen(&a.address, &b.address, 1);
    for i in 0..10 {
        let url = if i % 2 == 0 { &url_a } else { &url_b };
        assert_eq!(a.answer(url, &full_answers("4")).await.status(), 303);
    }
    let path = "/api/v1/campaigns/HT-2026/units/18073/scores";
    let (from_a, _) = until(&a, &a.url(path), "10 answers on A", |s| s["n"] == 10).await;
    let (from_b, _) = until(&a, &b.url(path), "10 answers on B", |s| s["n"] == 10).await;
    assert_eq!(from_a, from_b);
    let tag_a = get(&a, &a.url(path), None).await.headers()["etag"].clone();
    let tag_b = get(&a, &b.url(path), None).await.headers()["etag"].clone();
    assert_eq!(tag_a, tag_b);
}

/// A deployment's nodes start together on a fresh database: one migrates and loads the
/// reference data, the others wait their turn and find it done; all serve.
async fn nodes_starting_at_once_all_come_up(backend: Backend) {
    let Some(database) = crate::common::TestDatabase::create(backend).await else {
        return;
    };
    let settings = crate::common::settings(&database.url, None);
    let builds = futures_util::future::join_all(
        (0..3).map(|_| sipas::startup::Application::build(&settings, false)),
    )
    .await;
    let client = crate::common::client_builder().build().unwrap();
    for build in builds {
        let node = build.expect("every node starts");
        let url = format!("http://127.0.0.1:{}/readyz", node.port());
        tokio::spawn(node.run_until_stopped());
        assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
    }
    let storage = sipas::storage::Storage::connect(&database.url)
        .await
        .unwrap();
    let units = sipas::storage::units::list(storage.db(), &Default::default())
        .await
        .unwrap();
    assert_eq!(
        units.len(),
        86,
        "the reference data once: today's structure"
    );
}

/// A damaged row (an unknown channel, answers of the wrong length) or a campaign whose
/// stored settings cannot be read is left aside and said in the log; every other
/// answer and campaign goes on being followed.
async fn damaged_rows_do_not_stop_the_follower(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    open_campaign(&app, "BROKEN", 0).await;
    let (ward, desk) = ward_and_desk(&app).await;
    let now = match backend {
        Backend::Postgres => "now()",
        Backend::Sqlite => "'2026-06-01T00:00:00Z'",
    };
    for (channel, answers) in [("email", "4444444444444444444444"), ("paper", "44")] {
        app.storage
            .execute_unprepared(&format!(
                "INSERT INTO responses (campaign_id, unit_id, service_point_id, channel, \
                 verified, language, answers, submitted_at, is_demo) VALUES \
                 ((SELECT id FROM campaigns WHERE code = 'HT-2026'), {}, {}, '{channel}', \
                 TRUE, 'vi', '{answers}', {now}, FALSE)",
                ward.id, desk.id
            ))
            .await
            .unwrap();
    }
    app.storage
        .execute_unprepared(
            "UPDATE campaigns SET quota_method = 'magic', revision = revision + 1 \
             WHERE code = 'BROKEN'",
        )
        .await
        .unwrap();
    let url = desk_url(&app, "HT-2026", "18073").await;
    for _ in 0..2 {
        assert_eq!(app.answer(&url, &full_answers("5")).await.status(), 303);
    }
    let path = app.url("/api/v1/campaigns/HT-2026/units/18073/scores");
    let (body, _) = until(&app, &path, "the two good answers", |s| s["n"] == 2).await;
    assert_eq!(body["criteria"][0]["satisfied"], 2);
    // A node starting now reads the same rows in its bulk read: it starts, and agrees.
    let b = app.spawn_node().await;
    let (from_b, _) = until(
        &app,
        &b.url("/api/v1/campaigns/HT-2026/units/18073/scores"),
        "the good answers on a node started after the damage",
        |s| s["n"] == 2,
    )
    .await;
    assert_eq!(from_b, body);
}

/// PostgreSQL does not list, among a snapshot's transactions in progress, one whose id
/// is above every finished one: a younger writer still running when an older one
/// commits must be waited for too. (Run alone, this is exact; with other tests on the
/// same server finishing transactions meanwhile it passes either way.)
#[tokio::test]
async fn a_late_commit_of_a_younger_transaction_is_counted() {
    use sea_orm::sqlx;
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let unit_path = app.url("/api/v1/campaigns/HT-2026/units/18073/scores");
    let (ward, desk) = ward_and_desk(&app).await;
    let pool = app.storage.db().get_postgres_connection_pool();
    let mut older = pool.begin().await.unwrap();
    let (older_xid,): (String,) = sqlx::query_as("SELECT pg_current_xact_id()::text")
        .fetch_one(&mut *older)
        .await
        .unwrap();
    let mut younger = pool.begin().await.unwrap();
    let (younger_xid,): (String,) = sqlx::query_as("SELECT pg_current_xact_id()::text")
        .fetch_one(&mut *younger)
        .await
        .unwrap();
    assert!(younger_xid.parse::<i64>().unwrap() > older_xid.parse::<i64>().unwrap());
    // The younger writer takes the smaller id and holds on; the older one commits.
    for tx in [&mut younger, &mut older] {
        sqlx::query(INSERT_BY_HAND)
            .bind(ward.id)
            .bind(desk.id)
            .bind("5555555555555555555555")
            .execute(&mut **tx)
            .await
            .unwrap();
    }
    older.commit().await.unwrap();
    app.settle().await;
    until(&app, &unit_path, "the older writer's answer", |s| {
        s["n"] == 1
    })
    .await;
    app.settle().await;
    younger.commit().await.unwrap();
    until(&app, &unit_path, "the younger writer's late answer", |s| {
        s["n"] == 2
    })
    .await;
}
