//! Scores while answers arrive, on two nodes sharing one database.
//!
//! Two `sipas` nodes (A and B, each `Application::build` on its own runtime, as two
//! processes would be) follow one database holding a campaign of `SIPAS_BENCH_UNITS`
//! units (default 5,000: Hà Tĩnh's plus synthetic communes, each with a desk, a frame
//! row and a quota) and `SIPAS_BENCH_BASE_RESPONSES` stored responses (default
//! 250,000). Then, for a 5 s warm-up and `SIPAS_BENCH_SECONDS` (default 30):
//!
//! * phones answer through node A, open-loop at `SIPAS_BENCH_RATE` submissions per
//!   second (default 500): `GET /s/{token}` (gzip, a mobile User-Agent, the device
//!   cookie kept per phone) then `POST` of the 22 answers, expecting `303`;
//! * the index engine reads every unit's official scores (`GET …/scores`, gzip, bearer
//!   token) on node B and on node A, open-loop at `SIPAS_BENCH_READ_RATE` per node
//!   (default 20/s);
//! * every 50 ms a poller per node reads its quotas (`GET …/quotas` with
//!   `If-None-Match`, so an unchanged document is a `304`) and sums the units' counted
//!   responses: the delay from each acknowledgement by A until B's count (and A's own)
//!   includes it.
//!
//! Every latency of the open-loop parts is measured from the request's *planned* start
//! (coordinated omission corrected). Then, after 2 s of quiet, A's and B's ETags of
//! the same URL are compared, and the same run's ceiling is measured: the all-unit
//! scores read closed-loop on B with 8 connections and no writes (10 s).
//!
//! To tell what dominates, it also prints the phases of one recomputation timed on a
//! quiet node (scoring, serialization, gzip), six reads one after the other on the
//! quiet nodes (a kept document is a copy; one built for the request is not), the
//! states each node published over the window, and the CPU of the machine and of
//! this process's threads by node (`/proc`).
//!
//! `cargo bench --bench follow` (SQLite file in a temp dir, no Redis). Options:
//! `SIPAS_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test` (a fresh database
//! is created in it), `SIPAS_BENCH_REDIS_URL=redis://127.0.0.1:6379` (both nodes share
//! it and one key prefix), `SIPAS_BENCH_UNITS`, `SIPAS_BENCH_BASE_RESPONSES`,
//! `SIPAS_BENCH_RATE`, `SIPAS_BENCH_READ_RATE`, `SIPAS_BENCH_SECONDS`,
//! `SIPAS_BENCH_DESKS` (desks answered at, default 300), `SIPAS_BENCH_PHONES`
//! (simulated phones, default 3000).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT, ACCEPT_ENCODING, CONTENT_ENCODING, COOKIE, ETAG, IF_NONE_MATCH, SET_COOKIE, USER_AGENT,
};
use sea_orm::{ConnectionTrait, Statement};
use sipas::config::Settings;
use sipas::reports::Document;
use sipas::scores::{ScoreBook, ScoreQuery};
use sipas::startup::Application;
use sipas::storage::{Storage, api_clients, campaigns, frames, units};
use sipas_domain::access::Scope;
use sipas_domain::quota::FrameEntry;
use sipas_domain::token::{SigningKeys, SurveyToken};

const CAMPAIGN: &str = "FOLLOW-2026";
const ACTOR: &str = "bench";
const WARM_UP: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(50);
const PHONE_UA: &str = "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 \
    (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";
const PHONE_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

mod common;
use common::{env, percentile};

