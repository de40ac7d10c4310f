//! Units, their tree across periods, the crosswalk between periods, and their service
//! points (one-stop desks). A unit is its code *and* its period: a code reused after
//! the 2025 reform names a new unit, and a campaign resolves codes on its first day.
//! Every change to units bumps every campaign's revision in the same transaction, so
//! every node describes its campaigns again.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use entity::{service_point, unit, unit_succession, unit_type};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder,
};
use sipas_domain::campaign::CampaignStatus;
use sipas_domain::import::{LineError, Problems, ProvinceSetupError, UnitLine, province_units};
use sipas_domain::unit::{
    DEFAULT_SERVICE_POINT_CODE, NewServicePoint, Relation, Succession, UnitNode, UnitRecord,
    UnitTree,
};

use super::{StorageError, audit, campaigns};

/// A unit with its type and parent by code, as the API and views show it.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitRow {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub unit_type: String,
    pub parent_code: Option<String>,
    pub quota_floor: u32,
    pub valid_from: NaiveDate,
    /// Exclusive: the first day the unit no longer exists.
    pub valid_until: Option<NaiveDate>,
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
    /// Exclusive: the first day the desk is closed.
    pub valid_until: Option<NaiveDate>,
}

impl ServicePointRecord {
    pub fn is_open_on(&self, on: NaiveDate) -> bool {
        self.valid_until.is_none_or(|until| on < until)
    }
}

impl From<service_point::Model> for ServicePointRecord {
    fn from(m: service_point::Model) -> Self {
        Self {
            id: m.id,
            unit_id: m.unit_id,
            code: m.code,
            name: m.name,
            is_default: m.is_default,
            valid_until: m.valid_until,
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

/// Every unit of every period, as a tree, with the crosswalk between periods.
pub async fn tree(db: &impl ConnectionTrait) -> Result<UnitTree, StorageError> {
    let successions = unit_succession::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|s| {
            Some(Succession {
                predecessor: s.predecessor_id,
                successor: s.successor_id,
                relation: Relation::parse(&s.relation)?,
            })
        });
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
    )
    .with_successions(successions))
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
                valid_from: u.valid_from,
                valid_until: u.valid_until,
            }
        })
        .filter(|u| filter.unit_type.as_ref().is_none_or(|t| &u.unit_type == t))
        .collect())
}

/// The units a campaign surveys: those of its structure (valid on its `units_on`) but
/// the province itself, which serves no citizen.
pub async fn surveyed(
    db: &impl ConnectionTrait,
    campaign: &super::CampaignRecord,
) -> Result<Vec<UnitRow>, StorageError> {
    let mut listed = list(
        db,
        &UnitFilter {
            on: Some(campaign.units_on),
            ..Default::default()
        },
    )
    .await?;
    listed.retain(|u| u.unit_type != "province");
    Ok(listed)
}

/// A unit valid on `on` (today by default), by code. When the code names units of
/// other periods only, the error says when it was valid.
pub async fn by_code(
    db: &impl ConnectionTrait,
    code: &str,
    on: Option<NaiveDate>,
) -> Result<UnitRow, StorageError> {
    let day = on.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let Some(key) = super::lookup_key(code) else {
        return Err(StorageError::NotFound(format!("unit {code}")));
    };
    let periods = unit::Entity::find()
        .filter(unit::Column::Code.eq(key))
        .order_by_asc(unit::Column::ValidFrom)
        .all(db)
        .await?;
    let Some(found) = periods
        .iter()
        .filter(|u| u.valid_from <= day && u.valid_until.is_none_or(|until| day < until))
        .max_by_key(|u| (u.valid_from, std::cmp::Reverse(u.id)))
    else {
        return Err(StorageError::NotFound(not_valid_message(
            code, day, &periods,
        )));
    };
    let t = unit_type::Entity::find_by_id(found.unit_type_id)
        .one(db)
        .await?
        .ok_or_else(|| StorageError::Invalid(format!("unit {code} has no unit type")))?;
    let parent_code = match found.parent_id {
        Some(id) => unit::Entity::find_by_id(id).one(db).await?.map(|p| p.code),
        None => None,
    };
    Ok(UnitRow {
        id: found.id,
        code: found.code.clone(),
        name: found.name.clone(),
        unit_type: t.code,
        parent_code,
        quota_floor: t.quota_floor.max(0) as u32,
        valid_from: found.valid_from,
        valid_until: found.valid_until,
    })
}

