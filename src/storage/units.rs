//! Units and their service points.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{service_point, unit, unit_type};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use sipas_domain::unit::is_valid_code;

use super::{Storage, StorageError, audit};

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

/// Which units to list: those valid on `on`, optionally of one type or one parent.
#[derive(Debug, Clone, Default)]
pub struct UnitFilter {
    pub on: Option<NaiveDate>,
    pub unit_type: Option<String>,
    pub parent_code: Option<String>,
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

impl Storage {
    /// Units valid on the filter's date (today by default), in code order.
    pub async fn units(&self, filter: &UnitFilter) -> Result<Vec<UnitRow>, StorageError> {
        let on = filter.on.unwrap_or_else(|| chrono::Utc::now().date_naive());
        let types: HashMap<i32, unit_type::Model> = unit_type::Entity::find()
            .all(&self.db)
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
            .all(&self.db)
            .await?;
        let codes: HashMap<i32, String> = units.iter().map(|u| (u.id, u.code.clone())).collect();
        Ok(units
            .into_iter()
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
            .filter(|u| {
                filter
                    .parent_code
                    .as_ref()
                    .is_none_or(|p| u.parent_code.as_ref() == Some(p))
            })
            .collect())
    }

    /// A unit valid today, by code.
    pub async fn unit_by_code(&self, code: &str) -> Result<UnitRow, StorageError> {
        self.units(&UnitFilter::default())
            .await?
            .into_iter()
            .find(|u| u.code == code)
            .ok_or_else(|| StorageError::NotFound(format!("unit {code}")))
    }

    pub async fn service_points(
        &self,
        unit_id: i32,
    ) -> Result<Vec<ServicePointRecord>, StorageError> {
        Ok(service_point::Entity::find()
            .filter(service_point::Column::UnitId.eq(unit_id))
            .order_by_desc(service_point::Column::IsDefault)
            .order_by_asc(service_point::Column::Code)
            .all(&self.db)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Adds a one-stop desk to a unit; codes are unique within the unit.
    pub async fn create_service_point(
        &self,
        actor: &str,
        unit: &UnitRow,
        code: &str,
        name: &str,
    ) -> Result<ServicePointRecord, StorageError> {
        if !is_valid_code(code) {
            return Err(StorageError::Invalid(
                "code must be 1–32 letters, digits, '-', '_' or '.'".into(),
            ));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(StorageError::Invalid(
                "name must be 1–200 characters".into(),
            ));
        }
        let txn = sea_orm::TransactionTrait::begin(&self.db).await?;
        let exists = service_point::Entity::find()
            .filter(service_point::Column::UnitId.eq(unit.id))
            .filter(service_point::Column::Code.eq(code))
            .one(&txn)
            .await?
            .is_some();
        if exists {
            return Err(StorageError::Conflict(format!(
                "unit {} already has a service point {code}",
                unit.code
            )));
        }
        let model = service_point::Entity::insert(service_point::ActiveModel {
            unit_id: Set(unit.id),
            code: Set(code.to_owned()),
            name: Set(name.to_owned()),
            is_default: Set(false),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await?;
        audit::record(
            &txn,
            actor,
            "service_point.create",
            &format!("{}/{code}", unit.code),
            serde_json::json!({ "name": name }),
        )
        .await?;
        txn.commit().await?;
        Ok(model.into())
    }
}

impl Storage {
    /// Each unit's default service point (its Bộ phận Một cửa), by unit id.
    pub async fn default_service_points(
        &self,
    ) -> Result<std::collections::HashMap<i32, i32>, StorageError> {
        Ok(service_point::Entity::find()
            .filter(service_point::Column::IsDefault.eq(true))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| (s.unit_id, s.id))
            .collect())
    }
}

impl Storage {
    /// A unit's service point by its code.
    pub async fn service_point_by_code(
        &self,
        unit: &UnitRow,
        code: &str,
    ) -> Result<ServicePointRecord, StorageError> {
        service_point::Entity::find()
            .filter(service_point::Column::UnitId.eq(unit.id))
            .filter(service_point::Column::Code.eq(code))
            .one(&self.db)
            .await?
            .map(Into::into)
            .ok_or_else(|| {
                StorageError::NotFound(format!("service point {code} of unit {}", unit.code))
            })
    }
}

impl Storage {
    /// Every service point, for resolving codes in bulk (imports).
    pub async fn all_service_points(&self) -> Result<Vec<ServicePointRecord>, StorageError> {
        Ok(service_point::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}
