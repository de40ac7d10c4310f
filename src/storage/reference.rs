//! Loading the bundled reference data (unit types, PAR schemes, questionnaires, both
//! Hà Tĩnh structures and the crosswalk between them) and reading questionnaires back
//! as domain values.

use std::collections::{HashMap, HashSet};

use entity::{questionnaire, questionnaire_criterion, questionnaire_element, unit, unit_type};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};
use sipas_domain::questionnaire::{Bilingual, Criterion, Element, Questionnaire};
use sipas_domain::reference;

use super::{Storage, StorageError, audit, campaigns, par_schemes, units};

/// What a seed added; all zeros when the reference data was already there.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub unit_types: usize,
    pub par_schemes: usize,
    pub questionnaires: usize,
    pub units: usize,
    /// Crosswalk lines between periods.
    pub successions: usize,
}

/// Which units a seed loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedUnits {
    /// Hà Tĩnh's two structures and their crosswalk, unless the database holds another
    /// province (one set itself up): its managers should not see Hà Tĩnh's units.
    HaTinh,
    /// No units: a province about to set itself up.
    None,
}

impl Storage {
    /// Adds whatever reference data is missing, in one transaction. Running it again
    /// changes nothing, so every start may call it.
    pub async fn seed_reference_data(&self) -> Result<SeedReport, StorageError> {
        self.seed_reference_data_with(SeedUnits::HaTinh).await
    }

    pub async fn seed_reference_data_with(
        &self,
        units: SeedUnits,
    ) -> Result<SeedReport, StorageError> {
        let txn = self.write().await?;
        super::one_at_a_time(&txn).await?;
        let report = seed(&txn, units).await?;
        txn.commit().await?;
        Ok(report)
    }
}

