//! Units, their periods and their service points. A unit is its code *and* its
//! period: every read and change names the day it applies to (`on`, today by default),
//! or a campaign, whose units are those valid on its first day.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sipas_domain::access::{Action, Resource};
use sipas_domain::unit::{NewServicePoint, UnitRecord};
use utoipa::{IntoParams, ToSchema};

use super::auth::{Caller, authorize};
use super::imports::{csv_text, refused};
use super::{ApiError, ErrorBody};
use crate::http::AppState;
use crate::storage::units::SetupError;
use crate::storage::{ServicePointRecord, StorageError, UnitFilter, UnitRow, campaigns, units};

#[derive(Serialize, ToSchema)]
pub struct Unit {
    /// Official administrative code (communes 5 digits, districts 3), or a mnemonic for
    /// departments and central agencies. Codes are reused across periods: 18073 is
    /// Phường Nam Hà until 30 June 2025 and Phường Thành Sen from 1 July 2025.
    pub code: String,
    pub name: String,
    /// `province`, `department`, `central_agency`, `district`, `commune`, …
    pub unit_type: String,
    pub parent_code: Option<String>,
    /// First day of this period of the unit.
    pub valid_from: NaiveDate,
    /// First day without it (exclusive); null while it exists.
    pub valid_until: Option<NaiveDate>,
}

