//! `sipas token list` and `sipas token revoke`: the table of clients (never their
//! tokens) with when each was created, last used and revoked; revoking by id or name is
//! audited, and an unknown or already revoked client is a clear error with a non-zero
//! exit code.

use std::process::Command;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::common::{Backend, TestDatabase};

fn sipas(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sipas"));
    command
        .env("SIPAS_DATABASE_URL", database_url)
        .env_remove("SIPAS_REDIS_URL")
        .env_remove("SIPAS_SECRET")
        .env("RUST_LOG", "warn");
    command
}

fn run(database_url: &str, args: &[&str]) -> (bool, String, String) {
    let out = sipas(database_url).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn line_of<'a>(table: &'a str, name: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(name))
        .unwrap_or_else(|| panic!("no line for {name} in\n{table}"))
}

#[tokio::test]
async fn tokens_are_listed_and_revoked_from_the_command_line() {
    let db = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let (ok, _, stderr) = run(&db.url, &["token", "list"]);
    assert!(ok, "{stderr}");
    for (name, scope) in [("engine", "read"), ("one-stop", "read,write")] {
        let (ok, _, stderr) = run(
            &db.url,
            &["token", "create", "--name", name, "--scope", scope],
        );
        assert!(ok, "{stderr}");
    }
    let storage = sipas::storage::Storage::connect(&db.url).await.unwrap();
    let engine = entity::api_client::Entity::find()
        .filter(entity::api_client::Column::Name.eq("engine"))
        .one(storage.db())
        .await
        .unwrap()
        .unwrap();
    // The engine has been used.
    let used = chrono::DateTime::parse_from_rfc3339("2026-03-01T03:04:00Z")
        .unwrap()
        .to_utc();
    assert!(
        sipas::storage::api_clients::touch(storage.db(), engine.id, used)
            .await
            .unwrap()
    );

    let (ok, table, stderr) = run(&db.url, &["token", "list"]);
    assert!(ok, "{stderr}");
    let header = table.lines().next().unwrap();
    let columns: Vec<&str> = header
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        columns,
        ["id", "name", "scopes", "created", "last used", "revoked"]
    );
    let line = line_of(&table, "engine");
    assert!(line.starts_with(&engine.id.to_string()), "{line}");
    assert!(line.contains(" read "), "{line}");
    assert!(line.contains("2026-03-01 10:04"), "Vietnam time: {line}");
    let one_stop = line_of(&table, "one-stop");
    assert!(
        one_stop.contains("read,write") && one_stop.trim_end().ends_with('-'),
        "{one_stop}"
    );
    assert!(!table.contains("sipas_"), "never a token");

    // By name, then by id.
    let (ok, stdout, stderr) = run(&db.url, &["token", "revoke", "engine"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("engine"), "{stdout}");
    let (ok, _, stderr) = run(&db.url, &["token", "revoke", "engine"]);
    assert!(!ok);
    assert!(stderr.contains("already revoked"), "{stderr}");
    let (ok, _, stderr) = run(&db.url, &["token", "revoke", "nobody"]);
    assert!(!ok);
    assert!(stderr.contains("no API client"), "{stderr}");
    let one_stop_id = one_stop.split_whitespace().next().unwrap();
    let (ok, _, stderr) = run(&db.url, &["token", "revoke", one_stop_id]);
    assert!(ok, "{stderr}");

    let (_, table, _) = run(&db.url, &["token", "list"]);
    for name in ["engine", "one-stop"] {
        let line = line_of(&table, name);
        assert!(!line.trim_end().ends_with('-'), "revoked: {line}");
    }
    let revokes = entity::audit_event::Entity::find()
        .filter(entity::audit_event::Column::Action.eq("api_client.revoke"))
        .all(storage.db())
        .await
        .unwrap();
    let subjects: Vec<(&str, &str)> = revokes
        .iter()
        .map(|e| (e.subject.as_str(), e.actor.as_str()))
        .collect();
    assert_eq!(subjects, [("engine", "cli"), ("one-stop", "cli")]);
    // A revoked token no longer authenticates.
    assert!(
        sipas::storage::api_clients::find(storage.db(), "engine")
            .await
            .unwrap()
            .revoked_at
            .is_some()
    );
}
