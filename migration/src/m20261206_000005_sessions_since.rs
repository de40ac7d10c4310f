//! `users.sessions_since`: when an administrator last ended all of an account's
//! sessions (by disabling it). A session is bound to a fingerprint of the password hash
//! and this moment, so a session opened before a disable does not come back when the
//! account is enabled again. NULL: never (the fingerprint is the password's alone).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(timestamp_with_time_zone_null("sessions_since"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .drop_column("sessions_since")
                    .to_owned(),
            )
            .await
    }
}
