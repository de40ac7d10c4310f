//! Units of the PAR Index (the province, departments, central agencies, districts,
//! communes) and their one-stop service points. Unit types are data, not an enum: the
//! 2021 three-tier structure and the 2025 two-tier one differ in their types and tree.

use serde::Serialize;

/// A kind of unit and what the PAR Index gives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitType {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    /// Depth in the administrative tree (province = 0).
    pub tier: i32,
    /// Smallest quota a unit of this type gets, whatever its frame says (never above N).
    pub quota_floor: u32,
    pub par: Option<ParPoints>,
}

/// How many PAR Index points a unit type's total has and how many come from the survey.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ParPoints {
    pub criteria_max_points: f64,
    pub survey_max_points: f64,
    pub max_total: f64,
}

/// A unit as the reference file gives it: official code, name, type and parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitRecord {
    pub code: String,
    pub name: String,
    pub unit_type: String,
    pub parent_code: Option<String>,
}

/// The code of the service point every unit gets by default: its Bộ phận Một cửa.
pub const DEFAULT_SERVICE_POINT_CODE: &str = "MC";

/// Codes of units and service points appear in URLs and CSV files: keep them plain.
pub fn is_valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 32
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::is_valid_code;

    #[test]
    fn codes_are_plain() {
        assert!(is_valid_code("18073"));
        assert!(is_valid_code("S-GTVT"));
        assert!(!is_valid_code(""));
        assert!(!is_valid_code("a b"));
        assert!(!is_valid_code("x/../y"));
        assert!(!is_valid_code(&"x".repeat(33)));
    }
}
