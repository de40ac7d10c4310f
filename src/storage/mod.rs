//! The storage layer: the only code that talks to the database (through sea-orm). It
//! speaks the domain's types to the layers above and hides every SQL dialect.

pub mod activity;
pub mod address_keys;
pub mod api_clients;
pub mod appraisals;
pub mod audit;
pub mod campaigns;
pub mod daily;
mod error;
pub mod exports;
pub mod follow;
pub mod frames;
pub mod imports;
pub mod kiosks;
pub mod par_schemes;
pub mod quotas;
pub mod receipts;
pub mod reference;
pub mod responses;
pub mod retention;
pub mod settings;
pub mod snapshots;
pub mod staff_sessions;
pub mod units;
pub mod users;
pub mod visits;
pub mod webhooks;

pub use campaigns::CampaignRecord;
pub use error::StorageError;
pub use imports::CodeBook;
pub use receipts::ReceiptRecord;
pub use responses::{NewResponse, Submission};
pub use units::{ServicePointRecord, SurveyPlace, UnitFilter, UnitRow};

/// A code, name or username as a lookup key: `None` when it holds a NUL byte, which no
/// stored one has and PostgreSQL refuses in any text it is sent, so that such a lookup
/// is "not found" on every backend, never a database error.
pub fn lookup_key(text: &str) -> Option<&str> {
    (!text.contains('\0')).then_some(text)
}

/// The most rows (or listed values) one statement carries.
pub const STATEMENT_ROWS: usize = 64;

/// Splits rows (or the values of an `IN` list) into chunks whose sizes are powers of
/// two up to [`STATEMENT_ROWS`], largest first. A multi-row INSERT is one statement
/// per number of rows, and every connection keeps the statements it prepared (up to
/// sqlx's 100): batches and files of any size would fill each cache with large
/// statements (with SQLite a prepared statement lives in this process's memory), where
/// these sizes make seven of each.
pub fn statement_chunks<T>(rows: Vec<T>) -> Vec<Vec<T>> {
    let mut left = rows.len();
    let mut rows = rows.into_iter();
    let mut chunks = Vec::new();
    while left > 0 {
        let size = STATEMENT_ROWS.min(1 << left.ilog2());
        // Each chunk its own allocation of its own size: a chunk split off the whole
        // would keep the whole's capacity (gigabytes for a demo seed).
        chunks.push(rows.by_ref().take(size).collect());
        left -= size;
    }
    chunks
}

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    AccessMode, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    DbBackend, IsolationLevel, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// A handle on the database; cheap to clone (a pool inside). The functions of the
/// storage modules take the connection or transaction they run in (`storage.db()` or a
/// transaction from [`Storage::write`]), so a change, its audit entry and what it sets
/// off commit together.
#[derive(Clone, Debug)]
pub struct Storage {
    db: DatabaseConnection,
    /// The longest wait for a connection from the pool.
    timeout: Duration,
}

