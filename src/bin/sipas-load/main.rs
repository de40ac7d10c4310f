//! `sipas-load`: a load generator that behaves like citizens' phones (and the one-stop
//! system, and the index engine) against a running `sipas` server, and measures each
//! figure next to its ceiling in the same run. See docs/load.md.

// The generator shares the machine with the server: jemalloc, as the server uses, costs
// it less CPU per flow than glibc's allocator.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod ceiling;
mod client;
mod flows;
mod runner;
mod server;

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use clap::{Parser, Subcommand};
use hyper::{Method, Request, header};

use flows::{Flow, Target};
use runner::Measured;

#[derive(Parser)]
#[command(
    name = "sipas-load",
    about = "Phone-like load against a SIPAS server, with ceilings"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start `sipas serve --demo` (or use --url), run the phases, print the table.
    Run(Options),
}

#[derive(clap::Args)]
struct Options {
    /// The `sipas` binary to start (with SIPAS_BENCHMARK=1).
    #[arg(long, default_value = "target/release/sipas")]
    server: String,
    /// A server already running (its survey URL and a token must then be given, or
    /// --database-url to make a token in its database); nothing is started.
    #[arg(long)]
    url: Option<String>,
    /// PostgreSQL: a fresh database is made in it for the run and dropped after.
    /// SQLite: that file is used and kept. Default: a SQLite file in a temp folder.
    #[arg(long)]
    database_url: Option<String>,
    #[arg(long)]
    redis_url: Option<String>,
    /// Seconds per phase.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Connections of closed-loop phases (and tasks of the insert ceiling).
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Phases in order; `NAME@RATE` runs one open-loop at RATE flows a second.
    /// Default: healthz,static,inserts,page,submit,receipt,scores,scores-304,import,mixed,submit@RATE
    #[arg(long, value_delimiter = ',')]
    phases: Option<Vec<String>>,
    /// The rate of the default open-loop phase (submissions a second).
    #[arg(long, default_value_t = 500.0)]
    rate: f64,
    /// What the phones accept (Chrome on http sends `gzip, deflate`; add `br` on https).
    #[arg(long, default_value = "gzip, deflate")]
    accept_encoding: String,
    /// Distinct phones (device cookies); each flow picks one at random.
    #[arg(long, default_value_t = 10_000)]
    phones: usize,
    /// Receipts issued through the API before the receipt phases.
    #[arg(long, default_value_t = 3_000)]
    receipts: usize,
    /// Rows per imported CSV of paper forms.
    #[arg(long, default_value_t = 1_000)]
    import_rows: u64,
    /// The path of the "static file" ceiling (no static file is served: the not-found
    /// page, rendered without I/O, stands in).
    #[arg(long, default_value = "/robots.txt")]
    static_path: String,
    /// With --url: a citizen survey URL (desk QR code) of an open campaign.
    #[arg(long)]
    survey_url: Option<String>,
    /// With --url: an API token with read and write scopes.
    #[arg(long)]
    token: Option<String>,
    /// With --url: the server's process id, to read its CPU and memory.
    #[arg(long)]
    server_pid: Option<u32>,
    #[arg(long, default_value = "DEMO-2026")]
    campaign: String,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let Command::Run(options) = Cli::parse().command;
    match run(options).await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(2),
        Err(error) => {
            eprintln!("sipas-load: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// One line of the table.
struct Row {
    phase: String,
    mode: String,
    unit: &'static str,
    measured: Measured,
    ceiling: Option<&'static str>,
    planned_rate: Option<f64>,
    server_cpu: Option<f64>,
    load_cpu: Option<f64>,
    rss_mb: Option<f64>,
    note: Option<String>,
}

impl Row {
    fn rate(&self) -> f64 {
        self.measured.units as f64 / self.measured.elapsed.as_secs_f64().max(1e-9)
    }
}

async fn run(options: Options) -> anyhow::Result<bool> {
    let log_dir = tempfile::tempdir()?;
    let (database, server) = match &options.url {
        Some(_) => {
            let database = options
                .database_url
                .as_deref()
                .map(server::RunDatabase::existing);
            (database, None)
        }
        None => {
            let database = server::RunDatabase::create(options.database_url.as_deref()).await?;
            let server = server::Server::spawn(
                &options.server,
                &database.url,
                options.redis_url.as_deref(),
                log_dir.path(),
            )?;
            (Some(database), Some(server))
        }
    };
    let result = measure(&options, database.as_ref(), server.as_ref()).await;
    if let Some(server) = server {
        server.stop();
    }
    if let Some(database) = &database
        && options.url.is_none()
    {
        database.drop_database().await;
    }
    result
}

async fn measure(
    options: &Options,
    database: Option<&server::RunDatabase>,
    server: Option<&server::Server>,
) -> anyhow::Result<bool> {
    let base_url = match (server, &options.url) {
        (Some(server), _) => server.base_url.clone(),
        (None, Some(url)) => url.trim_end_matches('/').to_owned(),
        (None, None) => unreachable!("a server or a URL"),
    };
    let survey_url = match (server, &options.survey_url) {
        (_, Some(url)) => url.clone(),
        (Some(server), None) => server.survey_url.clone(),
        (None, None) => anyhow::bail!("--survey-url is needed with --url"),
    };
    let authority = base_url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow::anyhow!("only http:// servers: {base_url}"))?
        .to_owned();
    let survey_path = path_of(&survey_url).to_owned();
    let pid = server
        .map(|s| s.pid())
        .or(options.server_pid)
        .map(|p| p.to_string());
    server::wait_ready(&authority).await?;

    let token = match (&options.token, database) {
        (Some(token), _) => Some(token.clone()),
        (None, Some(database)) => Some(api_token(&database.url).await?),
        (None, None) => None,
    };
    let phases = options.phases.clone().unwrap_or_else(|| {
        [
            "healthz",
            "static",
            "inserts",
            "page",
            "submit",
            "receipt",
            "scores",
            "scores-304",
            "import",
            "mixed",
        ]
        .iter()
        .map(|p| p.to_string())
        .chain([format!("submit@{}", options.rate)])
        .collect()
    });

    let mut target = Target {
        authority: authority.clone(),
        survey_path,
        static_path: options.static_path.clone(),
        campaign: options.campaign.clone(),
        token,
        accept_encoding: options.accept_encoding.clone(),
        phones: (0..options.phones.max(1))
            .map(|_| Mutex::new(Vec::new()))
            .collect(),
        receipts: Mutex::new(Vec::new()),
        scores_etag: Mutex::new(None),
        import_csv: Bytes::new(),
        import_rows: options.import_rows,
    };
    // The page once, as a phone gets it: its size on the wire and decoded, its questions.
    let wire = Arc::new(client::Wire::default());
    let mut conn = client::Conn::new(&authority, wire.clone());
    let page = fetch(&mut conn, &target, &target.survey_path.clone(), true).await?;
    let page_wire = wire.received.load(std::sync::atomic::Ordering::Relaxed);
    let questions = flows::radio_names(page.text());
    anyhow::ensure!(!questions.is_empty(), "the survey page has no question");
    target.import_csv = import_csv(&questions, options.import_rows);
    let needs = |names: &[&str]| {
        phases
            .iter()
            .any(|p| names.contains(&p.split('@').next().unwrap_or("")))
    };
    if needs(&["receipt", "mixed"]) {
        anyhow::ensure!(
            target.token.is_some(),
            "receipts need --token or --database-url"
        );
        let paths = issue_receipts(&target, options.receipts).await?;
        *target.receipts.lock().unwrap_or_else(|p| p.into_inner()) = paths;
    }
    if needs(&["scores", "scores-304", "mixed", "import"]) {
        anyhow::ensure!(
            target.token.is_some(),
            "score reads and imports need a token"
        );
        let path = format!("/api/v1/campaigns/{}/scores", target.campaign);
        let reply = fetch(&mut conn, &target, &path, false).await?;
        *target.scores_etag.lock().unwrap_or_else(|p| p.into_inner()) =
            reply.header("etag").map(str::to_owned);
    }
    let target = Arc::new(target);

    println!();
    println!(
        "sipas-load: {} · database {} · Redis {} · {} s a phase · {} connections · \
         Accept-Encoding: {} · {} phones",
        base_url,
        database.map_or("(not known)", |d| if d.url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        }),
        options.redis_url.as_deref().map_or("none", |_| "yes"),
        options.seconds,
        options.connections,
        options.accept_encoding,
        options.phones,
    );
    println!(
        "survey page: {} bytes on the wire (headers included), {} bytes decoded, {} questions",
        page_wire,
        page.body.len(),
        questions.len()
    );
    println!();

    let mut rows: Vec<Row> = Vec::new();
    for phase in &phases {
        let (name, rate) = match phase.split_once('@') {
            Some((name, rate)) => (
                name,
                Some(
                    rate.parse::<f64>()
                        .ok()
                        .filter(|r| *r > 0.0)
                        .ok_or_else(|| anyhow::anyhow!("phase {phase}: a rate > 0 after @"))?,
                ),
            ),
            None => (phase.as_str(), None),
        };
        let server_before = pid.as_deref().and_then(server::cpu_seconds);
        let load_before = server::cpu_seconds("self");
        let mut note = None;
        let (measured, unit, ceiling) = if name == "inserts" {
            let database =
                database.ok_or_else(|| anyhow::anyhow!("the insert ceiling needs the database"))?;
            let (measured, durability) =
                ceiling::inserts(&database.url, options.connections, options.seconds).await?;
            note = Some(durability);
            (measured, "rows", None)
        } else {
            let flow =
                Flow::parse(name).ok_or_else(|| anyhow::anyhow!("unknown phase {name:?}"))?;
            let measured = match rate {
                Some(rate) => runner::open(target.clone(), flow, rate, options.seconds).await,
                None => {
                    let connections = if flow == Flow::Import {
                        // Each import is one all-or-nothing transaction: a few at a time.
                        options.connections.min(2)
                    } else {
                        options.connections
                    };
                    runner::closed(target.clone(), flow, connections, options.seconds).await
                }
            };
            let (unit, ceiling) = match flow {
                Flow::Healthz => ("requests", None),
                Flow::Static | Flow::Page | Flow::Scores | Flow::ScoresUnchanged => {
                    ("requests", Some("healthz"))
                }
                Flow::Submit | Flow::Receipt | Flow::Mixed => ("flows", Some("inserts")),
                Flow::Import => ("rows", Some("inserts")),
            };
            (measured, unit, ceiling)
        };
        let server_cpu = match (server_before, pid.as_deref().and_then(server::cpu_seconds)) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        let load_cpu = match (load_before, server::cpu_seconds("self")) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        let rss_mb = pid
            .as_deref()
            .and_then(server::memory_mb)
            .map(|(rss, _)| rss);
        let connections = if name == "import" {
            options.connections.min(2)
        } else {
            options.connections
        };
        let row = Row {
            phase: name.to_owned(),
            mode: match rate {
                Some(rate) => format!("open {rate}/s"),
                None => format!("closed {connections}"),
            },
            unit,
            measured,
            ceiling: if rate.is_some() { None } else { ceiling },
            planned_rate: rate,
            server_cpu,
            load_cpu,
            rss_mb,
            note,
        };
        eprintln!(
            "  {}: {:.0} {}/s, {} errors",
            row.phase,
            row.rate(),
            row.unit,
            row.measured.errors
        );
        rows.push(row);
    }
    print_table(&rows);
    if let Some((rss, peak)) = pid.as_deref().and_then(server::memory_mb) {
        println!();
        println!("server resident memory: {rss:.1} MB at the end, {peak:.1} MB at its peak");
    }
    let citizen_flows: u64 = rows
        .iter()
        .filter(|r| r.phase == "submit" || r.phase == "receipt")
        .map(|r| r.measured.flows)
        .sum();
    println!("completed citizen flows (submit and receipt phases): {citizen_flows}");
    let mut clean = true;
    for row in &rows {
        if let Some(error) = &row.measured.first_error {
            println!(
                "{}: {} errors, the first: {error}",
                row.phase, row.measured.errors
            );
        }
        if row.measured.errors > 0 || row.measured.flows == 0 {
            clean = false;
        }
    }
    Ok(clean)
}

fn print_table(rows: &[Row]) {
    let rate_of = |name: &str| rows.iter().find(|r| r.phase == name).map(Row::rate);
    let ms = |h: &hdrhistogram::Histogram<u64>, q: f64| {
        format!("{:.1}", h.value_at_quantile(q) as f64 / 1000.0)
    };
    let opt =
        |v: Option<f64>, digits: usize| v.map_or("—".to_owned(), |v| format!("{v:.digits$}"));
    println!(
        "| phase | mode | rate | p50 ms | p90 ms | p99 ms | max ms | errors | B/req in | B/req out | ratio to ceiling | server CPU s | load CPU s | server RSS MB |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|");
    for row in rows {
        let m = &row.measured;
        let requests = m.requests.max(1) as f64;
        let ratio = match (row.planned_rate, row.ceiling) {
            (Some(planned), _) => format!("{:.2} of planned {planned}/s", row.rate() / planned),
            (None, Some(ceiling)) => match rate_of(ceiling) {
                Some(c) if c > 0.0 => format!("{:.2} of {ceiling}", row.rate() / c),
                _ => format!("({ceiling} not run)"),
            },
            (None, None) => "(ceiling)".to_owned(),
        };
        let wire = |bytes: u64| {
            if row.phase == "inserts" {
                "—".to_owned()
            } else {
                format!("{:.0}", bytes as f64 / requests)
            }
        };
        let phase = match &row.note {
            Some(note) => format!("{} ({note})", row.phase),
            None => row.phase.clone(),
        };
        println!(
            "| {phase} | {} | {:.0} {}/s | {} | {} | {} | {:.1} | {} | {} | {} | {ratio} | {} | {} | {} |",
            row.mode,
            row.rate(),
            row.unit,
            ms(&m.latency, 0.5),
            ms(&m.latency, 0.9),
            ms(&m.latency, 0.99),
            m.latency.max() as f64 / 1000.0,
            m.errors,
            wire(m.received),
            wire(m.sent),
            opt(row.server_cpu, 2),
            opt(row.load_cpu, 2),
            opt(row.rss_mb, 1),
        );
    }
}

fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/').map_or("/", |at| &rest[at..])
}

