//! The audit log's hash chain: an entry edited or deleted directly in the database is
//! found by `sipas audit verify`, appends from two nodes at once keep one chain, and
//! entries written before the chain existed are chained by the migration.

use sea_orm::ConnectionTrait;
use sipas::storage::Storage;
use sipas::storage::audit::{self, ChainReport};
use sipas_domain::audit::Break;

use crate::backend_tests;
use crate::common::{Backend, TestDatabase};

backend_tests!(
    an_edited_entry_is_reported_with_its_seq,
    a_deleted_entry_is_reported,
    entries_written_before_the_chain_are_chained_by_the_migration,
);

async fn storage(backend: Backend) -> Option<(Storage, TestDatabase)> {
    let db = TestDatabase::create(backend).await?;
    let storage = Storage::connect(&db.url).await.unwrap();
    storage.migrate().await.unwrap();
    Some((storage, db))
}

/// `n` entries, each in its own transaction as the application writes them.
async fn append(storage: &Storage, actor: &str, n: usize) {
    for i in 0..n {
        let txn = storage.write().await.unwrap();
        audit::record_for_unit(
            &txn,
            actor,
            "test.append",
            &format!("{actor}-{i}"),
            (i % 2 == 0).then_some(1),
            serde_json::json!({"i": i, "text": "Phường Thành Sen"}),
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
    }
}

async fn sql(storage: &Storage, statement: &str) {
    storage.db().execute_unprepared(statement).await.unwrap();
}

async fn an_edited_entry_is_reported_with_its_seq(backend: Backend) {
    let Some((storage, _db)) = storage(backend).await else {
        return;
    };
    append(&storage, "admin", 6).await;
    assert_eq!(
        audit::verify(&storage).await.unwrap(),
        ChainReport::Intact { entries: 6 }
    );
    sql(
        &storage,
        "UPDATE audit_log SET detail = '{\"i\":99}' WHERE seq = 4",
    )
    .await;
    assert_eq!(
        audit::verify(&storage).await.unwrap(),
        ChainReport::Broken(Break::Altered { seq: 4 })
    );
    // Rewriting its hash too only moves the break to the next link.
    sql(&storage, "UPDATE audit_log SET hash = 'x' WHERE seq = 4").await;
    assert_eq!(
        audit::verify(&storage).await.unwrap(),
        ChainReport::Broken(Break::Altered { seq: 4 })
    );
}

async fn a_deleted_entry_is_reported(backend: Backend) {
    let Some((storage, _db)) = storage(backend).await else {
        return;
    };
    append(&storage, "admin", 5).await;
    sql(&storage, "DELETE FROM audit_log WHERE seq = 2").await;
    assert_eq!(
        audit::verify(&storage).await.unwrap(),
        ChainReport::Broken(Break::Missing {
            seq: 2,
            found: Some(3)
        })
    );
    // The last entry cut off: the chain's head still names it.
    let Some((storage, _db)) = self::storage(backend).await else {
        return;
    };
    append(&storage, "admin", 3).await;
    sql(&storage, "DELETE FROM audit_log WHERE seq = 3").await;
    assert_eq!(
        audit::verify(&storage).await.unwrap(),
        ChainReport::Broken(Break::Missing {
            seq: 3,
            found: None
        })
    );
    // A row slipped in around the application has no place in the chain.
    let Some((storage, _db)) = self::storage(backend).await else {
        return;
    };
    append(&storage, "admin", 2).await;
    sql(
        &storage,
        "INSERT INTO audit_log (at, actor, action, subject, detail) \
         VALUES ('2026-01-01 00:00:00+00:00', 'x', 'user.create', 'x', '{}')",
    )
    .await;
    assert!(matches!(
        audit::verify(&storage).await.unwrap(),
        ChainReport::Unchained { ids } if ids.len() == 1
    ));
}

async fn entries_written_before_the_chain_are_chained_by_the_migration(backend: Backend) {
    use migration::{Migrator, MigratorTrait};
    let Some(db) = TestDatabase::create(backend).await else {
        return;
    };
    let storage = Storage::connect(&db.url).await.unwrap();
    // Every migration before the chain's.
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261208_000001_audit_chain")
        .unwrap();
    Migrator::up(storage.db(), Some(before as u32))
        .await
        .unwrap();
    for i in 0..3 {
        sql(
            &storage,
            &format!(
                "INSERT INTO audit_log (at, actor, action, subject, detail, unit_id) \
                 VALUES ('2026-0{}-01 10:00:00.123456+00:00', 'cli', 'user.create', 'u{i}', '{{}}', NULL)",
                i + 1
            ),
        )
        .await;
    }
    storage.migrate().await.unwrap();
    assert_eq!(
        audit::verify(&storage).await.unwrap(),
        ChainReport::Intact { entries: 3 }
    );
    append(&storage, "admin", 2).await;
    assert_eq!(
        audit::verify(&storage).await.unwrap(),
        ChainReport::Intact { entries: 5 }
    );
}

/// Two nodes (two connection pools on one PostgreSQL database), each appending from
/// several tasks at once: the head's row lock makes them take turns, so the chain
/// neither forks nor skips.
#[tokio::test]
async fn two_nodes_appending_at_once_keep_one_chain_on_postgres() {
    let Some(db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let first = Storage::connect(&db.url).await.unwrap();
    first.migrate().await.unwrap();
    let second = Storage::connect(&db.url).await.unwrap();
    let mut tasks = Vec::new();
    for (node, storage) in [("node-a", &first), ("node-b", &second)] {
        for task in 0..4 {
            let storage = storage.clone();
            tasks.push(tokio::spawn(async move {
                append(&storage, &format!("{node}-{task}"), 15).await;
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(
        audit::verify(&first).await.unwrap(),
        ChainReport::Intact { entries: 120 }
    );
}

/// The command itself: OK with the count, then the first broken seq and a failure.
#[tokio::test]
async fn sipas_audit_verify_reports_the_first_broken_link() {
    let Some((storage, db)) = storage(Backend::Sqlite).await else {
        return;
    };
    append(&storage, "admin", 3).await;
    let verify = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_sipas"))
            .args(["audit", "verify"])
            .env("SIPAS_DATABASE_URL", &db.url)
            .env_remove("SIPAS_SECRET")
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let out = verify();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("OK") && stdout.contains(" 3 entries"),
        "{stdout}"
    );

    sql(
        &storage,
        "UPDATE audit_log SET actor = 'someone else' WHERE seq = 2",
    )
    .await;
    let out = verify();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("BROKEN at entry 2"), "{stdout}");
    assert!(stdout.contains("changed after it was written"), "{stdout}");
}
