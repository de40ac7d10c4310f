//! Webhooks (issue 12): the endpoints an admin registers, the outbox of events (written
//! in the same transaction as the change they announce) and one delivery per event and
//! endpoint, which the worker claims with a lease so exactly one node sends each attempt.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("webhooks")
                    .col(pk_auto("id"))
                    .col(string_len("url", 2000))
                    .col(string("secret"))
                    .col(string("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("deleted_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_events")
                    .col(big_integer("id").auto_increment().primary_key())
                    // The `webhook-id` header: the same on every attempt, so a receiver
                    // can drop a duplicate.
                    .col(string("message_id").unique_key())
                    .col(string("type"))
                    // The exact bytes delivered (and signed).
                    .col(text("body"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_deliveries")
                    .col(big_integer("id").auto_increment().primary_key())
                    .col(big_integer("event_id"))
                    .col(integer("webhook_id"))
                    .col(string("status"))
                    .col(integer("attempts").default(0))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(timestamp_with_time_zone_null("last_attempt_at"))
                    .col(integer_null("response_status"))
                    .col(text_null("response_body"))
                    .col(text_null("error"))
                    .col(timestamp_with_time_zone_null("delivered_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_deliveries_event_id")
                            .from("webhook_deliveries", "event_id")
                            .to("webhook_events", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_deliveries_webhook_id")
                            .from("webhook_deliveries", "webhook_id")
                            .to("webhooks", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        // What the worker looks for every second.
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_deliveries_status_next")
                    .table("webhook_deliveries")
                    .col("status")
                    .col("next_attempt_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["webhook_deliveries", "webhook_events", "webhooks"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
