//! Running a round from the dashboard:
//!
//! * `audit_log.unit_id`: the unit a change is about, so the audit page filters by unit
//!   (and its subtree) without parsing the detail.
//! * `quotas.override_reason`, `override_by`, `override_at`: a manager's override of one
//!   unit's quota says why, who and when; undone, they are cleared and the computed
//!   quota returns.
//! * `responses.serial`: the number printed on a paper or interviewer form; unique per
//!   campaign, so the same form is never keyed twice (web answers leave it empty).
//! * `api_clients.last_used_at`: when a token last authenticated a request.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        let columns = [
            ("audit_log", integer_null("unit_id")),
            ("quotas", text_null("override_reason")),
            ("quotas", string_null("override_by")),
            ("quotas", timestamp_with_time_zone_null("override_at")),
            ("responses", string_null("serial")),
            ("api_clients", timestamp_with_time_zone_null("last_used_at")),
        ];
        for (table, mut column) in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_log_unit_id")
                    .table("audit_log")
                    .col("unit_id")
                    .to_owned(),
            )
            .await?;
        // NULLs are distinct in a unique index on both databases: web answers, which
        // have no serial, never collide.
        manager
            .create_index(
                Index::create()
                    .name("ix_responses_campaign_id_serial")
                    .table("responses")
                    .col("campaign_id")
                    .col("serial")
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_responses_campaign_id_serial")
                    .table("responses")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_audit_log_unit_id")
                    .table("audit_log")
                    .to_owned(),
            )
            .await?;
        let columns = [
            ("api_clients", "last_used_at"),
            ("responses", "serial"),
            ("quotas", "override_at"),
            ("quotas", "override_by"),
            ("quotas", "override_reason"),
            ("audit_log", "unit_id"),
        ];
        for (table, column) in columns {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