impl Storage {
    /// Connects to `url` (`sqlite://…` or `postgres://…`). An SQLite file's folder is
    /// created, and the file runs in WAL mode so readers never wait for the writer,
    /// with `synchronous=FULL`: an acknowledged answer survives a power cut too.
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        Self::connect_with_timeout(url, Duration::from_secs(10)).await
    }

    /// The longest a server waits for a connection by default: a citizen or a load
    /// balancer gets a 503 in under a second when PostgreSQL is gone. SQLite's
    /// connections are local files, where a wait means the writer lock, not an outage.
    pub fn server_timeout(url: &str) -> Duration {
        if sqlite_path(url).is_some() || url.starts_with("sqlite:") {
            Duration::from_secs(10)
        } else {
            Duration::from_millis(800)
        }
    }

    /// [`Storage::connect`] with `timeout` as the longest wait to get (or open) a
    /// connection from the pool.
    pub async fn connect_with_timeout(url: &str, timeout: Duration) -> Result<Self, StorageError> {
        if let Some(path) = sqlite_path(url)
            && let Some(dir) = std::path::Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                StorageError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .sqlx_logging(false)
            // sea-orm maps both to the pool's acquire timeout.
            .connect_timeout(timeout)
            .acquire_timeout(timeout)
            .max_connections(if sqlite_path(url).is_some() { 8 } else { 16 })
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
            });
        let db = Database::connect(options).await?;
        Ok(Self { db, timeout })
    }

    /// Brings the schema up to date. Nodes starting at once take turns: the first
    /// migrates, the others find nothing left to do.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        let txn = self.write().await?;
        one_at_a_time(&txn).await?;
        Migrator::up(&txn, None).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Whether the database answers: what `/readyz` reports.
    pub async fn ping(&self) -> Result<(), StorageError> {
        self.db.ping().await?;
        Ok(())
    }

    /// The longest wait for a connection (`SIPAS_DATABASE_TIMEOUT_MS` on a server).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// The pool, for statements that need no transaction of their own.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// A write transaction. On SQLite it takes the write lock at `BEGIN` (IMMEDIATE):
    /// what it reads stays true until it commits, even with another process on the
    /// same file, and it never fails halfway on a stale snapshot.
    pub async fn write(&self) -> Result<DatabaseTransaction, StorageError> {
        Ok(self
            .db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?)
    }

    /// A write transaction that also holds the reference-data lock: changes to units,
    /// desks, PAR schemes and campaign statuses read what they check and write in one
    /// step on every backend (on PostgreSQL two nodes would otherwise both pass a check
    /// at READ COMMITTED, e.g. create a unit under a parent another node is closing).
    pub async fn write_reference(&self) -> Result<DatabaseTransaction, StorageError> {
        let txn = self.write().await?;
        one_at_a_time(&txn).await?;
        Ok(txn)
    }

    /// A read-only transaction over one snapshot: REPEATABLE READ on PostgreSQL (an
    /// SQLite read transaction in WAL mode already is one).
    pub async fn read_snapshot(&self) -> Result<DatabaseTransaction, StorageError> {
        let options = match self.backend() {
            DbBackend::Postgres => TransactionOptions {
                isolation_level: Some(IsolationLevel::RepeatableRead),
                access_mode: Some(AccessMode::ReadOnly),
                ..Default::default()
            },
            _ => TransactionOptions::default(),
        };
        Ok(self.db.begin_with_options(options).await?)
    }

    pub async fn close(self) -> Result<(), StorageError> {
        self.db.close().await?;
        Ok(())
    }

    /// Runs a statement that only matters on one backend, e.g. tests' housekeeping.
    pub async fn execute_unprepared(&self, sql: &str) -> Result<(), StorageError> {
        self.db.execute_unprepared(sql).await?;
        Ok(())
    }
}

/// Makes the calling write transaction the only one of its kind at a time across every
/// node (start-up work: migrations, reference data, the first account). On SQLite a
/// write transaction already holds the database's lock.
pub async fn one_at_a_time(txn: &DatabaseTransaction) -> Result<(), StorageError> {
    if txn.get_database_backend() == DbBackend::Postgres {
        // Any fixed number, the same on every node: "SIPAS" in ASCII.
        txn.execute_unprepared("SELECT pg_advisory_xact_lock(358335988051)")
            .await?;
    }
    Ok(())
}

/// The file of an SQLite URL (`None` for PostgreSQL or an in-memory database).
pub fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (path != ":memory:" && !path.is_empty()).then_some(path)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rows_go_in_chunks_of_powers_of_two_keeping_their_order() {
        use super::{STATEMENT_ROWS, statement_chunks};
        for n in (0..1_100usize).chain([4_321]) {
            let chunks = statement_chunks((0..n).collect());
            assert!(
                chunks
                    .iter()
                    .all(|c| c.len().is_power_of_two() && c.len() <= STATEMENT_ROWS),
                "{n}"
            );
            assert_eq!(chunks.concat(), (0..n).collect::<Vec<_>>());
            let held: usize = chunks.iter().map(Vec::capacity).sum();
            assert_eq!(held, n, "{n}: no chunk keeps more than its rows");
            // As few statements as these sizes allow.
            let fewest = n / STATEMENT_ROWS + (n % STATEMENT_ROWS).count_ones() as usize;
            assert_eq!(chunks.len(), fewest, "{n}");
        }
    }

    #[test]
    fn a_server_waits_briefly_for_postgres() {
        use std::time::Duration;
        let timeout = super::Storage::server_timeout;
        assert_eq!(timeout("postgres://x@y/z"), Duration::from_millis(800));
        assert_eq!(
            timeout("sqlite://data/sipas.db?mode=rwc"),
            Duration::from_secs(10)
        );
        assert_eq!(timeout("sqlite::memory:"), Duration::from_secs(10));
    }

    #[test]
    fn finds_sqlite_file_paths() {
        assert_eq!(
            super::sqlite_path("sqlite://data/sipas.db?mode=rwc"),
            Some("data/sipas.db")
        );
        assert_eq!(super::sqlite_path("sqlite::memory:"), None);
        assert_eq!(super::sqlite_path("postgres://x@y/z"), None);
    }
}
