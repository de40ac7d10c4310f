//! Liveness and readiness for load balancers and operators.

use std::time::Duration;

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

/// How long `/readyz` waits for the database: a load balancer's check gets its answer
/// in under a second whatever the database does.
const READY_DATABASE_TIMEOUT: Duration = Duration::from_millis(800);

/// The process is alive. It touches nothing outside the process (Redis as last seen,
/// the database not at all), so it answers at once whatever they do.
#[get("/healthz")]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        database: "not checked",
        redis: state.redis.last_known_status().as_str(),
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// 200 while the database answers, 503 when it does not. Redis only degrades the
/// service, so its state is reported but never makes this fail. Both are asked at
/// once, each with a bound under a second.
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = async {
        tokio::time::timeout(READY_DATABASE_TIMEOUT, state.storage.ping())
            .await
            .unwrap_or_else(|_| {
                Err(crate::storage::StorageError::Unavailable(
                    "the database did not answer in time".into(),
                ))
            })
    };
    let redis = async {
        tokio::time::timeout(READY_DATABASE_TIMEOUT, state.redis.status())
            .await
            .unwrap_or(crate::redis_store::RedisStatus::Down)
    };
    let (database, redis) = tokio::join!(database, redis);
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
