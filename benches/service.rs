//! The whole service under load, on this machine: survey pages served, submissions
//! stored, scores read, a 100,000-row import, and a rebuild of the statistics from
//! 10 million stored responses. The server and this load generator share the CPU.
//!
//! `cargo bench --bench service` (SQLite in a temp dir, no Redis). Options:
//! `SIPAS_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test` (a fresh database
//! is created in it), `SIPAS_BENCH_REDIS_URL=redis://127.0.0.1:6379`,
//! `SIPAS_BENCH_SECONDS` (per load phase, default 10), `SIPAS_BENCH_CONCURRENCY`
//! (default 32), `SIPAS_BENCH_RESPONSES` (rows for the rebuild, default 10000000),
//! `SIPAS_BENCH_UNITS` (units of the campaign for the rebuild, default 2000),
//! `SIPAS_BENCH_PHASES` (comma-separated, of `page,submit,scores,import,rebuild`;
//! default all), e.g. `submit` alone for A/B runs of the citizen's POST.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sipas::startup::Application;
use sipas::storage::{Storage, UnitFilter, api_clients, campaigns, units};
use sipas_domain::access::Scope;

mod common;
use common::{env, percentile};

struct Phase {
    done: AtomicU64,
    failed: AtomicU64,
    latencies: std::sync::Mutex<Vec<Duration>>,
}

/// Runs `concurrency` loops of `step` for `seconds`, then reports.
async fn run<F, Fut>(name: &str, seconds: u64, concurrency: usize, step: F)
where
    F: Fn(reqwest::Client) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let phase = Arc::new(Phase {
        done: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        latencies: Default::default(),
    });
    let step = Arc::new(step);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (phase, step) = (phase.clone(), step.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let mut local = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let ok = step(client.clone()).await;
                local.push(t.elapsed());
                if ok { &phase.done } else { &phase.failed }.fetch_add(1, Ordering::Relaxed);
            }
            phase.latencies.lock().unwrap().extend(local);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies = phase.latencies.lock().unwrap().clone();
    latencies.sort();
    let done = phase.done.load(Ordering::Relaxed);
    println!(
        "| {name} | {:.0}/s | {} | {:.1} ms | {:.1} ms | {} |",
        done as f64 / elapsed,
        done,
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        phase.failed.load(Ordering::Relaxed)
    );
}

/// Whether a phase was asked for (`SIPAS_BENCH_PHASES`, all by default).
fn wanted(phase: &str) -> bool {
    std::env::var("SIPAS_BENCH_PHASES").map_or(true, |p| p.split(',').any(|w| w.trim() == phase))
}

fn field(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .expect("field")
        + name.len()
        + 15;
    html[at..at + html[at..].find('"').unwrap()].to_owned()
}

