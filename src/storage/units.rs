//! Units, their tree, and their service points (one-stop desks).

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{service_point, unit, unit_type};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use sipas_domain::unit::{NewServicePoint, UnitNode, UnitTree};

use super::{StorageError, audit};

/// A unit with its type and parent by code, as the API and views show it.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitRow {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub unit_type: String,
    pub parent_code: Option<String>,
    pub quota_floor: u32,
}

/// Which units to list: those valid on `on`, optionally of one type, optionally only
/// the units under one unit (by code): its whole subtree, without itself.
#[derive(Debug, Clone, Default)]
pub struct UnitFilter {
    pub on: Option<NaiveDate>,
    pub unit_type: Option<String>,
    pub under: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServicePointRecord {
    pub id: i32,
    pub unit_id: i32,
    pub code: String,
    pub name: String,
    pub is_default: bool,
}

impl From<service_point::Model> for ServicePointRecord {
    fn from(m: service_point::Model) -> Self {
        Self {
            id: m.id,
            unit_id: m.unit_id,
            code: m.code,
            name: m.name,
            is_default: m.is_default,
        }
    }
}

/// Where a desk token leads: the unit and the desk.
#[derive(Debug, Clone)]
pub struct SurveyPlace {
    pub unit_id: i32,
    pub unit_code: String,
    pub unit_name: String,
    pub service_point: ServicePointRecord,
}

/// Every unit of every period, as a tree.
pub async fn tree(db: &impl ConnectionTrait) -> Result<UnitTree, StorageError> {
    Ok(UnitTree::new(
        unit::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|u| UnitNode {
                id: u.id,
                code: u.code,
                parent_id: u.parent_id,
                valid_from: u.valid_from,
                valid_until: u.valid_until,
            }),
    ))
}

/// Units valid on the filter's date (today by default), in code order.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &UnitFilter,
) -> Result<Vec<UnitRow>, StorageError> {
    let on = filter.on.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let types: HashMap<i32, unit_type::Model> = unit_type::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let units = unit::Entity::find()
        .filter(unit::Column::ValidFrom.lte(on))
        .filter(
            Condition::any()
                .add(unit::Column::ValidUntil.is_null())
                .add(unit::Column::ValidUntil.gt(on)),
        )
        .order_by_asc(unit::Column::Code)
        .all(db)
        .await?;
    let under = match &filter.under {
        Some(code) => {
            let tree = tree(db).await?;
            let root = tree
                .resolve(code, on)
                .ok_or_else(|| StorageError::NotFound(format!("unit {code}")))?;
            Some(
                tree.subtree(root, on)
                    .into_iter()
                    .filter(|id| *id != root)
                    .collect::<std::collections::HashSet<i32>>(),
            )
        }
        None => None,
    };
    let codes: HashMap<i32, String> = units.iter().map(|u| (u.id, u.code.clone())).collect();
    Ok(units
        .into_iter()
        .filter(|u| under.as_ref().is_none_or(|w| w.contains(&u.id)))
        .map(|u| {
            let t = &types[&u.unit_type_id];
            UnitRow {
                id: u.id,
                parent_code: u.parent_id.and_then(|p| codes.get(&p).cloned()),
                code: u.code,
                name: u.name,
                unit_type: t.code.clone(),
                quota_floor: t.quota_floor.max(0) as u32,
            }
        })
        .filter(|u| filter.unit_type.as_ref().is_none_or(|t| &u.unit_type == t))
        .collect())
}

/// A unit valid on `on` (today by default), by code.
pub async fn by_code(
    db: &impl ConnectionTrait,
    code: &str,
    on: Option<NaiveDate>,
) -> Result<UnitRow, StorageError> {
    list(
        db,
        &UnitFilter {
            on,
            ..Default::default()
        },
    )
    .await?
    .into_iter()
    .find(|u| u.code == code)
    .ok_or_else(|| StorageError::NotFound(format!("unit {code}")))
}

pub async fn service_points(
    db: &impl ConnectionTrait,
    unit_id: i32,
) -> Result<Vec<ServicePointRecord>, StorageError> {
    Ok(service_point::Entity::find()
        .filter(service_point::Column::UnitId.eq(unit_id))
        .order_by_desc(service_point::Column::IsDefault)
        .order_by_asc(service_point::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// A unit's service point by its code.
pub async fn service_point_by_code(
    db: &impl ConnectionTrait,
    unit: &UnitRow,
    code: &str,
) -> Result<ServicePointRecord, StorageError> {
    service_point::Entity::find()
        .filter(service_point::Column::UnitId.eq(unit.id))
        .filter(service_point::Column::Code.eq(code))
        .one(db)
        .await?
        .map(Into::into)
        .ok_or_else(|| {
            StorageError::NotFound(format!("service point {code} of unit {}", unit.code))
        })
}

/// A unit's default service point (its Bộ phận Một cửa).
pub async fn default_service_point(
    db: &impl ConnectionTrait,
    unit: &UnitRow,
) -> Result<ServicePointRecord, StorageError> {
    service_point::Entity::find()
        .filter(service_point::Column::UnitId.eq(unit.id))
        .filter(service_point::Column::IsDefault.eq(true))
        .one(db)
        .await?
        .map(Into::into)
        .ok_or_else(|| StorageError::NotFound(format!("the default desk of unit {}", unit.code)))
}

/// Adds a one-stop desk to a unit, with its audit entry; codes are unique within the
/// unit.
pub async fn create_service_point(
    db: &impl ConnectionTrait,
    actor: &str,
    unit: &UnitRow,
    new: &NewServicePoint,
) -> Result<ServicePointRecord, StorageError> {
    let exists = service_point::Entity::find()
        .filter(service_point::Column::UnitId.eq(unit.id))
        .filter(service_point::Column::Code.eq(&new.code))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Err(StorageError::Conflict(format!(
            "unit {} already has a service point {}",
            unit.code, new.code
        )));
    }
    let model = service_point::Entity::insert(service_point::ActiveModel {
        unit_id: Set(unit.id),
        code: Set(new.code.clone()),
        name: Set(new.name.clone()),
        is_default: Set(false),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    audit::record(
        db,
        actor,
        "service_point.create",
        &format!("{}/{}", unit.code, new.code),
        serde_json::json!({ "name": new.name }),
    )
    .await?;
    Ok(model.into())
}

/// Each unit's default service point (its Bộ phận Một cửa), by unit id.
pub async fn default_service_points(
    db: &impl ConnectionTrait,
) -> Result<HashMap<i32, i32>, StorageError> {
    Ok(service_point::Entity::find()
        .filter(service_point::Column::IsDefault.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.unit_id, s.id))
        .collect())
}

/// Every service point, for resolving codes in bulk (imports).
pub async fn all_service_points(
    db: &impl ConnectionTrait,
) -> Result<Vec<ServicePointRecord>, StorageError> {
    Ok(service_point::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The unit and desk of a desk token; `None` if either is gone.
pub async fn survey_place(
    db: &impl ConnectionTrait,
    service_point_id: i32,
) -> Result<Option<SurveyPlace>, StorageError> {
    let Some(point) = service_point::Entity::find_by_id(service_point_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(unit) = unit::Entity::find_by_id(point.unit_id).one(db).await? else {
        return Ok(None);
    };
    Ok(Some(SurveyPlace {
        unit_id: unit.id,
        unit_code: unit.code,
        unit_name: unit.name,
        service_point: point.into(),
    }))
}
