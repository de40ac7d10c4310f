//! SIPAS: the citizen-satisfaction survey of a province's PAR Index.
//!
//! Layers, outermost first: `http` (thin actix handlers, one module per audience) →
//! services (`accounts`, `campaigns`, `citizen`, `desks`, `submissions`), the score book (`scores`) and the
//! report layer (`reports`) → `storage` (sea-orm; functions take the connection they
//! run in) → `sipas_domain` (pure rules and statistics). Views live in the
//! `sipas-templates` crate and take plain structs.

pub mod accounts;
pub mod appraisals;
pub mod campaigns;
pub mod citizen;
pub mod cli;
pub mod config;
pub mod demo;
pub mod desks;
pub mod exports;
pub mod frames;
pub mod http;
pub mod kiosks;
pub mod league;
pub mod paper;
pub mod rate_limit;
pub mod receipts;
pub mod redis_store;
pub mod reports;
pub mod scores;
pub mod sessions;
pub mod snapshots;
pub mod startup;
pub mod storage;
pub mod submissions;
pub mod tabular;
pub mod telemetry;
pub mod tokens;
pub mod webhooks;