/// A unit's name and the days it was valid, as error messages give them.
pub fn period(u: &unit::Model) -> String {
    match u.valid_until {
        Some(until) => format!(
            "{} ({} – {})",
            u.name,
            u.valid_from,
            until.pred_opt().unwrap_or(until)
        ),
        None => format!("{} (from {})", u.name, u.valid_from),
    }
}

/// Every period of every unit, in code order.
pub async fn periods(db: &impl ConnectionTrait) -> Result<Vec<unit::Model>, StorageError> {
    Ok(unit::Entity::find()
        .order_by_asc(unit::Column::Code)
        .order_by_asc(unit::Column::ValidFrom)
        .all(db)
        .await?)
}

/// "unit X" when the code is unknown; otherwise also the periods it was valid in, so
/// an old code in a 2026 file says why it is refused.
fn not_valid_message(code: &str, day: NaiveDate, periods: &[unit::Model]) -> String {
    if periods.is_empty() {
        return format!("unit {code}");
    }
    let spans: Vec<String> = periods.iter().map(period).collect();
    format!(
        "unit {code} on {day} (the code names {}, not a unit of that date's structure)",
        spans.join(", ")
    )
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
    let not_found =
        || StorageError::NotFound(format!("service point {code} of unit {}", unit.code));
    let key = super::lookup_key(code).ok_or_else(not_found)?;
    service_point::Entity::find()
        .filter(service_point::Column::UnitId.eq(unit.id))
        .filter(service_point::Column::Code.eq(key))
        .one(db)
        .await?
        .map(Into::into)
        .ok_or_else(not_found)
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
    db: &DatabaseTransaction,
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
        valid_until: Set(None),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    audit::record_for_unit(
        db,
        actor,
        "service_point.create",
        &format!("{}/{}", unit.code, new.code),
        Some(unit.id),
        serde_json::json!({
            "name": new.name,
            "before": null,
            "after": { "code": new.code, "name": new.name },
        }),
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

/// The first campaign whose structure a change from `from` (until `until`, exclusive)
/// would alter although it must not: one closed or published, or, given a unit, one
/// with a frame, quota, receipt or response on it. Its code and why.
async fn frozen_structure(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    until: Option<NaiveDate>,
    unit_id: Option<i32>,
) -> Result<Option<String>, StorageError> {
    for c in campaigns::all(db).await? {
        if c.units_on < from || until.is_some_and(|until| c.units_on >= until) {
            continue;
        }
        if matches!(c.status, CampaignStatus::Closed | CampaignStatus::Published) {
            return Ok(Some(format!(
                "campaign {} (units of {}) is {}",
                c.code,
                c.units_on,
                c.status.as_str()
            )));
        }
        if let Some(id) = unit_id
            && campaigns::has_data_on(db, c.id, &[id]).await?
        {
            return Ok(Some(format!(
                "campaign {} (units of {}) has data on it",
                c.code, c.units_on
            )));
        }
    }
    Ok(None)
}

/// A period of `code` that a unit starting on `from` (open-ended) would overlap.
fn overlapping(periods: &[unit::Model], from: NaiveDate) -> Option<&unit::Model> {
    periods
        .iter()
        .find(|p| p.valid_until.is_none_or(|until| until > from))
}

/// A change to units or desks, in the caller's transaction: its audit entry, and every
/// campaign's revision bumped so every node describes its units again.
async fn recorded(
    db: &DatabaseTransaction,
    actor: &str,
    action: &str,
    subject: &str,
    detail: serde_json::Value,
) -> Result<(), StorageError> {
    audit::record(db, actor, action, subject, detail).await?;
    campaigns::bump_all_revisions(db).await
}

/// [`recorded`] for a change of one unit: the audit page finds it by that unit.
async fn recorded_for_unit(
    db: &DatabaseTransaction,
    actor: &str,
    action: &str,
    subject: &str,
    unit_id: i32,
    detail: serde_json::Value,
) -> Result<(), StorageError> {
    audit::record_for_unit(db, actor, action, subject, Some(unit_id), detail).await?;
    campaigns::bump_all_revisions(db).await
}

async fn unit_type_ids(db: &impl ConnectionTrait) -> Result<HashMap<String, i32>, StorageError> {
    Ok(unit_type::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.code, t.id))
        .collect())
}

