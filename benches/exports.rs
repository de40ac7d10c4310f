//! Exports of a million responses: time, bytes and the serving process's peak memory.
//!
//! Set up by SQL and the storage functions on an SQLite file: an open campaign
//! `EXPORT-2026` on SIPAS-2023 (16 criteria) over Hà Tĩnh's surveyed units of today's
//! map, each with its default desk and a frame row, and `SIPAS_BENCH_RESPONSES`
//! responses (default 1,000,000) spread evenly over the desks: ¾ `desk_qr`, ¼ `paper`,
//! answers from a pool of 997 varied strings (the last element skipped 30 % of the
//! time), a Vietnamese comment on one in five, one in 200 flagged `too_fast`, submitted
//! over the last 30 days; then an admin account.
//!
//! The service runs as its own process (`target/release/sipas serve`, the binary this
//! bench is built with), so its memory is its own: the peak resident set (`VmHWM` of
//! `/proc/PID/status`) is reset after the start (`echo 5 > /proc/PID/clear_refs`) and
//! read after each download; `VmRSS` is also sampled every 20 ms. The client logs in
//! through the login form, then downloads `…/exports/responses.csv` and
//! `…/responses.xlsx` with `Accept-Encoding: gzip` as a browser sends it, reading the
//! body as it comes (CSV gunzipped on the fly and its lines counted; the XLSX written
//! to a file and its rows counted in the sheet's XML).
//!
//! Also measured in the same run:
//! * the ceiling: the same pages read with `storage::exports::response_page` and
//!   nothing written, in this process; and `sqlite3 -csv` writing the same columns of
//!   the table to `/dev/null`;
//! * a client that goes away: each download started, dropped after 2 s, then the
//!   service's CPU over the next 3 s (the work must have stopped).
//!
//! `cargo bench --bench exports`. Options: `SIPAS_BENCH_RESPONSES`,
//! `SIPAS_BENCH_SQLITE_FILE` (keep the database there; reused when it exists).

use std::io::{BufRead, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING};
use sipas::storage::exports::{ResponseRange, last_response_id, response_page};
use sipas::storage::{Storage, campaigns, frames, units, users};
use sipas_domain::access::NewUser;
use sipas_domain::quota::FrameEntry;

mod common;
use common::env;

const CAMPAIGN: &str = "EXPORT-2026";
const ACTOR: &str = "bench";
const ADMIN: &str = "bench-admin";

const COMMENTS: [&str; 8] = [
    "Cán bộ hướng dẫn tận tình, chu đáo.",
    "Thời gian chờ còn lâu, đề nghị bố trí thêm người.",
    "Thủ tục đơn giản, nhanh gọn.",
    "Phòng chờ nóng, cần thêm quạt.",
    "Rất hài lòng với thái độ phục vụ.",
    "Hồ sơ phải bổ sung nhiều lần.",
    "Nhân viên lịch sự; \"một cửa\" thực sự thuận tiện.",
    "Không có ý kiến gì thêm",
];

/// One response's 16 answers: a mood per person around which the criteria vary, the
/// last element (3 criteria) skipped 30 % of the time, a few "no answer".
fn answers_digits(rng: &mut StdRng) -> String {
    let mood: f64 = rng.random_range(2.4..4.9);
    let skip_last = rng.random_bool(0.3);
    (0..16)
        .map(|k| {
            if (skip_last && k >= 13) || rng.random_bool(0.03) {
                '0'
            } else {
                let v = (mood + rng.random_range(-1.3..1.3)).round().clamp(1.0, 5.0);
                char::from(b'0' + v as u8)
            }
        })
        .collect()
}

