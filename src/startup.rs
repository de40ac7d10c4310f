//! Putting the service together: database, reference data, Redis, HTTP server.

use std::net::TcpListener;
use std::sync::Arc;

use sipas_domain::token::SigningKeys;

use actix_web::{App, HttpServer, dev::Server, middleware, web};
use tracing_actix_web::TracingLogger;

use crate::citizen::CitizenService;
use crate::config::Settings;
use crate::http::{AppState, RequestLine, routes};
use crate::redis_store::RedisStore;
use crate::scores::ScoreBook;
use crate::storage::{Storage, settings as stored_settings, users};
use sea_orm::EntityTrait;

/// What a start did that a person should hear about.
#[derive(Debug, Default)]
pub struct StartReport {
    pub first_admin: Option<(String, String)>,
    pub demo_created: bool,
    /// The demo's commune officer and their password, when the demo was just created.
    pub demo_officer: Option<(String, String)>,
}

pub struct Application {
    server: Server,
    port: u16,
    base_url: String,
    pub storage: Storage,
    pub keys: SigningKeys,
    pub scores: ScoreBook,
    pub report: StartReport,
}

/// The signing key ring: `SIPAS_SECRET` (or the installation's generated secret) signs,
/// `SIPAS_PREVIOUS_SECRETS` still verify.
async fn signing_keys(settings: &Settings, storage: &Storage) -> anyhow::Result<SigningKeys> {
    let current = match (
        &settings.secret,
        crate::storage::sqlite_path(&settings.database_url),
    ) {
        (Some(secret), _) => secret.clone(),
        (None, Some(db_file)) => key_file_secret(storage, db_file).await?,
        // An in-memory database: the key lives and dies with it.
        (None, None) => stored_settings::signing_secret(storage.db()).await?,
    };
    let previous = settings
        .previous_secrets
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    Ok(SigningKeys::new(current.as_bytes(), previous))
}

/// The embedded default's signing key, kept apart from the data in `<db>.key` beside
/// the SQLite file (mode 0600): read if there, else moved out of the database where an
/// earlier version kept it (and deleted there), else generated. Says where it is.
async fn key_file_secret(storage: &Storage, db_file: &str) -> anyhow::Result<String> {
    let path = std::path::PathBuf::from(format!("{db_file}.key"));
    if let Ok(text) = std::fs::read_to_string(&path) {
        let secret = text.trim().to_owned();
        anyhow::ensure!(
            secret.len() >= 16,
            "the key file {} holds no key of at least 16 characters",
            path.display()
        );
        tracing::info!(key_file = %path.display(), "signing key read from its file");
        return Ok(secret);
    }
    let stored = entity::setting::Entity::find_by_id("signing_secret")
        .one(storage.db())
        .await?
        .map(|row| row.value);
    let moved = stored.is_some();
    let secret = stored.unwrap_or_else(stored_settings::generated_secret);
    // Written whole under a temporary name, then linked into place: a node starting at
    // the same moment reads either no file or the whole key, and the first link wins.
    let temporary = std::path::PathBuf::from(format!("{db_file}.key.{}", std::process::id()));
    let _ = std::fs::remove_file(&temporary);
    crate::cli::write_private_file(&temporary, &secret)
        .map_err(|e| anyhow::anyhow!("cannot write the key file {}: {e}", path.display()))?;
    let linked = std::fs::hard_link(&temporary, &path);
    let _ = std::fs::remove_file(&temporary);
    if let Err(e) = linked {
        if e.kind() != std::io::ErrorKind::AlreadyExists {
            anyhow::bail!("cannot write the key file {}: {e}", path.display());
        }
        // Another node wrote it first: its key is the key.
        return Ok(std::fs::read_to_string(&path)?.trim().to_owned());
    }
    if moved {
        stored_settings::forget_signing_secret(storage.db()).await?;
    }
    tracing::info!(
        key_file = %path.display(),
        moved_from_database = moved,
        "signing key kept in its own file, apart from the database; back it up with it"
    );
    Ok(secret)
}

/// `SIPAS_BENCHMARK` is said where nobody can miss it, in the log and on the terminal:
/// a node that runs with it takes bots' answers as citizens'.
fn announce_benchmark(production: bool) {
    let production_note = if production {
        " THIS IS A PRODUCTION DEPLOYMENT (SIPAS_ENV=production or PostgreSQL): REMOVE SIPAS_BENCHMARK."
    } else {
        ""
    };
    tracing::warn!(
        production,
        "SIPAS_BENCHMARK is set: no minimum fill time and no rate limits; answers are not \
         protected and figures are for benchmarks only"
    );
    eprintln!(
        "!!! CHẾ ĐỘ ĐO HIỆU NĂNG (SIPAS_BENCHMARK): KHÔNG GIỚI HẠN, CÂU TRẢ LỜI KHÔNG ĐƯỢC BẢO VỆ · \
         SIPAS_BENCHMARK IS SET: NO MINIMUM FILL TIME, NO RATE LIMITS. ANSWERS ARE NOT \
         PROTECTED; FIGURES ARE FOR BENCHMARKS ONLY.{production_note}"
    );
}

