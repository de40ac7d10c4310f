//! The HTTP layer: thin actix handlers that parse the request, call the storage layer
//! or the domain, and render JSON or a view. No business rule lives here.

pub mod api;
mod auth;
mod error;
mod health;
mod logging;
mod openapi;
mod pages;
pub mod survey;

pub use error::{ApiError, ErrorBody};
pub use logging::RequestLine;

use actix_web::web;

use std::sync::Arc;

use crate::citizen::CitizenService;
use crate::redis_store::RedisStore;
use crate::scores::ScoreBook;
use crate::storage::Storage;

/// What every handler may reach, shared by all workers.
pub struct AppState {
    pub storage: Storage,
    pub redis: Arc<RedisStore>,
    pub citizen: CitizenService,
    pub scores: Arc<ScoreBook>,
    /// Base URL for links and QR codes, without a trailing slash.
    pub public_url: String,
    /// Take the client address from proxy headers (`SIPAS_TRUST_PROXY`).
    pub trust_proxy: bool,
}

/// Every route of the service.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(error::json_config())
        .app_data(error::query_config())
        .service(health::healthz)
        .service(health::readyz)
        .app_data(survey::form_config())
        .service(pages::home)
        .service(pages::poster)
        .service(survey::show_form)
        .service(survey::submit_form)
        .service(survey::thanks)
        .service(survey::token_qr)
        .service(openapi::openapi_json)
        .service(openapi::api_docs)
        .service(
            web::scope("/api/v1")
                .wrap(actix_web::middleware::from_fn(auth::require_token))
                .configure(api::routes),
        )
        .default_service(web::to(pages::not_found));
}
