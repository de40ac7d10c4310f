//! `snapshots`: a campaign's figures frozen at publication, version k, as the canonical
//! JSON document served verbatim and its SHA-256. A published figure must never move,
//! so the database itself refuses to change or delete a row (a trigger on each backend),
//! whatever code or person connects to it.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_TRIGGERS: [&str; 2] = [
    "CREATE TRIGGER snapshots_no_update BEFORE UPDATE ON snapshots \
     BEGIN SELECT RAISE(ABORT, 'a published snapshot is immutable'); END",
    "CREATE TRIGGER snapshots_no_delete BEFORE DELETE ON snapshots \
     BEGIN SELECT RAISE(ABORT, 'a published snapshot is immutable'); END",
];

const POSTGRES_TRIGGERS: [&str; 2] = [
    "CREATE FUNCTION snapshots_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN RAISE EXCEPTION 'a published snapshot is immutable'; END $$",
    "CREATE TRIGGER snapshots_immutable BEFORE UPDATE OR DELETE ON snapshots \
     FOR EACH ROW EXECUTE FUNCTION snapshots_immutable()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("snapshots")
                    .col(pk_auto("id"))
                    .col(integer("campaign_id"))
                    .col(integer("version"))
                    .col(text("document"))
                    .col(string("sha256"))
                    .col(string("published_by"))
                    .col(timestamp_with_time_zone("published_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("snapshots", "campaign_id")
                            .to("campaigns", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_snapshots_campaign_id_version")
                    .table("snapshots")
                    .col("campaign_id")
                    .col("version")
                    .unique()
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let statements: &[&str] = match manager.get_database_backend() {
            DbBackend::Postgres => &POSTGRES_TRIGGERS,
            _ => &SQLITE_TRIGGERS,
        };
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("snapshots").to_owned())
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS snapshots_immutable()")
                .await?;
        }
        Ok(())
    }
}
