//! Turning parsed import lines into rows: unit and service point codes are resolved
//! against the units valid when the campaign starts, and every unknown code is
//! reported by line before anything is written.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sipas_domain::import::{FrameLine, LineError, Problems, ResponseLine};

use sea_orm::ConnectionTrait;
use sipas_domain::quota::FrameEntry;

use super::responses::PaperForm;
use super::{CampaignRecord, NewResponse, StorageError, UnitFilter, UnitRow, units};

/// Codes of a campaign's units and their service points.
pub struct CodeBook {
    pub units: Vec<UnitRow>,
    unit_ids: HashMap<String, i32>,
    /// Codes of units of other periods only: why such a code is refused.
    other_periods: HashMap<String, String>,
    /// The day the campaign's units are valid on.
    on: chrono::NaiveDate,
    service_points: HashMap<(i32, String), i32>,
    default_points: HashMap<i32, i32>,
}

impl CodeBook {
    fn unit(&self, line: u64, code: &str, problems: &mut Problems) -> Option<i32> {
        let id = self.unit_ids.get(code).copied();
        if id.is_none() {
            let message = match self.other_periods.get(code) {
                Some(names) => format!(
                    "unit {code} is not in this campaign's structure (units valid on {}): the code names {names}",
                    self.on
                ),
                None => format!("unknown unit {code}"),
            };
            problems.push(LineError::new(line, Some("unit_code"), message));
        }
        id
    }

    /// The named service point of a unit, or its default desk when no code is given.
    fn service_point(
        &self,
        line: u64,
        unit_id: i32,
        unit_code: &str,
        code: Option<&str>,
        problems: &mut Problems,
    ) -> Option<i32> {
        let id = match code {
            Some(code) => self
                .service_points
                .get(&(unit_id, code.to_owned()))
                .copied(),
            None => self.default_points.get(&unit_id).copied(),
        };
        if id.is_none() {
            let message = match code {
                Some(code) => format!("unit {unit_code} has no service point {code}"),
                None => format!("unit {unit_code} has no default service point"),
            };
            problems.push(LineError::new(line, Some("service_point_code"), message));
        }
        id
    }

    /// Resolves frame lines; a line per service point keeps its service point.
    pub fn frame(&self, lines: &[FrameLine]) -> Result<Vec<FrameEntry>, Problems> {
        let mut problems = Problems::default();
        let mut entries = Vec::with_capacity(lines.len());
        for l in lines {
            let Some(unit_id) = self.unit(l.line, &l.unit_code, &mut problems) else {
                continue;
            };
            let service_point_id = match &l.service_point_code {
                Some(code) => {
                    match self.service_point(
                        l.line,
                        unit_id,
                        &l.unit_code,
                        Some(code),
                        &mut problems,
                    ) {
                        Some(id) => Some(id),
                        None => continue,
                    }
                }
                None => None,
            };
            entries.push(FrameEntry {
                unit_id,
                service_point_id,
                population: l.population,
            });
        }
        if problems.is_empty() {
            Ok(entries)
        } else {
            Err(problems)
        }
    }

    /// Resolves paper and interviewer forms into responses stored now. A line is refused
    /// when its unit is not one `writable` allows (outside the uploader's scope) or
    /// when its serial is among `stored` (the campaign's serials already stored).
    pub fn responses(
        &self,
        campaign: &CampaignRecord,
        lines: Vec<ResponseLine>,
        writable: &dyn Fn(i32) -> bool,
        stored: &HashSet<String>,
    ) -> Result<Vec<PaperForm>, Problems> {
        let mut problems = Problems::default();
        let mut forms = Vec::with_capacity(lines.len());
        let now = Utc::now();
        for l in lines {
            let Some(unit_id) = self.unit(l.line, &l.unit_code, &mut problems) else {
                continue;
            };
            if !writable(unit_id) {
                let message = format!(
                    "unit {} is outside your scope: you may not enter its forms",
                    l.unit_code
                );
                problems.push(LineError::new(l.line, Some("unit_code"), message));
                continue;
            }
            if let Some(serial) = l.serial.as_ref().filter(|s| stored.contains(*s)) {
                let message = format!("serial {serial} is already stored in this campaign");
                problems.push(LineError::new(l.line, Some("serial"), message));
                continue;
            }
            let code = l.service_point_code.as_deref();
            let Some(service_point_id) =
                self.service_point(l.line, unit_id, &l.unit_code, code, &mut problems)
            else {
                continue;
            };
            forms.push(PaperForm {
                response: NewResponse {
                    unit_id,
                    service_point_id,
                    channel: l.channel,
                    language: "vi",
                    answers: l.answers,
                    comment: None,
                    submitted_at: now,
                    exclusion: None,
                    nonce: None,
                    receipt_id: None,
                    client_hash: None,
                    is_demo: campaign.is_demo,
                },
                serial: l.serial,
            });
        }
        if problems.is_empty() {
            Ok(forms)
        } else {
            Err(problems)
        }
    }

    /// A unit's id by its code, if the campaign's structure has it.
    pub fn unit_id(&self, code: &str) -> Option<i32> {
        self.unit_ids.get(code).copied()
    }
}

impl CodeBook {
    /// Each listed unit's quota floor (its type's), by unit id.
    pub fn floors(&self) -> HashMap<i32, u32> {
        self.units.iter().map(|u| (u.id, u.quota_floor)).collect()
    }

    /// The unit a line names, or a problem in its `unit_code` column (a code of
    /// another period says which).
    pub fn unit_row(&self, line: u64, code: &str, problems: &mut Problems) -> Option<&UnitRow> {
        let id = self.unit(line, code, problems)?;
        self.units.iter().find(|u| u.id == id)
    }
}

/// The codes valid for a campaign: units valid when it starts, and their desks.
pub async fn code_book(
    db: &impl ConnectionTrait,
    campaign: &CampaignRecord,
) -> Result<CodeBook, StorageError> {
    let units = units::list(
        db,
        &UnitFilter {
            on: Some(campaign.units_on),
            ..Default::default()
        },
    )
    .await?;
    let points = units::all_service_points(db).await?;
    let unit_ids: HashMap<String, i32> = units.iter().map(|u| (u.code.clone(), u.id)).collect();
    let mut other_periods: HashMap<String, String> = HashMap::new();
    for u in units::periods(db).await? {
        if unit_ids.contains_key(&u.code) {
            continue;
        }
        let span = units::period(&u);
        other_periods
            .entry(u.code)
            .and_modify(|s| {
                s.push_str(", ");
                s.push_str(&span);
            })
            .or_insert(span);
    }
    Ok(CodeBook {
        unit_ids,
        other_periods,
        on: campaign.units_on,
        default_points: points
            .iter()
            .filter(|p| p.is_default)
            .map(|p| (p.unit_id, p.id))
            .collect(),
        service_points: points
            .into_iter()
            .map(|p| ((p.unit_id, p.code), p.id))
            .collect(),
        units,
    })
}
