//! Issue 13, findings 2 and 3: a Redis or PostgreSQL outage degrades the service and
//! answers fast; it never takes the node out nor loses a citizen's answers.

use std::time::{Duration, Instant};

use crate::citizen::{desk_url, full_answers, open_campaign};
use crate::common::{AppOptions, Backend, TestApp, spawn_app_with};

/// The server's default wait for a PostgreSQL connection.
const PRODUCTION_TIMEOUT: Duration = Duration::from_millis(800);

/// A local port with nothing listening: connections are refused at once.
fn refused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A listener that accepts connections and never answers (a hung server); it holds
/// them for as long as the test runs.
async fn hung_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    port
}

async fn timed_get(app: &TestApp, path: &str) -> (u16, Duration) {
    let started = Instant::now();
    let response = app.client.get(app.url(path)).send().await.unwrap();
    (response.status().as_u16(), started.elapsed())
}

async fn stored_count(app: &TestApp) -> usize {
    use sea_orm::{EntityTrait, PaginatorTrait};
    entity::response::Entity::find()
        .count(app.storage.db())
        .await
        .unwrap() as usize
}

/// A node whose Redis refuses or hangs keeps answering desk submissions and health
/// checks at once (they used to queue on the reconnecting client: about a second per
/// submission with a hung Redis, and as long for `/healthz` and `/readyz`).
async fn a_redis_outage_keeps_the_node_fast(redis_port: u16) {
    let options = AppOptions {
        redis_url: Some(format!("redis://127.0.0.1:{redis_port}")),
        ..Default::default()
    };
    let Some(app) = spawn_app_with(Backend::Sqlite, options).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let url = desk_url(&app, "HT-2026", "18073").await;
    for path in ["/healthz", "/readyz"] {
        let (status, took) = timed_get(&app, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(took < Duration::from_millis(1500), "{path} took {took:?}");
    }
    let started = Instant::now();
    let answers = full_answers("4");
    let submissions = (0..20).map(|_| app.answer(&url, &answers));
    for response in futures_util::future::join_all(submissions).await {
        assert_eq!(response.status(), 303);
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(6),
        "20 submissions took {took:?}"
    );
    assert_eq!(stored_count(&app).await, 20);
    let body: serde_json::Value = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["redis"], "down (in-process fallback)");
}

#[tokio::test]
async fn a_refused_redis_keeps_the_node_fast() {
    a_redis_outage_keeps_the_node_fast(refused_port()).await;
}

#[tokio::test]
async fn a_hung_redis_keeps_the_node_fast() {
    a_redis_outage_keeps_the_node_fast(hung_port().await).await;
}

