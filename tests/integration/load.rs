//! `sipas-load` against a server it starts: citizens' flows complete without an error
//! and each one is a stored answer.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::common::{Backend, TestDatabase};

#[tokio::test]
async fn sipas_load_completes_citizen_flows_and_they_are_stored() {
    let Some(database) = TestDatabase::create(Backend::Sqlite).await else {
        return;
    };
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sipas-load"))
        .args(["run", "--server", env!("CARGO_BIN_EXE_sipas")])
        .args(["--database-url", &database.url])
        .args(["--seconds", "1", "--connections", "2", "--phones", "50"])
        .args([
            "--receipts",
            "20",
            "--phases",
            "healthz,page,submit,receipt,submit@10",
        ])
        .output()
        .expect("sipas-load runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Any failed flow (a form without its nonce, a post not answered 303, a missing
    // thank-you page) makes the run exit non-zero.
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("| submit | open 10/s |"), "{stdout}");
    let flows: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("completed citizen flows (submit and receipt phases): "))
        .and_then(|n| n.trim().parse().ok())
        .expect("the count of completed flows");
    assert!(flows > 0, "{stdout}");
    // The demo's synthetic answers have no form nonce; every citizen's form has one.
    let storage = sipas::storage::Storage::connect(&database.url)
        .await
        .unwrap();
    let stored = entity::response::Entity::find()
        .filter(entity::response::Column::Nonce.is_not_null())
        .count(storage.db())
        .await
        .unwrap();
    assert_eq!(stored, flows, "{stdout}");
}
