//! Units and their service points.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use sipas_domain::access::{Action, Resource};
use sipas_domain::unit::NewServicePoint;
use utoipa::{IntoParams, ToSchema};

use super::auth::{Caller, authorize};
use super::{ApiError, ErrorBody};
use crate::http::AppState;
use crate::storage::{ServicePointRecord, StorageError, UnitFilter, UnitRow, units};

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
    /// Only the units under this one (by code): its whole subtree, not only its children.
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
pub struct NewServicePointBody {
    pub code: String,
    pub name: String,
}

/// The units currently valid, optionally of one type, optionally the subtree under one.
#[utoipa::path(
    get, path = "/api/v1/units", tag = "units", params(UnitQuery),
    security(("bearer" = ["read"])),
    responses((status = 200, body = [Unit]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, description = "unknown parent", body = ErrorBody))
)]
#[get("/units")]
pub async fn list_units(
    state: web::Data<AppState>,
    query: web::Query<UnitQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let listed = units::list(
        state.storage.db(),
        &UnitFilter {
            on: None,
            unit_type: query.unit_type,
            under: query.parent,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(listed.into_iter().map(Unit::from).collect::<Vec<_>>()))
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
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let today = chrono::Utc::now().date_naive();
    let unit = units::by_code(state.storage.db(), &path, None).await?;
    authorize(
        &state,
        &caller,
        Action::Read,
        Resource::Unit(unit.id),
        today,
    )
    .await?;
    let points = units::service_points(state.storage.db(), unit.id).await?;
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
    request_body = NewServicePointBody,
    security(("bearer" = ["write"])),
    responses((status = 201, body = ServicePoint), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/units/{unit}/service-points")]
pub async fn create_service_point(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<NewServicePointBody>,
) -> Result<HttpResponse, ApiError> {
    let today = chrono::Utc::now().date_naive();
    let new = NewServicePoint::parse(&body.code, &body.name).map_err(ApiError::invalid_fields)?;
    let unit = units::by_code(state.storage.db(), &path, None).await?;
    authorize(
        &state,
        &caller,
        Action::Write,
        Resource::Unit(unit.id),
        today,
    )
    .await?;
    let txn = state.storage.write().await?;
    let point = units::create_service_point(&txn, caller.name(), &unit, &new).await?;
    txn.commit().await.map_err(StorageError::from)?;
    Ok(HttpResponse::Created().json(ServicePoint::from(point)))
}