/// Adds whatever reference data is missing, in the caller's transaction: unit types,
/// the shipped PAR schemes, the questionnaires, and (as `units` says) both Hà Tĩnh
/// structures with their default desks and the crosswalk between them.
pub async fn seed(txn: &DatabaseTransaction, units: SeedUnits) -> Result<SeedReport, StorageError> {
    let mut report = SeedReport::default();

    let mut type_ids: HashMap<String, i32> = unit_type::Entity::find()
        .all(txn)
        .await?
        .into_iter()
        .map(|t| (t.code, t.id))
        .collect();
    for t in reference::unit_types() {
        if type_ids.contains_key(&t.code) {
            continue;
        }
        let inserted = unit_type::Entity::insert(unit_type::ActiveModel {
            code: Set(t.code.clone()),
            name_vi: Set(t.name_vi),
            name_en: Set(t.name_en),
            tier: Set(t.tier),
            quota_floor: Set(t.quota_floor as i32),
            ..Default::default()
        })
        .exec(txn)
        .await?;
        type_ids.insert(t.code.clone(), inserted.last_insert_id);
        report.unit_types += 1;
    }

    let schemes = par_schemes::all(txn).await?;
    for scheme in reference::par_schemes() {
        match schemes.iter().find(|s| s.code == scheme.code) {
            None => {
                par_schemes::put(txn, SEED_ACTOR, &scheme).await?;
                report.par_schemes += 1;
            }
            // An earlier version knew schemes only by their code.
            Some(stored) if stored.name == stored.code => {
                par_schemes::name(txn, &scheme.code, &scheme.name).await?;
            }
            Some(_) => {}
        }
    }

    for q in reference::questionnaires() {
        let exists = questionnaire::Entity::find()
            .filter(questionnaire::Column::Code.eq(&q.code))
            .filter(questionnaire::Column::Version.eq(q.version))
            .one(txn)
            .await?
            .is_some();
        if !exists {
            insert_questionnaire(txn, &q).await?;
            report.questionnaires += 1;
        }
    }

    let load_units = units == SeedUnits::HaTinh && !another_province(txn, &type_ids).await?;
    let mut changed = false;
    for structure in reference::ha_tinh_structures() {
        let codes: HashSet<&str> = structure.units.iter().map(|u| u.code.as_str()).collect();
        let stored: HashMap<String, unit::Model> = unit::Entity::find()
            .filter(unit::Column::ValidFrom.eq(structure.valid_from))
            .all(txn)
            .await?
            .into_iter()
            .filter(|u| codes.contains(u.code.as_str()))
            .map(|u| (u.code.clone(), u))
            .collect();
        // Earlier versions loaded the old structure without its end; ended now, once.
        if let Some(end) = structure.valid_until {
            let unended: Vec<i32> = stored
                .values()
                .filter(|u| u.valid_until.is_none())
                .map(|u| u.id)
                .collect();
            if !unended.is_empty() {
                end_structure(txn, structure.code, &unended, end).await?;
                changed = true;
            }
        }
        if !load_units {
            continue;
        }
        let mut unit_ids: HashMap<String, i32> =
            stored.iter().map(|(c, u)| (c.clone(), u.id)).collect();
        for record in structure.units {
            if unit_ids.contains_key(&record.code) {
                continue;
            }
            let parent_id = match &record.parent_code {
                Some(code) => Some(*unit_ids.get(code).ok_or_else(|| {
                    StorageError::Invalid(format!("unit {} has unknown parent {code}", record.code))
                })?),
                None => None,
            };
            let unit_type_id = *type_ids.get(&record.unit_type).ok_or_else(|| {
                StorageError::Invalid(format!("unknown unit type {}", record.unit_type))
            })?;
            let id = units::insert_unit(
                txn,
                &record,
                unit_type_id,
                parent_id,
                structure.valid_from,
                structure.valid_until,
            )
            .await?;
            unit_ids.insert(record.code, id);
            report.units += 1;
        }
    }
    if !load_units {
        if changed {
            campaigns::bump_all_revisions(txn).await?;
        }
        return Ok(report);
    }

    let before = reference::reform_2025().pred_opt().expect("valid date");
    let tree = units::tree(txn).await?;
    for line in reference::ha_tinh_successions() {
        let (Some(old), Some(new)) = (
            tree.resolve(&line.old_code, before),
            tree.resolve(&line.new_code, reference::reform_2025()),
        ) else {
            continue;
        };
        if units::add_succession(txn, old, new, line.relation).await? {
            report.successions += 1;
        }
    }
    if changed || report.units > 0 || report.successions > 0 {
        campaigns::bump_all_revisions(txn).await?;
    }
    Ok(report)
}

const SEED_ACTOR: &str = "seed";

/// Ends units an earlier version loaded without their end. A campaign of that version
/// that starts after the end but has data on those units ran on that structure: it is
/// pinned to it (`units_on`, the day before the end), so its figures stay as they were.
async fn end_structure(
    txn: &DatabaseTransaction,
    structure: &str,
    unit_ids: &[i32],
    end: chrono::NaiveDate,
) -> Result<(), StorageError> {
    let last_day = end.pred_opt().expect("valid date");
    let mut pinned = Vec::new();
    for c in campaigns::all(txn).await? {
        if c.units_on < end {
            continue;
        }
        if campaigns::has_data_on(txn, c.id, unit_ids).await? {
            campaigns::pin_units_on(txn, SEED_ACTOR, &c, last_day).await?;
            pinned.push(c.code);
        }
    }
    if !pinned.is_empty() {
        tracing::warn!(
            ?pinned,
            structure,
            "campaigns that ran on the old structure keep it"
        );
    }
    unit::Entity::update_many()
        .col_expr(unit::Column::ValidUntil, Some(end).into())
        .filter(unit::Column::Id.is_in(unit_ids.iter().copied()))
        .exec(txn)
        .await?;
    audit::record(
        txn,
        SEED_ACTOR,
        "units.end_structure",
        structure,
        serde_json::json!({ "units": unit_ids.len(), "valid_until": end, "pinned": pinned }),
    )
    .await
}

