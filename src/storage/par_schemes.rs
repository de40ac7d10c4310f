//! PAR schemes: the points each unit type's total has and how many come from the
//! survey, under a named decision. A campaign names its scheme; nothing about points
//! is a constant in code.

use std::collections::{BTreeMap, HashMap};

use entity::{campaign, par_points, par_scheme, unit_type};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};
use sipas_domain::campaign::CampaignStatus;
use sipas_domain::unit::{ParMaxPoints, ParScheme};

use super::{StorageError, audit, campaigns};

async fn type_codes(db: &impl ConnectionTrait) -> Result<HashMap<i32, String>, StorageError> {
    Ok(unit_type::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.code))
        .collect())
}

/// Every scheme with its points, oldest first.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<ParScheme>, StorageError> {
    let types = type_codes(db).await?;
    let mut points: HashMap<String, BTreeMap<String, ParMaxPoints>> = HashMap::new();
    for p in par_points::Entity::find().all(db).await? {
        if let Some(t) = types.get(&p.unit_type_id) {
            points.entry(p.scheme).or_default().insert(
                t.clone(),
                ParMaxPoints {
                    criteria_max_points: p.criteria_max_points,
                    survey_max_points: p.survey_max_points,
                    max_total: p.max_total,
                },
            );
        }
    }
    Ok(par_scheme::Entity::find()
        .order_by_asc(par_scheme::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|s| ParScheme {
            points: points.remove(&s.code).unwrap_or_default(),
            code: s.code,
            name: s.name,
        })
        .collect())
}

pub async fn by_code(db: &impl ConnectionTrait, code: &str) -> Result<ParScheme, StorageError> {
    all(db)
        .await?
        .into_iter()
        .find(|s| s.code == code)
        .ok_or_else(|| StorageError::NotFound(format!("PAR scheme {code}")))
}

/// The scheme a campaign gets when it names none: the one added last.
pub async fn latest(db: &impl ConnectionTrait) -> Result<Option<String>, StorageError> {
    Ok(par_scheme::Entity::find()
        .order_by_desc(par_scheme::Column::Id)
        .one(db)
        .await?
        .map(|s| s.code))
}

/// The codes of every scheme, for error messages.
pub async fn codes(db: &impl ConnectionTrait) -> Result<Vec<String>, StorageError> {
    Ok(all(db).await?.into_iter().map(|s| s.code).collect())
}

/// Creates a scheme, or replaces one that only draft campaigns use: the points of a
/// campaign that has taken answers never change under it. Returns whether it was
/// created.
pub async fn put(
    db: &DatabaseTransaction,
    actor: &str,
    scheme: &ParScheme,
) -> Result<bool, StorageError> {
    let types: HashMap<String, i32> = type_codes(db)
        .await?
        .into_iter()
        .map(|(id, code)| (code, id))
        .collect();
    let unknown: Vec<&str> = scheme
        .points
        .keys()
        .filter(|t| !types.contains_key(*t))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        let mut known: Vec<&str> = types.keys().map(String::as_str).collect();
        known.sort_unstable();
        return Err(StorageError::Invalid(format!(
            "unknown unit type {}; known types: {}",
            unknown.join(", "),
            known.join(", ")
        )));
    }
    let existing = par_scheme::Entity::find()
        .filter(par_scheme::Column::Code.eq(&scheme.code))
        .one(db)
        .await?;
    if existing.is_some() {
        let users: Vec<String> = campaign::Entity::find()
            .filter(campaign::Column::ParScheme.eq(&scheme.code))
            .all(db)
            .await?
            .into_iter()
            .filter(|c| CampaignStatus::parse(&c.status) != Some(CampaignStatus::Draft))
            .map(|c| c.code)
            .collect();
        if !users.is_empty() {
            return Err(StorageError::Conflict(format!(
                "PAR scheme {} is used by campaign {}, which is no longer a draft; add a new scheme instead",
                scheme.code,
                users.join(", ")
            )));
        }
        par_scheme::Entity::update_many()
            .col_expr(par_scheme::Column::Name, scheme.name.clone().into())
            .filter(par_scheme::Column::Code.eq(&scheme.code))
            .exec(db)
            .await?;
        par_points::Entity::delete_many()
            .filter(par_points::Column::Scheme.eq(&scheme.code))
            .exec(db)
            .await?;
    } else {
        par_scheme::Entity::insert(par_scheme::ActiveModel {
            code: Set(scheme.code.clone()),
            name: Set(scheme.name.clone()),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
    }
    for (unit_type, p) in &scheme.points {
        par_points::Entity::insert(par_points::ActiveModel {
            scheme: Set(scheme.code.clone()),
            unit_type_id: Set(types[unit_type]),
            criteria_max_points: Set(p.criteria_max_points),
            survey_max_points: Set(p.survey_max_points),
            max_total: Set(p.max_total),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
    }
    audit::record(
        db,
        actor,
        if existing.is_some() {
            "par_scheme.replace"
        } else {
            "par_scheme.create"
        },
        &scheme.code,
        serde_json::to_value(scheme).unwrap_or_default(),
    )
    .await?;
    if existing.is_some() {
        campaigns::bump_all_revisions(db).await?;
    }
    Ok(existing.is_none())
}

/// Names a scheme (its points unchanged).
pub async fn name(db: &impl ConnectionTrait, code: &str, name: &str) -> Result<(), StorageError> {
    par_scheme::Entity::update_many()
        .col_expr(par_scheme::Column::Name, name.into())
        .filter(par_scheme::Column::Code.eq(code))
        .exec(db)
        .await?;
    Ok(())
}

/// Survey points per unit type code under a scheme.
pub async fn survey_points(
    db: &impl ConnectionTrait,
    scheme: &str,
) -> Result<HashMap<String, f64>, StorageError> {
    let types = type_codes(db).await?;
    Ok(par_points::Entity::find()
        .filter(par_points::Column::Scheme.eq(scheme))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|p| Some((types.get(&p.unit_type_id)?.clone(), p.survey_max_points)))
        .collect())
}
