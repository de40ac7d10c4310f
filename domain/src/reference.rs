//! The reference data the service ships with, compiled into the binary (files in
//! `domain/reference/`, copied from the project's shared data; see its README): the two
//! SIPAS questionnaires, Hà Tĩnh's units in both structures with the crosswalk between
//! them, every commune of the 34 provinces, and Hà Tĩnh's PAR scheme.

use chrono::NaiveDate;

use crate::questionnaire::Questionnaire;
use crate::unit::{ParMaxPoints, ParScheme, Relation, UnitRecord, UnitType};

const SIPAS_2017: &str = include_str!("../reference/sipas-2017.csv");
const SIPAS_2023: &str = include_str!("../reference/sipas-2023.csv");
const HA_TINH_UNITS: &str = include_str!("../reference/ha-tinh-units.csv");
const HA_TINH_UNITS_2025: &str = include_str!("../reference/ha-tinh-units-2025.csv");
const HA_TINH_COMMUNES_CROSSWALK: &str =
    include_str!("../reference/ha-tinh-communes-2025-crosswalk.csv");
const HA_TINH_AGENCIES_CROSSWALK: &str =
    include_str!("../reference/ha-tinh-agencies-2025-crosswalk.csv");
const VN_UNITS_2025: &str = include_str!("../reference/vn-units-2025.csv");
const PAR_POINTS: &str = include_str!("../reference/par-points-ha-tinh.csv");

/// The first day of the two-tier structure (Resolution 1665/NQ-UBTVQH15): districts
/// are gone and communes sit directly under the province.
pub fn reform_2025() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 1).expect("valid date")
}

/// A province's units over one period: a structure. A campaign works within the
/// structure valid on its first day.
#[derive(Debug, Clone, PartialEq)]
pub struct Structure {
    pub code: &'static str,
    pub valid_from: NaiveDate,
    /// Exclusive; `None` while the structure is current.
    pub valid_until: Option<NaiveDate>,
    /// Parents before children.
    pub units: Vec<UnitRecord>,
}

/// An old unit → new unit line of a crosswalk, by code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuccessionRecord {
    pub old_code: String,
    pub new_code: String,
    pub relation: Relation,
}

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

fn units_file(text: &str) -> Vec<UnitRecord> {
    #[derive(serde::Deserialize)]
    struct Row {
        code: String,
        name: String,
        unit_type: String,
        parent_code: String,
    }
    csv::Reader::from_reader(text.as_bytes())
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

/// Hà Tĩnh's structure before the reform: 17 departments, 6 central agencies, 12
/// districts and their 209 communes (the file's order: parents before children).
pub fn ha_tinh_units() -> Vec<UnitRecord> {
    units_file(HA_TINH_UNITS)
}

/// Hà Tĩnh's two-tier structure from 1 July 2025: 10 departments and the Economic
/// Zone Board, 5 central agencies, 69 communes and wards.
pub fn ha_tinh_units_2025() -> Vec<UnitRecord> {
    units_file(HA_TINH_UNITS_2025)
}

/// Both Hà Tĩnh structures. The first starts early enough to hold a 2020 or 2021
/// round; the second is current.
pub fn ha_tinh_structures() -> Vec<Structure> {
    vec![
        Structure {
            code: "HT-2020",
            valid_from: NaiveDate::from_ymd_opt(2020, 1, 1).expect("valid date"),
            valid_until: Some(reform_2025()),
            units: ha_tinh_units(),
        },
        Structure {
            code: "HT-2025",
            valid_from: reform_2025(),
            valid_until: None,
            units: ha_tinh_units_2025(),
        },
    ]
}

/// Hà Tĩnh's crosswalk across the reform: every old commune to the new ones it went
/// into, and the departments and agencies to what replaced them (Decree 45/2025). A
/// line repeated in the source counts once.
pub fn ha_tinh_successions() -> Vec<SuccessionRecord> {
    #[derive(serde::Deserialize)]
    struct Row {
        old_code: String,
        new_code: String,
        relation: String,
    }
    let mut lines = Vec::new();
    for text in [HA_TINH_AGENCIES_CROSSWALK, HA_TINH_COMMUNES_CROSSWALK] {
        for row in csv::Reader::from_reader(text.as_bytes()).deserialize::<Row>() {
            let row = row.expect("bundled crosswalk parses");
            let record = SuccessionRecord {
                relation: Relation::parse(&row.relation).expect("bundled relation"),
                old_code: row.old_code,
                new_code: row.new_code,
            };
            if !lines.contains(&record) {
                lines.push(record);
            }
        }
    }
    lines
}

/// A province of the two-tier structure with its communes, from the national list.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvinceCommunes {
    pub province: UnitRecord,
    /// Each commune's parent is the province.
    pub communes: Vec<UnitRecord>,
}

