//! Keys apart from data: a production start needs its key from outside the database,
//! keeps the first admin password out of the log, and the request log never holds a
//! survey or receipt token.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{Backend, TestDatabase};

fn sipas(database_url: &str, dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sipas"));
    command
        .current_dir(dir)
        .env("SIPAS_DATABASE_URL", database_url)
        .env_remove("SIPAS_REDIS_URL")
        .env_remove("SIPAS_SECRET")
        .env_remove("SIPAS_SECRET_FILE")
        .env("RUST_LOG", "info");
    command
}

#[tokio::test]
async fn production_refuses_to_start_without_a_key_from_outside_the_database() {
    let db = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = sipas(&db.url, dir.path())
        .args(["serve"])
        .env("SIPAS_ENV", "production")
        .env("SIPAS_BIND", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("SIPAS_SECRET") && stderr.contains("SIPAS_SECRET_FILE"),
        "{stderr}"
    );
}

#[tokio::test]
async fn production_keeps_the_first_password_and_tokens_out_of_the_log() {
    let db = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, "production-secret-0123456789\n").unwrap();
    let mut child = sipas(&db.url, dir.path())
        .args(["serve", "--demo"])
        .env("SIPAS_ENV", "production")
        .env("SIPAS_SECRET_FILE", &secret_file)
        .env("SIPAS_BIND", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, lines) = mpsc::channel::<String>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen: Vec<String> = Vec::new();
    let mut wait_for = |needle: &str| -> String {
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            if let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) {
                seen.push(line.clone());
                if line.contains(needle) {
                    return line;
                }
            }
        }
        panic!("never printed {needle:?}; got:\n{}", seen.join("\n"));
    };
    let running = wait_for("SIPAS is running");
    let url = running
        .split_whitespace()
        .last()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let survey = wait_for("Khảo sát người dân");
    let survey_url = survey.split_whitespace().last().unwrap().to_owned();
    let token = survey_url.rsplit('/').next().unwrap().to_owned();
    let first = wait_for("First start");

    // The password is in a file only its owner reads, and the log names the file.
    let file = dir.path().join("sipas-first-admin-password");
    assert!(first.contains("sipas-first-admin-password"), "{first}");
    let password = std::fs::read_to_string(&file).unwrap().trim().to_owned();
    assert!(password.len() >= 12);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // Installs the process's TLS provider, which reqwest needs to build any client.
    let _ = sipas::webhooks::http_client(Duration::from_secs(5));
    let client = crate::common::client_builder().build().unwrap();
    // A survey token in a path is logged as [token], and a receipt's likewise.
    for path in [
        format!("/s/{token}"),
        format!("/s/{token}/thanks"),
        "/s/EAEFAk0xYzZ0cmVjZWlwdA/thanks".to_owned(),
    ] {
        let response = client.get(format!("{url}{path}")).send().await.unwrap();
        assert!(response.status().as_u16() < 500, "{path}");
    }
    let marker = client
        .get(format!("{url}/readyz?end"))
        .send()
        .await
        .unwrap();
    assert_eq!(marker.status(), 200);
    let last = wait_for("/readyz");
    assert!(last.contains("status=200"), "{last}");
    // (The start banner prints the demo desk's public poster link on purpose.)
    let requests: Vec<&String> = seen.iter().filter(|l| l.contains("request{")).collect();
    let log = requests
        .iter()
        .map(|l| l.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(log.contains("/s/[token]/thanks"), "{log}");
    for secret in [token.as_str(), "EAEFAk0xYzZ0cmVjZWlwdA"] {
        assert!(
            !log.contains(secret),
            "{secret:?} in the request log:\n{log}"
        );
    }
    let all = seen.join("\n");
    assert!(
        !all.contains(&password),
        "the first password is in the log:\n{all}"
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// A day's address key is random, kept in `address_keys`, the same all day, and gone
/// after the retention period; the hash under it is not the one the server's secret
/// would give, so the database and the secret together no longer reverse it.
async fn address_keys_are_daily_random_and_purged(backend: Backend) {
    use sipas::storage::address_keys::{hash_address, key_for, purge_before};
    let Some(db) = TestDatabase::create(backend).await else {
        return;
    };
    let storage = sipas::storage::Storage::connect(&db.url).await.unwrap();
    storage.migrate().await.unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let next = day.succ_opt().unwrap();
    let key = key_for(storage.db(), day).await.unwrap();
    assert_eq!(key.len(), 32);
    assert_eq!(
        key_for(storage.db(), day).await.unwrap(),
        key,
        "one key a day"
    );
    assert_ne!(key_for(storage.db(), next).await.unwrap(), key);
    let hash = hash_address(&key, "203.113.1.1");
    let keys = sipas_domain::token::SigningKeys::new(b"test-secret-0123456789", vec![]);
    let under_secret = keys.keyed_hash(&format!("client-address:{day}"), b"203.113.1.1");
    assert!(!under_secret.starts_with(&hash), "not the secret's hash");

    assert_eq!(purge_before(storage.db(), next).await.unwrap(), 1);
    use sea_orm::EntityTrait;
    assert!(
        entity::address_key::Entity::find_by_id(day)
            .one(storage.db())
            .await
            .unwrap()
            .is_none(),
        "the purged key is gone from the database"
    );
    // A new key for that day (should it be asked for again) hashes differently.
    let again = key_for(storage.db(), day).await.unwrap();
    assert_ne!(hash_address(&again, "203.113.1.1"), hash);
}

crate::backend_tests!(address_keys_are_daily_random_and_purged);

/// The embedded default keeps its generated key in `<db>.key` (mode 0600), moving a key
/// an earlier version kept in the database out of it; the same key after a restart.
#[tokio::test]
async fn the_embedded_default_keeps_its_key_beside_the_database_file() {
    use sea_orm::EntityTrait;
    use std::os::unix::fs::PermissionsExt;
    let db = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let file = db
        .url
        .strip_prefix("sqlite://")
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    // An earlier version's installation: the key in the settings table.
    let storage = sipas::storage::Storage::connect(&db.url).await.unwrap();
    storage.migrate().await.unwrap();
    let old = sipas::storage::settings::signing_secret(storage.db())
        .await
        .unwrap();
    let mut settings = crate::common::settings(&db.url, None);
    settings.secret = None;
    let app = sipas::startup::Application::build(&settings, false)
        .await
        .unwrap();
    let key_file = format!("{file}.key");
    assert_eq!(std::fs::read_to_string(&key_file).unwrap().trim(), old);
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(
        entity::setting::Entity::find_by_id("signing_secret")
            .one(storage.db())
            .await
            .unwrap()
            .is_none(),
        "the key left the database"
    );
    let token = app.keys.sign(&sipas_domain::token::SurveyToken::Desk {
        campaign_id: 1,
        service_point_id: 1,
    });
    drop(app);
    // A restart reads the same key from its file.
    let again = sipas::startup::Application::build(&settings, false)
        .await
        .unwrap();
    assert!(again.keys.verify(&token).is_ok());
}

/// Comments of a round published longer ago than the retention are deleted (audited,
/// the chain intact); a round not published, or published recently, keeps them.
async fn comments_of_long_published_rounds_are_purged(backend: Backend) {
    use sipas::storage::audit::{self, ChainReport};
    let Some(db) = TestDatabase::create(backend).await else {
        return;
    };
    let storage = sipas::storage::Storage::connect(&db.url).await.unwrap();
    storage.migrate().await.unwrap();
    storage.seed_reference_data().await.unwrap();
    sipas::demo::ensure_demo_campaign(&storage).await.unwrap();
    for sql in [
        "UPDATE responses SET comment = 'Cán bộ tận tình'",
        "UPDATE campaigns SET status = 'published' WHERE code = 'DEMO-2021'",
        "INSERT INTO snapshots (campaign_id, version, document, sha256, published_by, published_at) \
         SELECT id, 1, '{}', 'x', 'test', '2025-01-01 00:00:00+00:00' FROM campaigns WHERE code = 'DEMO-2021'",
    ] {
        storage.execute_unprepared(sql).await.unwrap();
    }
    let comments = |code: &'static str| {
        let storage = storage.clone();
        async move {
            use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
            let campaign = sipas::storage::campaigns::by_code(storage.db(), code)
                .await
                .unwrap();
            entity::response::Entity::find()
                .filter(entity::response::Column::CampaignId.eq(campaign.id))
                .filter(entity::response::Column::Comment.is_not_null())
                .count(storage.db())
                .await
                .unwrap()
        }
    };
    let before_old = comments("DEMO-2021").await;
    let before_open = comments("DEMO-2026").await;
    assert!(before_old > 0 && before_open > 0);

    // Published 2025-01-01: kept under a retention reaching back before that …
    let txn = storage.write().await.unwrap();
    let early = chrono::DateTime::parse_from_rfc3339("2024-12-01T00:00:00Z").unwrap();
    let purged = sipas::storage::retention::purge_comments(&txn, early.into(), 30)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    assert!(purged.is_empty());
    // … deleted under one that ends after it.
    let txn = storage.write().await.unwrap();
    let cutoff = chrono::Utc::now() - chrono::Duration::days(30);
    let purged = sipas::storage::retention::purge_comments(&txn, cutoff, 30)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    assert_eq!(purged, vec![("DEMO-2021".to_owned(), before_old)]);
    assert_eq!(comments("DEMO-2021").await, 0);
    assert_eq!(
        comments("DEMO-2026").await,
        before_open,
        "an open round keeps its comments"
    );
    let entries = audit::entries(storage.db()).await.unwrap();
    let last = entries.last().unwrap();
    assert_eq!(last.action, "responses.comments_purged");
    assert!(last.detail.contains(&format!("\"comments\":{before_old}")));
    assert!(matches!(
        audit::verify(&storage).await.unwrap(),
        ChainReport::Intact { .. }
    ));
}

crate::backend_tests!(comments_of_long_published_rounds_are_purged);
