//! The server under load: started as its own process (so its CPU and memory are its
//! own), its database made fresh for the run, and its counters read from /proc.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sipas::storage::Storage;

/// A database made for one run: a fresh PostgreSQL database (dropped after) or a
/// SQLite file in a temporary folder (removed with it).
pub struct RunDatabase {
    pub url: String,
    admin_url: Option<String>,
    name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl RunDatabase {
    pub async fn create(given: Option<&str>) -> anyhow::Result<Self> {
        match given {
            Some(admin) if admin.starts_with("postgres") => {
                let name = format!("sipas_load_{}", std::process::id());
                let storage = Storage::connect(admin).await?;
                storage
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
                    .await?;
                storage
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await?;
                let base = admin.rsplit_once('/').map_or(admin, |(base, _)| base);
                Ok(Self {
                    url: format!("{base}/{name}"),
                    admin_url: Some(admin.to_owned()),
                    name: Some(name),
                    _dir: None,
                })
            }
            // A SQLite URL given is used as it is (and kept), e.g. to count rows after.
            Some(url) => Ok(Self {
                url: url.to_owned(),
                admin_url: None,
                name: None,
                _dir: None,
            }),
            None => {
                let dir = tempfile::tempdir()?;
                Ok(Self {
                    url: format!("sqlite://{}/load.db?mode=rwc", dir.path().display()),
                    admin_url: None,
                    name: None,
                    _dir: Some(dir),
                })
            }
        }
    }

    /// The database of a server already running: used, never dropped.
    pub fn existing(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            admin_url: None,
            name: None,
            _dir: None,
        }
    }

    pub async fn drop_database(&self) {
        if let (Some(admin), Some(name)) = (&self.admin_url, &self.name) {
            match Storage::connect(admin).await {
                Ok(storage) => {
                    if let Err(e) = storage
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await
                    {
                        eprintln!("sipas-load: could not drop {name}: {e}");
                    }
                }
                Err(e) => eprintln!("sipas-load: could not drop {name}: {e}"),
            }
        }
    }
}

/// `sipas serve --demo` as a child process.
pub struct Server {
    child: Child,
    pub base_url: String,
    pub survey_url: String,
    pub log: std::path::PathBuf,
}

impl Server {
    pub fn spawn(
        binary: &str,
        database_url: &str,
        redis_url: Option<&str>,
        log_dir: &std::path::Path,
    ) -> anyhow::Result<Self> {
        let log = log_dir.join("sipas-serve.log");
        let program = std::fs::canonicalize(binary)
            .map_err(|e| anyhow::anyhow!("no server binary {binary}: {e}"))?;
        let mut command = Command::new(program);
        if database_url.starts_with("postgres") {
            // A production start writes the first admin's password to a file in its
            // working folder: the run's temporary folder, not the checkout.
            command.current_dir(log_dir);
        }
        command
            .args(["serve", "--demo"])
            .env("SIPAS_BENCHMARK", "1")
            .env("SIPAS_DATABASE_URL", database_url)
            .env("SIPAS_BIND", "127.0.0.1:0")
            .env("SIPAS_SECRET", "sipas-load-secret-0123456789")
            .env(
                "SIPAS_REDIS_PREFIX",
                format!("sipas-load-{}:", std::process::id()),
            )
            // The server logs as a province runs it (a line per request, its default);
            // a RUST_LOG set for the run is passed on as it is.
            .env_remove("SIPAS_PUBLIC_URL")
            .env_remove("SIPAS_REDIS_URL")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log)?);
        if let Some(redis) = redis_url {
            command.env("SIPAS_REDIS_URL", redis);
        }
        let mut child = command
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start {binary}: {e}"))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, receiver) = std::sync::mpsc::channel();
        // Reads what the server prints; after its URLs, drains the rest so it never blocks.
        std::thread::spawn(move || {
            let mut base = None;
            let mut survey = None;
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if base.is_none()
                    && let Some(at) = line.find("http://")
                    && line.contains("SIPAS")
                {
                    base = Some(line[at..].trim().trim_end_matches('/').to_owned());
                }
                if survey.is_none()
                    && line.contains("/s/")
                    && let Some(at) = line.find("http://")
                {
                    survey = Some(line[at..].trim().to_owned());
                }
                if line.contains("Ctrl-C") {
                    let _ = sender.send((base.take(), survey.take()));
                }
            }
        });
        let mut server = Self {
            child,
            base_url: String::new(),
            survey_url: String::new(),
            log,
        };
        match receiver.recv_timeout(Duration::from_secs(180)) {
            Ok((Some(base), Some(survey))) => {
                server.base_url = base;
                server.survey_url = survey;
                Ok(server)
            }
            _ => anyhow::bail!(
                "the server did not print its URLs; its log: {}",
                server.log.display()
            ),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, as an operator stops it; killed if it has not stopped in 15 s.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits until `GET /readyz` answers 200.
pub async fn wait_ready(authority: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let wire = std::sync::Arc::new(crate::client::Wire::default());
    loop {
        let mut conn = crate::client::Conn::new(authority, wire.clone());
        let request = hyper::Request::get("/readyz")
            .header(hyper::header::HOST, authority)
            .body(http_body_util::Full::new(bytes::Bytes::new()))?;
        if let Ok(reply) = conn.send(request).await
            && reply.status == 200
        {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{authority} not ready after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// CPU seconds (user + system) a process has used so far.
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces): state is field 3,
    // utime 14 and stime 15, in clock ticks of 1/100 s (Linux's USER_HZ).
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// (resident now, peak resident) in MB.
pub fn memory_mb(pid: &str) -> Option<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = |key: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        line.split_whitespace().nth(1)?.parse::<f64>().ok()
    };
    Some((kb("VmRSS:")? / 1024.0, kb("VmHWM:")? / 1024.0))
}