/// The communes of one of the 34 provinces by its two-digit code (`01` for Hà Nội),
/// or `None` for an unknown code.
pub fn province_communes(province_code: &str) -> Option<ProvinceCommunes> {
    #[derive(serde::Deserialize)]
    struct Row {
        province_code: String,
        province_name: String,
        code: String,
        name: String,
    }
    let mut found: Option<ProvinceCommunes> = None;
    for row in csv::Reader::from_reader(VN_UNITS_2025.as_bytes()).deserialize::<Row>() {
        let row = row.expect("bundled national list parses");
        if row.province_code != province_code {
            continue;
        }
        let entry = found.get_or_insert_with(|| ProvinceCommunes {
            province: UnitRecord {
                code: row.province_code.clone(),
                name: row.province_name.clone(),
                unit_type: "province".into(),
                parent_code: None,
            },
            communes: Vec::new(),
        });
        entry.communes.push(UnitRecord {
            code: row.code,
            name: row.name,
            unit_type: "commune".into(),
            parent_code: Some(row.province_code),
        });
    }
    found
}

/// The 34 provinces of the two-tier structure: code and name, in code order.
pub fn provinces() -> Vec<(String, String)> {
    #[derive(serde::Deserialize)]
    struct Row {
        province_code: String,
        province_name: String,
    }
    let mut provinces: Vec<(String, String)> = Vec::new();
    for row in csv::Reader::from_reader(VN_UNITS_2025.as_bytes()).deserialize::<Row>() {
        let row = row.expect("bundled national list parses");
        if provinces
            .last()
            .is_none_or(|(c, _)| *c != row.province_code)
        {
            provinces.push((row.province_code, row.province_name));
        }
    }
    provinces.sort();
    provinces.dedup_by(|a, b| a.0 == b.0);
    provinces
}

/// The unit types and the quota floors of the province's 2019 survey (45 forms, 25 for
/// communes). Their points belong to PAR schemes.
pub fn unit_types() -> Vec<UnitType> {
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
    })
    .collect()
}