/// Every task's result, in order.
async fn joined<T>(handles: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut results = Vec::with_capacity(handles.len());
    for h in handles {
        results.push(h.await.unwrap());
    }
    results
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
fn spread(latencies: &mut [Duration]) -> (String, String, String) {
    latencies.sort();
    (
        ms(percentile(latencies, 0.5)),
        ms(percentile(latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
    )
}

/// The value of a form field in a page, e.g. the hidden `_nonce`.
fn field_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag = &html[tag_start..tag_start + html[tag_start..].find('>')?];
    let value = tag.split("value=\"").nth(1)?;
    Some(value[..value.find('"')?].to_owned())
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 5);
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}

/// The body of a response, decompressed when the server compressed it.
async fn body_of(response: reqwest::Response) -> Result<(usize, Vec<u8>), reqwest::Error> {
    let gzip = response
        .headers()
        .get(CONTENT_ENCODING)
        .is_some_and(|v| v == "gzip");
    let bytes = response.bytes().await?;
    let wire = bytes.len();
    Ok((wire, if gzip { gunzip(&bytes) } else { bytes.to_vec() }))
}

/// The sum of every `"responses":N` of a quotas document: the units' counted responses.
fn counted_in_quotas(json: &[u8]) -> u64 {
    const KEY: &[u8] = b"\"responses\":";
    let mut total = 0;
    let mut i = 0;
    while let Some(at) = json[i..].windows(KEY.len()).position(|w| w == KEY) {
        i += at + KEY.len();
        let mut n = 0u64;
        while i < json.len() && json[i].is_ascii_digit() {
            n = n * 10 + u64::from(json[i] - b'0');
            i += 1;
        }
        total += n;
    }
    total
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(1024)
        // Under the server's 5 s keep-alive: a connection it is closing is not reused.
        .pool_idle_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Where the machine stands: `/proc/loadavg`'s first three fields.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Busy and total ticks of every CPU of the machine (`/proc/stat`).
fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = fields.iter().take(8).sum();
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

/// Which part of this process started each thread (by thread id), as far as the order
/// of creation tells: threads that exist when a node has just started are that node's.
static OWNERS: Mutex<BTreeMap<u32, &'static str>> = Mutex::new(BTreeMap::new());

fn task_ids() -> Vec<u32> {
    std::fs::read_dir("/proc/self/task")
        .map(|tasks| {
            tasks
                .flatten()
                .filter_map(|t| t.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Marks every thread not yet owned as `owner`'s.
fn own_threads(owner: &'static str) {
    let mut owners = OWNERS.lock().unwrap();
    for id in task_ids() {
        owners.entry(id).or_insert(owner);
    }
}

/// CPU ticks used by each of this process's threads, by thread id, with its owner and
/// name (`/proc/self/task/*/stat`).
fn thread_ticks() -> BTreeMap<u32, (String, u64)> {
    let owners = OWNERS.lock().unwrap().clone();
    let mut threads = BTreeMap::new();
    for id in task_ids() {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/self/task/{id}/stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = &stat[open + 1..close];
        let ticks = utime_stime(&stat[close + 2..]);
        // The nodes' runtimes (and their blocking threads) are named after the node.
        let owner = if name.starts_with("node-") {
            ""
        } else {
            owners.get(&id).copied().unwrap_or("started later:")
        };
        threads.insert(id, (format!("{owner} {name}").trim().to_owned(), ticks));
    }
    threads
}

/// The kernel's TCP counters that tell connections were refused or reset:
/// `ListenOverflows`, `ListenDrops`, `TCPAbortOnData`, `TCPAbortOnClose`.
fn tcp_counters() -> Vec<(String, u64)> {
    let text = std::fs::read_to_string("/proc/net/netstat").unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("TcpExt:")).collect();
    let [names, values] = lines[..] else {
        return Vec::new();
    };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .filter(|(n, _)| {
            [
                "ListenOverflows",
                "ListenDrops",
                "TCPAbortOnData",
                "TCPAbortOnClose",
            ]
            .contains(n)
        })
        .filter_map(|(n, v)| Some((n.to_owned(), v.parse().ok()?)))
        .collect()
}

/// CPU ticks used by this whole process, threads that ended included.
fn process_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    utime_stime(&stat[stat.rfind(')').map_or(0, |c| c + 2)..])
}

/// User and system ticks from what follows the name in a `stat` line (state is
/// field 3, utime field 14, stime field 15).
fn utime_stime(after_name: &str) -> u64 {
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i)?.parse::<u64>().ok())
        .sum()
}

fn ticks_per_second() -> f64 {
    100.0 // USER_HZ on Linux
}

struct Node {
    base: String,
    scores: ScoreBook,
    keys: SigningKeys,
}

/// Starts a node on a runtime of its own (2 workers, like `sipas serve` on this
/// machine), so the load generator's tasks do not queue in front of its follower.
async fn start_node(settings: Settings, name: &str) -> Node {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(name)
        .enable_all()
        .build()
        .unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    runtime.spawn(async move {
        let app = Application::build(&settings, false)
            .await
            .expect("the node starts");
        let _ = tx.send(Node {
            base: app.base_url().to_owned(),
            scores: app.scores.clone(),
            keys: app.keys.clone(),
        });
        app.run_until_stopped().await
    });
    // The node lives until the process exits.
    Box::leak(Box::new(runtime));
    let node: Node = rx.await.unwrap();
    // Once it has answered, its HTTP workers exist (their threads are counted as its).
    reqwest::get(format!("{}/healthz", node.base))
        .await
        .expect("the node answers");
    node
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

async fn count(storage: &Storage, sql: &str) -> i64 {
    let row = storage
        .db()
        .query_one_raw(Statement::from_string(storage.backend(), sql.to_owned()))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// What the set-up made: the campaign's id, the API token and every framed unit's
/// default desk (unit id, service point id).
struct Prepared {
    campaign_id: i32,
    token: String,
    desks: Vec<(i32, i32)>,
}

/// The campaign, its units, frame and quotas, and the base responses, by SQL and the
/// storage functions, before any node starts.
async fn prepare(storage: &Storage, unit_total: u64, base: u64, postgres: bool) -> Prepared {
    let t = Instant::now();
    storage.migrate().await.unwrap();
    storage.seed_reference_data().await.unwrap();
    let today = Utc::now().date_naive();
    let new = common::campaign(
        CAMPAIGN,
        "Khảo sát SIPAS 2026 — benchmark",
        "SIPAS-2017",
        (
            today - chrono::Duration::days(30),
            today + chrono::Duration::days(30),
        ),
        Some(0),
    );
    let txn = storage.write().await.unwrap();
    let campaign = campaigns::create(&txn, ACTOR, &new, false).await.unwrap();
    let (_, token) = api_clients::create(&txn, ACTOR, "bench", &[Scope::Read, Scope::Write])
        .await
        .unwrap();
    txn.commit().await.unwrap();

    // Hà Tĩnh's units (but the province itself) and synthetic communes up to the total.
    let listed = |storage: Storage| {
        let campaign = campaign.clone();
        async move { units::surveyed(storage.db(), &campaign).await.unwrap() }
    };
    let existing = listed(storage.clone()).await.len() as u64;
    let extra = unit_total.saturating_sub(existing);
    if extra > 0 {
        let now = if postgres {
            "now()"
        } else {
            "strftime('%Y-%m-%dT%H:%M:%SZ','now')"
        };
        for sql in [
            format!(
                "INSERT INTO units (code, name, unit_type_id, parent_id, valid_from) \
                 SELECT 'FB-' || s.x, 'Xã thử ' || s.x, (SELECT id FROM unit_types WHERE code = 'commune'), \
                 (SELECT id FROM units WHERE code = '436'), '2020-01-01' FROM ({}) AS s",
                series(extra, postgres)
            ),
            format!(
                "INSERT INTO service_points (unit_id, code, name, is_default, created_at) \
                 SELECT id, 'MC', 'Bộ phận Một cửa', TRUE, {now} FROM units WHERE code LIKE 'FB-%'"
            ),
        ] {
            storage.execute_unprepared(&sql).await.unwrap();
        }
    }
    let framed = listed(storage.clone()).await;
    // A realistic frame: 200–5,000 dossiers per unit; the quotas by the real rule.
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
    let txn = storage.write().await.unwrap();
    let campaign = campaigns::by_id(&txn, campaign.id).await.unwrap();
    frames::replace(&txn, ACTOR, &campaign, &entries, &floors)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let defaults = units::default_service_points(storage.db()).await.unwrap();
    let desks: Vec<(i32, i32)> = framed.iter().map(|u| (u.id, defaults[&u.id])).collect();
    println!(
        "(set up {} units with a frame and quotas in {:.1} s)",
        framed.len(),
        t.elapsed().as_secs_f64()
    );

    // The base responses, spread over every framed unit's desk, a quarter on paper,
    // from a pool of varied answers (element 5 often skipped).
    let t = Instant::now();
    storage
        .execute_unprepared(
            "CREATE TABLE bench_pool (i INTEGER PRIMARY KEY, answers TEXT NOT NULL)",
        )
        .await
        .unwrap();
    let values: Vec<String> = (0..997)
        .map(|i| format!("({i}, '{}')", answers_digits(&mut rng)))
        .collect();
    storage
        .execute_unprepared(&format!(
            "INSERT INTO bench_pool VALUES {}",
            values.join(",")
        ))
        .await
        .unwrap();
    storage
        .execute_unprepared(&format!(
            "CREATE TABLE bench_desks AS SELECT ROW_NUMBER() OVER (ORDER BY s.id) - 1 AS k, s.unit_id, s.id AS sp \
             FROM service_points s JOIN frames f ON f.unit_id = s.unit_id AND f.campaign_id = {} \
             WHERE s.is_default",
            campaign.id
        ))
        .await
        .unwrap();
    let now = if postgres {
        "now()"
    } else {
        "strftime('%Y-%m-%dT%H:%M:%SZ','now')"
    };
    storage
        .execute_unprepared(&format!(
            "INSERT INTO responses (campaign_id, unit_id, service_point_id, channel, verified, language, answers, submitted_at, is_demo) \
             SELECT {}, d.unit_id, d.sp, CASE WHEN s.x % 4 = 0 THEN 'paper' ELSE 'desk_qr' END, (s.x % 4 = 0), 'vi', p.answers, {now}, FALSE \
             FROM ({}) AS s \
             JOIN bench_desks d ON d.k = s.x % (SELECT COUNT(*) FROM bench_desks) \
             JOIN bench_pool p ON p.i = s.x % 997",
            campaign.id,
            series(base, postgres)
        ))
        .await
        .unwrap();
    for sql in ["DROP TABLE bench_pool", "DROP TABLE bench_desks"] {
        storage.execute_unprepared(sql).await.unwrap();
    }
    if postgres {
        // What autovacuum would have done after such an insert in production.
        storage.execute_unprepared("ANALYZE").await.unwrap();
    }
    println!(
        "(filled {base} responses in the database in {:.1} s)",
        t.elapsed().as_secs_f64()
    );
    Prepared {
        campaign_id: campaign.id,
        token,
        desks,
    }
}

/// One response's answers: a mood per person, 22 criteria 1–5 around it, element 5
/// (the last three criteria) skipped 30 % of the time, a few "no answer".
fn answers_digits(rng: &mut StdRng) -> String {
    let mood: f64 = rng.random_range(2.4..4.9);
    let skip_last = rng.random_bool(0.3);
    (0..22)
        .map(|k| {
            if (skip_last && k >= 19) || rng.random_bool(0.03) {
                '0'
            } else {
                let v = (mood + rng.random_range(-1.3..1.3)).round().clamp(1.0, 5.0);
                char::from(b'0' + v as u8)
            }
        })
        .collect()
}

fn criterion_codes() -> Vec<String> {
    sipas_domain::reference::questionnaires()[0]
        .criteria()
        .map(|(_, c)| c.code.clone())
        .collect()
}

/// Phase costs of one recomputation, measured on a quiet node: what every follower
/// read that changed something sets off.
fn time_phases(scores: &ScoreBook, campaign_id: i32) {
    let state = scores.state(campaign_id).expect("the campaign is followed");
    let query = ScoreQuery::official(&state.description.campaign).unwrap();
    let mut score = Vec::new();
    let mut view = Vec::new();
    let mut serialize = Vec::new();
    let mut document = Vec::new();
    let mut gzip = Vec::new();
    let mut quotas_total = Vec::new();
    let mut gzip_default = Vec::new();
    let mut units_listed = 0;
    let mut sizes = (0, 0, 0, 0, 0);
    for _ in 0..5 {
        let t = Instant::now();
        let computed = state.score(query).unwrap();
        score.push(t.elapsed());
        let listed: Vec<_> = computed.units.iter().collect();
        units_listed = listed.len();
        let t = Instant::now();
        let v = sipas::reports::scores::campaign_scores(&computed, &listed, false);
        view.push(t.elapsed());
        let t = Instant::now();
        let json = serde_json::to_vec(&v).unwrap();
        serialize.push(t.elapsed());
        let t = Instant::now();
        let doc = Document::new(&v).unwrap();
        document.push(t.elapsed());
        let t = Instant::now();
        let gz = doc.gzip().len();
        gzip.push(t.elapsed());
        let t = Instant::now();
        let mut default = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut default, &json).unwrap();
        sizes.4 = default.finish().unwrap().len();
        gzip_default.push(t.elapsed());
        sizes.0 = json.len();
        sizes.1 = gz;
        let t = Instant::now();
        let today = Utc::now().date_naive();
        let q = Document::new(&sipas::reports::quotas::quotas(&computed, &listed, today)).unwrap();
        sizes.3 = q.gzip().len();
        sizes.2 = q.json.len();
        quotas_total.push(t.elapsed());
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        ms(v[v.len() / 2])
    };
    println!();
    println!(
        "One recomputation of the official scores on a quiet node (median of 5, {units_listed} units listed):"
    );
    println!();
    println!("| phase | time |");
    println!("|---|---:|");
    println!(
        "| scores of every unit (`CampaignState::score`) | {} |",
        median(&mut score)
    );
    println!(
        "| scores view (`reports::scores::campaign_scores`) | {} |",
        median(&mut view)
    );
    println!(
        "| JSON serialization alone ({:.2} MB) | {} |",
        sizes.0 as f64 / 1e6,
        median(&mut serialize)
    );
    println!(
        "| `Document::new` (serialization + SHA-256 tag) | {} |",
        median(&mut document)
    );
    println!(
        "| gzip of the scores document ({:.2} MB → {:.0} KB) | {} |",
        sizes.0 as f64 / 1e6,
        sizes.1 as f64 / 1e3,
        median(&mut gzip)
    );
    println!(
        "| for comparison: gzip at the default level (`Compression::default()`) of the same ({:.0} KB) | {} |",
        sizes.4 as f64 / 1e3,
        median(&mut gzip_default)
    );
    println!(
        "| quotas document: view + `Document::new` + gzip ({:.2} MB → {:.0} KB) | {} |",
        sizes.2 as f64 / 1e6,
        sizes.3 as f64 / 1e3,
        median(&mut quotas_total)
    );
}

enum Failure {
    GetSend(String),
    GetStatus(u16),
    Form,
    PostSend(String),
    PostStatus(u16),
}

/// An error with its causes, e.g. `error sending request: … connection reset`.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    // The URL (with its port and token) varies from run to run; the cause does not.
    text.split(" for url (")
        .next()
        .unwrap_or_default()
        .to_owned()
        + text
            .split(')')
            .skip(1)
            .collect::<Vec<_>>()
            .join(")")
            .as_str()
}

struct WriteSample {
    planned: Instant,
    done: Instant,
    post: Duration,
    outcome: Result<(), Failure>,
}

struct ReadSample {
    planned: Instant,
    done: Instant,
    outcome: Result<(usize, String), String>,
}

/// One phone's visit: the form, then the answers; `Ok` on the `303`.
async fn submit(
    client: &reqwest::Client,
    url: &str,
    phone: &Mutex<Option<String>>,
    answers: Vec<(String, String)>,
) -> (Duration, Result<(), Failure>) {
    let cookie = phone.lock().unwrap().clone();
    let mut get = client
        .get(url)
        .header(ACCEPT, PHONE_ACCEPT)
        .header(ACCEPT_ENCODING, "gzip, deflate, br")
        .header(USER_AGENT, PHONE_UA);
    if let Some(c) = &cookie {
        get = get.header(COOKIE, c);
    }
    let page = match get.send().await {
        Ok(page) => page,
        Err(e) => return (Duration::ZERO, Err(Failure::GetSend(chain(&e)))),
    };
    if page.status() != StatusCode::OK {
        return (
            Duration::ZERO,
            Err(Failure::GetStatus(page.status().as_u16())),
        );
    }
    let set = page
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("sipas_device="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned());
    let cookie = match set {
        Some(c) => {
            *phone.lock().unwrap() = Some(c.clone());
            Some(c)
        }
        None => cookie,
    };
    let html = match body_of(page).await {
        Ok((_, html)) => html,
        Err(e) => return (Duration::ZERO, Err(Failure::GetSend(chain(&e)))),
    };
    let html = String::from_utf8_lossy(&html);
    let mut fields = answers;
    for hidden in ["_nonce", "_issued"] {
        match field_value(&html, hidden) {
            Some(v) => fields.push((hidden.into(), v)),
            None => return (Duration::ZERO, Err(Failure::Form)),
        }
    }
    fields.push(("website".into(), String::new()));
    let mut post = client
        .post(url)
        .header(ACCEPT, PHONE_ACCEPT)
        .header(ACCEPT_ENCODING, "gzip, deflate, br")
        .header(USER_AGENT, PHONE_UA)
        .form(&fields);
    if let Some(c) = &cookie {
        post = post.header(COOKIE, c);
    }
    let t = Instant::now();
    let outcome = match post.send().await {
        Ok(r) if r.status() == StatusCode::SEE_OTHER => {
            let _ = r.bytes().await;
            Ok(())
        }
        Ok(r) => Err(Failure::PostStatus(r.status().as_u16())),
        Err(e) => Err(Failure::PostSend(chain(&e))),
    };
    (t.elapsed(), outcome)
}

/// One read of every unit's scores, gzip: the compressed bytes and the ETag.
async fn read_scores(
    client: &reqwest::Client,
    url: &str,
    token: &str,
) -> Result<(usize, String), String> {
    let response = client
        .get(url)
        .bearer_auth(token)
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .map_err(|e| chain(&e))?;
    if response.status() != StatusCode::OK {
        return Err(format!("status {}", response.status()));
    }
    let etag = response
        .headers()
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response.bytes().await.map_err(|e| chain(&e))?;
    Ok((bytes.len(), etag))
}

/// Spawns `task(i, planned)` at `start + i / rate` for every planned time before
/// `until`, each on its own task, whether or not earlier ones have finished.
async fn open_loop<T, F, Fut>(
    start: Instant,
    rate: f64,
    until: Instant,
    task: F,
) -> Vec<tokio::task::JoinHandle<T>>
where
    T: Send + 'static,
    F: Fn(u64, Instant) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let mut handles = Vec::new();
    for i in 0u64.. {
        let planned = start + Duration::from_secs_f64(i as f64 / rate);
        if planned >= until {
            break;
        }
        tokio::time::sleep_until(planned.into()).await;
        handles.push(tokio::spawn(task(i, planned)));
    }
    handles
}

/// A node's counted responses every [`POLL`] from `start`, as (time seen, count), until
/// the writes are over and it counts every acknowledged one (or `deadline`).
async fn follow_count(
    url: String,
    token: String,
    base: u64,
    acks: Arc<AtomicU64>,
    writing: Arc<AtomicBool>,
    start: Instant,
    deadline: Instant,
) -> (Vec<(Instant, u64)>, u64) {
    let client = client();
    let mut observations = Vec::new();
    let mut etag = None;
    let mut current = base;
    let mut polls = 0u64;
    let mut interval = tokio::time::interval_at(start.into(), POLL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Some(n) = poll_count(&client, &url, &token, &mut etag).await {
            current = n;
        }
        polls += 1;
        observations.push((Instant::now(), current));
        if (!writing.load(Ordering::SeqCst) && current >= base + acks.load(Ordering::SeqCst))
            || Instant::now() > deadline
        {
            return (observations, polls);
        }
    }
}

/// A node's counted responses, from its quotas document; `None` while unchanged (304).
async fn poll_count(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    etag: &mut Option<String>,
) -> Option<u64> {
    let mut request = client
        .get(url)
        .bearer_auth(token)
        .header(ACCEPT_ENCODING, "gzip");
    if let Some(tag) = etag.as_deref() {
        request = request.header(IF_NONE_MATCH, tag);
    }
    let response = request.send().await.ok()?;
    if response.status() == StatusCode::NOT_MODIFIED {
        return None;
    }
    if response.status() != StatusCode::OK {
        return None;
    }
    *etag = response
        .headers()
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (_, json) = body_of(response).await.ok()?;
    Some(counted_in_quotas(&json))
}

#[tokio::main]
async fn main() {
    let unit_total = env("SIPAS_BENCH_UNITS", 5_000u64);
    let base = env("SIPAS_BENCH_BASE_RESPONSES", 250_000u64);
    let rate = env("SIPAS_BENCH_RATE", 500.0f64);
    let read_rate = env("SIPAS_BENCH_READ_RATE", 20.0f64);
    let seconds = env("SIPAS_BENCH_SECONDS", 30u64);
    let desk_count = env("SIPAS_BENCH_DESKS", 300usize);
    let phone_count = env("SIPAS_BENCH_PHONES", 3_000usize);
    let load_before = load_average();

    let dir = tempfile::tempdir().unwrap();
    // The PostgreSQL server's own database and the one created for this run.
    let mut created: Option<(Storage, String)> = None;
    let database_url = match std::env::var("SIPAS_BENCH_DATABASE_URL") {
        Ok(admin) => {
            let name = format!("sipas_follow_{}", std::process::id());
            let admin_storage = Storage::connect(&admin).await.unwrap();
            admin_storage
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
            created = Some((admin_storage, name));
            url
        }
        Err(_) => format!("sqlite://{}/follow.db?mode=rwc", dir.path().display()),
    };
    let postgres = database_url.starts_with("postgres");
    let redis_url = std::env::var("SIPAS_BENCH_REDIS_URL").ok();
    let storage = Storage::connect(&database_url).await.unwrap();
    let prepared = prepare(&storage, unit_total, base, postgres).await;
    let counted_base = count(
        &storage,
        &format!(
            "SELECT COUNT(*) FROM responses WHERE campaign_id = {} AND exclusion IS NULL",
            prepared.campaign_id
        ),
    )
    .await as u64;

    let mut settings = common::settings(&database_url, redis_url.clone());
    settings.redis_prefix = format!("sipas-follow-{}:", std::process::id());
    let t = Instant::now();
    own_threads("load generator:");
    let a = start_node(settings.clone(), "node-a").await;
    own_threads("node A:");
    println!("(node A started in {:.1} s)", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let b = start_node(settings.clone(), "node-b").await;
    own_threads("node B:");
    println!("(node B started in {:.1} s)", t.elapsed().as_secs_f64());

    let token = prepared.token.clone();
    let scores_path = format!("/api/v1/campaigns/{CAMPAIGN}/scores");
    let quotas_path = format!("/api/v1/campaigns/{CAMPAIGN}/quotas");
    let setup_client = client();
    // Both nodes have computed the official figures once.
    for node in [&a, &b] {
        let url = format!("{}{scores_path}", node.base);
        read_scores(&setup_client, &url, &token)
            .await
            .expect("scores served");
    }
    let mut no_tag = None;
    let b_count = poll_count(
        &setup_client,
        &format!("{}{quotas_path}", b.base),
        &token,
        &mut no_tag,
    )
    .await
    .expect("quotas served");
    assert_eq!(b_count, counted_base, "node B counts every stored response");
    {
        let scores = b.scores.clone();
        let id = prepared.campaign_id;
        tokio::task::spawn_blocking(move || time_phases(&scores, id))
            .await
            .unwrap();
    }

    // Desks answered at: a few hundred random framed units' default desks.
    let mut rng = StdRng::seed_from_u64(7);
    let mut chosen: Vec<(i32, i32)> = prepared.desks.clone();
    for i in 0..chosen.len() {
        let j = rng.random_range(i..chosen.len());
        chosen.swap(i, j);
    }
    chosen.truncate(desk_count.min(chosen.len()));
    let desk_urls: Arc<Vec<String>> = Arc::new(
        chosen
            .iter()
            .map(|(_, sp)| {
                let token = a.keys.sign(&SurveyToken::Desk {
                    campaign_id: i64::from(prepared.campaign_id),
                    service_point_id: i64::from(*sp),
                });
                format!("{}/s/{token}", a.base)
            })
            .collect(),
    );
    let phones: Arc<Vec<Mutex<Option<String>>>> =
        Arc::new((0..phone_count).map(|_| Mutex::new(None)).collect());
    let codes = Arc::new(criterion_codes());

    println!();
    println!(
        "database: {}, redis: {}; {} units, {} counted responses at start; \
         writes through A at {rate}/s to {} desks from {} phones; reads at {read_rate}/s per node; \
         {} s warm-up + {seconds} s",
        if postgres { "PostgreSQL" } else { "SQLite" },
        redis_url.as_deref().unwrap_or("none"),
        prepared.desks.len(),
        counted_base,
        desk_urls.len(),
        phones.len(),
        WARM_UP.as_secs()
    );

    let t0 = Instant::now() + Duration::from_millis(200);
    let window_start = t0 + WARM_UP;
    let window_end = window_start + Duration::from_secs(seconds);
    let acks = Arc::new(AtomicU64::new(0));
    let writing = Arc::new(AtomicBool::new(true));

    // Writers through A.
    let writers = {
        let (desk_urls, phones, codes, acks) = (
            desk_urls.clone(),
            phones.clone(),
            codes.clone(),
            acks.clone(),
        );
        let client = client();
        tokio::spawn(async move {
            let handles = open_loop(t0, rate, window_end, move |i, planned| {
                let (client, desk_urls, phones, codes, acks) = (
                    client.clone(),
                    desk_urls.clone(),
                    phones.clone(),
                    codes.clone(),
                    acks.clone(),
                );
                async move {
                    let mut rng = StdRng::seed_from_u64(i);
                    let url = &desk_urls[rng.random_range(0..desk_urls.len())];
                    let phone = &phones[rng.random_range(0..phones.len())];
                    let digits = answers_digits(&mut rng);
                    let answers = codes
                        .iter()
                        .zip(digits.chars())
                        .map(|(c, d)| (c.clone(), d.to_string()))
                        .collect();
                    let (post, outcome) = submit(&client, url, phone, answers).await;
                    let done = Instant::now();
                    if outcome.is_ok() {
                        acks.fetch_add(1, Ordering::SeqCst);
                    }
                    WriteSample {
                        planned,
                        done,
                        post,
                        outcome,
                    }
                }
            })
            .await;
            joined(handles).await
        })
    };

    // Readers on B and on A.
    let readers: Vec<_> = [&b, &a]
        .into_iter()
        .map(|node| {
            let url = format!("{}{scores_path}", node.base);
            let token = token.clone();
            let client = client();
            tokio::spawn(async move {
                let handles = open_loop(t0, read_rate, window_end, move |_, planned| {
                    let (client, url, token) = (client.clone(), url.clone(), token.clone());
                    async move {
                        let outcome = read_scores(&client, &url, &token).await;
                        ReadSample {
                            planned,
                            done: Instant::now(),
                            outcome,
                        }
                    }
                })
                .await;
                joined(handles).await
            })
        })
        .collect();

    // Propagation: each node's counted responses every 50 ms, until it has every
    // acknowledged one.
    let pollers: Vec<_> = [&b, &a]
        .into_iter()
        .map(|node| {
            tokio::spawn(follow_count(
                format!("{}{quotas_path}", node.base),
                token.clone(),
                counted_base,
                acks.clone(),
                writing.clone(),
                t0,
                window_end + Duration::from_secs(30),
            ))
        })
        .collect();

    // CPU: this process by thread name, and the whole machine, over the window.
    // And the states each node published (one per follower read that found something).
    let books = (a.scores.clone(), b.scores.clone(), prepared.campaign_id);
    let cpu = tokio::spawn(async move {
        let version = |book: &ScoreBook| book.state(books.2).map_or(0, |s| s.version);
        tokio::time::sleep_until(window_start.into()).await;
        let versions = (version(&books.0), version(&books.1));
        let tcp = tcp_counters();
        let (threads, machine) = ((thread_ticks(), process_ticks()), machine_ticks());
        tokio::time::sleep_until(window_end.into()).await;
        let (threads_end, machine_end) = ((thread_ticks(), process_ticks()), machine_ticks());
        let tcp: Vec<String> = tcp
            .into_iter()
            .zip(tcp_counters())
            .map(|((name, before), (_, after))| format!("{name} +{}", after - before))
            .collect();
        let published = (
            version(&books.0) - versions.0,
            version(&books.1) - versions.1,
        );
        (
            threads,
            machine,
            threads_end,
            machine_end,
            tcp.join(", "),
            published,
        )
    });

    let writes = writers.await.unwrap();
    writing.store(false, Ordering::SeqCst);
    let mut reads = Vec::new();
    for r in readers {
        reads.push(r.await.unwrap());
    }
    let mut followed = Vec::new();
    for p in pollers {
        followed.push(p.await.unwrap());
    }
    let (threads, machine, threads_end, machine_end, tcp, published) = cpu.await.unwrap();
    let caught_up = Instant::now();
    let load_after_run = load_average();

    // After 2 s of quiet, both nodes serve the same figures.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut tags = Vec::new();
    for (name, node) in [("A", &a), ("B", &b)] {
        for path in [&scores_path, &quotas_path] {
            let url = format!("{}{path}", node.base);
            let (_, etag) = read_scores(&setup_client, &url, &token).await.unwrap();
            tags.push((name, path.clone(), etag));
        }
    }
    let stored = count(
        &storage,
        &format!(
            "SELECT COUNT(*) FROM responses WHERE campaign_id = {} AND exclusion IS NULL",
            prepared.campaign_id
        ),
    )
    .await as u64;
    let counted_a = a.scores.counted(prepared.campaign_id);
    let counted_b = b.scores.counted(prepared.campaign_id);
    // Reads one after the other on the quiet nodes: a document kept since its
    // computation is a copy (a few ms); one built for the request costs a serialization
    // and a gzip.
    let mut quiet_reads = Vec::new();
    for (name, node) in [("A", &a), ("B", &b)] {
        let url = format!("{}{scores_path}", node.base);
        let mut times = Vec::new();
        for _ in 0..6 {
            let t = Instant::now();
            read_scores(&setup_client, &url, &token).await.unwrap();
            times.push(ms(t.elapsed()));
        }
        quiet_reads.push((name, times.join(", ")));
    }

    // The ceiling: closed-loop reads of every unit's scores on B, 8 connections, no writes.
    let ceiling_seconds = 10;
    let ceiling_end = Instant::now() + Duration::from_secs(ceiling_seconds);
    let ceiling_started = Instant::now();
    let mut loops = Vec::new();
    for _ in 0..8 {
        let url = format!("{}{scores_path}", b.base);
        let token = token.clone();
        let client = client();
        loops.push(tokio::spawn(async move {
            let mut local = Vec::new();
            let mut failed = 0u64;
            let mut bytes = 0usize;
            while Instant::now() < ceiling_end {
                let t = Instant::now();
                match read_scores(&client, &url, &token).await {
                    Ok((n, _)) => {
                        bytes = n;
                        local.push(t.elapsed());
                    }
                    Err(_) => failed += 1,
                }
            }
            (local, failed, bytes)
        }));
    }
    let mut ceiling = Vec::new();
    let mut ceiling_failed = 0;
    let mut ceiling_bytes = 0;
    for l in loops {
        let (local, failed, bytes) = l.await.unwrap();
        ceiling.extend(local);
        ceiling_failed += failed;
        ceiling_bytes = ceiling_bytes.max(bytes);
    }
    let ceiling_elapsed = ceiling_started.elapsed().as_secs_f64();
    let load_after = load_average();

    // ---- Report ----
    let in_window = |planned: Instant| planned >= window_start && planned < window_end;
    let window = seconds as f64;
    println!();
    println!(
        "| measurement | planned rate | achieved | count | p50 | p99 | max | failed | notes |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---|");

    let measured: Vec<&WriteSample> = writes.iter().filter(|w| in_window(w.planned)).collect();
    let mut latencies: Vec<Duration> = measured
        .iter()
        .filter(|w| w.outcome.is_ok())
        .map(|w| w.done - w.planned)
        .collect();
    let mut posts: Vec<Duration> = measured
        .iter()
        .filter(|w| w.outcome.is_ok())
        .map(|w| w.post)
        .collect();
    let completed = writes
        .iter()
        .filter(|w| w.outcome.is_ok() && w.done >= window_start && w.done < window_end)
        .count();
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    for w in &measured {
        if let Err(f) = &w.outcome {
            let name = match f {
                Failure::GetSend(e) => format!("GET: {e}"),
                Failure::GetStatus(s) => format!("GET {s}"),
                Failure::Form => "no nonce in the form".to_owned(),
                Failure::PostSend(e) => format!("POST: {e}"),
                Failure::PostStatus(s) => format!("POST {s}"),
            };
            *failures.entry(name).or_default() += 1;
        }
    }
    let (p50, p99, max) = spread(&mut latencies);
    let (post50, post99, _) = spread(&mut posts);
    println!(
        "| submissions through A (GET form + POST → 303), open loop | {rate:.0}/s | {:.0}/s | {} | {p50} | {p99} | {max} | {} | POST alone: p50 {post50}, p99 {post99}{} |",
        completed as f64 / window,
        measured.len(),
        measured.len() - latencies.len(),
        if failures.is_empty() {
            String::new()
        } else {
            format!("; {failures:?}")
        }
    );
    for (name, samples) in ["B", "A"].iter().zip(&reads) {
        let measured: Vec<&ReadSample> = samples.iter().filter(|r| in_window(r.planned)).collect();
        let mut latencies: Vec<Duration> = measured
            .iter()
            .filter(|r| r.outcome.is_ok())
            .map(|r| r.done - r.planned)
            .collect();
        let ok: Vec<&(usize, String)> = measured
            .iter()
            .filter_map(|r| r.outcome.as_ref().ok())
            .collect();
        let bytes = ok.iter().map(|(n, _)| *n).sum::<usize>() / ok.len().max(1);
        let tags: HashSet<&str> = ok.iter().map(|(_, t)| t.as_str()).collect();
        let errors: HashSet<&str> = measured
            .iter()
            .filter_map(|r| r.outcome.as_ref().err().map(String::as_str))
            .collect();
        let (p50, p99, max) = spread(&mut latencies);
        println!(
            "| scores of all units on node {name} (GET, gzip), open loop | {read_rate:.0}/s | {:.1}/s | {} | {p50} | {p99} | {max} | {} | {:.0} KB per read; {} distinct ETags{} |",
            ok.len() as f64 / window,
            measured.len(),
            measured.len() - ok.len(),
            bytes as f64 / 1e3,
            tags.len(),
            if errors.is_empty() {
                String::new()
            } else {
                format!("; {errors:?}")
            }
        );
    }

    // Propagation: the k-th acknowledgement (by time) is in a node's figures once its
    // count reaches base + k.
    let mut ack_times: Vec<Instant> = writes
        .iter()
        .filter(|w| w.outcome.is_ok())
        .map(|w| w.done)
        .collect();
    ack_times.sort();
    for (name, (observations, polls)) in ["B", "A"].iter().zip(&followed) {
        let mut delays = Vec::new();
        let mut never = 0;
        let mut o = 0;
        for (k, ack) in ack_times.iter().enumerate() {
            let target = counted_base + k as u64 + 1;
            while o < observations.len() && (observations[o].0 < *ack || observations[o].1 < target)
            {
                o += 1;
            }
            if *ack < window_start || *ack >= window_end {
                continue;
            }
            match observations.get(o) {
                Some((seen, _)) => delays.push(*seen - *ack),
                None => never += 1,
            }
        }
        let distinct_counts = observations.windows(2).filter(|w| w[1].1 != w[0].1).count();
        let (p50, p99, max) = spread(&mut delays);
        println!(
            "| propagation: acknowledged by A → counted in node {name}'s quotas (polled every 50 ms) | | | {} | {p50} | {p99} | {max} | {never} | {polls} polls (If-None-Match); the count changed {distinct_counts} times |",
            delays.len(),
        );
    }
    let (p50, p99, max) = spread(&mut ceiling);
    println!(
        "| ceiling: scores of all units on node B, closed loop, 8 connections, no writes ({ceiling_seconds} s) | | {:.0}/s | {} | {p50} | {p99} | {max} | {ceiling_failed} | {:.0} KB per read |",
        ceiling.len() as f64 / ceiling_elapsed,
        ceiling.len(),
        ceiling_bytes as f64 / 1e3
    );

    println!();
    println!(
        "After the writes: both nodes counted every acknowledged response {:.2} s after the last write was planned; \
         {} acknowledged submissions in all; database {stored} counted, node A {counted_a}, node B {counted_b}.",
        (caught_up - window_end).as_secs_f64(),
        ack_times.len()
    );
    println!("ETags after 2 s of quiet:");
    for (node, path, tag) in &tags {
        println!("  node {node} {path}: {tag}");
    }
    let equal = tags[0].2 == tags[2].2 && tags[1].2 == tags[3].2;
    println!("  A and B equal: {}", if equal { "yes" } else { "NO" });
    println!("Six reads of every unit's scores one after the other, on the quiet nodes:");
    for (node, times) in &quiet_reads {
        println!("  node {node}: {times}");
    }

    let busy = (machine_end.0 - machine.0) as f64 / ticks_per_second();
    let ((threads, process), (threads_end, process_end)) = (threads, threads_end);
    let ours = process_end - process;
    let ours = ours as f64 / ticks_per_second();
    println!();
    println!(
        "CPU over the {seconds} s window: machine busy {:.2} of {} cores; this process {:.2} cores; \
         other processes about {:.2} cores.",
        busy / window,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        ours / window,
        ((busy - ours) / window).max(0.0)
    );
    // Per thread, what it used in the window; then by owner and name.
    let mut grouped: BTreeMap<&str, (u64, usize)> = BTreeMap::new();
    for (id, (name, end)) in &threads_end {
        let start = threads.get(id).map_or(0, |(_, t)| *t);
        let entry = grouped.entry(name.as_str()).or_default();
        entry.0 += end.saturating_sub(start);
        entry.1 += 1;
    }
    let mut by_name: Vec<(String, f64)> = grouped
        .into_iter()
        .map(|(name, (ticks, count))| {
            (
                format!(
                    "{name} ({count} thread{})",
                    if count == 1 { "" } else { "s" }
                ),
                ticks as f64 / ticks_per_second() / window,
            )
        })
        .filter(|(_, c)| *c >= 0.005)
        .collect();
    by_name.sort_by(|x, y| y.1.total_cmp(&x.1));
    println!(
        "States published over the window (follower reads that found new responses): \
         node A {} ({:.1}/s), node B {} ({:.1}/s).",
        published.0,
        published.0 as f64 / window,
        published.1,
        published.1 as f64 / window
    );
    println!("TCP over the window (whole machine): {tcp}.");
    println!("This process's threads, in cores (a thread that ended in the window is missing):");
    for (name, cores) in by_name {
        println!("  {name}: {cores:.2}");
    }

    println!();
    println!(
        "Machine: nproc = {}, {}; load average before {load_before}, after the run {load_after_run}, at the end {load_after}.",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(
                |c| c.lines().find(|l| l.starts_with("model name")).map(|l| l
                    .split(':')
                    .nth(1)
                    .unwrap_or_default()
                    .trim()
                    .to_owned())
            )
            .unwrap_or_default()
    );
    let vars: Vec<String> = std::env::vars()
        .filter(|(k, _)| k.starts_with("SIPAS_BENCH_"))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    println!(
        "Command: {}cargo bench --bench follow",
        vars.iter().map(|v| format!("{v} ")).collect::<String>()
    );
    // The nodes run until the process ends; what the run created goes first.
    if let Some((admin, name)) = created {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .await;
    }
    let _ = std::fs::remove_dir_all(dir.path());
    std::process::exit(0);
}