impl From<UnitRow> for Unit {
    fn from(u: UnitRow) -> Self {
        Self {
            code: u.code,
            name: u.name,
            unit_type: u.unit_type,
            parent_code: u.parent_code,
            valid_from: u.valid_from,
            valid_until: u.valid_until,
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
    /// The units valid on this day (default today).
    pub on: Option<NaiveDate>,
    /// The units of this campaign's structure (valid on its first day); not with `on`.
    pub campaign: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct OnQuery {
    /// The period of the unit valid on this day (default today).
    pub on: Option<NaiveDate>,
}

/// The day a request's units are read on: `on`, a campaign's first day, or today.
async fn day_of(
    state: &AppState,
    on: Option<NaiveDate>,
    campaign: Option<&str>,
) -> Result<NaiveDate, ApiError> {
    match (on, campaign) {
        (Some(_), Some(_)) => Err(ApiError::bad_request(
            "give either `on` or `campaign`, not both",
        )),
        (Some(on), None) => Ok(on),
        (None, Some(code)) => Ok(campaigns::by_code(state.storage.db(), code).await?.units_on),
        (None, None) => Ok(chrono::Utc::now().date_naive()),
    }
}

#[derive(Serialize, ToSchema)]
pub struct ServicePoint {
    pub code: String,
    pub name: String,
    /// The unit's own Bộ phận Một cửa, created with the unit.
    pub is_default: bool,
    /// First day the desk is closed (exclusive); null while it is open.
    pub valid_until: Option<NaiveDate>,
}

impl From<ServicePointRecord> for ServicePoint {
    fn from(s: ServicePointRecord) -> Self {
        Self {
            code: s.code,
            name: s.name,
            is_default: s.is_default,
            valid_until: s.valid_until,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewServicePointBody {
    pub code: String,
    pub name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUnitBody {
    pub code: String,
    pub name: String,
    pub unit_type: String,
    /// The parent's code, valid on `valid_from`; null for a province's root.
    pub parent_code: Option<String>,
    /// First day of the unit (default today).
    pub valid_from: Option<NaiveDate>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameBody {
    pub name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    /// The first day without it: campaigns starting from then no longer see it.
    pub on: NaiveDate,
}

#[derive(Deserialize, IntoParams)]
pub struct ProvinceQuery {
    /// One of the 34 provinces by its two-digit code (`01` Hà Nội, `42` Hà Tĩnh).
    pub province: String,
    /// First day of the units (default 2025-07-01, the two-tier structure).
    pub valid_from: Option<NaiveDate>,
}

/// The units valid on a day (today by default) or in a campaign's structure,
/// optionally of one type, optionally the subtree under one.
#[utoipa::path(
    get, path = "/api/v1/units", tag = "units", params(UnitQuery, super::paging::PageParams),
    security(("bearer" = ["read"])),
    responses((status = 200, body = [Unit], headers(("X-Total-Count" = u64, description = "with `limit`: the whole list's length"), ("Link" = String, description = "with `limit`, when more follow: `<…>; rel=\"next\"`"))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, description = "unknown parent or campaign", body = ErrorBody), (status = 422, description = "bad `limit` or `cursor`", body = ErrorBody))
)]
#[get("/units")]
pub async fn list_units(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<UnitQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = super::paging::Page::from_request(&req)?;
    let query = query.into_inner();
    let on = day_of(&state, query.on, query.campaign.as_deref()).await?;
    let listed = units::list(
        state.storage.db(),
        &UnitFilter {
            on: Some(on),
            unit_type: query.unit_type,
            under: query.parent,
        },
    )
    .await?;
    let listed: Vec<Unit> = listed.into_iter().map(Unit::from).collect();
    // On one day a code names one unit: the code is the key.
    Ok(match page {
        None => HttpResponse::Ok().json(listed),
        Some(page) => {
            let paged = super::paging::paginate(&req, &page, listed, |u| u.code.clone());
            let mut response = HttpResponse::Ok().json(&paged.items);
            paged.apply(&mut response);
            response
        }
    })
}

/// Creates a unit from a day, with its own one-stop desk (`MC`).
#[utoipa::path(
    post, path = "/api/v1/units", tag = "units", request_body = NewUnitBody,
    security(("bearer" = ["write"])),
    responses(
        (status = 201, body = Unit),
        (status = 409, description = "the code already names a unit on that day", body = ErrorBody),
        (status = 422, description = "invalid fields, unknown unit type or parent", body = ErrorBody)
    )
)]
#[post("/units")]
pub async fn create_unit(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<NewUnitBody>,
) -> Result<HttpResponse, ApiError> {
    let today = chrono::Utc::now().date_naive();
    authorize(&state, &caller, Action::Write, Resource::Province, today).await?;
    let body = body.into_inner();
    let unit = UnitRecord::parse(
        &body.code,
        &body.name,
        &body.unit_type,
        body.parent_code.as_deref(),
    )
    .map_err(ApiError::invalid_fields)?;
    let txn = state.storage.write_reference().await?;
    let created =
        units::create(&txn, caller.name(), &unit, body.valid_from.unwrap_or(today)).await?;
    txn.commit().await.map_err(StorageError::from)?;
    state.scores.catch_up().await;
    Ok(HttpResponse::Created().json(Unit::from(created)))
}

/// Sets a province up: the province and its communes from the national list of the
/// two-tier structure, plus its own departments and central agencies from the CSV
/// body (`code,name,unit_type,parent_code`; an empty parent is the province; the body
/// may be empty). All or nothing; units already there and identical are left as they
/// are, so running it again changes nothing.
#[utoipa::path(
    post, path = "/api/v1/units/import", tag = "units", params(ProvinceQuery),
    request_body(content = String, content_type = "text/csv",
                 description = "optional: header `code,name,unit_type,parent_code`"),
    security(("bearer" = ["write"])),
    responses(
        (status = 200, body = UnitsImportedDoc),
        (status = 404, description = "unknown province", body = ErrorBody),
        (status = 422, description = "every bad line in `details` as {line, column, message}; line 0 is the national list", body = ErrorBody)
    )
)]
#[post("/units/import")]
pub async fn import_units(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ProvinceQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let today = chrono::Utc::now().date_naive();
    authorize(&state, &caller, Action::Write, Resource::Province, today).await?;
    let own = if body.is_empty() {
        None
    } else {
        Some(csv_text(&req, body)?)
    };
    let valid_from = query
        .valid_from
        .unwrap_or_else(sipas_domain::reference::reform_2025);
    let report = state
        .storage
        .set_up_province(caller.name(), &query.province, own.as_deref(), valid_from)
        .await
        .map_err(|e| match e {
            SetupError::UnknownProvince(message) => ApiError::not_found(message),
            SetupError::Refused(problems) => refused(problems),
            SetupError::Storage(e) => e.into(),
        })?;
    state.scores.catch_up().await;
    Ok(HttpResponse::Ok().json(report))
}

/// What a province set-up did (the storage layer's `UnitsImported`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UnitsImportedDoc {
    /// Units created, each with its own one-stop desk.
    pub created: usize,
    /// Units already there and identical.
    pub unchanged: usize,
}

/// Renames the period of a unit valid on `on` (today by default); campaigns of its
/// other periods keep the name they had.
#[utoipa::path(
    patch, path = "/api/v1/units/{unit}", tag = "units",
    params(("unit" = String, Path, description = "unit code"), OnQuery),
    request_body = RenameBody,
    security(("bearer" = ["write"])),
    responses((status = 200, body = Unit), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[patch("/units/{unit}")]
pub async fn rename_unit(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<OnQuery>,
    body: web::Json<RenameBody>,
) -> Result<HttpResponse, ApiError> {
    let today = chrono::Utc::now().date_naive();
    authorize(&state, &caller, Action::Write, Resource::Province, today).await?;
    let txn = state.storage.write_reference().await?;
    let unit = units::by_code(&txn, &path, query.on).await?;
    let checked = UnitRecord::parse(&unit.code, &body.name, &unit.unit_type, None)
        .map_err(ApiError::invalid_fields)?;
    let renamed = units::rename(&txn, caller.name(), &unit, &checked.name).await?;
    txn.commit().await.map_err(StorageError::from)?;
    state.scores.catch_up().await;
    Ok(HttpResponse::Ok().json(Unit::from(renamed)))
}

/// Closes a unit from a day (its first day without it): the period valid the day
/// before ends then. Units under it must be closed first.
#[utoipa::path(
    post, path = "/api/v1/units/{unit}/close", tag = "units",
    params(("unit" = String, Path, description = "unit code")),
    request_body = CloseBody,
    security(("bearer" = ["write"])),
    responses((status = 200, body = Unit), (status = 404, body = ErrorBody), (status = 409, description = "already closed, or units under it are still open", body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/units/{unit}/close")]
pub async fn close_unit(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<CloseBody>,
) -> Result<HttpResponse, ApiError> {
    let today = chrono::Utc::now().date_naive();
    authorize(&state, &caller, Action::Write, Resource::Province, today).await?;
    let txn = state.storage.write_reference().await?;
    let closed = units::close(&txn, caller.name(), &path, body.on).await?;
    txn.commit().await.map_err(StorageError::from)?;
    state.scores.catch_up().await;
    Ok(HttpResponse::Ok().json(Unit::from(closed)))
}

/// A unit's service points (one-stop desks), closed ones included.
#[utoipa::path(
    get, path = "/api/v1/units/{unit}/service-points", tag = "units",
    params(("unit" = String, Path, description = "unit code"), OnQuery),
    security(("bearer" = ["read"])),
    responses((status = 200, body = [ServicePoint]), (status = 404, body = ErrorBody))
)]
#[get("/units/{unit}/service-points")]
pub async fn list_service_points(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<OnQuery>,
) -> Result<HttpResponse, ApiError> {
    let on = query.on.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let unit = units::by_code(state.storage.db(), &path, Some(on)).await?;
    authorize(&state, &caller, Action::Read, Resource::Unit(unit.id), on).await?;
    let points = units::service_points(state.storage.db(), unit.id).await?;
    Ok(HttpResponse::Ok().json(
        points
            .into_iter()
            .map(ServicePoint::from)
            .collect::<Vec<_>>(),
    ))
}

/// The unit valid on the query's day, with the caller's right to change its desks;
/// read before the write transaction, whose lock the permission check must not wait
/// behind (a unit's identity never changes, so what it reads stays true).
async fn desk_owner(
    state: &AppState,
    caller: &Caller,
    code: &str,
    on: Option<NaiveDate>,
) -> Result<UnitRow, ApiError> {
    let on = on.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let unit = units::by_code(state.storage.db(), code, Some(on)).await?;
    authorize(state, caller, Action::Write, Resource::Unit(unit.id), on).await?;
    Ok(unit)
}

/// Adds a service point to a unit; codes are unique within the unit.
#[utoipa::path(
    post, path = "/api/v1/units/{unit}/service-points", tag = "units",
    params(("unit" = String, Path, description = "unit code"), OnQuery),
    request_body = NewServicePointBody,
    security(("bearer" = ["write"])),
    responses((status = 201, body = ServicePoint), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/units/{unit}/service-points")]
pub async fn create_service_point(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<OnQuery>,
    body: web::Json<NewServicePointBody>,
) -> Result<HttpResponse, ApiError> {
    // The fields are checked before the permission, as they always were.
    NewServicePoint::parse(&body.code, &body.name).map_err(ApiError::invalid_fields)?;
    let unit = desk_owner(&state, &caller, &path, query.on).await?;
    let point = crate::desks::add(
        (&state.storage, &state.scores),
        caller.name(),
        &unit,
        Some(&body.code),
        &body.name,
    )
    .await?;
    Ok(HttpResponse::Created().json(ServicePoint::from(point)))
}

/// Renames a service point.
#[utoipa::path(
    patch, path = "/api/v1/units/{unit}/service-points/{service_point}", tag = "units",
    params(("unit" = String, Path), ("service_point" = String, Path), OnQuery),
    request_body = RenameBody,
    security(("bearer" = ["write"])),
    responses((status = 200, body = ServicePoint), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[patch("/units/{unit}/service-points/{service_point}")]
pub async fn rename_service_point(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<OnQuery>,
    body: web::Json<RenameBody>,
) -> Result<HttpResponse, ApiError> {
    let (unit_code, point_code) = path.into_inner();
    NewServicePoint::parse(&point_code, &body.name).map_err(ApiError::invalid_fields)?;
    let unit = desk_owner(&state, &caller, &unit_code, query.on).await?;
    let renamed = crate::desks::rename(
        (&state.storage, &state.scores),
        caller.name(),
        &unit,
        &point_code,
        &body.name,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ServicePoint::from(renamed)))
}

/// Closes a service point from a day: its QR codes stop taking answers then. A unit's
/// own one-stop desk closes only with the unit.
#[utoipa::path(
    post, path = "/api/v1/units/{unit}/service-points/{service_point}/close", tag = "units",
    params(("unit" = String, Path), ("service_point" = String, Path), OnQuery),
    request_body = CloseBody,
    security(("bearer" = ["write"])),
    responses((status = 200, body = ServicePoint), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody))
)]
#[post("/units/{unit}/service-points/{service_point}/close")]
pub async fn close_service_point(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<OnQuery>,
    body: web::Json<CloseBody>,
) -> Result<HttpResponse, ApiError> {
    let (unit_code, point_code) = path.into_inner();
    let unit = desk_owner(&state, &caller, &unit_code, query.on).await?;
    let closed = crate::desks::close(
        (&state.storage, &state.scores),
        caller.name(),
        &unit,
        &point_code,
        body.on,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ServicePoint::from(closed)))
}
