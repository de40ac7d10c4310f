//! SIPAS: the citizen-satisfaction survey of a province's PAR Index.
//!
//! Layers, outermost first: `http` (thin actix handlers) → `storage` (sea-orm) →
//! `sipas_domain` (pure rules and statistics). Views live in the `sipas-templates`
//! crate and take plain structs.

pub mod citizen;
pub mod cli;
pub mod config;
pub mod demo;
pub mod http;
pub mod rate_limit;
pub mod redis_store;
pub mod scores;
pub mod startup;
pub mod storage;
pub mod submissions;
pub mod telemetry;
