//! Importing appraised points (the PAR total's part set by the appraisal council), for
//! the API (`PUT …/appraisals`) and the dashboard: one file is one new version of the
//! campaign's appraisals, all-or-nothing, each unit's change audited.

use serde::Serialize;
use sipas_domain::import::{LineError, Problems, read_appraisals};

use crate::storage::{
    CampaignRecord, Storage, StorageError, appraisals, audit, campaigns, imports, par_schemes,
};

/// The header of the template offered for download.
pub const TEMPLATE: &str = "unit_code,points\n";

/// What an accepted file did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Imported {
    /// The campaign's new appraisal version.
    pub version: i32,
    /// Units the file gave points to.
    pub units: usize,
}

#[derive(Debug)]
pub enum AppraisalError {
    /// Bad lines: every one, with its line and column; nothing stored.
    Refused(Problems),
    Storage(StorageError),
}

impl From<StorageError> for AppraisalError {
    fn from(e: StorageError) -> Self {
        Self::Storage(e)
    }
}

/// Checks a file against the campaign's units and PAR scheme and stores it as the next
/// version, with one audit entry per unit, in one transaction.
pub async fn import(
    storage: &Storage,
    actor: &str,
    campaign_code: &str,
    text: &str,
) -> Result<Imported, AppraisalError> {
    let campaign = campaigns::by_code(storage.db(), campaign_code).await?;
    let rows = check(storage, &campaign, text).await?;
    let txn = storage.write().await?;
    let version = appraisals::latest_version(&txn, campaign.id).await? + 1;
    let before = appraisals::current(&txn, campaign.id).await?;
    let new: Vec<appraisals::NewAppraisal> = rows.iter().map(|(_, a)| a.clone()).collect();
    appraisals::insert(&txn, campaign.id, version, actor, &new)
        .await
        .map_err(|e| match e {
            // Another import took this version number first (PostgreSQL at READ
            // COMMITTED; SQLite's write lock serialises imports).
            StorageError::Conflict(_) => StorageError::Conflict(
                "another appraisal file was stored meanwhile: send the file again".into(),
            ),
            other => other,
        })?;
    for (code, a) in &rows {
        audit::record_for_unit(
            &txn,
            actor,
            "appraisal.import",
            &format!("{}/{}", campaign.code, code),
            Some(a.unit_id),
            serde_json::json!({
                "version": version,
                "before": before.get(&a.unit_id).map(|b| serde_json::json!({
                    "points": b.points, "criteria": b.criteria, "version": b.version,
                })),
                "after": {"points": a.points, "criteria": a.criteria},
            }),
        )
        .await?;
    }
    txn.commit().await.map_err(StorageError::from)?;
    Ok(Imported {
        version,
        units: rows.len(),
    })
}

/// Every line resolved and checked, or every problem of the file.
async fn check(
    storage: &Storage,
    campaign: &CampaignRecord,
    text: &str,
) -> Result<Vec<(String, appraisals::NewAppraisal)>, AppraisalError> {
    let (lines, mut problems) = read_appraisals(text);
    let codes = imports::code_book(storage.db(), campaign).await?;
    let scheme = par_schemes::by_code(storage.db(), &campaign.par_scheme).await?;
    let mut rows = Vec::with_capacity(lines.len());
    for line in lines {
        let Some(unit) = codes.unit_row(line.line, &line.unit_code, &mut problems) else {
            continue;
        };
        let Some(max) = scheme.points.get(&unit.unit_type) else {
            problems.push(LineError::new(
                line.line,
                Some("unit_code"),
                format!(
                    "unit {} is a {}, which PAR scheme {} does not score",
                    unit.code, unit.unit_type, scheme.code
                ),
            ));
            continue;
        };
        if line.points > max.criteria_max_points {
            problems.push(LineError::new(
                line.line,
                Some("points"),
                format!(
                    "{} points is more than the {} appraised points a {} may have under {}",
                    line.points, max.criteria_max_points, unit.unit_type, scheme.code
                ),
            ));
            continue;
        }
        let criteria = (!line.criteria.is_empty()).then(|| {
            serde_json::Value::Object(
                line.criteria
                    .iter()
                    .map(|(name, v)| (name.clone(), serde_json::json!(v)))
                    .collect(),
            )
        });
        rows.push((
            unit.code.clone(),
            appraisals::NewAppraisal {
                unit_id: unit.id,
                points: line.points,
                criteria,
            },
        ));
    }
    if rows.is_empty() && problems.is_empty() {
        problems.push(LineError::new(1, None, "the file lists no unit"));
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(AppraisalError::Refused(problems))
    }
}
