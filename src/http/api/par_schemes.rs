//! PAR schemes: how many points each unit type's total has and how many come from the
//! survey, under a named decision. A campaign names its scheme.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, put, web};
use serde::Deserialize;
use sipas_domain::access::{Action, Resource};
use sipas_domain::unit::{ParMaxPoints, ParScheme};
use utoipa::ToSchema;

use super::auth::{Caller, authorize};
use super::{ApiError, ErrorBody};
use crate::http::AppState;
use crate::storage::{StorageError, par_schemes};

/// A scheme as served (the domain's `ParScheme`; this describes it for OpenAPI).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ParSchemeDoc {
    pub code: String,
    pub name: String,
    /// By unit type code.
    pub points: BTreeMap<String, ParMaxPointsDoc>,
}

#[derive(ToSchema, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParMaxPointsDoc {
    /// Points from the appraisal of the criteria.
    pub criteria_max_points: f64,
    /// Points from the survey: a unit earns its SIPAS index times this.
    pub survey_max_points: f64,
    pub max_total: f64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParSchemeBody {
    pub name: String,
    /// By unit type code; a type left out earns no points.
    pub points: BTreeMap<String, ParMaxPointsDoc>,
}

/// Every PAR scheme, oldest first.
#[utoipa::path(
    get, path = "/api/v1/par-schemes", tag = "par",
    security(("bearer" = ["read"])),
    responses((status = 200, body = [ParSchemeDoc]))
)]
#[get("/par-schemes")]
pub async fn list_schemes(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(par_schemes::all(state.storage.db()).await?))
}

/// One PAR scheme.
#[utoipa::path(
    get, path = "/api/v1/par-schemes/{scheme}", tag = "par",
    params(("scheme" = String, Path)),
    security(("bearer" = ["read"])),
    responses((status = 200, body = ParSchemeDoc), (status = 404, body = ErrorBody))
)]
#[get("/par-schemes/{scheme}")]
pub async fn get_scheme(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(par_schemes::by_code(state.storage.db(), &path).await?))
}

/// Adds a PAR scheme, or replaces one that only draft campaigns use.
#[utoipa::path(
    put, path = "/api/v1/par-schemes/{scheme}", tag = "par",
    params(("scheme" = String, Path)),
    request_body = ParSchemeBody,
    security(("bearer" = ["write"])),
    responses(
        (status = 201, description = "created", body = ParSchemeDoc),
        (status = 200, description = "replaced", body = ParSchemeDoc),
        (status = 409, description = "a campaign past its draft uses it", body = ErrorBody),
        (status = 422, description = "invalid points or unknown unit type", body = ErrorBody)
    )
)]
#[put("/par-schemes/{scheme}")]
pub async fn put_scheme(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<ParSchemeBody>,
) -> Result<HttpResponse, ApiError> {
    let today = chrono::Utc::now().date_naive();
    authorize(&state, &caller, Action::Write, Resource::Province, today).await?;
    let body = body.into_inner();
    let scheme = ParScheme::parse(
        &path,
        &body.name,
        body.points.into_iter().map(|(t, p)| {
            (
                t,
                ParMaxPoints {
                    criteria_max_points: p.criteria_max_points,
                    survey_max_points: p.survey_max_points,
                    max_total: p.max_total,
                },
            )
        }),
    )
    .map_err(ApiError::invalid_fields)?;
    let txn = state.storage.write_reference().await?;
    let created = par_schemes::put(&txn, caller.name(), &scheme).await?;
    txn.commit().await.map_err(StorageError::from)?;
    state.scores.catch_up().await;
    Ok(if created {
        HttpResponse::Created().json(&scheme)
    } else {
        HttpResponse::Ok().json(&scheme)
    })
}
