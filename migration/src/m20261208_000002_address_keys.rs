//! `address_keys`: one random key per day (Vietnam's day), created on its first use,
//! with which that day's client addresses are hashed; a key is deleted after its
//! retention period, and with it any way back from that day's hashes to addresses.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("address_keys")
                    .col(date("day").primary_key())
                    .col(string("key"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("address_keys").to_owned())
            .await
    }
}
