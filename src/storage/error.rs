use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// What can go wrong below the HTTP layer, in terms the layers above can act on.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(DbErr),
}

impl From<DbErr> for StorageError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(msg)) => Self::Conflict(msg),
            _ => match err {
                DbErr::Conn(e) => Self::Unavailable(e.to_string()),
                DbErr::ConnectionAcquire(e) => Self::Unavailable(e.to_string()),
                // A connection lost mid-statement (the server went away): the
                // database is out of reach, not wrong.
                DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))
                    if is_lost_connection(&e) =>
                {
                    Self::Unavailable(e.to_string())
                }
                other => Self::Database(other),
            },
        }
    }
}

impl<E: std::error::Error> From<sea_orm::TransactionError<E>> for StorageError
where
    StorageError: From<E>,
{
    fn from(err: sea_orm::TransactionError<E>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(e) => e.into(),
            sea_orm::TransactionError::Transaction(e) => e.into(),
        }
    }
}

fn is_lost_connection(error: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    matches!(
        error,
        Error::Io(_) | Error::PoolTimedOut | Error::PoolClosed | Error::WorkerCrashed
    )
}