/// Whether a province other than Hà Tĩnh (42) has units here.
async fn another_province(
    db: &impl ConnectionTrait,
    type_ids: &HashMap<String, i32>,
) -> Result<bool, StorageError> {
    let Some(province) = type_ids.get("province") else {
        return Ok(false);
    };
    Ok(unit::Entity::find()
        .filter(unit::Column::UnitTypeId.eq(*province))
        .filter(unit::Column::Code.ne(HA_TINH))
        .one(db)
        .await?
        .is_some())
}

/// Hà Tĩnh's province code.
const HA_TINH: &str = "42";

/// A questionnaire with its elements and criteria in answer order.
pub async fn questionnaire(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Questionnaire, StorageError> {
    let q = questionnaire::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StorageError::NotFound(format!("questionnaire {id}")))?;
    let elements = questionnaire_element::Entity::find()
        .filter(questionnaire_element::Column::QuestionnaireId.eq(id))
        .order_by_asc(questionnaire_element::Column::Position)
        .all(db)
        .await?;
    let criteria = questionnaire_criterion::Entity::find()
        .filter(questionnaire_criterion::Column::QuestionnaireId.eq(id))
        .order_by_asc(questionnaire_criterion::Column::Position)
        .all(db)
        .await?;
    let mut by_element: HashMap<i32, Vec<Criterion>> = HashMap::new();
    for c in criteria {
        by_element.entry(c.element_id).or_default().push(Criterion {
            code: c.code,
            text: Bilingual {
                vi: c.text_vi,
                en: c.text_en,
            },
        });
    }
    Ok(Questionnaire {
        code: q.code,
        version: q.version,
        name: q.name,
        elements: elements
            .into_iter()
            .map(|e| Element {
                criteria: by_element.remove(&e.id).unwrap_or_default(),
                code: e.code,
                name: Bilingual {
                    vi: e.name_vi,
                    en: e.name_en,
                },
            })
            .collect(),
    })
}

/// The newest version of a questionnaire template, by code (`SIPAS-2017`).
pub async fn latest_questionnaire_id(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<i32>, StorageError> {
    let Some(code) = super::lookup_key(code) else {
        return Ok(None);
    };
    Ok(questionnaire::Entity::find()
        .filter(questionnaire::Column::Code.eq(code))
        .order_by_desc(questionnaire::Column::Version)
        .one(db)
        .await?
        .map(|q| q.id))
}

/// The codes of every questionnaire template, for error messages.
pub async fn questionnaire_codes(db: &impl ConnectionTrait) -> Result<Vec<String>, StorageError> {
    let codes: HashSet<String> = questionnaire::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|q| q.code)
        .collect();
    let mut codes: Vec<String> = codes.into_iter().collect();
    codes.sort();
    Ok(codes)
}

async fn insert_questionnaire(
    txn: &impl ConnectionTrait,
    q: &Questionnaire,
) -> Result<(), StorageError> {
    let questionnaire_id = questionnaire::Entity::insert(questionnaire::ActiveModel {
        code: Set(q.code.clone()),
        version: Set(q.version),
        name: Set(q.name.clone()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    })
    .exec(txn)
    .await?
    .last_insert_id;
    let mut position = 0;
    for (element_position, element) in q.elements.iter().enumerate() {
        let element_id =
            questionnaire_element::Entity::insert(questionnaire_element::ActiveModel {
                questionnaire_id: Set(questionnaire_id),
                position: Set(element_position as i32),
                code: Set(element.code.clone()),
                name_vi: Set(element.name.vi.clone()),
                name_en: Set(element.name.en.clone()),
                ..Default::default()
            })
            .exec(txn)
            .await?
            .last_insert_id;
        for criterion in &element.criteria {
            questionnaire_criterion::Entity::insert(questionnaire_criterion::ActiveModel {
                questionnaire_id: Set(questionnaire_id),
                element_id: Set(element_id),
                position: Set(position),
                code: Set(criterion.code.clone()),
                text_vi: Set(criterion.text.vi.clone()),
                text_en: Set(criterion.text.en.clone()),
                ..Default::default()
            })
            .exec_without_returning(txn)
            .await?;
            position += 1;
        }
    }
    Ok(())
}
