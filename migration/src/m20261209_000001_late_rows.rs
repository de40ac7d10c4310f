//! PostgreSQL: the follower's read of late rows (rows below its position whose
//! transaction committed after its last read) looks them up by campaign and
//! transaction id, on `(campaign_id, txid)`. The index on `txid` alone left the planner
//! a choice, and with statistics older than the rows it chose to scan the whole
//! campaign by id on every follower read, that is after every group commit.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX ix_responses_campaign_id_txid ON responses (campaign_id, txid)",
        )
        .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS ix_responses_txid")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("CREATE INDEX ix_responses_txid ON responses (txid)")
            .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS ix_responses_campaign_id_txid")
            .await?;
        Ok(())
    }
}
