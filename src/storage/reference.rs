//! Loading the bundled reference data (unit types, PAR points, questionnaires, units)
//! and reading questionnaires back as domain values.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use entity::{
    par_points, questionnaire, questionnaire_criterion, questionnaire_element, service_point, unit,
    unit_type,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use sipas_domain::questionnaire::{Bilingual, Criterion, Element, Questionnaire};
use sipas_domain::reference;
use sipas_domain::unit::DEFAULT_SERVICE_POINT_CODE;

use super::{Storage, StorageError};

/// What a seed added; all zeros when the reference data was already there.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub unit_types: usize,
    pub questionnaires: usize,
    pub units: usize,
}

impl Storage {
    /// Adds whatever reference data is missing, in one transaction. Running it again
    /// changes nothing, so every start may call it.
    pub async fn seed_reference_data(&self) -> Result<SeedReport, StorageError> {
        let txn = self.write().await?;
        super::one_at_a_time(&txn).await?;
        let report = seed(&txn).await?;
        txn.commit().await?;
        Ok(report)
    }
}

/// Adds whatever reference data is missing, in the caller's transaction.
pub async fn seed(txn: &impl ConnectionTrait) -> Result<SeedReport, StorageError> {
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
        if let Some(par) = t.par {
            par_points::Entity::insert(par_points::ActiveModel {
                scheme: Set(reference::HA_TINH_PAR_SCHEME.to_owned()),
                unit_type_id: Set(inserted.last_insert_id),
                criteria_max_points: Set(par.criteria_max_points),
                survey_max_points: Set(par.survey_max_points),
                max_total: Set(par.max_total),
                ..Default::default()
            })
            .exec_without_returning(txn)
            .await?;
        }
        report.unit_types += 1;
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

    let (y, m, d) = reference::HA_TINH_STRUCTURE_VALID_FROM;
    let valid_from = NaiveDate::from_ymd_opt(y, m, d).expect("valid date");
    let mut unit_ids: HashMap<String, i32> = unit::Entity::find()
        .filter(unit::Column::ValidFrom.eq(valid_from))
        .all(txn)
        .await?
        .into_iter()
        .map(|u| (u.code, u.id))
        .collect();
    let now = chrono::Utc::now();
    for record in reference::ha_tinh_units() {
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
        let id = unit::Entity::insert(unit::ActiveModel {
            code: Set(record.code.clone()),
            name: Set(record.name.clone()),
            unit_type_id: Set(unit_type_id),
            parent_id: Set(parent_id),
            valid_from: Set(valid_from),
            valid_until: Set(None),
            ..Default::default()
        })
        .exec(txn)
        .await?
        .last_insert_id;
        service_point::Entity::insert(service_point::ActiveModel {
            unit_id: Set(id),
            code: Set(DEFAULT_SERVICE_POINT_CODE.to_owned()),
            name: Set("Bộ phận Một cửa".to_owned()),
            is_default: Set(true),
            created_at: Set(now),
            ..Default::default()
        })
        .exec_without_returning(txn)
        .await?;
        unit_ids.insert(record.code, id);
        report.units += 1;
    }
    Ok(report)
}

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

/// Survey points per unit type code under a PAR scheme.
pub async fn survey_points(
    db: &impl ConnectionTrait,
    scheme: &str,
) -> Result<HashMap<String, f64>, StorageError> {
    let types: HashMap<i32, String> = unit_type::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.code))
        .collect();
    Ok(par_points::Entity::find()
        .filter(par_points::Column::Scheme.eq(scheme))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|p| Some((types.get(&p.unit_type_id)?.clone(), p.survey_max_points)))
        .collect())
}
