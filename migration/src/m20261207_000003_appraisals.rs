//! `appraisals`: the appraisal council's points per unit (the PAR total's part that
//! is not the survey). One import is one new version for the campaign; a unit's
//! current points are its row in the latest version that lists it, so a correction
//! never rewrites what was imported before.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("appraisals")
                    .col(pk_auto("id"))
                    .col(integer("campaign_id"))
                    .col(integer("unit_id"))
                    .col(integer("version"))
                    .col(double("points"))
                    // The per-criterion breakdown as a JSON object, when the file had one.
                    .col(text_null("criteria"))
                    .col(string("imported_by"))
                    .col(timestamp_with_time_zone("imported_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_appraisals_campaign_id")
                            .from("appraisals", "campaign_id")
                            .to("campaigns", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_appraisals_unit_id")
                            .from("appraisals", "unit_id")
                            .to("units", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_appraisals_campaign_id_version_unit_id")
                    .table("appraisals")
                    .col("campaign_id")
                    .col("version")
                    .col("unit_id")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("appraisals").to_owned())
            .await
    }
}
