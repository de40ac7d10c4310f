//! All 34 provinces of Vietnam in one database: seeding, a full recompute at
//! 10 million responses, and every unit's scores over HTTP.
//!
//! On a fresh PostgreSQL database (created for the run, dropped at the end):
//!
//! * *seeding*: `Storage::set_up_province` for each of the 34 provinces of the bundled
//!   national list (from 2025-07-01), each with its own CSV of 20 departments and 6
//!   central agencies (codes prefixed by the province's, `01-S-NV` …), one transaction
//!   each; the total and the slowest;
//! * an open campaign `NATIONAL-2026` on SIPAS-2023 (16 criteria, 2026-11-01 to
//!   2026-12-31, so its units are the 2025 structure) with a frame row for every unit
//!   below the provinces (`frames::replace`), and `SIPAS_BENCH_RESPONSES` responses
//!   (default 10,000,000) spread evenly over the units' default desks by
//!   `INSERT … SELECT … generate_series` in statements of `SIPAS_BENCH_BATCH` rows
//!   (default 1,000,000), `SIPAS_BENCH_INSERTERS` at a time (default 2); then
//!   `VACUUM ANALYZE responses`, as autovacuum would have done;
//! * *the ceiling of the database*: `SELECT count(*), sum(length(answers)) FROM
//!   responses`, three times;
//! * *full recompute*: `ScoreBook::load` (what `sipas recompute` and a start do), then
//!   the campaign's official scores of every unit (`fresh_scores`); also the scoring
//!   alone (`CampaignState::score`, median of 3);
//! * *all-unit scores over HTTP*: a node (`Application::build` on a runtime of its own
//!   with 2 workers, as `sipas serve` on this machine) serving `GET
//!   /api/v1/campaigns/NATIONAL-2026/scores` with a bearer token and `Accept-Encoding:
//!   gzip`: the node's first request after its start (its start is a full recompute),
//!   then `SIPAS_BENCH_READS` (default 200) sequential reads, the same with
//!   `If-None-Match` of the ETag (304), the sizes gzip and plain, and the HTTP ceiling
//!   of the same node: `GET /healthz` and `GET /readyz`, as many reads each.
//!
//! `cargo bench --bench national`. Options: `SIPAS_BENCH_DATABASE_URL` (the server's
//! administrative database, default `postgres://postgres@127.0.0.1:5432/postgres`),
//! `SIPAS_BENCH_RESPONSES`, `SIPAS_BENCH_BATCH`, `SIPAS_BENCH_INSERTERS`,
//! `SIPAS_BENCH_READS`.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, ETAG, IF_NONE_MATCH};
use sea_orm::{ConnectionTrait, Statement};
use sipas::config::Settings;
use sipas::scores::{ScoreBook, ScoreQuery};
use sipas::startup::Application;
use sipas::storage::units::SetupError;
use sipas::storage::{Storage, api_clients, campaigns, frames, units};
use sipas_domain::access::Scope;
use sipas_domain::quota::FrameEntry;

mod common;
use common::{env, percentile};

const CAMPAIGN: &str = "NATIONAL-2026";
const ACTOR: &str = "bench";
const TEMPLATE: &str = "SIPAS-2023";

/// A province's own departments (code suffix, name).
const DEPARTMENTS: [(&str, &str); 20] = [
    ("S-NV", "Sở Nội vụ"),
    ("S-TC", "Sở Tài chính"),
    ("S-XD", "Sở Xây dựng"),
    ("S-NNMT", "Sở Nông nghiệp và Môi trường"),
    ("S-CT", "Sở Công Thương"),
    ("S-YT", "Sở Y tế"),
    ("S-GDDT", "Sở Giáo dục và Đào tạo"),
    ("S-KHCN", "Sở Khoa học và Công nghệ"),
    ("S-VHTTDL", "Sở Văn hoá, Thể thao và Du lịch"),
    ("S-TP", "Sở Tư pháp"),
    ("S-DTTG", "Sở Dân tộc và Tôn giáo"),
    ("S-NGV", "Sở Ngoại vụ"),
    ("TTRA", "Thanh tra tỉnh"),
    ("VP-UBND", "Văn phòng Uỷ ban nhân dân tỉnh"),
    ("BQL-KCN", "Ban Quản lý các khu công nghiệp"),
    ("BQL-KKT", "Ban Quản lý Khu kinh tế"),
    ("BQL-DA", "Ban Quản lý dự án đầu tư xây dựng"),
    ("BQL-GT", "Ban Quản lý dự án giao thông"),
    ("TT-HCC", "Trung tâm Phục vụ hành chính công"),
    ("QUY-DTPT", "Quỹ Đầu tư phát triển"),
];

