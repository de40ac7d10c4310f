//! What lets every node follow the database instead of its own writes:
//!
//! * `campaigns.revision`: bumped in the same transaction as any change to a campaign's
//!   settings, status, frame or quotas, so a node reloads what changed.
//! * `responses.txid` (PostgreSQL): the id of the transaction that stored the row. Ids
//!   come from a sequence and can commit out of order; a follower reading `id > seen`
//!   keeps the transactions still in progress at its snapshot and re-reads their rows
//!   when they commit, so a late commit below its position is never missed. The id
//!   default takes the transaction id *before* the row id, which is what makes that
//!   exact: a row whose id a snapshot could have passed belongs to a transaction the
//!   snapshot lists as in progress. SQLite has one writer at a time, so its ids commit
//!   in order and the column stays empty.
//! * An index on `(campaign_id, id)` for the follower's range reads.
//! * PostgreSQL: a notification (`sipas_changes`) at the commit of any change a
//!   follower reads, so other nodes wake at once instead of at their next poll. Only a
//!   hint: what followers read is the table.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("campaigns")
                    .add_column(big_integer("revision").default(1))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("responses")
                    .add_column(big_integer_null("txid"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_responses_campaign_id_id")
                    .table("responses")
                    .col("campaign_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            let db = manager.get_connection();
            // The id was an identity column, whose default cannot be replaced: it
            // becomes a plain sequence with the function below as its default.
            for statement in [
                "ALTER TABLE responses ALTER COLUMN id DROP IDENTITY IF EXISTS",
                "CREATE SEQUENCE IF NOT EXISTS responses_id_seq OWNED BY responses.id",
                "SELECT setval('responses_id_seq', \
                   COALESCE((SELECT max(id) FROM responses), 0) + 1, false)",
            ] {
                db.execute_unprepared(statement).await?;
            }
            db.execute_unprepared(
                "CREATE OR REPLACE FUNCTION sipas_next_response_id() RETURNS bigint \
                 LANGUAGE plpgsql VOLATILE AS $$ BEGIN \
                   PERFORM pg_current_xact_id(); \
                   RETURN nextval('responses_id_seq'); \
                 END $$",
            )
            .await?;
            db.execute_unprepared(
                "ALTER TABLE responses \
                   ALTER COLUMN id SET DEFAULT sipas_next_response_id(), \
                   ALTER COLUMN txid SET DEFAULT (pg_current_xact_id()::text::bigint)",
            )
            .await?;
            db.execute_unprepared("CREATE INDEX ix_responses_txid ON responses (txid)")
                .await?;
            // A hint for followers on other nodes: wake up, something was stored. Sent
            // at commit, once per transaction, whatever wrote the rows.
            db.execute_unprepared(
                "CREATE OR REPLACE FUNCTION sipas_notify_change() RETURNS trigger \
                 LANGUAGE plpgsql AS $$ BEGIN \
                   PERFORM pg_notify('sipas_changes', ''); \
                   RETURN NULL; \
                 END $$",
            )
            .await?;
            for table in ["responses", "campaigns", "frames", "quotas"] {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER sipas_{table}_changed AFTER INSERT OR UPDATE OR DELETE \
                     ON {table} FOR EACH STATEMENT EXECUTE FUNCTION sipas_notify_change()"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            let db = manager.get_connection();
            for table in ["responses", "campaigns", "frames", "quotas"] {
                db.execute_unprepared(&format!(
                    "DROP TRIGGER IF EXISTS sipas_{table}_changed ON {table}"
                ))
                .await?;
            }
            db.execute_unprepared("DROP FUNCTION IF EXISTS sipas_notify_change()")
                .await?;
            db.execute_unprepared("DROP INDEX IF EXISTS ix_responses_txid")
                .await?;
            db.execute_unprepared(
                "ALTER TABLE responses ALTER COLUMN id SET DEFAULT nextval('responses_id_seq'), \
                   ALTER COLUMN txid DROP DEFAULT",
            )
            .await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS sipas_next_response_id()")
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("ix_responses_campaign_id_id")
                    .table("responses")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("responses")
                    .drop_column("txid")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("campaigns")
                    .drop_column("revision")
                    .to_owned(),
            )
            .await
    }
}