#[tokio::main]
async fn main() {
    let seconds = env("SIPAS_BENCH_SECONDS", 10u64);
    let concurrency = env("SIPAS_BENCH_CONCURRENCY", 32usize);
    let rebuild_rows = env("SIPAS_BENCH_RESPONSES", 10_000_000u64);
    let dir = tempfile::tempdir().unwrap();
    let database_url = match std::env::var("SIPAS_BENCH_DATABASE_URL") {
        Ok(admin) => {
            let name = format!("sipas_bench_{}", std::process::id());
            let admin_storage = Storage::connect(&admin).await.unwrap();
            admin_storage
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
        }
        // `SIPAS_BENCH_SQLITE_FILE` keeps the database, e.g. to time `sipas recompute` on it.
        Err(_) => match std::env::var("SIPAS_BENCH_SQLITE_FILE") {
            Ok(file) => format!("sqlite://{file}?mode=rwc"),
            Err(_) => format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()),
        },
    };
    let settings = common::settings(&database_url, std::env::var("SIPAS_BENCH_REDIS_URL").ok());

    let app = Application::build(&settings, true).await.unwrap();
    let base = app.base_url().to_owned();
    let storage = app.storage.clone();
    let keys = app.keys.clone();
    tokio::spawn(app.run_until_stopped());
    let txn = storage.write().await.unwrap();
    let (_, token) = api_clients::create(&txn, "bench", "bench", &[Scope::Read, Scope::Write])
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let survey = sipas::demo::citizen_demo_url(&storage, &keys, &base)
        .await
        .unwrap()
        .unwrap();
    storage
        .execute_unprepared("UPDATE campaigns SET min_fill_seconds = 0")
        .await
        .unwrap();

    println!(
        "database: {}, redis: {}",
        if database_url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        settings.redis_url.as_deref().unwrap_or("none")
    );
    let page = reqwest::get(&survey).await.unwrap().text().await.unwrap();
    println!("survey page: {} bytes uncompressed", page.len());
    println!();
    if std::env::var("SIPAS_BENCH_ONLY_REBUILD").is_ok() {
        rebuild(&storage, rebuild_rows, database_url.starts_with("postgres")).await;
        return;
    }
    println!(
        "| phase ({seconds} s, {concurrency} connections) | rate | count | p50 | p99 | failed |"
    );
    println!("|---|---:|---:|---:|---:|---:|");

    let url = survey.clone();
    if wanted("page") {
        run("survey page (GET)", seconds, concurrency, move |client| {
            let url = url.clone();
            async move {
                match client.get(&url).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                }
            }
        })
        .await;
    }

    let url = survey.clone();
    let answers: Vec<(String, String)> = sipas_domain::reference::questionnaires()[1]
        .criteria()
        .map(|(_, c)| (c.code.clone(), "4".to_owned()))
        .collect();
    let answers = Arc::new(answers);
    if wanted("submit") {
        run(
            "submission (GET form + POST)",
            seconds,
            concurrency,
            move |client| {
                let (url, answers) = (url.clone(), answers.clone());
                async move {
                    let Ok(form) = client.get(&url).send().await else {
                        return false;
                    };
                    let Ok(html) = form.text().await else {
                        return false;
                    };
                    let mut fields = (*answers).clone();
                    fields.push(("_nonce".into(), field(&html, "_nonce")));
                    match client.post(&url).form(&fields).send().await {
                        Ok(r) => r.status() == 303,
                        Err(_) => false,
                    }
                }
            },
        )
        .await;
    }

    let scores_url = format!("{base}/api/v1/campaigns/DEMO-2026/scores");
    let token_clone = token.clone();
    if wanted("scores") {
        run(
            "scores of all units (GET, unchanged)",
            seconds.min(5),
            concurrency.min(8),
            move |client| {
                let (url, token) = (scores_url.clone(), token_clone.clone());
                async move {
                    match client.get(&url).bearer_auth(&token).send().await {
                        Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                        Err(_) => false,
                    }
                }
            },
        )
        .await;
    }

    if !wanted("import") {
        if wanted("rebuild") {
            rebuild(&storage, rebuild_rows, database_url.starts_with("postgres")).await;
        }
        return;
    }
    // 100,000 paper forms in one all-or-nothing import.
    let codes: Vec<String> = answers_codes();
    let mut csv = format!("unit_code,service_point_code,channel,{}\n", codes.join(","));
    let units = ["18073", "18100", "S-NV", "S-TC", "TW-CA"];
    for i in 0..100_000 {
        csv.push_str(units[i % units.len()]);
        csv.push_str(",,paper");
        for k in 0..codes.len() {
            csv.push(',');
            csv.push(char::from(b'1' + ((i * 7 + k * 3) % 5) as u8));
        }
        csv.push('\n');
    }
    let client = reqwest::Client::new();
    let t = Instant::now();
    let response = client
        .post(format!("{base}/api/v1/campaigns/DEMO-2026/responses"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    println!();
    println!(
        "import of 100,000 paper forms ({:.1} MB CSV): {:.2} s",
        csv.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    // First read after a change recomputes every unit; later reads are cached.
    let t = Instant::now();
    let r = client
        .get(format!("{base}/api/v1/campaigns/DEMO-2026/scores"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let bytes = r.bytes().await.unwrap().len();
    println!(
        "scores of all units, first read after the import: {:.1} ms ({bytes} bytes)",
        t.elapsed().as_secs_f64() * 1e3
    );

    if wanted("rebuild") {
        rebuild(&storage, rebuild_rows, database_url.starts_with("postgres")).await;
    }
}

/// Fills the database to `rows` more responses, then times a rebuild of the statistics
/// (what `sipas recompute` and a start do) and a scoring of every unit from them.
async fn rebuild(storage: &Storage, rows: u64, postgres: bool) {
    if rows == 0 {
        return;
    }
    fill_responses(storage, rows, postgres).await;
    let t = Instant::now();
    let (book, report) = sipas::scores::ScoreBook::load(storage.clone())
        .await
        .unwrap();
    println!(
        "rebuild (sipas recompute) of {} counted responses: {:.2} s",
        report.responses,
        t.elapsed().as_secs_f64()
    );
    let campaign = campaigns::by_code(storage.db(), "DEMO-2026").await.unwrap();
    let query = sipas::scores::ScoreQuery::official(&campaign).unwrap();
    let t = Instant::now();
    let scores = book.fresh_scores(campaign.id, query).await.unwrap();
    println!(
        "scores of all {} units over {} responses, computed: {:.1} ms",
        scores.units.len(),
        report.responses,
        t.elapsed().as_secs_f64() * 1e3
    );
}

fn answers_codes() -> Vec<String> {
    sipas_domain::reference::questionnaires()[1]
        .criteria()
        .map(|(_, c)| c.code.clone())
        .collect()
}

/// Adds synthetic communes (with a desk and a frame) until the demo campaign has
/// `units` units, as a province of the 2,000-unit scale the targets speak of.
async fn add_units(storage: &Storage, units: u64, postgres: bool) {
    let existing = units::list(storage.db(), &UnitFilter::default())
        .await
        .unwrap()
        .len() as u64;
    let extra = units.saturating_sub(existing.saturating_sub(1));
    if extra == 0 {
        return;
    }
    let series = series(extra, postgres);
    let now = if postgres {
        "now()"
    } else {
        "strftime('%Y-%m-%dT%H:%M:%SZ','now')"
    };
    for sql in [
        format!(
            "INSERT INTO units (code, name, unit_type_id, parent_id, valid_from) \
             SELECT 'BENCH-' || s.x, 'Xã thử ' || s.x, (SELECT id FROM unit_types WHERE code = 'commune'), \
             (SELECT id FROM units WHERE code = '42' AND valid_until IS NULL), '2025-07-01' FROM ({series}) AS s"
        ),
        format!(
            "INSERT INTO service_points (unit_id, code, name, is_default, created_at) \
             SELECT id, 'MC', 'Bộ phận Một cửa', TRUE, {now} FROM units WHERE code LIKE 'BENCH-%'"
        ),
        "INSERT INTO frames (campaign_id, unit_id, population) SELECT c.id, u.id, 1000000 \
         FROM units u, campaigns c WHERE c.code = 'DEMO-2026' AND u.code LIKE 'BENCH-%'"
            .to_owned(),
    ] {
        storage.execute_unprepared(&sql).await.unwrap();
    }
}

fn series(rows: u64, postgres: bool) -> String {
    if postgres {
        format!("SELECT generate_series(1, {rows}) AS x")
    } else {
        format!(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows}) SELECT x FROM c"
        )
    }
}

/// Adds `rows` responses to DEMO-2026 in the database itself (far faster than through
/// the API), spread over every unit's default desk, from a pool of varied answers.
async fn fill_responses(storage: &Storage, rows: u64, postgres: bool) {
    add_units(storage, env("SIPAS_BENCH_UNITS", 2_000u64), postgres).await;
    let t = Instant::now();
    storage
        .execute_unprepared(
            "CREATE TABLE bench_pool (i INTEGER PRIMARY KEY, answers TEXT NOT NULL)",
        )
        .await
        .unwrap();
    let mut values = Vec::new();
    for i in 0..997u64 {
        let answers: String = (0..22u64)
            .map(|k| char::from(b'0' + ((i * 31 + k * 17 + i * k) % 6) as u8))
            .collect();
        let answers = if answers.bytes().all(|b| b == b'0') {
            "4".repeat(16)
        } else {
            answers
        };
        values.push(format!("({i}, '{answers}')"));
    }
    storage
        .execute_unprepared(&format!(
            "INSERT INTO bench_pool VALUES {}",
            values.join(",")
        ))
        .await
        .unwrap();
    storage
        .execute_unprepared(
            "CREATE TABLE bench_desks AS SELECT ROW_NUMBER() OVER (ORDER BY s.id) - 1 AS k, s.unit_id, s.id AS sp \
             FROM service_points s JOIN units u ON u.id = s.unit_id WHERE s.is_default AND u.code <> '42' AND u.valid_until IS NULL",
        )
        .await
        .unwrap();
    let series = series(rows, postgres);
    let now = if postgres {
        "now()"
    } else {
        "strftime('%Y-%m-%dT%H:%M:%SZ','now')"
    };
    storage
        .execute_unprepared(&format!(
            "INSERT INTO responses (campaign_id, unit_id, service_point_id, channel, verified, language, answers, submitted_at, is_demo) \
             SELECT (SELECT id FROM campaigns WHERE code = 'DEMO-2026'), d.unit_id, d.sp, 'paper', TRUE, 'vi', p.answers, {now}, TRUE \
             FROM ({series}) AS s \
             JOIN bench_desks d ON d.k = s.x % (SELECT COUNT(*) FROM bench_desks) \
             JOIN bench_pool p ON p.i = s.x % 997"
        ))
        .await
        .unwrap();
    println!(
        "(filled {rows} responses in the database in {:.0} s)",
        t.elapsed().as_secs_f64()
    );
}