/// One GET: as a phone (`phone`) or as the index engine.
async fn fetch(
    conn: &mut client::Conn,
    target: &Target,
    path: &str,
    phone: bool,
) -> anyhow::Result<client::Reply> {
    let mut request = Request::get(path)
        .header(header::HOST, &target.authority)
        .header(header::ACCEPT_ENCODING, &target.accept_encoding);
    if !phone && let Some(token) = &target.token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let reply = conn
        .send(request.body(http_body_util::Full::new(Bytes::new()))?)
        .await
        .map_err(|e| anyhow::anyhow!("GET {path}: {e}"))?;
    anyhow::ensure!(reply.status == 200, "GET {path}: status {}", reply.status);
    Ok(reply)
}

/// A read-and-write API token made in the server's database, as `sipas token create`.
async fn api_token(database_url: &str) -> anyhow::Result<String> {
    use sipas_domain::access::Scope;
    let storage = sipas::storage::Storage::connect(database_url).await?;
    let txn = storage.write().await?;
    let name = format!("sipas-load-{}", std::process::id());
    let (_, token) = sipas::storage::api_clients::create(
        &txn,
        "sipas-load",
        &name,
        &[Scope::Read, Scope::Write],
    )
    .await?;
    txn.commit().await?;
    Ok(token)
}