/// The campaign, frame, responses and admin account; the admin's password.
async fn prepare(storage: &Storage, total: u64) -> String {
    let t = Instant::now();
    storage.migrate().await.unwrap();
    storage.seed_reference_data().await.unwrap();
    let today = Utc::now().date_naive();
    let new = common::campaign(
        CAMPAIGN,
        "Khảo sát SIPAS 2026 — xuất dữ liệu",
        "SIPAS-2023",
        (
            today - chrono::Duration::days(30),
            today + chrono::Duration::days(30),
        ),
        Some(0),
    );
    let txn = storage.write().await.unwrap();
    let campaign = campaigns::create(&txn, ACTOR, &new, false).await.unwrap();
    let user = NewUser::parse(ADMIN, Some("Bench admin"), "admin", None).unwrap();
    let password = users::create(&txn, ACTOR, &user).await.unwrap();
    txn.commit().await.unwrap();

    let surveyed = units::surveyed(storage.db(), &campaign).await.unwrap();
    let mut rng = StdRng::seed_from_u64(2026);
    let entries: Vec<FrameEntry> = surveyed
        .iter()
        .map(|u| FrameEntry {
            unit_id: u.id,
            service_point_id: None,
            population: rng.random_range(20_000..=200_000),
        })
        .collect();
    let floors = surveyed.iter().map(|u| (u.id, u.quota_floor)).collect();
    let txn = storage.write().await.unwrap();
    frames::replace(&txn, ACTOR, &campaign, &entries, &floors)
        .await
        .unwrap();
    txn.commit().await.unwrap();

    let pool: Vec<String> = (0..997)
        .map(|i| format!("({i}, '{}')", answers_digits(&mut rng)))
        .collect();
    let comments: Vec<String> = COMMENTS
        .iter()
        .enumerate()
        .map(|(i, c)| format!("({i}, '{c}')"))
        .collect();
    for sql in [
        "CREATE TABLE bench_pool (i INTEGER PRIMARY KEY, answers TEXT NOT NULL)".to_owned(),
        format!("INSERT INTO bench_pool VALUES {}", pool.join(",")),
        "CREATE TABLE bench_comments (i INTEGER PRIMARY KEY, comment TEXT NOT NULL)".to_owned(),
        format!("INSERT INTO bench_comments VALUES {}", comments.join(",")),
        format!(
            "CREATE TABLE bench_desks AS SELECT ROW_NUMBER() OVER (ORDER BY s.id) - 1 AS k, \
             s.unit_id, s.id AS sp FROM service_points s JOIN frames f \
             ON f.unit_id = s.unit_id AND f.campaign_id = {} WHERE s.is_default",
            campaign.id
        ),
        // Rows in blocks of 100,000 (each its own statement): one WAL checkpoint at a
        // time rather than a single gigantic transaction.
        "CREATE TABLE bench_block (x INTEGER PRIMARY KEY)".to_owned(),
        "INSERT INTO bench_block WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 \
         FROM c WHERE x < 99999) SELECT x FROM c"
            .to_owned(),
    ] {
        storage.execute_unprepared(&sql).await.unwrap();
    }
    let blocks = total.div_ceil(100_000);
    for b in 0..blocks {
        let rows = (total - b * 100_000).min(100_000);
        storage
            .execute_unprepared(&format!(
                "INSERT INTO responses (campaign_id, unit_id, service_point_id, channel, verified, \
                 language, answers, comment, submitted_at, exclusion, is_demo) \
                 SELECT {campaign}, d.unit_id, d.sp, \
                   CASE WHEN n % 4 = 0 THEN 'paper' ELSE 'desk_qr' END, (n % 4 = 0), 'vi', \
                   p.answers, CASE WHEN n % 5 = 0 THEN c.comment END, \
                   strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || (n * 7 % 2592000) || ' seconds'), \
                   CASE WHEN n % 200 = 7 THEN 'too_fast' END, FALSE \
                 FROM (SELECT x + {offset} AS n FROM bench_block WHERE x < {rows}) AS s \
                 JOIN bench_desks d ON d.k = s.n % (SELECT COUNT(*) FROM bench_desks) \
                 JOIN bench_pool p ON p.i = s.n % 997 \
                 JOIN bench_comments c ON c.i = s.n % {comment_count}",
                campaign = campaign.id,
                offset = b * 100_000,
                comment_count = COMMENTS.len(),
            ))
            .await
            .unwrap();
    }
    for sql in [
        "DROP TABLE bench_pool",
        "DROP TABLE bench_comments",
        "DROP TABLE bench_desks",
        "DROP TABLE bench_block",
    ] {
        storage.execute_unprepared(sql).await.unwrap();
    }
    println!(
        "(set up {} units and {total} responses in {:.1} s)",
        surveyed.len(),
        t.elapsed().as_secs_f64()
    );
    password
}

