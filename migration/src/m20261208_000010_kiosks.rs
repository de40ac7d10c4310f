//! `kiosks`: a desk's shared-tablet link for one campaign (the kiosk mode). Only a
//! hash of the link's token is kept; a regenerated or revoked link keeps its row, with
//! when and by whom, so an old tablet is told its link was withdrawn.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("kiosks")
                    .col(pk_auto("id"))
                    .col(integer("campaign_id"))
                    .col(integer("service_point_id"))
                    .col(string_uniq("token_hash"))
                    .col(string("enabled_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(string_null("revoked_by"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_kiosks_campaign_id")
                            .from("kiosks", "campaign_id")
                            .to("campaigns", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_kiosks_service_point_id")
                            .from("kiosks", "service_point_id")
                            .to("service_points", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_kiosks_campaign_id_service_point_id")
                    .table("kiosks")
                    .col("campaign_id")
                    .col("service_point_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("kiosks").to_owned())
            .await
    }
}