/// Inserts one period of a unit with its default desk (its Bộ phận Một cửa).
pub(super) async fn insert_unit(
    db: &impl ConnectionTrait,
    unit: &UnitRecord,
    unit_type_id: i32,
    parent_id: Option<i32>,
    valid_from: NaiveDate,
    valid_until: Option<NaiveDate>,
) -> Result<i32, StorageError> {
    let id = unit::Entity::insert(unit::ActiveModel {
        code: Set(unit.code.clone()),
        name: Set(unit.name.clone()),
        unit_type_id: Set(unit_type_id),
        parent_id: Set(parent_id),
        valid_from: Set(valid_from),
        valid_until: Set(valid_until),
        ..Default::default()
    })
    .exec(db)
    .await?
    .last_insert_id;
    service_point::Entity::insert(service_point::ActiveModel {
        unit_id: Set(id),
        code: Set(DEFAULT_SERVICE_POINT_CODE.to_owned()),
        name: Set("Bộ phận Một cửa".to_owned()),
        is_default: Set(true),
        created_at: Set(chrono::Utc::now()),
        valid_until: Set(None),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

/// What an import of units did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct UnitsImported {
    /// Units created, with their default desks.
    pub created: usize,
    /// Lines that named a unit already there, identical: nothing to do.
    pub unchanged: usize,
}

/// Adds units valid from `valid_from`, all or nothing. A unit already valid then with
/// the same name, type and parent is left as it is (so a set-up runs twice safely);
/// one that differs is refused with its line, as are unknown unit types and parents.
/// A parent is a unit of the import (in any order) or one valid on `valid_from`.
pub async fn import(
    db: &DatabaseTransaction,
    actor: &str,
    subject: &str,
    valid_from: NaiveDate,
    units: &[UnitLine],
) -> Result<Result<UnitsImported, Problems>, StorageError> {
    let mut problems = Problems::default();
    let mut all_periods: HashMap<String, Vec<unit::Model>> = HashMap::new();
    for p in periods(db).await? {
        all_periods.entry(p.code.clone()).or_default().push(p);
    }
    let types = unit_type_ids(db).await?;
    let existing: HashMap<String, UnitRow> = list(
        db,
        &UnitFilter {
            on: Some(valid_from),
            ..Default::default()
        },
    )
    .await?
    .into_iter()
    .map(|u| (u.code.clone(), u))
    .collect();
    let where_ = |l: &UnitLine| -> String {
        if l.line == 0 {
            format!("{} (national list)", l.unit.code)
        } else {
            l.unit.code.clone()
        }
    };
    let mut report = UnitsImported::default();
    let mut to_create: Vec<&UnitLine> = Vec::new();
    let in_import: HashSet<&str> = units.iter().map(|l| l.unit.code.as_str()).collect();
    let mut seen = HashSet::new();
    for l in units {
        let u = &l.unit;
        if !seen.insert(u.code.as_str()) {
            problems.push(LineError::new(
                l.line,
                Some("code"),
                format!("{} is given twice", where_(l)),
            ));
            continue;
        }
        if !types.contains_key(&u.unit_type) {
            let mut known: Vec<&String> = types.keys().collect();
            known.sort();
            let known: Vec<&str> = known.into_iter().map(String::as_str).collect();
            problems.push(LineError::new(
                l.line,
                Some("unit_type"),
                format!(
                    "unknown unit type {}; known types: {}",
                    u.unit_type,
                    known.join(", ")
                ),
            ));
            continue;
        }
        if let Some(parent) = &u.parent_code
            && !in_import.contains(parent.as_str())
        {
            match existing.get(parent) {
                None => {
                    problems.push(LineError::new(
                        l.line,
                        Some("parent_code"),
                        format!(
                            "parent {parent} is neither in the file nor a unit on {valid_from}"
                        ),
                    ));
                    continue;
                }
                Some(p) if p.valid_until.is_some() => {
                    problems.push(LineError::new(
                        l.line,
                        Some("parent_code"),
                        format!(
                            "parent {parent} ends on {}; a unit under it cannot outlive it",
                            p.valid_until.expect("checked")
                        ),
                    ));
                    continue;
                }
                Some(_) => {}
            }
        }
        match existing.get(&u.code) {
            Some(there)
                if there.name == u.name
                    && there.unit_type == u.unit_type
                    && there.parent_code == u.parent_code =>
            {
                report.unchanged += 1;
            }
            Some(there) => problems.push(LineError::new(
                l.line,
                Some("code"),
                format!(
                    "{} already names {} ({}, under {}) on {valid_from}; rename or close that unit first",
                    where_(l),
                    there.name,
                    there.unit_type,
                    there.parent_code.as_deref().unwrap_or("no parent")
                ),
            )),
            None => match all_periods
                .get(&u.code)
                .and_then(|p| overlapping(p, valid_from))
            {
                Some(later) => problems.push(LineError::new(
                    l.line,
                    Some("code"),
                    format!(
                        "{} also names {}, which a unit from {valid_from} would overlap",
                        where_(l),
                        period(later)
                    ),
                )),
                None => to_create.push(l),
            },
        }
    }
    if !to_create.is_empty()
        && let Some(why) = frozen_structure(db, valid_from, None, None).await?
    {
        problems.push(LineError::new(
            0,
            None,
            format!("units from {valid_from} would change the structure of {why}; choose a later valid_from"),
        ));
    }
    // Parents before children; what is left after no progress is a cycle.
    let mut ids: HashMap<String, i32> = existing.iter().map(|(c, u)| (c.clone(), u.id)).collect();
    let mut ordered = Vec::with_capacity(to_create.len());
    let mut placed: HashSet<&str> = HashSet::new();
    let mut pending = to_create;
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|l| {
            let ready = l
                .unit
                .parent_code
                .as_deref()
                .is_none_or(|p| placed.contains(p) || existing.contains_key(p));
            if ready {
                placed.insert(l.unit.code.as_str());
                ordered.push(*l);
            }
            !ready
        });
        if pending.len() == before {
            for l in &pending {
                problems.push(LineError::new(
                    l.line,
                    Some("parent_code"),
                    format!("{} is in a cycle of parents", where_(l)),
                ));
            }
            break;
        }
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    for l in ordered {
        let parent_id = match &l.unit.parent_code {
            Some(p) => Some(*ids.get(p).ok_or_else(|| {
                StorageError::Invalid(format!("parent {p} of {} vanished", l.unit.code))
            })?),
            None => None,
        };
        let id = insert_unit(
            db,
            &l.unit,
            types[&l.unit.unit_type],
            parent_id,
            valid_from,
            None,
        )
        .await?;
        ids.insert(l.unit.code.clone(), id);
        report.created += 1;
    }
    if report.created > 0 {
        recorded(
            db,
            actor,
            "units.import",
            subject,
            serde_json::json!({
                "valid_from": valid_from, "created": report.created, "unchanged": report.unchanged,
            }),
        )
        .await?;
    }
    Ok(Ok(report))
}

/// Creates one unit valid from `valid_from`, with its default desk and audit entry.
pub async fn create(
    db: &DatabaseTransaction,
    actor: &str,
    unit: &UnitRecord,
    valid_from: NaiveDate,
) -> Result<UnitRow, StorageError> {
    let types = unit_type_ids(db).await?;
    let Some(&type_id) = types.get(&unit.unit_type) else {
        let mut known: Vec<String> = types.into_keys().collect();
        known.sort();
        return Err(StorageError::Invalid(format!(
            "unknown unit type {}; known types: {}",
            unit.unit_type,
            known.join(", ")
        )));
    };
    let same_code = unit::Entity::find()
        .filter(unit::Column::Code.eq(&unit.code))
        .all(db)
        .await?;
    if let Some(there) = overlapping(&same_code, valid_from) {
        return Err(StorageError::Conflict(format!(
            "unit {} is already {}, which a unit from {valid_from} would overlap",
            unit.code,
            period(there)
        )));
    }
    let parent_id = match &unit.parent_code {
        Some(p) => {
            let parent = by_code(db, p, Some(valid_from)).await.map_err(|_| {
                StorageError::Invalid(format!("parent {p} is not a unit on {valid_from}"))
            })?;
            if let Some(end) = parent.valid_until {
                return Err(StorageError::Invalid(format!(
                    "parent {p} ends on {end}; a unit under it cannot outlive it"
                )));
            }
            Some(parent.id)
        }
        None => None,
    };
    if let Some(why) = frozen_structure(db, valid_from, None, None).await? {
        return Err(StorageError::Conflict(format!(
            "a unit from {valid_from} would change the structure of {why}; choose a later valid_from"
        )));
    }
    let unit_id = insert_unit(db, unit, type_id, parent_id, valid_from, None).await?;
    recorded_for_unit(
        db,
        actor,
        "unit.create",
        &unit.code,
        unit_id,
        serde_json::json!({
            "name": unit.name, "unit_type": unit.unit_type,
            "parent_code": unit.parent_code, "valid_from": valid_from,
            "after": { "name": unit.name, "unit_type": unit.unit_type, "parent_code": unit.parent_code },
        }),
    )
    .await?;
    by_code(db, &unit.code, Some(valid_from)).await
}

/// Renames one period of a unit (the others keep their names), with its audit entry.
pub async fn rename(
    db: &DatabaseTransaction,
    actor: &str,
    unit: &UnitRow,
    name: &str,
) -> Result<UnitRow, StorageError> {
    unit::Entity::update_many()
        .col_expr(unit::Column::Name, name.into())
        .filter(unit::Column::Id.eq(unit.id))
        .exec(db)
        .await?;
    recorded_for_unit(
        db,
        actor,
        "unit.rename",
        &unit.code,
        unit.id,
        serde_json::json!({
            "from": unit.name, "to": name, "valid_from": unit.valid_from,
            "before": { "name": unit.name }, "after": { "name": name },
        }),
    )
    .await?;
    Ok(UnitRow {
        name: name.to_owned(),
        ..unit.clone()
    })
}

/// Closes a unit from a date (its first day without it): the period of `code` that
/// runs into that day ends then, so campaigns starting from then no longer see it and
/// earlier ones keep it. Its children valid beyond that date would hang from nothing,
/// so they must be closed first.
pub async fn close(
    db: &DatabaseTransaction,
    actor: &str,
    code: &str,
    on: NaiveDate,
) -> Result<UnitRow, StorageError> {
    let day_before = on
        .pred_opt()
        .ok_or_else(|| StorageError::Invalid(format!("{on} is out of range")))?;
    // Failing a period that runs into that day, one that starts on it: it cannot be
    // closed before it starts, and is told so.
    let unit = match by_code(db, code, Some(day_before)).await {
        Err(StorageError::NotFound(_)) => by_code(db, code, Some(on)).await?,
        other => other?,
    };
    let unit = &unit;
    if on <= unit.valid_from {
        return Err(StorageError::Invalid(format!(
            "unit {} starts on {}; close it after that day",
            unit.code, unit.valid_from
        )));
    }
    if unit.valid_until.is_some_and(|until| until <= on) {
        return Err(StorageError::Conflict(format!(
            "unit {} is already closed from {}",
            unit.code,
            unit.valid_until.expect("checked")
        )));
    }
    if let Some(why) = frozen_structure(db, on, unit.valid_until, Some(unit.id)).await? {
        return Err(StorageError::Conflict(format!(
            "closing unit {} from {on} would take it out of {why}; close it later",
            unit.code
        )));
    }
    let open_children = unit::Entity::find()
        .filter(unit::Column::ParentId.eq(unit.id))
        .filter(
            Condition::any()
                .add(unit::Column::ValidUntil.is_null())
                .add(unit::Column::ValidUntil.gt(on)),
        )
        .all(db)
        .await?;
    if let Some(child) = open_children.first() {
        return Err(StorageError::Conflict(format!(
            "unit {} still has {} unit(s) valid after {on} (such as {}); close them first",
            unit.code,
            open_children.len(),
            child.code
        )));
    }
    unit::Entity::update_many()
        .col_expr(unit::Column::ValidUntil, Some(on).into())
        .filter(unit::Column::Id.eq(unit.id))
        .exec(db)
        .await?;
    recorded_for_unit(
        db,
        actor,
        "unit.close",
        &unit.code,
        unit.id,
        serde_json::json!({
            "valid_from": unit.valid_from, "closed_from": on,
            "before": { "valid_until": unit.valid_until }, "after": { "valid_until": on },
        }),
    )
    .await?;
    Ok(UnitRow {
        valid_until: Some(on),
        ..unit.clone()
    })
}

/// Records that `predecessor` went into `successor` (once; a repeated line is kept as
/// first recorded). Returns whether a line was added.
pub async fn add_succession(
    db: &impl ConnectionTrait,
    predecessor: i32,
    successor: i32,
    relation: Relation,
) -> Result<bool, StorageError> {
    let exists = unit_succession::Entity::find()
        .filter(unit_succession::Column::PredecessorId.eq(predecessor))
        .filter(unit_succession::Column::SuccessorId.eq(successor))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    unit_succession::Entity::insert(unit_succession::ActiveModel {
        predecessor_id: Set(predecessor),
        successor_id: Set(successor),
        relation: Set(relation.as_str().to_owned()),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(true)
}

/// Renames a desk, with its audit entry.
pub async fn rename_service_point(
    db: &DatabaseTransaction,
    actor: &str,
    unit: &UnitRow,
    point: &ServicePointRecord,
    name: &str,
) -> Result<ServicePointRecord, StorageError> {
    service_point::Entity::update_many()
        .col_expr(service_point::Column::Name, name.into())
        .filter(service_point::Column::Id.eq(point.id))
        .exec(db)
        .await?;
    recorded_for_unit(
        db,
        actor,
        "service_point.rename",
        &format!("{}/{}", unit.code, point.code),
        unit.id,
        serde_json::json!({
            "from": point.name, "to": name,
            "before": { "name": point.name }, "after": { "name": name },
        }),
    )
    .await?;
    Ok(ServicePointRecord {
        name: name.to_owned(),
        ..point.clone()
    })
}

/// Closes a desk from a date: its QR codes stop taking answers then. A unit's own
/// Bộ phận Một cửa closes only with the unit.
pub async fn close_service_point(
    db: &DatabaseTransaction,
    actor: &str,
    unit: &UnitRow,
    point: &ServicePointRecord,
    on: NaiveDate,
) -> Result<ServicePointRecord, StorageError> {
    if point.is_default {
        return Err(StorageError::Conflict(format!(
            "{} is unit {}'s own one-stop desk; it closes with the unit",
            point.code, unit.code
        )));
    }
    if let Some(until) = point.valid_until.filter(|until| *until <= on) {
        return Err(StorageError::Conflict(format!(
            "service point {} is already closed from {until}",
            point.code
        )));
    }
    service_point::Entity::update_many()
        .col_expr(service_point::Column::ValidUntil, Some(on).into())
        .filter(service_point::Column::Id.eq(point.id))
        .exec(db)
        .await?;
    recorded_for_unit(
        db,
        actor,
        "service_point.close",
        &format!("{}/{}", unit.code, point.code),
        unit.id,
        serde_json::json!({
            "closed_from": on,
            "before": { "closed_from": point.valid_until }, "after": { "closed_from": on },
        }),
    )
    .await?;
    Ok(ServicePointRecord {
        valid_until: Some(on),
        ..point.clone()
    })
}

/// Why a province set-up failed.
pub enum SetupError {
    UnknownProvince(String),
    Refused(sipas_domain::import::Problems),
    Storage(StorageError),
}

impl From<StorageError> for SetupError {
    fn from(e: StorageError) -> Self {
        SetupError::Storage(e)
    }
}

impl super::Storage {
    /// Sets a province up in one transaction: what the command `sipas units import` and
    /// `POST /api/v1/units/import` both do.
    pub async fn set_up_province(
        &self,
        actor: &str,
        province: &str,
        own_units: Option<&str>,
        valid_from: NaiveDate,
    ) -> Result<UnitsImported, SetupError> {
        let lines = province_units(province, own_units).map_err(|e| match e {
            ProvinceSetupError::UnknownProvince(m) => SetupError::UnknownProvince(m),
            ProvinceSetupError::Refused(p) => SetupError::Refused(p),
        })?;
        let txn = self.write_reference().await?;
        let report = import(
            &txn,
            actor,
            &format!("province {province}"),
            valid_from,
            &lines,
        )
        .await?
        .map_err(SetupError::Refused)?;
        txn.commit().await.map_err(StorageError::from)?;
        Ok(report)
    }
}

/// Every unit type with its names in both languages, by code.
pub async fn types(
    db: &impl ConnectionTrait,
) -> Result<Vec<sipas_domain::unit::UnitType>, StorageError> {
    Ok(unit_type::Entity::find()
        .order_by_asc(unit_type::Column::Tier)
        .order_by_asc(unit_type::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(|t| sipas_domain::unit::UnitType {
            code: t.code,
            name_vi: t.name_vi,
            name_en: t.name_en,
            tier: t.tier,
            quota_floor: u32::try_from(t.quota_floor).unwrap_or(0),
        })
        .collect())
}