/// A province's central agencies (code suffix, name).
const AGENCIES: [(&str, &str); 6] = [
    ("TW-CA", "Công an tỉnh"),
    ("TW-THUE", "Thuế tỉnh"),
    ("TW-KB", "Kho bạc Nhà nước khu vực"),
    ("TW-BHXH", "Bảo hiểm xã hội tỉnh"),
    ("TW-HQ", "Chi cục Hải quan khu vực"),
    ("TW-TK", "Thống kê tỉnh"),
];

/// Why a province's set-up was refused.
fn describe(e: SetupError) -> String {
    match e {
        SetupError::UnknownProvince(m) => m,
        SetupError::Refused(problems) => format!("{:?}", problems.into_parts().0),
        SetupError::Storage(e) => e.to_string(),
    }
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// `p50 / p99 / max` of some latencies.
fn spread(latencies: &mut [Duration]) -> String {
    latencies.sort();
    format!(
        "{} / {} / {}",
        ms(percentile(latencies, 0.5)),
        ms(percentile(latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default())
    )
}

/// A province's own units: `code,name,unit_type,parent_code`, the parent left empty
/// (the province).
fn own_units_csv(province: &str) -> String {
    let mut csv = String::from("code,name,unit_type,parent_code\n");
    for (kind, list) in [
        ("department", &DEPARTMENTS[..]),
        ("central_agency", &AGENCIES),
    ] {
        for (code, name) in list {
            csv.push_str(&format!("{province}-{code},\"{name}\",{kind},\n"));
        }
    }
    csv
}

/// One response's answers for `element_of` (each criterion's element): a mood per
/// person, answers 1–5 around it, the last element skipped 30 % of the time, a few
/// "no answer".
fn answers_digits(rng: &mut StdRng, element_of: &[usize]) -> String {
    let last = element_of.iter().copied().max().unwrap_or(0);
    let mood: f64 = rng.random_range(2.4..4.9);
    let skip_last = rng.random_bool(0.3);
    let digits: String = element_of
        .iter()
        .map(|&e| {
            if (skip_last && e == last) || rng.random_bool(0.03) {
                '0'
            } else {
                let v = (mood + rng.random_range(-1.3..1.3)).round().clamp(1.0, 5.0);
                char::from(b'0' + v as u8)
            }
        })
        .collect();
    if digits.bytes().all(|b| b == b'0') {
        "4".repeat(element_of.len())
    } else {
        digits
    }
}

async fn query_one(storage: &Storage, sql: &str) -> sea_orm::QueryResult {
    storage
        .db()
        .query_one_raw(Statement::from_string(storage.backend(), sql.to_owned()))
        .await
        .unwrap()
        .unwrap()
}

async fn count(storage: &Storage, sql: &str) -> i64 {
    query_one(storage, sql)
        .await
        .try_get_by_index::<i64>(0)
        .unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// One read: status, body bytes as sent, the ETag, the time to the whole body.
async fn get(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    gzip: bool,
    etag: Option<&str>,
) -> (StatusCode, Vec<u8>, String, bool, Duration) {
    let t = Instant::now();
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if gzip {
        request = request.header(ACCEPT_ENCODING, "gzip");
    }
    if let Some(tag) = etag {
        request = request.header(IF_NONE_MATCH, tag);
    }
    let response = request.send().await.expect("the node answers");
    let status = response.status();
    let tag = response
        .headers()
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let gzipped = response
        .headers()
        .get(CONTENT_ENCODING)
        .is_some_and(|v| v == "gzip");
    let body = response.bytes().await.expect("a body").to_vec();
    (status, body, tag, gzipped, t.elapsed())
}

/// Starts a node on a runtime of its own (2 workers, like `sipas serve` on this
/// machine); its base URL once it answers `/healthz`.
async fn start_node(settings: Settings) -> String {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("node")
        .enable_all()
        .build()
        .unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    runtime.spawn(async move {
        let app = Application::build(&settings, false)
            .await
            .expect("the node starts");
        let _ = tx.send(app.base_url().to_owned());
        app.run_until_stopped().await
    });
    // The node lives until the process exits.
    Box::leak(Box::new(runtime));
    let base: String = rx.await.unwrap();
    reqwest::get(format!("{base}/healthz"))
        .await
        .expect("the node answers");
    base
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .unwrap_or_default()
        .trim()
        .to_owned();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let ram_kb: f64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    format!(
        "nproc = {}, {model}, {:.1} GiB RAM",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        ram_kb / 1024.0 / 1024.0
    )
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

#[tokio::main]
async fn main() {
    let total = env("SIPAS_BENCH_RESPONSES", 10_000_000u64);
    let batch = env("SIPAS_BENCH_BATCH", 1_000_000u64).max(1);
    let inserters = env("SIPAS_BENCH_INSERTERS", 2usize).max(1);
    let reads = env("SIPAS_BENCH_READS", 200usize).max(1);
    let admin_url = std::env::var("SIPAS_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let load_before = load_average();
    let run_started = Instant::now();

    let name = format!("sipas_national_{}", std::process::id());
    let admin = Storage::connect(&admin_url).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let database_url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
    let storage = Storage::connect(&database_url).await.unwrap();
    storage.migrate().await.unwrap();
    storage.seed_reference_data().await.unwrap();
    let server = query_one(&storage, "SHOW server_version")
        .await
        .try_get_by_index::<String>(0)
        .unwrap();
    println!("database: PostgreSQL {server}, {name} (created for the run)");

    // ---- 1. Seeding: every province from the national list, with its own units ----
    let provinces = sipas_domain::reference::provinces();
    let valid_from = sipas_domain::reference::reform_2025();
    let mut setups: Vec<(String, String, Duration, usize, usize)> = Vec::new();
    for (code, province_name) in &provinces {
        let csv = own_units_csv(code);
        let t = Instant::now();
        let report = storage
            .set_up_province(ACTOR, code, Some(&csv), valid_from)
            .await
            .unwrap_or_else(|e| panic!("province {code}: {}", describe(e)));
        setups.push((
            code.clone(),
            province_name.clone(),
            t.elapsed(),
            report.created,
            report.unchanged,
        ));
    }
    let seeding: Duration = setups.iter().map(|s| s.2).sum();
    let slowest = setups.iter().max_by_key(|s| s.2).unwrap();
    let mut each: Vec<Duration> = setups.iter().map(|s| s.2).collect();
    each.sort();
    let created: usize = setups.iter().map(|s| s.3).sum();
    let unchanged: usize = setups.iter().map(|s| s.4).sum();

    // ---- 2. The campaign, its frame, the responses ----
    let new = common::campaign(
        CAMPAIGN,
        "Khảo sát SIPAS 2026 toàn quốc — benchmark",
        TEMPLATE,
        (
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        ),
        None,
    );
    let txn = storage.write().await.unwrap();
    let campaign = campaigns::create(&txn, ACTOR, &new, false).await.unwrap();
    let (_, token) = api_clients::create(&txn, ACTOR, "bench", &[Scope::Read])
        .await
        .unwrap();
    txn.commit().await.unwrap();

    let framed = units::surveyed(storage.db(), &campaign).await.unwrap();
    let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
    for u in &framed {
        *by_type.entry(u.unit_type.as_str()).or_default() += 1;
    }
    let mut rng = StdRng::seed_from_u64(2026);
    let entries: Vec<FrameEntry> = framed
        .iter()
        .map(|u| FrameEntry {
            unit_id: u.id,
            service_point_id: None,
            population: rng.random_range(200..=5_000),
        })
        .collect();
    let floors: HashMap<i32, u32> = framed.iter().map(|u| (u.id, u.quota_floor)).collect();
    let t = Instant::now();
    let txn = storage.write().await.unwrap();
    let campaign = campaigns::by_id(&txn, campaign.id).await.unwrap();
    frames::replace(&txn, ACTOR, &campaign, &entries, &floors)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let frame_time = t.elapsed();

    let questionnaire = sipas_domain::reference::questionnaires()
        .into_iter()
        .find(|q| q.code == TEMPLATE)
        .expect("SIPAS-2023 is bundled");
    let element_of = questionnaire.element_of_criteria();
    let values: Vec<String> = (0..997)
        .map(|i| format!("({i}, '{}')", answers_digits(&mut rng, &element_of)))
        .collect();
    for sql in [
        "CREATE TABLE bench_pool (i INTEGER PRIMARY KEY, answers TEXT NOT NULL)".to_owned(),
        format!("INSERT INTO bench_pool VALUES {}", values.join(",")),
        format!(
            "CREATE TABLE bench_desks AS SELECT ROW_NUMBER() OVER (ORDER BY s.id) - 1 AS k, s.unit_id, s.id AS sp \
             FROM service_points s JOIN frames f ON f.unit_id = s.unit_id AND f.campaign_id = {} \
             WHERE s.is_default",
            campaign.id
        ),
    ] {
        storage.execute_unprepared(&sql).await.unwrap();
    }
    let desks = count(&storage, "SELECT COUNT(*) FROM bench_desks").await;
    assert_eq!(desks as usize, framed.len(), "every framed unit has a desk");

    // Batches of `batch` rows, `inserters` statements at a time: ¾ answered at the desk
    // (unverified), ¼ on paper; submitted over the campaign's first month.
    let t = Instant::now();
    let ranges: Vec<(u64, u64)> = (0..total.div_ceil(batch))
        .map(|b| (b * batch + 1, ((b + 1) * batch).min(total)))
        .collect();
    for group in ranges.chunks(inserters) {
        let statements = group.iter().map(|&(from, to)| {
            let storage = storage.clone();
            let sql = format!(
                "INSERT INTO responses (campaign_id, unit_id, service_point_id, channel, verified, language, answers, submitted_at, is_demo) \
                 SELECT {}, d.unit_id, d.sp, CASE WHEN s.x % 4 = 0 THEN 'paper' ELSE 'desk_qr' END, (s.x % 4 = 0), 'vi', p.answers, \
                 TIMESTAMPTZ '2026-11-01 00:00:00+00' + (s.x % 2678400) * INTERVAL '1 second', FALSE \
                 FROM generate_series({from}, {to}) AS s(x) \
                 JOIN bench_desks d ON d.k = s.x % {desks} \
                 JOIN bench_pool p ON p.i = s.x % 997",
                campaign.id
            );
            tokio::spawn(async move { storage.execute_unprepared(&sql).await.unwrap() })
        });
        for handle in statements.collect::<Vec<_>>() {
            handle.await.unwrap();
        }
        let done = group.last().unwrap().1;
        println!(
            "(inserted {done} of {total} responses, {:.0} s)",
            t.elapsed().as_secs_f64()
        );
    }
    let insert_time = t.elapsed();
    for sql in ["DROP TABLE bench_pool", "DROP TABLE bench_desks"] {
        storage.execute_unprepared(sql).await.unwrap();
    }
    let t = Instant::now();
    storage
        .execute_unprepared("VACUUM ANALYZE responses")
        .await
        .unwrap();
    let vacuum_time = t.elapsed();
    let table_size = query_one(
        &storage,
        "SELECT pg_size_pretty(pg_table_size('responses')), pg_size_pretty(pg_indexes_size('responses'))",
    )
    .await;
    let (table_size, index_size): (String, String) = (
        table_size.try_get_by_index(0).unwrap(),
        table_size.try_get_by_index(1).unwrap(),
    );

    // ---- The database's ceiling: one scan of every response ----
    let mut scans = Vec::new();
    let mut scanned = (0i64, 0i64);
    for _ in 0..3 {
        let t = Instant::now();
        let row = query_one(
            &storage,
            "SELECT count(*), sum(length(answers))::bigint FROM responses",
        )
        .await;
        scans.push(t.elapsed());
        scanned = (
            row.try_get_by_index(0).unwrap(),
            row.try_get_by_index(1).unwrap(),
        );
    }

    // ---- 3. Full recompute ----
    let t = Instant::now();
    let (book, report) = ScoreBook::load(storage.clone()).await.unwrap();
    let load_time = t.elapsed();
    let query = ScoreQuery::official(&campaign).unwrap();
    let t = Instant::now();
    let scores = book.fresh_scores(campaign.id, query).await.unwrap();
    let compute_time = t.elapsed();
    let scored_units = scores.units.len();
    let digest = scores.digest.clone();
    drop(scores);
    let state = book.state(campaign.id).expect("the campaign is loaded");
    let mut scoring = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let computed = state.score(query).unwrap();
        scoring.push(t.elapsed());
        assert_eq!(computed.units.len(), scored_units);
    }
    scoring.sort();
    drop(state);
    drop(book);

    // ---- 4. A node serving every unit's scores ----
    let t = Instant::now();
    let base = start_node(common::settings(&database_url, None)).await;
    let node_start = t.elapsed();
    let client = client();
    let scores_url = format!("{base}/api/v1/campaigns/{CAMPAIGN}/scores");
    let (status, cold_body, cold_tag, cold_gzip, cold) =
        get(&client, &scores_url, Some(&token), true, None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&cold_body)
    );
    assert!(cold_gzip, "the scores are served gzipped");
    let (status, plain_body, plain_tag, plain_gzip, plain_time) =
        get(&client, &scores_url, Some(&token), false, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!plain_gzip);
    let mut decoded = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&cold_body[..]),
        &mut decoded,
    )
    .unwrap();
    assert_eq!(decoded, plain_body, "gzip and plain bodies agree");

    let mut full = Vec::with_capacity(reads);
    let mut tags = std::collections::HashSet::new();
    for _ in 0..reads {
        let (status, body, tag, _, took) =
            get(&client, &scores_url, Some(&token), true, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body.len(), cold_body.len());
        tags.insert(tag);
        full.push(took);
    }
    let mut not_modified = Vec::with_capacity(reads);
    for _ in 0..reads {
        let (status, _, _, _, took) =
            get(&client, &scores_url, Some(&token), true, Some(&cold_tag)).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        not_modified.push(took);
    }
    let mut health = BTreeMap::new();
    for path in ["/healthz", "/readyz"] {
        let url = format!("{base}{path}");
        let mut times = Vec::with_capacity(reads);
        for _ in 0..reads {
            let (status, _, _, _, took) = get(&client, &url, None, true, None).await;
            assert_eq!(status, StatusCode::OK);
            times.push(took);
        }
        health.insert(path, times);
    }

    // ---- Report ----
    let communes = by_type.get("commune").copied().unwrap_or(0);
    println!();
    println!(
        "| measurement | figure |\n|---|---:|\n\
         | seeding: 34 × `set_up_province` (one transaction each), total | {:.2} s |\n\
         | seeding: slowest province ({} {}) | {} |\n\
         | seeding: median province | {} |\n\
         | frame of {} units (`frames::replace`, one transaction) | {} |\n\
         | insert of {} responses (generate_series, {} rows per statement, {} at a time) | {:.1} s |\n\
         | `VACUUM ANALYZE responses` | {:.1} s |\n\
         | ceiling: `SELECT count(*), sum(length(answers)) FROM responses`, 3 runs | {} |\n\
         | full recompute: `ScoreBook::load` | **{:.2} s** |\n\
         | full recompute: official scores of every unit (`fresh_scores`) after the load | **{}** |\n\
         | full recompute: load + scores | **{:.2} s** |\n\
         | scoring alone (`CampaignState::score`), min / median / max of 3 | {} / {} / {} |\n\
         | node start (`Application::build`, its own full load) | {:.2} s |\n\
         | all-unit scores, first request after the node's start (gzip) | {} |\n\
         | all-unit scores, {reads} sequential reads (gzip, bearer), p50 / p99 / max | **{}** |\n\
         | all-unit scores, {reads} with `If-None-Match` (304), p50 / p99 / max | {} |\n\
         | all-unit scores, one read without gzip | {} |\n\
         | ceiling: `GET /healthz`, {reads} sequential, p50 / p99 / max | {} |\n\
         | ceiling: `GET /readyz`, {reads} sequential, p50 / p99 / max | {} |",
        seeding.as_secs_f64(),
        slowest.0,
        slowest.1,
        ms(slowest.2),
        ms(each[each.len() / 2]),
        framed.len(),
        ms(frame_time),
        report.responses,
        batch,
        inserters,
        insert_time.as_secs_f64(),
        vacuum_time.as_secs_f64(),
        scans.iter().map(|d| ms(*d)).collect::<Vec<_>>().join(", "),
        load_time.as_secs_f64(),
        ms(compute_time),
        (load_time + compute_time).as_secs_f64(),
        ms(scoring[0]),
        ms(scoring[1]),
        ms(scoring[2]),
        node_start.as_secs_f64(),
        ms(cold),
        spread(&mut full),
        spread(&mut not_modified),
        ms(plain_time),
        spread(health.get_mut("/healthz").unwrap()),
        spread(health.get_mut("/readyz").unwrap()),
    );
    println!();
    println!(
        "Units: {} provinces set up ({created} units created, {unchanged} already there); \
         {} scored units in the campaign ({communes} communes, {}); {scored_units} in the scores.",
        setups.len(),
        framed.len(),
        by_type
            .iter()
            .filter(|(k, _)| **k != "commune")
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "Responses: {} counted by the load ({} campaigns), the scan counted {} with {} answer digits; \
         table {table_size}, indexes {index_size}; statistics digest {digest}.",
        report.responses, report.campaigns, scanned.0, scanned.1
    );
    println!(
        "Scores document: {} bytes gzip, {} bytes plain (ETags {cold_tag} / {plain_tag}; {} distinct over the reads).",
        cold_body.len(),
        plain_body.len(),
        tags.len()
    );
    println!("Seeding by province (created, time):");
    for (code, province_name, took, created, unchanged) in &setups {
        println!(
            "  {code} {province_name}: {created} created{}, {}",
            if *unchanged > 0 {
                format!(" ({unchanged} already there)")
            } else {
                String::new()
            },
            ms(*took)
        );
    }
    println!();
    println!(
        "Machine: {}; load average before {load_before}, at the end {}; whole run {:.0} s.",
        machine(),
        load_average(),
        run_started.elapsed().as_secs_f64()
    );
    let vars: Vec<String> = std::env::vars()
        .filter(|(k, _)| k.starts_with("SIPAS_BENCH_"))
        .map(|(k, v)| format!("{k}={v} "))
        .collect();
    println!("Command: {}cargo bench --bench national", vars.concat());

    // `SIPAS_BENCH_KEEP_DATABASE` keeps the seeded database, e.g. to measure a separate
    // `sipas serve` process on it (its resident memory at national scale).
    if std::env::var_os("SIPAS_BENCH_KEEP_DATABASE").is_some() {
        println!("Database kept: {database_url}");
    } else {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .await;
    }
    // The node runs until the process ends.
    std::process::exit(0);
}