/// A TCP proxy in front of PostgreSQL that a test cuts (every connection closed, new
/// ones refused, as when the server is stopped) and restores on the same port, without
/// touching the shared server.
struct Proxy {
    port: u16,
    upstream: String,
    /// The accepting task and every connection's task.
    tasks: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    /// Frozen: connections stay open but nothing passes (a hung server or network).
    frozen: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// Copies one direction of a connection, holding the bytes while `frozen`.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    frozen: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let Ok(n) = from.read(&mut buffer).await else {
            return;
        };
        if n == 0 {
            return;
        }
        while frozen.load(std::sync::atomic::Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Self {
            port: listener.local_addr().unwrap().port(),
            upstream,
            tasks: Default::default(),
            frozen: Default::default(),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let (upstream, tasks) = (self.upstream.clone(), self.tasks.clone());
        let frozen = self.frozen.clone();
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, frozen) = (upstream.clone(), frozen.clone());
                let task = tokio::spawn(async move {
                    if let Ok(server) = tokio::net::TcpStream::connect(&upstream).await {
                        let (client_read, client_write) = client.into_split();
                        let (server_read, server_write) = server.into_split();
                        tokio::join!(
                            pump(client_read, server_write, frozen.clone()),
                            pump(server_read, client_write, frozen),
                        );
                    }
                });
                tasks.lock().unwrap().push(task);
            }
        });
        self.tasks.lock().unwrap().push(accepting);
    }

    /// Closes every connection through the proxy and stops listening.
    fn cut(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// Keeps every connection open but lets nothing through, or lets it through again.
    fn freeze(&self, frozen: bool) {
        self.frozen
            .store(frozen, std::sync::atomic::Ordering::SeqCst);
    }

    async fn restore(&self) {
        let address = format!("127.0.0.1:{}", self.port);
        let listener = loop {
            match tokio::net::TcpListener::bind(&address).await {
                Ok(listener) => break listener,
                // The aborted listener may take a moment to be dropped.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        self.serve(listener);
    }
}

/// `host:port` of the test PostgreSQL server.
fn postgres_address() -> String {
    let url = crate::common::postgres_admin_url();
    let rest = url.split_once("://").unwrap().1;
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let authority = rest.split('/').next().unwrap();
    if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:5432")
    }
}

/// The radio buttons checked in a page, as (criterion, value).
pub fn checked(html: &str) -> Vec<(String, String)> {
    html.split("<input ")
        .filter(|tag| tag.contains("type=\"radio\"") && tag.contains(" checked"))
        .map(|tag| {
            let attr = |name: &str| {
                let value = tag.split(&format!("{name}=\"")).nth(1).unwrap();
                value[..value.find('"').unwrap()].to_owned()
            };
            (attr("name"), attr("value"))
        })
        .collect()
}

/// A PostgreSQL node reaching its database through a proxy the test can cut, with the
/// production pool wait.
async fn behind_a_proxy() -> Option<(Proxy, TestApp)> {
    let proxy = Proxy::start(postgres_address()).await;
    let options = AppOptions {
        postgres_port: Some(proxy.port),
        database_timeout: Some(PRODUCTION_TIMEOUT),
        ..Default::default()
    };
    let app = spawn_app_with(Backend::Postgres, options).await?;
    Some((proxy, app))
}

/// Issue 13, finding 3: when PostgreSQL goes away, a citizen's form answers 503 in
/// under a second (it used to wait for the 10 s pool timeout), shown again with every
/// answer, the comment and the same nonce; sent again once the database is back, it is
/// stored exactly once. `/readyz` says 503 as fast.
#[tokio::test]
async fn a_postgres_outage_keeps_the_citizens_answers() {
    let Some((proxy, app)) = behind_a_proxy().await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let url = desk_url(&app, "HT-2026", "18073").await;
    // A desk whose form this node never drew (it came from another node).
    let other_desk = desk_url(&app, "HT-2026", "18100").await;
    let other_nonce = crate::common::field_value(&app.page(&url).await, "_nonce").unwrap();
    let form = app.page(&url).await;
    let nonce = crate::common::field_value(&form, "_nonce").unwrap();
    let mut fields = full_answers("4");
    fields[0].1 = "5".into();
    fields[1].1 = "0".into();
    fields.push(("comment".into(), "Cán bộ tận tình".into()));
    fields.push(("_nonce".into(), nonce.clone()));
    fields.push((
        "_issued".into(),
        crate::common::field_value(&form, "_issued").unwrap(),
    ));
    fields.push(("website".into(), String::new()));

    proxy.cut();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    let response = app.client.post(&url).form(&fields).send().await.unwrap();
    let took = started.elapsed();
    assert_eq!(response.status(), 503);
    assert!(took < Duration::from_secs(3), "the 503 took {took:?}");
    assert!(response.headers().contains_key("retry-after"));
    let page = response.text().await.unwrap();
    assert!(page.contains("chưa lưu được phiếu"), "the page says why");
    assert_eq!(crate::common::field_value(&page, "_nonce"), Some(nonce));
    let mut kept = checked(&page);
    kept.sort();
    let mut sent: Vec<(String, String)> = full_answers("4");
    sent[0].1 = "5".into();
    sent[1].1 = "0".into();
    sent.sort();
    assert_eq!(kept, sent, "every answer is checked again");
    assert!(page.contains("Cán bộ tận tình"), "the comment is kept");

    let started = Instant::now();
    let (status, _) = timed_get(&app, "/readyz").await;
    assert_eq!(status, 503);
    assert!(started.elapsed() < Duration::from_secs(3));
    let (status, _) = timed_get(&app, "/healthz").await;
    assert_eq!(status, 200);
    // The API says the same, as fast, in its own shape.
    let started = Instant::now();
    let response = app
        .get("/api/v1/campaigns", &app.read_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(response.headers().contains_key("retry-after"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");

    // That form cannot be drawn here now; what was sent is kept in the page.
    let mut other_fields = full_answers("2");
    other_fields.push(("_nonce".into(), other_nonce.clone()));
    let response = app
        .client
        .post(&other_desk)
        .form(&other_fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let resend_page = response.text().await.unwrap();
    let mut resend = hidden_fields(&resend_page);
    resend.sort();
    other_fields.sort();
    assert_eq!(resend, other_fields, "every field is kept to be sent again");

    // The database is back: the re-shown form, sent as it is, is stored once.
    proxy.restore().await;
    let mut again: Vec<(String, String)> = checked(&page);
    for name in ["_nonce", "_issued", "comment"] {
        let value = if name == "comment" {
            "Cán bộ tận tình".to_owned()
        } else {
            crate::common::field_value(&page, name).unwrap()
        };
        again.push((name.into(), value));
    }
    again.push(("website".into(), String::new()));
    for _ in 0..2 {
        let response = app.client.post(&url).form(&again).send().await.unwrap();
        assert_eq!(response.status(), 303);
    }
    assert_eq!(stored_count(&app).await, 1);
    let response = app
        .client
        .post(&other_desk)
        .form(&resend)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(stored_count(&app).await, 2);
}

/// The hidden inputs of a page, as (name, value).
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input ")
        .filter(|tag| tag.starts_with("type=\"hidden\""))
        .map(|tag| {
            let attr = |name: &str| {
                let value = tag.split(&format!("{name}=\"")).nth(1).unwrap();
                value[..value.find('"').unwrap()].to_owned()
            };
            (attr("name"), attr("value"))
        })
        .collect()
}

/// The breaker closes again: once Redis answers after an outage, it is used again
/// (within the longest pause, 10 s), and while it is out every use is skipped fast.
#[tokio::test]
async fn redis_is_used_again_when_it_comes_back() {
    use sipas::redis_store::{RedisStatus, RedisStore};
    let Some(url) = crate::common::redis_url().await else {
        return;
    };
    let upstream = url
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_owned();
    let proxy = Proxy::start(upstream).await;
    let store = RedisStore::new(Some(&format!("redis://127.0.0.1:{}", proxy.port))).unwrap();
    assert_eq!(store.status().await, RedisStatus::Up);

    proxy.cut();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    for _ in 0..50 {
        assert_eq!(store.status().await, RedisStatus::Down);
    }
    // At most one try waits (0.5 s); the rest are skipped at once.
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "50 checks took {took:?}");
    assert_eq!(store.last_known_status(), RedisStatus::Down);

    proxy.restore().await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while store.status().await != RedisStatus::Up {
        assert!(Instant::now() < deadline, "Redis never used again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(store.last_known_status(), RedisStatus::Up);
}

/// A PostgreSQL that stops answering without closing anything (packets dropped):
/// citizens are answered 503 with their answers within a few seconds, never held for
/// the minutes TCP takes to give up, and `/readyz` says 503 within a second; once it
/// answers again, the form sent again is stored once.
#[tokio::test]
async fn a_hung_postgres_is_bounded() {
    let Some((proxy, app)) = behind_a_proxy().await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let url = desk_url(&app, "HT-2026", "18073").await;
    let forms: Vec<String> = futures_util::future::join_all((0..5).map(|_| app.page(&url))).await;
    let fields: Vec<Vec<(String, String)>> = forms
        .iter()
        .map(|form| {
            let mut fields = full_answers("4");
            for name in ["_nonce", "_issued"] {
                fields.push((name.into(), crate::common::field_value(form, name).unwrap()));
            }
            fields
        })
        .collect();

    proxy.freeze(true);
    let started = Instant::now();
    let posts = fields
        .iter()
        .map(|fields| app.client.post(&url).form(fields).send());
    for response in futures_util::future::join_all(posts).await {
        let response = response.unwrap();
        assert_eq!(response.status(), 503);
        let page = response.text().await.unwrap();
        assert_eq!(
            checked(&page).len(),
            full_answers("4").len(),
            "answers kept"
        );
    }
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "the 503s took {took:?}");
    let (status, took) = timed_get(&app, "/readyz").await;
    assert_eq!(status, 503);
    assert!(took < Duration::from_millis(1500), "/readyz took {took:?}");

    proxy.freeze(false);
    let deadline = Instant::now() + Duration::from_secs(30);
    for fields in &fields {
        loop {
            let response = app.client.post(&url).form(fields).send().await.unwrap();
            if response.status() == 303 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "never stored after the database came back"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    assert_eq!(stored_count(&app).await, 5);
}

/// A write that the database holds without answering (here a lock another session
/// keeps on the responses table, as a long maintenance statement would) no longer
/// holds every citizen behind it: the group commit is given up after a bound
/// (2 × the pool timeout + 3 s), each citizen gets the form back with 503, and the
/// forms sent again after the lock is gone are stored once each.
/// (PostgreSQL only: SQLite has no lock another session can hold on one table.)
#[tokio::test]
async fn a_held_write_is_bounded() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let options = AppOptions {
        database_timeout: Some(PRODUCTION_TIMEOUT),
        ..Default::default()
    };
    let Some(app) = spawn_app_with(Backend::Postgres, options).await else {
        return;
    };
    open_campaign(&app, "HT-2026", 0).await;
    let url = desk_url(&app, "HT-2026", "18073").await;
    let forms: Vec<String> = futures_util::future::join_all((0..3).map(|_| app.page(&url))).await;
    let fields: Vec<Vec<(String, String)>> = forms
        .iter()
        .map(|form| {
            let mut fields = full_answers("4");
            for name in ["_nonce", "_issued"] {
                fields.push((name.into(), crate::common::field_value(form, name).unwrap()));
            }
            fields
        })
        .collect();

    let other = sipas::storage::Storage::connect(&app.database.url)
        .await
        .unwrap();
    let lock = other.db().begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE responses IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let started = Instant::now();
    let posts = fields
        .iter()
        .map(|fields| app.client.post(&url).form(fields).send());
    let responses = tokio::time::timeout(
        Duration::from_secs(30),
        futures_util::future::join_all(posts),
    )
    .await
    .expect("citizens are answered while the write is held");
    for response in responses {
        let response = response.unwrap();
        assert_eq!(response.status(), 503);
        let page = response.text().await.unwrap();
        assert_eq!(
            checked(&page).len(),
            full_answers("4").len(),
            "answers kept"
        );
    }
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "the 503s took {took:?}");
    lock.rollback().await.unwrap();

    for fields in &fields {
        let response = app.client.post(&url).form(fields).send().await.unwrap();
        assert_eq!(response.status(), 303);
    }
    assert_eq!(stored_count(&app).await, 3);
}
