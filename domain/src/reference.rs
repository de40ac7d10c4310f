//! The reference data the service ships with, compiled into the binary: the two SIPAS
//! questionnaires, Hà Tĩnh's units and the PAR points per unit type (files in
//! `domain/reference/`, copied from the project's shared data).

use crate::questionnaire::Questionnaire;
use crate::unit::{ParMaxPoints, UnitRecord, UnitType};

const SIPAS_2017: &str = include_str!("../reference/sipas-2017.csv");
const SIPAS_2023: &str = include_str!("../reference/sipas-2023.csv");
const HA_TINH_UNITS: &str = include_str!("../reference/ha-tinh-units.csv");
const PAR_POINTS: &str = include_str!("../reference/par-points-ha-tinh.csv");

/// Where the 2021 unit list is valid from; a later structure gets its own period.
pub const HA_TINH_STRUCTURE_VALID_FROM: (i32, u32, u32) = (2020, 1, 1);
/// The PAR scheme of these points: Hà Tĩnh Decision 52/2019/QĐ-UBND.
pub const HA_TINH_PAR_SCHEME: &str = "HT-52-2019";

/// The questionnaire templates, SIPAS-2017 (Decision 2640/QĐ-BNV) and SIPAS-2023
/// (Decision 1001/QĐ-BNV).
pub fn questionnaires() -> Vec<Questionnaire> {
    [
        ("SIPAS-2017", "SIPAS 2017 (QĐ 2640/QĐ-BNV)", SIPAS_2017),
        ("SIPAS-2023", "SIPAS 2023 (QĐ 1001/QĐ-BNV)", SIPAS_2023),
    ]
    .into_iter()
    .map(|(code, name, text)| {
        Questionnaire::from_csv(code, 1, name, text).expect("bundled questionnaire parses")
    })
    .collect()
}

/// Hà Tĩnh's units, parents before children (the file's order).
pub fn ha_tinh_units() -> Vec<UnitRecord> {
    #[derive(serde::Deserialize)]
    struct Row {
        code: String,
        name: String,
        unit_type: String,
        parent_code: String,
    }
    csv::Reader::from_reader(HA_TINH_UNITS.as_bytes())
        .deserialize::<Row>()
        .map(|row| {
            let row = row.expect("bundled unit list parses");
            UnitRecord {
                code: row.code,
                name: row.name,
                unit_type: row.unit_type,
                parent_code: Some(row.parent_code).filter(|p| !p.is_empty()),
            }
        })
        .collect()
}

/// The unit types of the three-tier structure, with the PAR points of Hà Tĩnh's scheme
/// and the quota floors of the province's 2019 survey (45 forms, 25 for communes).
pub fn unit_types() -> Vec<UnitType> {
    #[derive(serde::Deserialize)]
    struct Row {
        unit_type: String,
        criteria_max_points: f64,
        survey_max_points: f64,
        max_total: f64,
    }
    let points: Vec<Row> = csv::Reader::from_reader(PAR_POINTS.as_bytes())
        .deserialize()
        .collect::<Result<_, _>>()
        .expect("bundled PAR points parse");
    let par = |code: &str| {
        points
            .iter()
            .find(|r| r.unit_type == code)
            .map(|r| ParMaxPoints {
                criteria_max_points: r.criteria_max_points,
                survey_max_points: r.survey_max_points,
                max_total: r.max_total,
            })
    };
    [
        ("province", "Tỉnh", "Province", 0, 45),
        ("department", "Sở, ban, ngành", "Department", 1, 45),
        (
            "central_agency",
            "Cơ quan Trung ương",
            "Central agency",
            1,
            45,
        ),
        ("district", "Cấp huyện", "District", 1, 45),
        ("commune", "Cấp xã", "Commune", 2, 25),
    ]
    .into_iter()
    .map(|(code, vi, en, tier, floor)| UnitType {
        code: code.into(),
        name_vi: vi.into(),
        name_en: en.into(),
        tier,
        quota_floor: floor,
        par: par(code),
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn ha_tinh_has_245_units_in_a_tree() {
        let units = ha_tinh_units();
        let mut by_type: HashMap<&str, usize> = HashMap::new();
        for u in &units {
            *by_type.entry(u.unit_type.as_str()).or_default() += 1;
        }
        assert_eq!(units.len(), 245);
        assert_eq!(by_type["province"], 1);
        assert_eq!(by_type["department"], 17);
        assert_eq!(by_type["central_agency"], 6);
        assert_eq!(by_type["district"], 12);
        assert_eq!(by_type["commune"], 209);
        // Every parent appears before its children, so a seed can insert in file order.
        let mut seen = HashSet::new();
        for u in &units {
            if let Some(p) = &u.parent_code {
                assert!(
                    seen.contains(p.as_str()),
                    "{} before its parent {p}",
                    u.code
                );
            }
            assert!(crate::unit::is_valid_code(&u.code), "{}", u.code);
            assert!(seen.insert(u.code.as_str()), "duplicate {}", u.code);
        }
    }

    #[test]
    fn unit_types_carry_par_points() {
        let types = unit_types();
        let commune = types.iter().find(|t| t.code == "commune").unwrap();
        assert_eq!(commune.par.unwrap().survey_max_points, 30.0);
        assert_eq!(commune.quota_floor, 25);
        let department = types.iter().find(|t| t.code == "department").unwrap();
        assert_eq!(department.par.unwrap().survey_max_points, 20.0);
        assert!(
            types
                .iter()
                .find(|t| t.code == "province")
                .unwrap()
                .par
                .is_none()
        );
        let all_used: HashSet<String> = ha_tinh_units().into_iter().map(|u| u.unit_type).collect();
        for t in all_used {
            assert!(types.iter().any(|x| x.code == t), "unit type {t} missing");
        }
    }
}