/// The PAR schemes shipped: Hà Tĩnh Decision 52/2019/QĐ-UBND, used for the 2019 and
/// 2021 rounds. A province adds its own over the API.
pub fn par_schemes() -> Vec<ParScheme> {
    #[derive(serde::Deserialize)]
    struct Row {
        unit_type: String,
        criteria_max_points: f64,
        survey_max_points: f64,
        max_total: f64,
    }
    let points: Vec<(String, ParMaxPoints)> = csv::Reader::from_reader(PAR_POINTS.as_bytes())
        .deserialize::<Row>()
        .map(|row| {
            let r = row.expect("bundled PAR points parse");
            (
                r.unit_type,
                ParMaxPoints {
                    criteria_max_points: r.criteria_max_points,
                    survey_max_points: r.survey_max_points,
                    max_total: r.max_total,
                },
            )
        })
        .collect();
    vec![
        ParScheme::parse(
            "HT-52-2019",
            "Hà Tĩnh, QĐ 52/2019/QĐ-UBND (2019, 2021)",
            points,
        )
        .expect("bundled PAR scheme is valid"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn check_tree(units: &[UnitRecord]) -> HashMap<&str, usize> {
        let mut by_type: HashMap<&str, usize> = HashMap::new();
        let mut seen = HashSet::new();
        for u in units {
            *by_type.entry(u.unit_type.as_str()).or_default() += 1;
            // Every parent appears before its children, so a seed inserts in file order.
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
        by_type
    }

    #[test]
    fn ha_tinh_before_the_reform_has_245_units_in_a_tree() {
        let units = ha_tinh_units();
        let by_type = check_tree(&units);
        assert_eq!(units.len(), 245);
        assert_eq!(by_type["province"], 1);
        assert_eq!(by_type["department"], 17);
        assert_eq!(by_type["central_agency"], 6);
        assert_eq!(by_type["district"], 12);
        assert_eq!(by_type["commune"], 209);
    }

    #[test]
    fn ha_tinh_after_the_reform_has_69_communes_and_no_district() {
        let units = ha_tinh_units_2025();
        let by_type = check_tree(&units);
        assert_eq!(by_type["commune"], 69);
        assert_eq!(by_type["department"], 11);
        assert_eq!(by_type["central_agency"], 5);
        assert!(!by_type.contains_key("district"));
        assert!(
            units
                .iter()
                .all(|u| u.unit_type == "province" || u.parent_code.as_deref() == Some("42"))
        );
        let structures = ha_tinh_structures();
        assert_eq!(structures[0].valid_until, Some(structures[1].valid_from));
    }

    #[test]
    fn the_crosswalk_joins_every_old_commune_to_the_new_ones() {
        let old: HashSet<String> = ha_tinh_units().into_iter().map(|u| u.code).collect();
        let new: HashSet<String> = ha_tinh_units_2025().into_iter().map(|u| u.code).collect();
        let lines = ha_tinh_successions();
        for l in &lines {
            assert!(old.contains(&l.old_code), "old {}", l.old_code);
            assert!(new.contains(&l.new_code), "new {}", l.new_code);
        }
        let communes = |structure: Vec<UnitRecord>| -> HashSet<String> {
            structure
                .into_iter()
                .filter(|u| u.unit_type == "commune")
                .map(|u| u.code)
                .collect()
        };
        let old_with: HashSet<&String> = lines.iter().map(|l| &l.old_code).collect();
        let new_with: HashSet<&String> = lines.iter().map(|l| &l.new_code).collect();
        assert!(
            communes(ha_tinh_units())
                .iter()
                .all(|c| old_with.contains(c))
        );
        assert!(
            communes(ha_tinh_units_2025())
                .iter()
                .all(|c| new_with.contains(c))
        );
        // Đại Nài (18082) went to two new wards, Kỳ Lợi (18796) to three; the source's
        // repeated line counts once.
        let targets = |code: &str| -> Vec<(&str, Relation)> {
            lines
                .iter()
                .filter(|l| l.old_code == code)
                .map(|l| (l.new_code.as_str(), l.relation))
                .collect()
        };
        assert_eq!(
            targets("18082"),
            vec![("18073", Relation::Split), ("18652", Relation::Split)]
        );
        assert_eq!(targets("18796").len(), 3);
        assert_eq!(targets("18077"), vec![("18073", Relation::Whole)]);
    }

    #[test]
    fn every_province_has_its_communes() {
        let provinces = provinces();
        assert_eq!(provinces.len(), 34);
        let hanoi = province_communes("01").unwrap();
        assert_eq!(hanoi.province.name, "Thành phố Hà Nội");
        assert_eq!(hanoi.communes.len(), 126);
        assert_eq!(province_communes("42").unwrap().communes.len(), 69);
        assert!(province_communes("99").is_none());
        let total: usize = provinces
            .iter()
            .map(|(code, _)| province_communes(code).unwrap().communes.len())
            .sum();
        assert_eq!(total, 3_321);
    }

    #[test]
    fn the_shipped_scheme_has_points_for_every_scored_type() {
        let scheme = &par_schemes()[0];
        assert_eq!(scheme.points["commune"].survey_max_points, 30.0);
        assert_eq!(scheme.points["department"].survey_max_points, 20.0);
        assert!(!scheme.points.contains_key("province"));
        let types: HashSet<String> = unit_types().into_iter().map(|t| t.code).collect();
        for structure in ha_tinh_structures() {
            for u in structure.units {
                assert!(types.contains(&u.unit_type), "unit type {}", u.unit_type);
            }
        }
    }
}
