//! The managers' dashboard:
//!
//! * `staff_sessions`: logged-in sessions, when no Redis is configured (with Redis they
//!   live there, so every node knows them either way). The id is the hash of the
//!   cookie's secret: a leaked table opens no session.
//! * `staff_visits`: what each staff member saw of a campaign's quotas on their last
//!   visit (each unit's status), so the next visit shows what changed since.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("staff_sessions")
                    .col(string("id").primary_key())
                    .col(integer("user_id"))
                    .col(string("credential"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_staff_sessions_user_id")
                            .from("staff_sessions", "user_id")
                            .to("users", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_staff_sessions_expires_at")
                    .table("staff_sessions")
                    .col("expires_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("staff_visits")
                    .col(integer("user_id"))
                    .col(integer("campaign_id"))
                    .col(timestamp_with_time_zone("seen_at"))
                    .col(text("statuses"))
                    .primary_key(Index::create().col("user_id").col("campaign_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_staff_visits_user_id")
                            .from("staff_visits", "user_id")
                            .to("users", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_staff_visits_campaign_id")
                            .from("staff_visits", "campaign_id")
                            .to("campaigns", "id"),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("staff_visits").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("staff_sessions").to_owned())
            .await
    }
}
