//! The database's own ceiling: one row per transaction from many tasks, at the
//! durability the service writes with (`synchronous=FULL` in WAL mode on SQLite, as
//! `Storage::connect` opens it; `synchronous_commit` as the server has it on
//! PostgreSQL, `on` by default), into a scratch table made and dropped here.

use std::time::{Duration, Instant};

use sipas::storage::Storage;

use crate::runner::Measured;

const TABLE: &str = "sipas_load_ceiling";

pub async fn inserts(
    database_url: &str,
    tasks: usize,
    seconds: f64,
) -> anyhow::Result<(Measured, String)> {
    let storage = Storage::connect(database_url).await?;
    let postgres = database_url.starts_with("postgres");
    let id = if postgres {
        "BIGSERIAL PRIMARY KEY"
    } else {
        "INTEGER PRIMARY KEY"
    };
    storage
        .execute_unprepared(&format!("DROP TABLE IF EXISTS {TABLE}"))
        .await?;
    // About a stored answer's row: ids, channel, 16 answers, nonce, address hash, time,
    // and the nonce unique as the responses' is.
    storage
        .execute_unprepared(&format!(
            "CREATE TABLE {TABLE} (id {id}, campaign_id INTEGER, unit_id INTEGER, \
             service_point_id INTEGER, channel TEXT, language TEXT, answers TEXT, \
             nonce TEXT UNIQUE, client_hash TEXT, submitted_at TEXT)"
        ))
        .await?;
    let durability = if postgres {
        use sea_orm::ConnectionTrait;
        let row = storage
            .db()
            .query_one_raw(sea_orm::Statement::from_string(
                storage.db().get_database_backend(),
                "SHOW synchronous_commit",
            ))
            .await?;
        let value: String = row
            .and_then(|r| r.try_get_by_index(0).ok())
            .unwrap_or_else(|| "?".into());
        format!("synchronous_commit={value}")
    } else {
        "WAL, synchronous=FULL".to_owned()
    };
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let mut handles = Vec::new();
    for task in 0..tasks {
        let storage = storage.clone();
        handles.push(tokio::spawn(async move {
            let mut measured = Measured::new();
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                let sql = format!(
                    "INSERT INTO {TABLE} (campaign_id, unit_id, service_point_id, channel, \
                     language, answers, nonce, client_hash, submitted_at) VALUES (2, 18073, 7, \
                     'desk_qr', 'vi', '[4,5,4,3,5,4,4,5,3,4,5,4,4,5,4,3]', \
                     '1733300000.{task:04}{n:012}.abcdefghijklmnopqrstuvwx', \
                     '0123456789abcdef0123456789abcdef', '2026-12-04T14:50:00.123456Z')"
                );
                let start = Instant::now();
                let outcome = storage
                    .execute_unprepared(&sql)
                    .await
                    .map(|_| (1, 1))
                    .map_err(|e| e.to_string());
                measured.record(start.elapsed(), outcome);
            }
            measured
        }));
    }
    let mut total = Measured::new();
    for handle in handles {
        if let Ok(measured) = handle.await {
            total.merge(measured);
        }
    }
    total.elapsed = started.elapsed();
    storage
        .execute_unprepared(&format!("DROP TABLE IF EXISTS {TABLE}"))
        .await?;
    Ok((total, durability))
}
