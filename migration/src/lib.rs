//! The database schema, as sea-orm migrations that run unchanged on SQLite and
//! PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_schema;
mod m20261203_000001_follow;
mod m20261204_000001_structures;
mod m20261205_000001_staff;
mod m20261206_000001_round;
mod m20261206_000005_sessions_since;
mod m20261207_000001_snapshots;
mod m20261207_000002_webhooks;
mod m20261207_000003_appraisals;
mod m20261208_000001_audit_chain;
mod m20261208_000002_address_keys;
mod m20261208_000010_kiosks;
mod m20261209_000001_late_rows;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_schema::Migration),
            Box::new(m20261203_000001_follow::Migration),
            Box::new(m20261204_000001_structures::Migration),
            Box::new(m20261205_000001_staff::Migration),
            Box::new(m20261206_000001_round::Migration),
            Box::new(m20261206_000005_sessions_since::Migration),
            Box::new(m20261207_000001_snapshots::Migration),
            Box::new(m20261207_000002_webhooks::Migration),
            Box::new(m20261207_000003_appraisals::Migration),
            Box::new(m20261208_000001_audit_chain::Migration),
            Box::new(m20261208_000002_address_keys::Migration),
            Box::new(m20261208_000010_kiosks::Migration),
            Box::new(m20261209_000001_late_rows::Migration),
        ]
    }
}
