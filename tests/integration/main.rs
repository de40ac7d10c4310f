//! Integration tests: the real server on a random port, each test on its own database,
//! each storage test on SQLite and PostgreSQL.

mod common;

mod admin_tokens;
mod admin_users;
mod api_auth;
mod api_campaigns;
mod api_product;
mod api_units;
mod audit_chain;
mod audit_complete;
mod audit_page;
mod browser;
mod change;
mod citizen;
mod cli;
mod cli_tokens;
mod dashboard_browser;
mod desks_staff;
mod exports;
mod frame_upload;
mod headers;
mod health;
mod keys;
mod league;
mod nodes;
mod openapi;
mod overview;
mod pages;
mod paper;
mod posters;
mod posters_browser;
mod publish;
mod round;
mod round_browser;
mod scores;
mod staff_auth;
mod staff_forms;
mod staff_scope;
mod storage;
mod structures;
mod unit_page;
mod uploads_browser;
mod webhooks;