/// A field of `/proc/PID/status` in kB.
fn status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// User + system CPU ticks of a process, its threads included.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = &stat[stat.rfind(')').map_or(0, |c| c + 2)..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i)?.parse::<u64>().ok())
        .sum()
}

fn mb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}

/// The service as its own process on the database; killed when dropped.
struct Service {
    child: Child,
    base: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Service {
    fn start(database_url: &str) -> Service {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sipas"))
            .arg("serve")
            .env("SIPAS_DATABASE_URL", database_url)
            .env("SIPAS_BIND", "127.0.0.1:0")
            .env("RUST_LOG", "warn")
            .env_remove("SIPAS_REDIS_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("sipas serve starts");
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let base = loop {
            let line = lines.next().expect("it prints its address").unwrap();
            if let Some(at) = line.find("http://") {
                break line[at..].trim_end_matches('/').to_owned();
            }
        };
        std::thread::spawn(move || lines.for_each(drop));
        Service { child, base }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Forgets the peak so far: the next `VmHWM` is the peak from now on.
    fn reset_peak(&self) {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5")
            .expect("the peak resident set can be reset");
    }
}

/// Samples a process's resident set every 20 ms until stopped; the largest seen.
struct Sampler {
    stop: Arc<AtomicBool>,
    max_kb: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    fn start(pid: u32) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let max_kb = Arc::new(AtomicU64::new(0));
        let thread = {
            let (stop, max_kb) = (stop.clone(), max_kb.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    max_kb.fetch_max(status_kb(pid, "VmRSS:"), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        };
        Sampler {
            stop,
            max_kb,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.max_kb.load(Ordering::Relaxed)
    }
}

async fn log_in(base: &str, password: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(1800))
        .build()
        .unwrap();
    let form = client
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = form.find("name=\"csrf\"").expect("a csrf field");
    let tag = &form[form[..at].rfind('<').unwrap()..];
    let value = tag.split("value=\"").nth(1).unwrap();
    let csrf = &value[..value.find('"').unwrap()];
    let response = client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf),
            ("next", "/manage"),
            ("username", ADMIN),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "logged in");
    client
}

/// Counts lines of what is written to it.
#[derive(Default)]
struct LineCounter {
    bytes: u64,
    lines: u64,
}

impl Write for LineCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes += buf.len() as u64;
        self.lines += buf.iter().filter(|b| **b == b'\n').count() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The rows of the first sheet of an XLSX file, counted in its XML as it is inflated,
/// and the size of that XML (what the service's temporary file held).
fn xlsx_rows(path: &std::path::Path) -> (u64, u64) {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut sheet = zip.by_name("xl/worksheets/sheet1.xml").unwrap();
    let xml_bytes = sheet.size();
    let (mut rows, mut carry, mut buf) = (0u64, Vec::new(), vec![0u8; 1 << 20]);
    loop {
        let n = sheet.read(&mut buf).unwrap();
        if n == 0 {
            return (rows, xml_bytes);
        }
        carry.extend_from_slice(&buf[..n]);
        rows += carry.windows(5).filter(|w| w == b"<row ").count() as u64;
        let keep = carry.len().saturating_sub(4);
        carry.drain(..keep);
    }
}

struct Download {
    status: u16,
    content_encoding: String,
    first_byte: Duration,
    total: Duration,
    wire_bytes: u64,
    /// Lines (CSV) or rows (XLSX) of the file, header included.
    rows: u64,
    /// The CSV decompressed; the XLSX's sheet XML uncompressed.
    file_bytes: u64,
    peak_kb: u64,
    sampled_kb: u64,
    before_kb: u64,
    cpu_s: f64,
}

async fn download(service: &Service, client: &reqwest::Client, file: &str) -> Download {
    let url = format!(
        "{}/manage/campaigns/{CAMPAIGN}/exports/{file}",
        service.base
    );
    let pid = service.pid();
    let before_kb = status_kb(pid, "VmRSS:");
    service.reset_peak();
    let sampler = Sampler::start(pid);
    let cpu = cpu_ticks(pid);
    let t = Instant::now();
    let mut response = client
        .get(&url)
        .header(ACCEPT_ENCODING, "gzip, deflate, br, zstd")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_encoding = response
        .headers()
        .get(CONTENT_ENCODING)
        .map_or("identity".into(), |v| v.to_str().unwrap().to_owned());
    let gzip = content_encoding == "gzip";
    let xlsx_path = std::env::temp_dir().join(format!("bench-export-{}.xlsx", std::process::id()));
    let mut xlsx = file
        .ends_with(".xlsx")
        .then(|| std::io::BufWriter::new(std::fs::File::create(&xlsx_path).unwrap()));
    let mut csv = flate2::write::GzDecoder::new(LineCounter::default());
    let mut plain = LineCounter::default();
    let (mut first_byte, mut wire_bytes) = (None, 0u64);
    while let Some(chunk) = response.chunk().await.expect("the whole body") {
        first_byte.get_or_insert_with(|| t.elapsed());
        wire_bytes += chunk.len() as u64;
        match (&mut xlsx, gzip) {
            (Some(file), _) => file.write_all(&chunk).unwrap(),
            (None, true) => csv.write_all(&chunk).unwrap(),
            (None, false) => plain.write_all(&chunk).unwrap(),
        }
    }
    let total = t.elapsed();
    let cpu_s = (cpu_ticks(pid) - cpu) as f64 / 100.0;
    let sampled_kb = sampler.finish();
    let peak_kb = status_kb(pid, "VmHWM:");
    let (rows, file_bytes) = match xlsx {
        Some(mut file) => {
            file.flush().unwrap();
            drop(file);
            let (rows, xml_bytes) = xlsx_rows(&xlsx_path);
            let _ = std::fs::remove_file(&xlsx_path);
            (rows, xml_bytes)
        }
        None if gzip => {
            let counted = csv.finish().unwrap();
            (counted.lines, counted.bytes)
        }
        None => (plain.lines, plain.bytes),
    };
    Download {
        status,
        content_encoding,
        first_byte: first_byte.unwrap_or_default(),
        total,
        wire_bytes,
        rows,
        file_bytes,
        peak_kb,
        sampled_kb,
        before_kb,
        cpu_s,
    }
}

/// Starts a download, reads it for `after`, drops it; the service's CPU (in cores)
/// over the 3 s that follow half a second of grace.
async fn abandon(
    service: &Service,
    client: &reqwest::Client,
    file: &str,
    after: Duration,
) -> (u64, f64) {
    let url = format!(
        "{}/manage/campaigns/{CAMPAIGN}/exports/{file}",
        service.base
    );
    let mut response = client
        .get(&url)
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    let t = Instant::now();
    let mut read = 0u64;
    while t.elapsed() < after {
        match tokio::time::timeout(after.saturating_sub(t.elapsed()), response.chunk()).await {
            Ok(Ok(Some(chunk))) => read += chunk.len() as u64,
            Ok(_) => break,
            Err(_) => break,
        }
    }
    drop(response);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu = cpu_ticks(service.pid());
    tokio::time::sleep(Duration::from_secs(3)).await;
    (read, (cpu_ticks(service.pid()) - cpu) as f64 / 100.0 / 3.0)
}

#[tokio::main]
async fn main() {
    let total: u64 = env("SIPAS_BENCH_RESPONSES", 1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let file = std::env::var("SIPAS_BENCH_SQLITE_FILE")
        .unwrap_or_else(|_| dir.path().join("sipas.db").display().to_string());
    let database_url = format!("sqlite://{file}?mode=rwc");
    let password_file = format!("{file}.password");
    let storage = Storage::connect(&database_url).await.unwrap();
    let password = match std::fs::read_to_string(&password_file) {
        Ok(password) => {
            println!("(reusing {file})");
            password
        }
        Err(_) => {
            let password = prepare(&storage, total).await;
            std::fs::write(&password_file, &password).unwrap();
            password
        }
    };
    let campaign = campaigns::by_code(storage.db(), CAMPAIGN).await.unwrap();
    let stored: i64 = {
        use sea_orm::{ConnectionTrait, Statement};
        let row = storage
            .db()
            .query_one_raw(Statement::from_string(
                storage.backend(),
                "SELECT COUNT(*) FROM responses".to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index(0).unwrap()
    };
    let db_bytes = std::fs::metadata(&file).map_or(0, |m| m.len());
    println!(
        "machine: {} cores, {}; load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/cpuinfo")
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split(':').nth(1))
            .unwrap_or("?")
            .trim(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    println!(
        "{stored} responses in {CAMPAIGN}; database file {:.0} MB",
        db_bytes as f64 / 1e6
    );

    // The ceiling: the same pages, read and dropped.
    let t = Instant::now();
    let range = ResponseRange {
        campaign_id: campaign.id,
        units: None,
        up_to: last_response_id(storage.db(), campaign.id).await.unwrap(),
        comments: true,
    };
    let (mut after, mut read) = (0, 0usize);
    loop {
        let page = response_page(storage.db(), &range, after, sipas::exports::PAGE_ROWS)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = last.id;
        read += page.len();
    }
    let pages_alone = t.elapsed();
    println!(
        "ceiling: {read} responses read in pages of {} with nothing written: {:.2} s",
        sipas::exports::PAGE_ROWS,
        pages_alone.as_secs_f64()
    );
    storage.close().await.unwrap();
    let t = Instant::now();
    let dumped = Command::new("sqlite3")
        .args([
            "-csv",
            &file,
            "SELECT id, unit_id, service_point_id, channel, verified, answers, submitted_at, \
             exclusion, comment FROM responses ORDER BY id",
        ])
        .stdout(Stdio::null())
        .status();
    match dumped {
        Ok(s) if s.success() => println!(
            "ceiling: sqlite3 -csv of the same columns to /dev/null: {:.2} s",
            t.elapsed().as_secs_f64()
        ),
        _ => println!("ceiling: sqlite3 not available"),
    }

    let t = Instant::now();
    let service = Service::start(&database_url);
    let client = log_in(&service.base, &password).await;
    println!(
        "service: pid {}, started and logged in in {:.1} s; resident {} (peak so far {})",
        service.pid(),
        t.elapsed().as_secs_f64(),
        mb(status_kb(service.pid(), "VmRSS:")),
        mb(status_kb(service.pid(), "VmHWM:"))
    );

    println!(
        "\n| download | status | encoding | first byte | total | on the wire | CSV / sheet XML | rows | service peak RSS (VmHWM) | max sampled RSS | RSS before | service CPU |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for file in ["responses.csv", "responses.xlsx"] {
        let d = download(&service, &client, file).await;
        println!(
            "| {file} | {} | {} | {:.2} s | {:.2} s | {:.1} MB | {:.1} MB | {} | {} | {} | {} | {:.1} s |",
            d.status,
            d.content_encoding,
            d.first_byte.as_secs_f64(),
            d.total.as_secs_f64(),
            d.wire_bytes as f64 / 1e6,
            d.file_bytes as f64 / 1e6,
            d.rows,
            mb(d.peak_kb),
            mb(d.sampled_kb),
            mb(d.before_kb),
            d.cpu_s,
        );
        assert_eq!(d.status, 200);
        assert_eq!(
            d.rows,
            stored as u64 + 1,
            "{file}: every response and the header"
        );
    }

    println!("\n| abandoned download | read before leaving | service CPU 0.5–3.5 s after |");
    println!("|---|---:|---:|");
    for file in ["responses.csv", "responses.xlsx"] {
        let (read, cores) = abandon(&service, &client, file, Duration::from_secs(2)).await;
        println!(
            "| {file}, dropped after 2 s | {:.1} MB | {cores:.2} cores |",
            read as f64 / 1e6
        );
    }
    println!(
        "load average at the end: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
}
