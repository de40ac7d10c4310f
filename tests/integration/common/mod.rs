//! Test harness: every test gets its own fresh database (an SQLite file, or a new
//! PostgreSQL database) and, for HTTP tests, the real server on a random port.
//!
//! PostgreSQL and Redis come from `SIPAS_TEST_POSTGRES_URL` / `SIPAS_TEST_REDIS_URL`
//! (defaults: the local servers). When one is unreachable its tests say they skipped,
//! unless `SIPAS_TEST_REQUIRE_SERVICES=1` (set by `.ci/run`), which makes it a failure.
#![allow(dead_code)]

use std::sync::OnceLock;

use sipas::config::Settings;
use sipas::scores::{ScoreBook, ScoreQuery};
use sipas::startup::Application;
use sipas::storage::{Storage, api_clients};
use sipas_domain::access::Scope;

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

fn services_required() -> bool {
    std::env::var("SIPAS_TEST_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

fn skip_or_fail(what: &str, why: String) {
    if services_required() {
        panic!("{what} is required (SIPAS_TEST_REQUIRE_SERVICES=1) but unreachable: {why}");
    }
    eprintln!("SKIPPED: {what} unreachable ({why}); this test ran nothing on it");
}

/// A database that lives as long as the test.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres_name: Option<String>,
}

impl TestDatabase {
    /// A fresh database, or `None` (after saying so) when PostgreSQL is unreachable
    /// and not required.
    pub async fn create(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/sipas.db?mode=rwc", dir.path().display());
                Some(Self {
                    url,
                    _dir: Some(dir),
                    postgres_name: None,
                })
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let admin = match Storage::connect(&admin_url).await {
                    Ok(s) => s,
                    Err(e) => {
                        skip_or_fail("PostgreSQL", format!("{admin_url}: {e}"));
                        return None;
                    }
                };
                let name = format!("sipas_test_{}", uuid::Uuid::new_v4().simple());
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b)
                    .unwrap_or(&admin_url);
                Some(Self {
                    url: format!("{base}/{name}"),
                    _dir: None,
                    postgres_name: Some(name),
                })
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(name) = self.postgres_name.take() else {
            return;
        };
        // Drop runs outside async; a thread with its own runtime does the cleanup.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                if let Ok(admin) = Storage::connect(&postgres_admin_url()).await {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

/// Every test's HTTP client: it drops a pooled connection after 2 s idle, before the
/// server's 5 s keep-alive closes it, so a request is never sent on a connection the
/// server is closing (which fails as `IncompleteMessage` on a loaded machine; browsers
/// retry such a request, reqwest does not).
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().pool_idle_timeout(std::time::Duration::from_secs(2))
}

pub fn postgres_admin_url() -> String {
    std::env::var("SIPAS_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// The Redis URL for tests, or `None` (after saying so) when unreachable and optional.
pub async fn redis_url() -> Option<String> {
    static CHECKED: OnceLock<Result<String, String>> = OnceLock::new();
    let url =
        std::env::var("SIPAS_TEST_REDIS_URL").unwrap_or_else(|_| DEFAULT_REDIS_URL.to_owned());
    let result = match CHECKED.get() {
        Some(r) => r.clone(),
        None => {
            let store = sipas::redis_store::RedisStore::new(Some(&url)).expect("redis url");
            let r = match store.status().await {
                sipas::redis_store::RedisStatus::Up => Ok(url.clone()),
                other => Err(format!("{url}: {}", other.as_str())),
            };
            CHECKED.get_or_init(|| r).clone()
        }
    };
    match result {
        Ok(url) => Some(url),
        Err(why) => {
            skip_or_fail("Redis", why);
            None
        }
    }
}

pub fn settings(database_url: &str, redis_url: Option<String>) -> Settings {
    let mut settings = Settings::from_lookup(|_| None).expect("default settings");
    settings.database_url = database_url.to_owned();
    settings.redis_url = redis_url;
    settings.bind = "127.0.0.1:0".parse().unwrap();
    settings.secret = Some("test-secret-0123456789".to_owned());
    // A loaded test machine is not an outage: a connection may take seconds to open.
    settings.database_timeout = Some(std::time::Duration::from_secs(10));
    // Each test its own Redis key space, so tests never see each other's counters.
    settings.redis_prefix = format!("sipas-test-{}:", uuid::Uuid::new_v4().simple());
    settings
}

/// The real server on a random port, its database, and tokens of each kind.
pub struct TestApp {
    pub address: String,
    pub storage: Storage,
    pub scores: ScoreBook,
    pub client: reqwest::Client,
    pub read_token: String,
    pub write_token: String,
    pub both_token: String,
    /// What the node was started with; a second node starts with the same.
    pub settings: Settings,
    pub database: TestDatabase,
}

/// Another live node of the same deployment: same database, same Redis and key space,
/// same signing key.
pub struct Node {
    pub address: String,
    pub scores: ScoreBook,
}

impl Node {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }
}

/// A node started as its own `sipas serve` process (two processes on one SQLite file);
/// killed when dropped.
pub struct NodeProcess {
    pub address: String,
    child: std::process::Child,
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl NodeProcess {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }
}

#[derive(Default)]
pub struct AppOptions {
    pub demo: bool,
    pub redis: bool,
    pub rate_limits: Option<sipas::rate_limit::RateLimits>,
    /// The webhook worker's settings (e.g. a short first retry).
    pub webhooks: Option<sipas::webhooks::WorkerSettings>,
    /// A Redis of the test's own (one refused or hung), instead of the shared one.
    pub redis_url: Option<String>,
    /// The node reaches PostgreSQL through this local port (a test's own proxy that it
    /// can cut); the test's own connections still go straight to the server.
    pub postgres_port: Option<u16>,
    /// `SIPAS_TRUSTED_PROXIES`, e.g. `127.0.0.1` to send `X-Forwarded-For` as a proxy.
    pub trusted_proxies: Option<&'static str>,
    /// The node's wait for a database connection (`SIPAS_DATABASE_TIMEOUT_MS`); tests
    /// of outages set the production default, 800 ms.
    pub database_timeout: Option<std::time::Duration>,
    /// Started as with `SIPAS_BENCHMARK=1`.
    pub benchmark: bool,
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, AppOptions::default()).await
}

pub async fn spawn_app_with(backend: Backend, options: AppOptions) -> Option<TestApp> {
    let database = TestDatabase::create(backend).await?;
    let redis = if options.redis {
        Some(redis_url().await?)
    } else {
        None
    };
    let mut settings = settings(&database.url, redis.or(options.redis_url));
    if let Some(port) = options.postgres_port {
        settings.database_url = via_port(&database.url, port);
    }
    if let Some(timeout) = options.database_timeout {
        settings.database_timeout = Some(timeout);
    }
    if options.benchmark {
        let benchmark = Settings::from_lookup(|k| (k == "SIPAS_BENCHMARK").then(|| "1".into()))
            .expect("benchmark settings");
        settings.benchmark = benchmark.benchmark;
        settings.rate_limits = benchmark.rate_limits;
    }
    if let Some(limits) = options.rate_limits {
        settings.rate_limits = limits;
    }
    if let Some(webhooks) = options.webhooks {
        settings.webhooks = webhooks;
    }
    if let Some(proxies) = options.trusted_proxies {
        settings.trusted_proxies =
            sipas_domain::network::TrustedProxies::parse(proxies).expect("proxies");
    }
    let app = Application::build(&settings, options.demo)
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    // The test's own work (tokens, checks) is not the node's and must not fail on the
    // node's short timeout.
    let storage = if options.postgres_port.is_some() || options.database_timeout.is_some() {
        Storage::connect(&database.url)
            .await
            .expect("direct connection")
    } else {
        app.storage.clone()
    };
    let scores = app.scores.clone();
    tokio::spawn(app.run_until_stopped());
    let token = |name: &'static str, scopes: &'static [Scope]| {
        let storage = storage.clone();
        async move {
            let txn = storage.write().await.expect("transaction");
            let token = api_clients::create(&txn, "test", name, scopes)
                .await
                .expect("token")
                .1;
            txn.commit().await.expect("commit");
            token
        }
    };
    Some(TestApp {
        scores,
        settings,
        read_token: token("reader", &[Scope::Read]).await,
        write_token: token("writer", &[Scope::Write]).await,
        both_token: token("both", &[Scope::Read, Scope::Write]).await,
        address,
        storage,
        client: client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        database,
    })
}

/// A PostgreSQL URL with its host and port replaced by `127.0.0.1:{port}`.
pub fn via_port(url: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (user, rest) = rest.rsplit_once('@').map_or(("", rest), |(u, r)| (u, r));
    let path = rest.find('/').map_or("", |at| &rest[at..]);
    let user = if user.is_empty() {
        String::new()
    } else {
        format!("{user}@")
    };
    format!("{scheme}://{user}127.0.0.1:{port}{path}")
}

impl TestApp {
    /// A new staff account of this role and scope (a unit code as it is today), and
    /// its generated password.
    pub async fn create_user(&self, username: &str, role: &str, scope: Option<&str>) -> String {
        let new = sipas_domain::access::NewUser::parse(username, None, role, scope).expect("user");
        let txn = self.storage.write().await.expect("transaction");
        let password = sipas::storage::users::create(&txn, "test", &new)
            .await
            .expect("user created");
        txn.commit().await.expect("commit");
        password
    }

    /// A browser-like client (cookies kept, redirects not followed) logged in through
    /// the login form, with the login page's CSRF field and cookie, as a person would.
    pub async fn log_in(&self, username: &str, password: &str) -> reqwest::Client {
        let client = client_builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let form = client
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = field_value(&form, "csrf").expect("the login form has a csrf field");
        let response = client
            .post(self.url("/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("next", "/manage"),
                ("username", username),
                ("password", password),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "logging in as {username} failed");
        client
    }

    /// Logged in as a new account of this role (`admin`, `manager`, `viewer`) and scope.
    pub async fn login_as(&self, role: &str, scope: Option<&str>) -> reqwest::Client {
        let username = format!("{role}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let password = self.create_user(&username, role, scope).await;
        self.log_in(&username, &password).await
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Starts a second live node on the same database (and Redis), in this process.
    pub async fn spawn_node(&self) -> Node {
        let mut settings = self.settings.clone();
        settings.bind = "127.0.0.1:0".parse().unwrap();
        let node = Application::build(&settings, false)
            .await
            .expect("second node builds");
        let address = format!("http://127.0.0.1:{}", node.port());
        let scores = node.scores.clone();
        tokio::spawn(node.run_until_stopped());
        Node { address, scores }
    }

    /// Starts a second node as its own `sipas serve` process on the same database.
    pub fn spawn_node_process(&self) -> NodeProcess {
        use std::io::BufRead;
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sipas"));
        command
            .arg("serve")
            .env("SIPAS_DATABASE_URL", &self.settings.database_url)
            .env("SIPAS_BIND", "127.0.0.1:0")
            .env(
                "SIPAS_SECRET",
                self.settings.secret.as_deref().unwrap_or_default(),
            )
            .env("SIPAS_REDIS_PREFIX", &self.settings.redis_prefix)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit());
        match &self.settings.redis_url {
            Some(url) => command.env("SIPAS_REDIS_URL", url),
            None => command.env_remove("SIPAS_REDIS_URL"),
        };
        let mut child = command.spawn().expect("sipas serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let address = loop {
            let line = lines
                .next()
                .expect("sipas serve prints its address")
                .expect("a line");
            if let Some(at) = line.find("http://") {
                break line[at..].trim_end_matches('/').to_owned();
            }
        };
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        NodeProcess { address, child }
    }

    /// Waits until this node's scores include everything committed so far (the
    /// follower has read it and the official figures are recomputed).
    pub async fn settle(&self) {
        self.scores.catch_up().await;
        for state in self.scores.states() {
            let query = ScoreQuery::official(&state.description.campaign).unwrap();
            self.scores
                .fresh_scores(state.description.campaign.id, query)
                .await
                .unwrap();
        }
    }

    pub fn get(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(token)
    }

    pub fn post(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path)).bearer_auth(token)
    }

    /// A page's HTML, from a full URL.
    pub async fn page(&self, url: &str) -> String {
        self.client
            .get(url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// POSTs JSON with the write token.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.post(path, &self.write_token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Sends a CSV body with the write token (`PUT` a frame, `POST` responses or units).
    pub async fn send_csv(
        &self,
        method: reqwest::Method,
        path: &str,
        csv: &str,
    ) -> reqwest::Response {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.write_token)
            .header("Content-Type", "text/csv")
            .body(csv.to_owned())
            .send()
            .await
            .unwrap()
    }

    /// GETs JSON with the read token, expecting 200.
    pub async fn read_json(&self, path: &str) -> serde_json::Value {
        let response = self.get(path, &self.read_token).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.unwrap()
    }

    /// Answers the survey at `url` as a browser would: loads the form, then posts
    /// `answers` with the form's hidden fields and, as another citizen's phone each
    /// time, a fresh device cookie (without one, the tight cookieless limit applies).
    pub async fn answer(&self, url: &str, answers: &[(String, String)]) -> reqwest::Response {
        let html = self.page(url).await;
        let mut fields: Vec<(String, String)> = answers.to_vec();
        for hidden in ["_nonce", "_issued"] {
            fields.push((hidden.into(), field_value(&html, hidden).expect(hidden)));
        }
        fields.push(("website".into(), String::new()));
        self.client
            .post(url)
            .header("cookie", fresh_device())
            .form(&fields)
            .send()
            .await
            .unwrap()
    }
}

/// Runs an async test body once per backend, as separate tests so they run in parallel:
/// `backend_tests!(name_of_async_fn_taking_backend);`
#[macro_export]
macro_rules! backend_tests {
    ($($test:ident),* $(,)?) => {
        $(
            mod $test {
                #[tokio::test]
                async fn sqlite() {
                    super::$test($crate::common::Backend::Sqlite).await;
                }
                #[tokio::test]
                async fn postgres() {
                    super::$test($crate::common::Backend::Postgres).await;
                }
            }
        )*
    };
}

/// A `Cookie` header of a new phone's device cookie.
pub fn fresh_device() -> String {
    format!("sipas_device={}", uuid::Uuid::new_v4().simple())
}

/// The value of a form field in a page, e.g. the hidden `_nonce`.
pub fn field_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag = &html[tag_start..tag_start + html[tag_start..].find('>')?];
    let value = tag.split("value=\"").nth(1)?;
    Some(value[..value.find('"')?].to_owned())
}
