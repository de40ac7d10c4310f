//! Imports and scores through the API: all-or-nothing CSV imports with line errors,
//! scores that agree with the data, the stratified design, ETags, bad parameters, and
//! incremental statistics that equal a rebuild from storage.

use crate::backend_tests;
use crate::citizen::{create_campaign, desk_url, full_answers, open_campaign};
use crate::common::{Backend, TestApp, spawn_app};
use serde_json::Value;
use sipas_domain::statistics::students_t_quantile;

backend_tests!(
    unverified_responses_count_only_if_the_campaign_says_so,
    imports_are_all_or_nothing_with_line_errors,
    scores_follow_the_imported_answers,
    stratified_frame_gives_strata_and_aggregate,
    incremental_statistics_equal_a_rebuild,
);

fn header() -> String {
    let codes: Vec<String> = full_answers("").into_iter().map(|(c, _)| c).collect();
    format!("unit_code,service_point_code,channel,{}\n", codes.join(","))
}

/// A CSV line of 22 answers: the first `satisfied` criteria get 5, the rest get 2.
fn line(unit: &str, channel: &str, first: &str, rest: &str) -> String {
    format!(
        "{unit},,{channel},{first}{}\n",
        format!(",{rest}").repeat(21)
    )
}

async fn put_frame(app: &TestApp, campaign: &str, csv: &str) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/api/v1/campaigns/{campaign}/frame")))
        .bearer_auth(&app.write_token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap()
}

async fn post_responses(app: &TestApp, campaign: &str, csv: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/campaigns/{campaign}/responses"),
        &app.write_token,
    )
    .header("content-type", "text/csv; charset=utf-8")
    .body(csv.to_owned())
    .send()
    .await
    .unwrap()
}

fn details(body: &Value) -> Vec<(u64, Option<String>)> {
    body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["line"].as_u64().unwrap(),
                d["column"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

async fn imports_are_all_or_nothing_with_line_errors(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;

    let bad_frame =
        "unit_code,service_point_code,population\n18073,,120\n99999,,50\n18100,NOPE,10\n18115,,x\n";
    let response = put_frame(&app, "HT-2026", bad_frame).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    // Parsing problems (line 5) and unknown codes (lines 3, 4): all of them at once.
    let mut found = details(&body);
    found.sort();
    assert_eq!(
        found,
        vec![
            (3, Some("unit_code".into())),
            (4, Some("service_point_code".into())),
            (5, Some("population".into())),
        ],
        "every bad line of the file at once"
    );
    let response = put_frame(&app, "HT-2026", &bad_frame.replace(",,x", ",,30")).await;
    assert_eq!(response.status(), 422);
    let found = details(&response.json().await.unwrap());
    assert_eq!(
        found,
        vec![
            (3, Some("unit_code".into())),
            (4, Some("service_point_code".into()))
        ]
    );
    assert!(
        sipas::storage::frames::entries(app.storage.db(), 1)
            .await
            .unwrap()
            .is_empty(),
        "nothing stored"
    );

    let good = "unit_code,service_point_code,population\n18073,,120\n18100,,1000\n";
    let response = put_frame(&app, "HT-2026", good).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["units"], 2);

    let wrong_type = app
        .client
        .put(app.url("/api/v1/campaigns/HT-2026/frame"))
        .bearer_auth(&app.write_token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 415);

    let csv = format!(
        "{}{}{}{}",
        header(),
        line("18073", "paper", "5", "4"),
        line("18073", "email", "9", "4"),
        line("99999", "paper", "5", "4")
    );
    let response = post_responses(&app, "HT-2026", &csv).await;
    assert_eq!(response.status(), 422);
    let found = details(&response.json().await.unwrap());
    // Every bad line at once: the parse's (line 3) and the unknown unit (line 4).
    assert_eq!(
        found,
        vec![
            (3, Some("channel".into())),
            (3, Some("TC1".into())),
            (4, Some("unit_code".into()))
        ]
    );
    let csv = format!(
        "{}{}{}",
        header(),
        line("18073", "paper", "5", "4"),
        line("99999", "paper", "5", "4")
    );
    let response = post_responses(&app, "HT-2026", &csv).await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        details(&response.json().await.unwrap()),
        vec![(3, Some("unit_code".into()))]
    );
    assert!(
        sipas::storage::responses::counts(app.storage.db(), 1)
            .await
            .unwrap()
            .is_empty(),
        "nothing stored"
    );

    let csv = format!(
        "{}{}{}",
        header(),
        line("18073", "paper", "5", "4"),
        line("18073", "interviewer", "", "3")
    );
    let response = post_responses(&app, "HT-2026", &csv).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["imported"], 2);
}

