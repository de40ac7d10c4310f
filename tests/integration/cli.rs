//! The `sipas` binary itself: sub-commands, start-up output, request logs, SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{Backend, TestDatabase};

fn sipas(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sipas"));
    command
        .env("SIPAS_DATABASE_URL", database_url)
        .env_remove("SIPAS_REDIS_URL")
        .env_remove("SIPAS_SECRET")
        .env("RUST_LOG", "info");
    command
}

#[tokio::test]
async fn token_create_prints_the_token_alone_on_its_last_line() {
    let db = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let out = sipas(&db.url).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = sipas(&db.url).arg("seed").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("331 units and"));

    let out = sipas(&db.url)
        .args([
            "token",
            "create",
            "--name",
            "index-engine",
            "--scope",
            "read,write",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.lines().last().unwrap().trim().to_owned();
    assert!(
        token.starts_with("sipas_") && !token.contains(' '),
        "{stdout}"
    );

    let storage = sipas::storage::Storage::connect(&db.url).await.unwrap();
    let client = sipas::storage::api_clients::authenticate(storage.db(), &token)
        .await
        .unwrap()
        .expect("token is stored (hashed)");
    assert_eq!(client.name(), "index-engine");
    use sipas_domain::access::Action;
    assert!(client.allows(Action::Write) && client.allows(Action::Read));

    let out = sipas(&db.url)
        .args(["token", "create", "--name", "x", "--scope", "admin"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown scope"));
}

#[tokio::test]
async fn serve_prints_urls_logs_requests_and_stops_on_sigterm() {
    let db = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let mut child = sipas(&db.url)
        .args(["serve"])
        .env("SIPAS_BIND", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines_tx, lines) = mpsc::channel::<String>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let wait_for = |seen: &mut Vec<String>, needle: &str| -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
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
    let running = wait_for(&mut seen, "SIPAS is running");
    let url = running
        .split_whitespace()
        .last()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{running}");
    let first_login = wait_for(&mut seen, "log in as admin");
    let response = reqwest::get(format!("{url}/readyz")).await.unwrap();
    assert_eq!(response.status(), 200);
    let line = wait_for(&mut seen, "status=200");
    assert!(
        line.contains("request_id=") && line.contains("/readyz"),
        "{line}"
    );

    // The printed login works, through the login form as a person would use it.
    let password = first_login
        .split("with password ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no password in {first_login:?}"));
    let browser = crate::common::client_builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = browser
        .get(format!("{url}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::common::field_value(&form, "csrf").unwrap();
    let login = browser
        .post(format!("{url}/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "admin"),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303, "the printed admin password logs in");
    let page = browser
        .get(format!("{url}/account/password"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "did not stop within 20 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "exit status after SIGTERM: {status}");
}

crate::backend_tests!(units_import_sets_a_province_up);

/// Hà Nội set up by one command: its 126 communes from the national list, its own
/// departments from a file; all or nothing, and a second run changes nothing.
async fn units_import_sets_a_province_up(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "code,name,unit_type,parent_code\nHN-S-NV,Sở Nội vụ,department,\nHN S,Sở,department,\n",
    )
    .unwrap();
    let out = sipas(&db.url)
        .args(["units", "import", "--province", "01", "--file"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:3 (code): code must be", bad.display())),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was stored"), "{stderr}");

    let own = dir.path().join("own.csv");
    std::fs::write(
        &own,
        "code,name,unit_type,parent_code\nHN-S-NV,Sở Nội vụ,department,\nHN-TW-CA,Công an thành phố,central_agency,\n",
    )
    .unwrap();
    let run = || {
        let out = sipas(&db.url)
            .args(["units", "import", "--province", "01", "--file"])
            .arg(&own)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(run().contains("Province 01 from 2025-07-01: 129 units created, 0 already there."),);
    assert!(run().contains("0 units created, 129 already there."));
    let storage = sipas::storage::Storage::connect(&db.url).await.unwrap();
    let filter = |unit_type: &str| sipas::storage::UnitFilter {
        on: chrono::NaiveDate::from_ymd_opt(2026, 3, 1),
        unit_type: Some(unit_type.to_owned()),
        under: Some("01".to_owned()),
    };
    let communes = sipas::storage::units::list(storage.db(), &filter("commune"))
        .await
        .unwrap();
    assert_eq!(communes.len(), 126);
    let departments = sipas::storage::units::list(storage.db(), &filter("department"))
        .await
        .unwrap();
    assert_eq!(departments.len(), 1);
    // A province that set itself up does not get Hà Tĩnh's units, then or later.
    let every = |y, m, d| sipas::storage::UnitFilter {
        on: chrono::NaiveDate::from_ymd_opt(y, m, d),
        ..Default::default()
    };
    let all = sipas::storage::units::list(storage.db(), &every(2026, 3, 1))
        .await
        .unwrap();
    assert_eq!(all.len(), 129);
    let out = sipas(&db.url).arg("seed").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(" 0 units"));
    for day in [every(2026, 3, 1), every(2021, 3, 1)] {
        let listed = sipas::storage::units::list(storage.db(), &day)
            .await
            .unwrap();
        assert!(
            listed.iter().all(|u| !u.code.starts_with("18")),
            "no Hà Tĩnh commune"
        );
    }

    let unknown = sipas(&db.url)
        .args(["units", "import", "--province", "99"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("the 34 provinces are"));
}

/// A staff account from the command line: its password alone on the last line, only a
/// hash stored, its scope the unit of that code today.
#[tokio::test]
async fn user_create_prints_the_password_alone_on_its_last_line() {
    use argon2::password_hash::PasswordVerifier;
    use argon2::password_hash::phc::PasswordHash;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let db = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let create = |args: &[&str]| {
        sipas(&db.url)
            .args(["user", "create"])
            .args(args)
            .output()
            .unwrap()
    };
    let out = create(&[
        "--username",
        "Thanh.Sen",
        "--role",
        "manager",
        "--scope",
        "18073",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let password = stdout.lines().last().unwrap().trim().to_owned();
    assert_eq!(password.len(), 16, "{stdout}");

    let storage = sipas::storage::Storage::connect(&db.url).await.unwrap();
    let user = entity::user::Entity::find()
        .filter(entity::user::Column::Username.eq("thanh.sen"))
        .one(storage.db())
        .await
        .unwrap()
        .expect("stored under its lower-case name");
    assert_eq!(user.role, "manager");
    assert!(!user.password_hash.contains(&password));
    let hash = PasswordHash::new(&user.password_hash).unwrap();
    assert!(
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    );
    let ward = sipas::storage::units::by_code(storage.db(), "18073", None)
        .await
        .unwrap();
    assert_eq!(
        user.unit_id,
        Some(ward.id),
        "Phường Thành Sen as it is today"
    );

    for (args, said) in [
        (
            &["--username", "thanh.sen", "--role", "viewer"][..],
            "already exists",
        ),
        (&["--username", "x.y", "--role", "boss"][..], "unknown role"),
        (
            &["--username", "x.y", "--role", "viewer", "--scope", "99999"][..],
            "99999",
        ),
        (
            &["--username", "x.y", "--role", "admin", "--scope", "42"][..],
            "whole province",
        ),
    ] {
        let out = create(args);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(said), "{args:?}: {stderr}");
    }
}

/// A district office of the 2021 structure gets its district (which no longer exists
/// today), and a forgotten password is replaced from the command line.
#[tokio::test]
async fn user_scopes_and_password_resets() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let db = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let run = |args: &[&str]| sipas(&db.url).args(args).output().unwrap();
    let out = run(&[
        "user",
        "create",
        "--username",
        "phong.noivu.tp",
        "--role",
        "viewer",
        "--scope",
        "436",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = String::from_utf8(out.stdout).unwrap();
    let first = first.lines().last().unwrap().trim().to_owned();
    let storage = sipas::storage::Storage::connect(&db.url).await.unwrap();
    let user = entity::user::Entity::find()
        .filter(entity::user::Column::Username.eq("phong.noivu.tp"))
        .one(storage.db())
        .await
        .unwrap()
        .unwrap();
    let district = entity::unit::Entity::find_by_id(user.unit_id.unwrap())
        .one(storage.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(district.code, "436");
    assert!(
        district.valid_until.is_some(),
        "the district of the old structure"
    );

    let out = run(&["user", "password", "--username", "Phong.NoiVu.TP"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let second = stdout.lines().last().unwrap().trim().to_owned();
    assert_eq!(second.len(), 16);
    assert_ne!(first, second);
    let old = sipas::storage::users::authenticate(storage.db(), "phong.noivu.tp", &first)
        .await
        .unwrap();
    assert!(
        old.is_none(),
        "the old password no longer opens the account"
    );
    let new = sipas::storage::users::authenticate(storage.db(), "phong.noivu.tp", &second)
        .await
        .unwrap()
        .expect("the new password does");
    assert_eq!(new.unit_name.as_deref(), Some(district.name.as_str()));
    let out = run(&["user", "password", "--username", "nobody"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user nobody"));
}
