//! The audit log as a hash chain (`sipas_domain::audit`): every entry gets its
//! sequence number `seq`, the previous entry's hash `prev_hash` and its own `hash`;
//! `audit_chain` holds the head (one row: the last seq and hash), which an append locks
//! so appends from several nodes take turns and never fork the chain. The entries
//! already there are chained here, oldest first, so the chain starts valid.

use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::{prelude::*, schema::*};
use sipas_domain::audit::{Entry, GENESIS, entry_hash};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for mut column in [
            big_integer_null("seq"),
            string_null("prev_hash"),
            string_null("hash"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("audit_log")
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("audit_chain")
                    .col(integer("id").primary_key())
                    .col(big_integer("seq"))
                    .col(string("hash"))
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id, at, actor, action, subject, detail, unit_id FROM audit_log ORDER BY id",
            ))
            .await?;
        let mut prev = GENESIS.to_owned();
        let mut seq = 0i64;
        for row in rows {
            seq += 1;
            let id: i64 = row.try_get("", "id")?;
            let at: sea_orm_migration::sea_orm::prelude::ChronoDateTimeUtc =
                row.try_get("", "at")?;
            let (actor, action, subject, detail): (String, String, String, String) = (
                row.try_get("", "actor")?,
                row.try_get("", "action")?,
                row.try_get("", "subject")?,
                row.try_get("", "detail")?,
            );
            let unit_id: Option<i32> = row.try_get("", "unit_id")?;
            let hash = entry_hash(
                &prev,
                &Entry {
                    seq,
                    at_micros: at.timestamp_micros(),
                    actor: &actor,
                    action: &action,
                    subject: &subject,
                    detail: &detail,
                    unit_id,
                },
            );
            manager
                .exec_stmt(
                    Query::update()
                        .table("audit_log")
                        .value("seq", seq)
                        .value("prev_hash", prev.clone())
                        .value("hash", hash.clone())
                        .and_where(Expr::col("id").eq(id))
                        .to_owned(),
                )
                .await?;
            prev = hash;
        }
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("audit_chain")
                    .columns(["id", "seq", "hash"])
                    .values_panic([1.into(), seq.into(), prev.into()])
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_log_seq")
                    .table("audit_log")
                    .col("seq")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_audit_log_seq")
                    .table("audit_log")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("audit_chain").to_owned())
            .await?;
        for column in ["hash", "prev_hash", "seq"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("audit_log")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
