//! The whole domain's tables. Designed so later work adds behaviour, not reshapes:
//! units are a tree valid over a period, questionnaires are versioned data, responses
//! keep their answers in one compact column so a full recomputation is a single scan.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    from_table: &'static str,
    from_col: &'static str,
    to_table: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(from_table, from_col)
        .to(to_table, "id")
        .to_owned()
}

fn index(table: &'static str, columns: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement
        .name(format!("ix_{table}_{}", columns.join("_")))
        .table(table);
    for column in columns {
        statement.col(*column);
    }
    if unique {
        statement.unique();
    }
    statement.to_owned()
}

fn created_at() -> ColumnDef {
    timestamp_with_time_zone("created_at")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            // Key-value settings of this installation (e.g. the generated signing secret).
            Table::create()
                .table("settings")
                .col(string("key").primary_key())
                .col(text("value"))
                .to_owned(),
            Table::create()
                .table("unit_types")
                .col(pk_auto("id"))
                .col(string_uniq("code"))
                .col(string("name_vi"))
                .col(string("name_en"))
                .col(integer("tier"))
                .col(integer("quota_floor"))
                .to_owned(),
            // PAR points per unit type under a provincial scheme (a decision of the
            // province's People's Committee); a campaign names its scheme.
            Table::create()
                .table("par_points")
                .col(pk_auto("id"))
                .col(string("scheme"))
                .col(integer("unit_type_id"))
                .col(double("criteria_max_points"))
                .col(double("survey_max_points"))
                .col(double("max_total"))
                .foreign_key(&mut fk("par_points", "unit_type_id", "unit_types"))
                .to_owned(),
            // Units form a tree; a unit is valid over a period so that the 2021
            // three-tier structure and the 2025 two-tier one live side by side.
            Table::create()
                .table("units")
                .col(pk_auto("id"))
                .col(string("code"))
                .col(string("name"))
                .col(integer("unit_type_id"))
                .col(integer_null("parent_id"))
                .col(date("valid_from"))
                .col(date_null("valid_until"))
                .foreign_key(&mut fk("units", "unit_type_id", "unit_types"))
                .foreign_key(&mut fk("units", "parent_id", "units"))
                .to_owned(),
            Table::create()
                .table("service_points")
                .col(pk_auto("id"))
                .col(integer("unit_id"))
                .col(string("code"))
                .col(string("name"))
                .col(boolean("is_default"))
                .col(created_at())
                .foreign_key(&mut fk("service_points", "unit_id", "units"))
                .to_owned(),
            Table::create()
                .table("questionnaires")
                .col(pk_auto("id"))
                .col(string("code"))
                .col(integer("version"))
                .col(string("name"))
                .col(created_at())
                .to_owned(),
            Table::create()
                .table("questionnaire_elements")
                .col(pk_auto("id"))
                .col(integer("questionnaire_id"))
                .col(integer("position"))
                .col(string("code"))
                .col(text("name_vi"))
                .col(text("name_en"))
                .foreign_key(&mut fk(
                    "questionnaire_elements",
                    "questionnaire_id",
                    "questionnaires",
                ))
                .to_owned(),
            // `position` is the criterion's place in a response's answer string.
            Table::create()
                .table("questionnaire_criteria")
                .col(pk_auto("id"))
                .col(integer("questionnaire_id"))
                .col(integer("element_id"))
                .col(integer("position"))
                .col(string("code"))
                .col(text("text_vi"))
                .col(text("text_en"))
                .foreign_key(&mut fk(
                    "questionnaire_criteria",
                    "questionnaire_id",
                    "questionnaires",
                ))
                .foreign_key(&mut fk(
                    "questionnaire_criteria",
                    "element_id",
                    "questionnaire_elements",
                ))
                .to_owned(),
            Table::create()
                .table("campaigns")
                .col(pk_auto("id"))
                .col(string_uniq("code"))
                .col(string("name"))
                .col(integer("questionnaire_id"))
                .col(date("starts_on"))
                .col(date("ends_on"))
                .col(double("confidence"))
                .col(double("margin"))
                .col(string("quota_method"))
                .col(string("status"))
                // Whether unverified (desk QR) responses count in the official scores.
                .col(boolean("count_unverified").default(true))
                .col(integer("min_fill_seconds").default(8))
                .col(integer("receipt_valid_days").default(30))
                .col(string("par_scheme"))
                .col(boolean("is_demo").default(false))
                .col(created_at())
                .foreign_key(&mut fk("campaigns", "questionnaire_id", "questionnaires"))
                .to_owned(),
            // Completed dossiers N per unit (no service point) or per service point.
            Table::create()
                .table("frames")
                .col(pk_auto("id"))
                .col(integer("campaign_id"))
                .col(integer("unit_id"))
                .col(integer_null("service_point_id"))
                .col(big_integer("population"))
                .foreign_key(&mut fk("frames", "campaign_id", "campaigns"))
                .foreign_key(&mut fk("frames", "unit_id", "units"))
                .foreign_key(&mut fk("frames", "service_point_id", "service_points"))
                .to_owned(),
            Table::create()
                .table("quotas")
                .col(pk_auto("id"))
                .col(integer("campaign_id"))
                .col(integer("unit_id"))
                .col(big_integer("target"))
                // A manager's override survives a recomputation from a new frame.
                .col(boolean("overridden").default(false))
                .foreign_key(&mut fk("quotas", "campaign_id", "campaigns"))
                .foreign_key(&mut fk("quotas", "unit_id", "units"))
                .to_owned(),
            // Single-use receipt tokens; the dossier code is kept only as a keyed hash.
            Table::create()
                .table("receipts")
                .col(pk_auto("id"))
                .col(integer("campaign_id"))
                .col(integer("unit_id"))
                .col(integer("service_point_id"))
                .col(string("dossier_hash"))
                .col(date("returned_on"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("answered_at"))
                .col(created_at())
                .foreign_key(&mut fk("receipts", "campaign_id", "campaigns"))
                .foreign_key(&mut fk("receipts", "unit_id", "units"))
                .foreign_key(&mut fk("receipts", "service_point_id", "service_points"))
                .to_owned(),
            // One row per response; `answers` holds one digit per criterion in the
            // questionnaire's order (0 = no answer), so recomputation reads one column.
            Table::create()
                .table("responses")
                .col(big_pk_auto("id"))
                .col(integer("campaign_id"))
                .col(integer("unit_id"))
                .col(integer("service_point_id"))
                .col(string("channel"))
                .col(boolean("verified"))
                .col(string_len("language", 2))
                .col(string("answers"))
                .col(text_null("comment"))
                .col(timestamp_with_time_zone("submitted_at"))
                // Why the response is kept but left out of scores (honeypot, too fast).
                .col(string_null("exclusion"))
                // The form's nonce: a retried submission finds its first copy.
                .col(string_null("nonce"))
                .col(integer_null("receipt_id"))
                .col(string_null("client_hash"))
                .col(boolean("is_demo").default(false))
                .foreign_key(&mut fk("responses", "campaign_id", "campaigns"))
                .foreign_key(&mut fk("responses", "unit_id", "units"))
                .foreign_key(&mut fk("responses", "service_point_id", "service_points"))
                .foreign_key(&mut fk("responses", "receipt_id", "receipts"))
                .to_owned(),
            Table::create()
                .table("api_clients")
                .col(pk_auto("id"))
                .col(string("name"))
                .col(string_uniq("token_hash"))
                .col(string("scopes"))
                .col(created_at())
                .col(timestamp_with_time_zone_null("revoked_at"))
                .to_owned(),
            Table::create()
                .table("users")
                .col(pk_auto("id"))
                .col(string_uniq("username"))
                .col(string("display_name"))
                .col(string("password_hash"))
                .col(string("role"))
                // A district office sees only its own subtree.
                .col(integer_null("unit_id"))
                .col(boolean("disabled").default(false))
                .col(created_at())
                .foreign_key(&mut fk("users", "unit_id", "units"))
                .to_owned(),
            // Append-only: the application inserts and never updates or deletes.
            Table::create()
                .table("audit_log")
                .col(big_pk_auto("id"))
                .col(timestamp_with_time_zone("at"))
                .col(string("actor"))
                .col(string("action"))
                .col(string("subject"))
                .col(text("detail"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            index("par_points", &["scheme", "unit_type_id"], true),
            index("units", &["code", "valid_from"], true),
            index("units", &["parent_id"], false),
            index("service_points", &["unit_id", "code"], true),
            index("questionnaires", &["code", "version"], true),
            index(
                "questionnaire_elements",
                &["questionnaire_id", "code"],
                true,
            ),
            index(
                "questionnaire_criteria",
                &["questionnaire_id", "code"],
                true,
            ),
            index(
                "questionnaire_criteria",
                &["questionnaire_id", "position"],
                true,
            ),
            index("frames", &["campaign_id", "unit_id"], false),
            index("quotas", &["campaign_id", "unit_id"], true),
            index("receipts", &["campaign_id", "dossier_hash"], true),
            index("responses", &["campaign_id", "unit_id"], false),
            index("responses", &["nonce"], true),
            index("responses", &["receipt_id"], true),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "audit_log",
            "users",
            "api_clients",
            "responses",
            "receipts",
            "quotas",
            "frames",
            "campaigns",
            "questionnaire_criteria",
            "questionnaire_elements",
            "questionnaires",
            "service_points",
            "units",
            "par_points",
            "unit_types",
            "settings",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
