//! Liveness and readiness for load balancers and operators.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;

use super::AppState;

#[derive(Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
    redis: &'static str,
    version: &'static str,
}

/// The process is alive; says nothing about the database (that is `/readyz`).
#[get("/healthz")]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        database: "not checked",
        redis: state.redis.status().await.as_str(),
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// 200 while the database answers, 503 when it does not. Redis only degrades the
/// service, so its state is reported but never makes this fail.
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let (database, redis) = tokio::join!(state.storage.ping(), state.redis.status());
    let body = |status, database| Health {
        status,
        database,
        redis: redis.as_str(),
        version: env!("CARGO_PKG_VERSION"),
    };
    match database {
        Ok(()) => HttpResponse::Ok().json(body("ready", "up")),
        Err(error) => {
            tracing::warn!(%error, "not ready: database unreachable");
            HttpResponse::ServiceUnavailable().json(body("unavailable", "down"))
        }
    }
}