async fn scores_follow_the_imported_answers(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    assert_eq!(
        put_frame(
            &app,
            "HT-2026",
            "unit_code,service_point_code,population\n18073,,120\n"
        )
        .await
        .status(),
        200
    );
    // 30 forms: TC1 satisfied in 21 of 30 (answers 5 or 2); every other criterion 4.
    let mut csv = header();
    for i in 0..30 {
        csv.push_str(&line("18073", "paper", if i < 21 { "5" } else { "2" }, "4"));
    }
    // And 3 forms TC1 "no answer", which count in n but not in TC1's denominator.
    for _ in 0..3 {
        csv.push_str(&line("18073", "interviewer", "0", "4"));
    }
    assert_eq!(post_responses(&app, "HT-2026", &csv).await.status(), 201);

    let unit = app
        .read_json("/api/v1/campaigns/HT-2026/units/18073/scores")
        .await;
    assert_eq!(unit["unit_name"], "Phường Thành Sen");
    assert_eq!(unit["n"], 33);
    assert_eq!(unit["population"], 120);
    assert_eq!(unit["quota"], 92);
    let tc1 = &unit["criteria"][0];
    assert_eq!(
        (tc1["answered"].as_u64(), tc1["satisfied"].as_u64()),
        (Some(30), Some(21))
    );
    assert_eq!(tc1["estimate"], 0.7);
    assert_eq!(tc1["method"], "wilson-fpc");
    let (low, high) = (
        tc1["ci_low"].as_f64().unwrap(),
        tc1["ci_high"].as_f64().unwrap(),
    );
    assert!(
        low < 0.7 && 0.7 < high && low > 0.4 && high < 0.9,
        "[{low}, {high}]"
    );
    // Element 1 = mean of (0.7, 1, 1, 1); the SIPAS index = mean of the 5 elements.
    let e1 = unit["elements"][0]["estimate"].as_f64().unwrap();
    assert!((e1 - 0.925).abs() < 1e-12, "{e1}");
    let sipas = unit["sipas"]["estimate"].as_f64().unwrap();
    assert!((sipas - (0.925 + 4.0) / 5.0).abs() < 1e-12, "{sipas}");
    assert!(unit["sipas"]["ci_low"].as_f64().unwrap() < sipas);

    // Mean scores of criteria and elements are estimates with intervals, like the unit's:
    // `estimate ± t_32 · se` (df = n − H = 33 − 1). TC1's influence values are
    // z_i = (a_i − 4.1)/30 over its 30 answers and 0 elsewhere (Σ z = 0), so
    // v = (1 − 33/120)·33/32·Σ z² with Σ z² = (21·0.9² + 9·2.1²)/30²; element 1 averages
    // TC1 with three constant criteria: its se is TC1's over 4.
    let t = students_t_quantile(0.975, 32.0).unwrap();
    let tc1_se =
        ((1.0f64 - 33.0 / 120.0) * 33.0 / 32.0 * (21.0 * 0.81 + 9.0 * 4.41) / 900.0).sqrt();
    let mean_scores = [
        (&tc1["mean_score"], 4.1, tc1_se, "TC1"),
        (&unit["criteria"][1]["mean_score"], 4.0, 0.0, "TC2"),
        (
            &unit["elements"][0]["mean_score"],
            (4.1 + 3.0 * 4.0) / 4.0,
            tc1_se / 4.0,
            "element 1",
        ),
        (&unit["elements"][1]["mean_score"], 4.0, 0.0, "element 2"),
    ];
    for (mean_score, estimate, se, what) in mean_scores {
        let field = |name: &str| {
            mean_score[name]
                .as_f64()
                .unwrap_or_else(|| panic!("{what} {name}: {mean_score}"))
        };
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
        assert!(close(field("estimate"), estimate), "{what}: {mean_score}");
        assert!(close(field("se"), se), "{what}: {mean_score}");
        assert_eq!(mean_score["df"], 32, "{what}");
        assert!(
            close(field("ci_low"), estimate - t * se),
            "{what}: {mean_score}"
        );
        assert!(
            close(field("ci_high"), estimate + t * se),
            "{what}: {mean_score}"
        );
    }
    // PAR points: a commune's survey part is worth 30.
    assert_eq!(unit["par"]["survey_max_points"], 30.0);
    assert!((unit["par"]["points"].as_f64().unwrap() - sipas * 30.0).abs() < 1e-9);
    let flags: Vec<&str> = unit["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(flags.contains(&"below_quota"), "{flags:?}");

    // Another method, another confidence: the same point, other intervals.
    let cp = app
        .read_json(
            "/api/v1/campaigns/HT-2026/units/18073/scores?method=clopper-pearson&confidence=0.99",
        )
        .await;
    assert_eq!(cp["criteria"][0]["method"], "clopper-pearson");
    assert_eq!(cp["criteria"][0]["estimate"], 0.7);
    assert!(cp["sipas"]["ci_low"].as_f64().unwrap() < unit["sipas"]["ci_low"].as_f64().unwrap());

    // Split by channel: interviewers' forms alone.
    let interviewers = app
        .read_json("/api/v1/campaigns/HT-2026/units/18073/scores?channel=interviewer")
        .await;
    assert_eq!(interviewers["n"], 3);

    for bad in [
        "confidence=1",
        "confidence=0",
        "confidence=abc",
        "method=wald",
        "channel=email",
    ] {
        let response = app
            .get(
                &format!("/api/v1/campaigns/HT-2026/scores?{bad}"),
                &app.read_token,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().len() > 10);
    }
    let missing = app
        .get(
            "/api/v1/campaigns/HT-2026/units/18077/scores",
            &app.read_token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let missing = app
        .get("/api/v1/campaigns/NOPE/scores", &app.read_token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    // ETag: unchanged data answers 304; a new response changes the tag.
    let first = app
        .get("/api/v1/campaigns/HT-2026/scores", &app.read_token)
        .send()
        .await
        .unwrap();
    let tag = first.headers()["etag"].to_str().unwrap().to_owned();
    let again = app
        .get("/api/v1/campaigns/HT-2026/scores", &app.read_token)
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(
        post_responses(
            &app,
            "HT-2026",
            &format!("{}{}", header(), line("18073", "paper", "1", "1"))
        )
        .await
        .status(),
        201
    );
    let changed = app
        .get("/api/v1/campaigns/HT-2026/scores", &app.read_token)
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    let body: Value = changed.json().await.unwrap();
    assert_eq!(body["units"][0]["n"], 34);
    assert!(
        body["units"][0].get("criteria").is_none(),
        "the list is brief without detail=true"
    );
}

async fn stratified_frame_gives_strata_and_aggregate(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let created = app
        .post("/api/v1/units/18073/service-points", &app.write_token)
        .json(&serde_json::json!({"code": "MC-2", "name": "Quầy 2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let frame = "unit_code,service_point_code,population\n18073,MC,200\n18073,MC-2,100\n18100,,80\n18115,,60\n";
    assert_eq!(put_frame(&app, "HT-2026", frame).await.status(), 200);
    let mut csv = header();
    for i in 0..20 {
        csv.push_str(&format!(
            "18073,MC,paper{}\n",
            format!(",{}", if i % 4 == 0 { 2 } else { 5 }).repeat(22)
        ));
        csv.push_str(&format!(
            "18073,MC-2,paper{}\n",
            format!(",{}", if i % 2 == 0 { 3 } else { 4 }).repeat(22)
        ));
        csv.push_str(&line(
            "18100",
            "paper",
            if i % 5 == 0 { "1" } else { "4" },
            "4",
        ));
    }
    assert_eq!(post_responses(&app, "HT-2026", &csv).await.status(), 201);

    let unit = app
        .read_json("/api/v1/campaigns/HT-2026/units/18073/scores")
        .await;
    assert_eq!(unit["strata"], 2);
    assert_eq!(unit["population"], 300);
    // Weighted by N_h: (200·0.75 + 100·0.5) / 300 for every criterion.
    let expected = (200.0 * 0.75 + 100.0 * 0.5) / 300.0;
    assert!((unit["sipas"]["estimate"].as_f64().unwrap() - expected).abs() < 1e-12);
    assert_eq!(unit["sipas"]["df"], 38, "n − H");

    let all = app
        .read_json("/api/v1/campaigns/HT-2026/scores?parent=42")
        .await;
    let codes: Vec<&str> = all["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["unit_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["18073", "18100", "18115"]);
    let aggregate = &all["aggregate"];
    assert_eq!(aggregate["units_included"], 2);
    assert_eq!(aggregate["population"], 380);
    assert_eq!(aggregate["left_out"][0]["unit_code"], "18115");
    assert_eq!(aggregate["left_out"][0]["reason"], "no_responses");
    let i1 = unit["sipas"]["estimate"].as_f64().unwrap();
    let i2 = all["units"][1]["sipas"]["estimate"].as_f64().unwrap();
    let weighted = (300.0 * i1 + 80.0 * i2) / 380.0;
    assert!((aggregate["sipas"]["estimate"].as_f64().unwrap() - weighted).abs() < 1e-12);
}

async fn incremental_statistics_equal_a_rebuild(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let frame = "unit_code,service_point_code,population\n18073,,400\n18100,,300\n";
    assert_eq!(put_frame(&app, "HT-2026", frame).await.status(), 200);
    // Some responses by import, some through the citizen's form, interleaved.
    for round in 0..3 {
        let mut csv = header();
        for i in 0..15 {
            let first = ["1", "2", "3", "4", "5", "0"][(i + round) % 6];
            csv.push_str(&line(
                if i % 2 == 0 { "18073" } else { "18100" },
                "paper",
                first,
                ["4", "5", "3"][i % 3],
            ));
        }
        assert_eq!(post_responses(&app, "HT-2026", &csv).await.status(), 201);
        let url = desk_url(&app, "HT-2026", "18073").await;
        let answers = full_answers(["2", "4", "5"][round]);
        assert_eq!(app.answer(&url, &answers).await.status(), 303);
    }
    // Desk answers are counted once the follower has read them.
    app.settle().await;
    let path = "/api/v1/campaigns/HT-2026/scores?detail=true";
    let incremental = app.get(path, &app.read_token).send().await.unwrap();
    let incremental_tag = incremental.headers()["etag"].to_str().unwrap().to_owned();
    let incremental: Value = incremental.json().await.unwrap();
    assert_eq!(
        incremental["units"][0]["n"].as_u64().unwrap()
            + incremental["units"][1]["n"].as_u64().unwrap(),
        48
    );

    // A second node on the same database builds its statistics from storage.
    let settings = crate::common::settings(&app.database.url, None);
    let rebuilt = sipas::startup::Application::build(&settings, false)
        .await
        .unwrap();
    let address = format!("http://127.0.0.1:{}", rebuilt.port());
    tokio::spawn(rebuilt.run_until_stopped());
    let batch = app
        .client
        .get(format!("{address}{path}"))
        .bearer_auth(&app.read_token)
        .send()
        .await
        .unwrap();
    assert_eq!(batch.headers()["etag"].to_str().unwrap(), incremental_tag);
    let batch: Value = batch.json().await.unwrap();
    assert_eq!(batch, incremental, "identical numbers, bit for bit");

    // `sipas recompute` rebuilds the same statistics from storage and says so.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sipas"))
        .arg("recompute")
        .env("SIPAS_DATABASE_URL", &app.database.url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let digest = incremental["statistics_digest"].as_str().unwrap();
    assert!(
        stdout.contains(&format!("HT-2026: 2 units, statistics digest {digest}")),
        "{stdout}"
    );
    assert!(stdout.contains("from 48 counted responses"), "{stdout}");
}

async fn unverified_responses_count_only_if_the_campaign_says_so(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    create_campaign(
        &app,
        serde_json::json!({"code": "STRICT", "count_unverified": false, "min_fill_seconds": 0}),
    )
    .await;
    let mut csv = header();
    for _ in 0..4 {
        csv.push_str(&line("18073", "paper", "5", "4"));
    }
    assert_eq!(post_responses(&app, "STRICT", &csv).await.status(), 201);
    let url = desk_url(&app, "STRICT", "18073").await;
    for _ in 0..3 {
        assert_eq!(app.answer(&url, &full_answers("1")).await.status(), 303);
    }
    app.settle().await;
    let official = app
        .read_json("/api/v1/campaigns/STRICT/units/18073/scores")
        .await;
    assert_eq!(official["n"], 4, "desk (unverified) responses left out");
    let all = app
        .read_json("/api/v1/campaigns/STRICT/units/18073/scores?channel=desk_qr,paper")
        .await;
    assert_eq!(all["n"], 7);
    let desk = app
        .read_json("/api/v1/campaigns/STRICT/units/18073/scores?channel=desk_qr")
        .await;
    assert_eq!(desk["n"], 3);
    assert_eq!(desk["sipas"]["estimate"], 0.0);
    let list = app.read_json("/api/v1/campaigns/STRICT/scores").await;
    assert_eq!(
        list["channels"],
        serde_json::json!(["receipt_qr", "paper", "interviewer"])
    );
}

/// Bad files get a clear refusal, never a server error, and change nothing.
#[tokio::test]
async fn malformed_uploads_are_refused_clearly() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let not_utf8 = app
        .client
        .put(app.url("/api/v1/campaigns/HT-2026/frame"))
        .bearer_auth(&app.write_token)
        .header("content-type", "text/csv")
        .body(vec![b'u', 0xff, 0xfe, b'\n'])
        .send()
        .await
        .unwrap();
    assert_eq!(not_utf8.status(), 422);
    let body: Value = not_utf8.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("UTF-8"));

    let empty = post_responses(&app, "HT-2026", "").await;
    assert_eq!(empty.status(), 422);
    let body: Value = empty.json().await.unwrap();
    assert!(!body["error"]["details"].as_array().unwrap().is_empty());

    let ragged = format!("{}18073,,paper,5\n", header());
    let response = post_responses(&app, "HT-2026", &ragged).await;
    assert_eq!(
        response.status(),
        422,
        "a short line is reported, not stored"
    );
    assert!(
        sipas::storage::responses::counts(app.storage.db(), 1)
            .await
            .unwrap()
            .is_empty()
    );

    // A campaign without frame or responses scores nothing, and says so plainly.
    let scores = app.read_json("/api/v1/campaigns/HT-2026/scores").await;
    assert_eq!(scores["units"].as_array().unwrap().len(), 0);
    assert_eq!(scores["aggregate"]["n"], 0);
    assert!(scores["aggregate"]["sipas"]["estimate"].is_null());
}

/// Quotas report responses against the quota, the pace, and the margin achieved (the
/// half-width of the unit's SIPAS interval); the demo has units met and units lagging.
#[tokio::test]
async fn quotas_report_progress_pace_and_margin() {
    let options = crate::common::AppOptions {
        demo: true,
        ..Default::default()
    };
    let Some(app) = crate::common::spawn_app_with(Backend::Sqlite, options).await else {
        return;
    };
    // Both demo rounds: 2021 on the old structure, closed; 2026 on today's, open.
    let campaigns = app.read_json("/api/v1/campaigns").await;
    let status: Vec<(&str, &str)> = campaigns
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["code"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(status, vec![("DEMO-2021", "closed"), ("DEMO-2026", "open")]);
    let old = app.read_json("/api/v1/campaigns/DEMO-2021/quotas").await;
    assert_eq!(
        old.as_array().unwrap().len(),
        244,
        "17 + 6 + 12 + 209 units"
    );
    let quotas = app.read_json("/api/v1/campaigns/DEMO-2026/quotas").await;
    let quotas = quotas.as_array().unwrap();
    assert_eq!(quotas.len(), 85, "11 + 5 + 69 units, no district");
    let statuses: std::collections::HashSet<&str> = quotas
        .iter()
        .map(|q| q["status"].as_str().unwrap())
        .collect();
    assert!(statuses.contains("met"), "{statuses:?}");
    assert!(
        statuses.contains("at_risk") || statuses.contains("behind"),
        "{statuses:?}"
    );

    let ward = quotas.iter().find(|q| q["unit_code"] == "18073").unwrap();
    let unit = app
        .read_json("/api/v1/campaigns/DEMO-2026/units/18073/scores")
        .await;
    assert_eq!(ward["responses"], unit["n"]);
    assert_eq!(ward["quota"], unit["quota"]);
    let progress = unit["n"].as_f64().unwrap() / unit["quota"].as_f64().unwrap();
    assert!((ward["progress"].as_f64().unwrap() - progress).abs() < 1e-12);
    let half_width = (unit["sipas"]["ci_high"].as_f64().unwrap()
        - unit["sipas"]["ci_low"].as_f64().unwrap())
        / 2.0;
    assert!((ward["margin_achieved"].as_f64().unwrap() - half_width).abs() < 1e-12);
    // 60 of 91 days gone (the demo started 60 days ago and ends in 30).
    let expected = unit["quota"].as_f64().unwrap() * 61.0 / 91.0;
    assert!((ward["expected_by_today"].as_f64().unwrap() - expected).abs() < 1e-9);
    for q in quotas {
        let met = q["responses"].as_u64() >= q["quota"].as_u64();
        assert_eq!(q["status"] == "met", met, "{q}");
    }
    assert_eq!(ward["unit_name"], "Phường Thành Sen");
    assert_eq!(ward["unit_type"], "commune");

    // Filters: by status, by type, under a unit; each the matching rows of the whole.
    for status in ["met", "on_track", "behind", "at_risk"] {
        let filtered = app
            .read_json(&format!(
                "/api/v1/campaigns/DEMO-2026/quotas?status={status}"
            ))
            .await;
        let expected: Vec<&Value> = quotas.iter().filter(|q| q["status"] == status).collect();
        let got: Vec<&Value> = filtered.as_array().unwrap().iter().collect();
        assert_eq!(got, expected, "{status}");
    }
    let at_risk_communes = app
        .read_json("/api/v1/campaigns/DEMO-2026/quotas?unit_type=commune&status=at_risk")
        .await;
    let expected = quotas
        .iter()
        .filter(|q| q["unit_type"] == "commune" && q["status"] == "at_risk")
        .count();
    assert_eq!(at_risk_communes.as_array().unwrap().len(), expected);
    let under_2021_district = app
        .read_json("/api/v1/campaigns/DEMO-2021/quotas?parent=436")
        .await;
    let codes: Vec<&str> = under_2021_district
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["unit_code"].as_str().unwrap())
        .collect();
    let mut expected: Vec<String> = sipas_domain::reference::ha_tinh_units()
        .into_iter()
        .filter(|u| u.parent_code.as_deref() == Some("436"))
        .map(|u| u.code)
        .collect();
    expected.sort();
    assert_eq!(codes, expected);
    for (query, status) in [("?status=late", 422), ("?parent=436", 404)] {
        let response = app
            .get(
                &format!("/api/v1/campaigns/DEMO-2026/quotas{query}"),
                &app.read_token,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{query}");
    }
}