impl Application {
    /// Migrates, seeds the reference data (and the demo campaign when asked), binds the
    /// listener and builds the server; `run_until_stopped` serves.
    pub async fn build(settings: &Settings, demo: bool) -> anyhow::Result<Self> {
        settings.check_production_keys()?;
        if settings.benchmark {
            announce_benchmark(settings.production);
        }
        let timeout = settings
            .database_timeout
            .unwrap_or_else(|| Storage::server_timeout(&settings.database_url));
        let storage = Storage::connect_with_timeout(&settings.database_url, timeout).await?;
        storage.migrate().await?;
        storage.seed_reference_data().await?;
        let demo_created = if demo {
            crate::demo::ensure_demo_campaign(&storage).await?
        } else {
            false
        };

        let first_admin = {
            let txn = storage.write().await?;
            crate::storage::one_at_a_time(&txn).await?;
            let created = users::ensure_first_admin(&txn).await?;
            txn.commit().await?;
            created
        };
        // After the first admin: an existing account means "not the first start".
        let demo_officer = if demo_created {
            crate::demo::ensure_demo_officer(&storage).await?
        } else {
            None
        };
        let redis = Arc::new(
            RedisStore::new(settings.redis_url.as_deref())
                .map_err(|e| anyhow::anyhow!("SIPAS_REDIS_URL is not a valid Redis URL: {e}"))?,
        );
        // Connect now (bounded), so the first requests find the connection ready; a
        // Redis that is down only means the in-process fallback until it answers.
        if redis.is_configured() {
            let status = redis.status().await;
            tracing::info!(redis = status.as_str(), "Redis at start");
        }
        let keys = signing_keys(settings, &storage).await?;
        let listener = TcpListener::bind(settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let base_url = settings.public_url.clone().unwrap_or_else(|| {
            // A wildcard bind is reachable on loopback; print that rather than 0.0.0.0.
            let ip = settings.bind.ip();
            let host = if ip.is_unspecified() {
                "127.0.0.1".to_owned()
            } else {
                ip.to_string()
            };
            format!("http://{host}:{port}")
        });
        if crate::config::public_url_is_private(&base_url) {
            tracing::warn!(
                public_url = %base_url,
                "SIPAS_PUBLIC_URL is a loopback or private address: QR codes, posters and \
                 receipts printed with it do not open on citizens' phones; set SIPAS_PUBLIC_URL \
                 to the address citizens reach"
            );
        }
        let (scores, loaded) = ScoreBook::load(storage.clone()).await?;
        tracing::info!(
            campaigns = loaded.campaigns,
            responses = loaded.responses,
            "score statistics built from stored responses; following the database"
        );
        let documents = crate::reports::DocumentCache::default();
        {
            let documents = documents.clone();
            scores.on_computed(Arc::new(move |computed| documents.prebuild(computed)));
        }
        scores.follow();
        // Every node delivers webhooks; the claims in the database keep each attempt to one.
        crate::webhooks::start(storage.clone(), settings.webhooks);
        crate::storage::address_keys::start_purging(storage.clone(), settings.address_key_days);
        if let Some(days) = settings.comment_retention_days {
            crate::storage::retention::start_purging_comments(storage.clone(), days);
        }
        let tokens = Arc::new(crate::tokens::ApiTokens::default());
        tokens.follow(storage.clone());
        let citizen = CitizenService::new(
            storage.clone(),
            keys.clone(),
            redis.clone(),
            scores.clone(),
            settings.rate_limits,
            &settings.redis_prefix,
            settings.benchmark,
        );
        let state = web::Data::new(AppState {
            storage: storage.clone(),
            redis: redis.clone(),
            citizen,
            scores: scores.clone(),
            keys: keys.clone(),
            documents,
            public_url: base_url.clone(),
            trusted_proxies: settings.trusted_proxies.clone(),
            sessions: crate::sessions::SessionStore::new(
                storage.clone(),
                redis.clone(),
                keys.clone(),
                &settings.redis_prefix,
            ),
            login_limiter: crate::rate_limit::RateLimiter::new(&settings.redis_prefix),
            pages: Default::default(),
            tokens: tokens.clone(),
        });
        let server = HttpServer::new(move || {
            App::new()
                .wrap(middleware::from_fn(crate::http::head_as_get))
                .wrap(middleware::from_fn(crate::http::refuse_nul))
                .wrap(middleware::from_fn(crate::http::security_headers))
                .wrap(middleware::Compress::default())
                .wrap(TracingLogger::<RequestLine>::new())
                .app_data(state.clone())
                .configure(routes)
        })
        // A client that closes its side has gone: its request is dropped at once, so
        // work that writes nothing for a while (an XLSX export being built) stops
        // with it rather than when it would first write.
        .h1_allow_half_closed(false)
        // A compressed page goes out in several writes (headers, chunks, the end);
        // with Nagle's algorithm each later write waited for the phone's delayed ACK:
        // 40 ms a page (150 gzip 404 pages a second on 4 connections, against 25,000
        // without gzip).
        .tcp_nodelay(true)
        .listen(listener)?
        // actix stops accepting on SIGTERM/SIGINT and lets requests in flight finish.
        .shutdown_timeout(10)
        .run();
        Ok(Self {
            server,
            port,
            base_url,
            storage,
            keys,
            scores,
            report: StartReport {
                first_admin,
                demo_created,
                demo_officer,
            },
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