/// Receipts for `count` dossiers of the demo unit, through the API as the one-stop
/// system issues them; returns their survey paths.
async fn issue_receipts(target: &Target, count: usize) -> anyhow::Result<Vec<String>> {
    let today = chrono::Utc::now().date_naive();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let paths = Arc::new(Mutex::new(Vec::with_capacity(count)));
    let wire = Arc::new(client::Wire::default());
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (next, paths, wire) = (next.clone(), paths.clone(), wire.clone());
        let authority = target.authority.clone();
        let token = target.token.clone().unwrap_or_default();
        let campaign = target.campaign.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = client::Conn::new(&authority, wire);
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= count {
                    return Ok::<_, anyhow::Error>(());
                }
                let body = serde_json::json!({
                    "dossier_code": format!("LOAD-{}-{i}", std::process::id()),
                    "unit_code": "18073",
                    "returned_on": today,
                });
                let request = Request::builder()
                    .method(Method::POST)
                    .uri(format!("/api/v1/campaigns/{campaign}/receipts"))
                    .header(header::HOST, &authority)
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(http_body_util::Full::new(Bytes::from(body.to_string())))?;
                let reply = conn.send(request).await.map_err(|e| anyhow::anyhow!(e))?;
                anyhow::ensure!(
                    reply.status == 201 || reply.status == 200,
                    "receipt: status {} {}",
                    reply.status,
                    reply.text()
                );
                let issued: serde_json::Value = serde_json::from_slice(&reply.body)?;
                let url = issued["url"].as_str().unwrap_or_default();
                paths
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(path_of(url).to_owned());
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    let paths = std::mem::take(&mut *paths.lock().unwrap_or_else(|p| p.into_inner()));
    Ok(paths)
}

/// Paper forms of the demo unit, every question answered.
fn import_csv(questions: &[String], rows: u64) -> Bytes {
    let mut csv = format!(
        "unit_code,service_point_code,channel,{}\n",
        questions.join(",")
    );
    for i in 0..rows as usize {
        csv.push_str("18073,,paper");
        for k in 0..questions.len() {
            csv.push(',');
            csv.push(char::from(b'1' + ((i * 7 + k * 3) % 5) as u8));
        }
        csv.push('\n');
    }
    Bytes::from(csv)
}
