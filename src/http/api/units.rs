//! Units and their service points.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::auth::Client;
use crate::http::{ApiError, AppState, ErrorBody};
use crate::storage::{ServicePointRecord, UnitFilter, UnitRow};

#[derive(Serialize, ToSchema)]
pub struct Unit {
    /// Official administrative code (communes 5 digits, districts 3), or a mnemonic for
    /// departments and central agencies.
    pub code: String,
    pub name: String,
    /// `province`, `department`, `central_agency`, `district`, `commune`, …
    pub unit_type: String,
    pub parent_code: Option<String>,
}

impl From<UnitRow> for Unit {
    fn from(u: UnitRow) -> Self {
        Self {
            code: u.code,
            name: u.name,
            unit_type: u.unit_type,
            parent_code: u.parent_code,
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct UnitQuery {
    /// Only units of this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub unit_type: Option<String>,
    /// Only the children of this unit (by code).
    pub parent: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ServicePoint {
    pub code: String,
    pub name: String,
    /// The unit's own Bộ phận Một cửa, created with the unit.
    pub is_default: bool,
}

impl From<ServicePointRecord> for ServicePoint {
    fn from(s: ServicePointRecord) -> Self {
        Self {
            code: s.code,
            name: s.name,
            is_default: s.is_default,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewServicePoint {
    pub code: String,
    pub name: String,
}

/// The units currently valid, optionally filtered by type or parent.
#[utoipa::path(
    get, path = "/api/v1/units", tag = "units", params(UnitQuery),
    security(("bearer" = ["read"])),
    responses((status = 200, body = [Unit]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
#[get("/units")]
pub async fn list_units(
    state: web::Data<AppState>,
    query: web::Query<UnitQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let units = state
        .storage
        .units(&UnitFilter {
            on: None,
            unit_type: query.unit_type,
            parent_code: query.parent,
        })
        .await?;
    Ok(HttpResponse::Ok().json(units.into_iter().map(Unit::from).collect::<Vec<_>>()))
}

/// A unit's service points (one-stop desks).
#[utoipa::path(
    get, path = "/api/v1/units/{unit}/service-points", tag = "units",
    params(("unit" = String, Path, description = "unit code")),
    security(("bearer" = ["read"])),
    responses((status = 200, body = [ServicePoint]), (status = 404, body = ErrorBody))
)]
#[get("/units/{unit}/service-points")]
pub async fn list_service_points(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let unit = state.storage.unit_by_code(&path).await?;
    let points = state.storage.service_points(unit.id).await?;
    Ok(HttpResponse::Ok().json(
        points
            .into_iter()
            .map(ServicePoint::from)
            .collect::<Vec<_>>(),
    ))
}

/// Adds a service point to a unit; codes are unique within the unit.
#[utoipa::path(
    post, path = "/api/v1/units/{unit}/service-points", tag = "units",
    params(("unit" = String, Path, description = "unit code")),
    request_body = NewServicePoint,
    security(("bearer" = ["write"])),
    responses((status = 201, body = ServicePoint), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/units/{unit}/service-points")]
pub async fn create_service_point(
    client: Client,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<NewServicePoint>,
) -> Result<HttpResponse, ApiError> {
    let unit = state.storage.unit_by_code(&path).await?;
    let point = state
        .storage
        .create_service_point(&client.name, &unit, &body.code, &body.name)
        .await?;
    Ok(HttpResponse::Created().json(ServicePoint::from(point)))
}
