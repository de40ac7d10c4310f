//! Structures across the 2025 reform, and PAR schemes as data:
//!
//! * `unit_successions`: which units of one period became which of the next (the
//!   crosswalk). `relation` is `whole` (all of the old unit went into the new one) or
//!   `split` (the old unit was divided between several new ones), so a comparison
//!   across the reform knows when its predecessor group is only approximate.
//! * `par_schemes`: the named schemes a campaign's points come from; their points per
//!   unit type stay in `par_points`.
//! * `service_points.valid_until`: a desk closed at a date (exclusive), like a unit.
//! * `campaigns.units_on`: the day a campaign's units are read on, when it is not its
//!   first day: a campaign of an earlier version that started after the reform but ran
//!   on the old structure keeps it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("unit_successions")
                    .col(pk_auto("id"))
                    .col(integer("predecessor_id"))
                    .col(integer("successor_id"))
                    .col(string("relation"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_unit_successions_predecessor_id")
                            .from("unit_successions", "predecessor_id")
                            .to("units", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_unit_successions_successor_id")
                            .from("unit_successions", "successor_id")
                            .to("units", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_unit_successions_predecessor_id_successor_id")
                    .table("unit_successions")
                    .col("predecessor_id")
                    .col("successor_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_unit_successions_successor_id")
                    .table("unit_successions")
                    .col("successor_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("par_schemes")
                    .col(pk_auto("id"))
                    .col(string_uniq("code"))
                    .col(string("name"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        // Schemes named by earlier versions exist only through their points.
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO par_schemes (code, name, created_at) \
             SELECT DISTINCT scheme, scheme, CURRENT_TIMESTAMP FROM par_points",
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("service_points")
                    .add_column(date_null("valid_until"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("campaigns")
                    .add_column(date_null("units_on"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("campaigns")
                    .drop_column("units_on")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("service_points")
                    .drop_column("valid_until")
                    .to_owned(),
            )
            .await?;
        for table in ["par_schemes", "unit_successions"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
