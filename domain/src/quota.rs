//! Sample sizes (quotas) per unit: how many responses a unit needs for the campaign's
//! margin of error at its confidence level (statistics spec, "Quotas").

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuotaMethod {
    /// Cochran with finite-population correction (the default).
    Cochran,
    /// Yamane `N / (1 + N e²)`, the formula of the ministry's guidance.
    Yamane,
}

impl QuotaMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cochran => "cochran",
            Self::Yamane => "yamane",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "cochran" => Some(Self::Cochran),
            "yamane" => Some(Self::Yamane),
            _ => None,
        }
    }
}

/// What a campaign asks of its sample: a confidence level in (0, 1) and a margin of
/// error in (0, 0.5]. Built only through [`SampleDesign::new`], so the quantile below
/// never sees a level statrs would panic on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleDesign {
    confidence: f64,
    margin: f64,
    method: QuotaMethod,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SampleDesignError {
    #[error("confidence must be strictly between 0 and 1 (for example 0.95), got {0}")]
    Confidence(f64),
    #[error("margin must be greater than 0 and at most 0.5 (for example 0.05), got {0}")]
    Margin(f64),
}

impl SampleDesign {
    pub fn new(
        confidence: f64,
        margin: f64,
        method: QuotaMethod,
    ) -> Result<Self, SampleDesignError> {
        if !(confidence > 0.0 && confidence < 1.0) {
            return Err(SampleDesignError::Confidence(confidence));
        }
        if !(margin > 0.0 && margin <= 0.5) {
            return Err(SampleDesignError::Margin(margin));
        }
        Ok(Self {
            confidence,
            margin,
            method,
        })
    }

    pub fn confidence(&self) -> f64 {
        self.confidence
    }

    pub fn margin(&self) -> f64 {
        self.margin
    }

    pub fn method(&self) -> QuotaMethod {
        self.method
    }

    /// The quota of a unit with `population` completed dossiers (`None`: unknown, no
    /// finite-population correction), never below `floor` and never above N.
    pub fn quota(&self, population: Option<u64>, floor: u32) -> u64 {
        let e = self.margin;
        let raw = match (self.method, population) {
            (QuotaMethod::Cochran, _) | (QuotaMethod::Yamane, None) => {
                let z = Normal::standard().inverse_cdf(1.0 - (1.0 - self.confidence) / 2.0);
                let n0 = z * z * 0.25 / (e * e);
                match population {
                    Some(n) => n0 / (1.0 + (n0 - 1.0) / n as f64),
                    None => n0,
                }
            }
            (QuotaMethod::Yamane, Some(n)) => n as f64 / (1.0 + n as f64 * e * e),
        };
        let quota = ((raw - 1e-9).ceil() as u64).max(u64::from(floor));
        match population {
            Some(n) => quota.min(n),
            None => quota,
        }
    }
}

/// One line of a frame: `population` completed dossiers of a unit, or of one of its
/// service points (then the unit's N is their sum and its estimates are stratified).
#[derive(Debug, Clone, PartialEq)]
pub struct FrameEntry {
    pub unit_id: i32,
    pub service_point_id: Option<i32>,
    pub population: u64,
}

/// The largest population, of a line or of a unit, a frame may give: far above any
/// real number of dossiers, and well inside the database's i64.
pub const MAX_POPULATION: u64 = 1_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("the populations of unit {unit_id} add up to more than {max}")]
    Overflow { unit_id: i32, max: u64 },
    #[error(
        "unit {unit_id} has a population of {population}, more than {}",
        MAX_POPULATION
    )]
    TooLarge { unit_id: i32, population: u64 },
}

/// Each unit's N: the sum of its lines, every line and sum at most [`MAX_POPULATION`].
pub fn unit_populations(entries: &[FrameEntry]) -> Result<BTreeMap<i32, u64>, FrameError> {
    let mut populations = BTreeMap::new();
    for entry in entries {
        if entry.population > MAX_POPULATION {
            return Err(FrameError::TooLarge {
                unit_id: entry.unit_id,
                population: entry.population,
            });
        }
        let sum: &mut u64 = populations.entry(entry.unit_id).or_default();
        *sum = sum
            .checked_add(entry.population)
            .filter(|&n| n <= MAX_POPULATION)
            .ok_or(FrameError::Overflow {
                unit_id: entry.unit_id,
                max: MAX_POPULATION,
            })?;
    }
    Ok(populations)
}

impl SampleDesign {
    /// Each unit's quota from its N and its type's floor (none known: 0), in unit id
    /// order: what a new frame sets for every quota no manager has overridden.
    pub fn quotas(
        &self,
        populations: &BTreeMap<i32, u64>,
        floors: &HashMap<i32, u32>,
    ) -> Vec<(i32, u64)> {
        populations
            .iter()
            .map(|(&unit_id, &n)| {
                let floor = floors.get(&unit_id).copied().unwrap_or(0);
                (unit_id, self.quota(Some(n), floor))
            })
            .collect()
    }
}

/// The longest reason a manager may give for overriding a quota.
pub const MAX_OVERRIDE_REASON_CHARS: usize = 500;
/// The largest quota a manager may set: far above any unit's yearly dossiers.
pub const MAX_OVERRIDE_TARGET: u64 = 1_000_000;

/// A manager's quota for one unit instead of the computed one, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaOverride {
    pub target: u64,
    pub reason: String,
}

impl QuotaOverride {
    /// Checks a quota typed in a form (a whole number from 1 to [`MAX_OVERRIDE_TARGET`])
    /// and its reason (required, at most [`MAX_OVERRIDE_REASON_CHARS`] characters, no
    /// control characters but line breaks); reports both problems at once.
    pub fn parse(
        target: &str,
        reason: &str,
    ) -> Result<QuotaOverride, Vec<crate::campaign::FieldError>> {
        use crate::campaign::FieldError;
        let mut errors = Vec::new();
        let target = match target.trim().parse::<u64>() {
            Ok(t) if (1..=MAX_OVERRIDE_TARGET).contains(&t) => Some(t),
            _ => {
                errors.push(FieldError::new(
                    "target",
                    format!("target must be a whole number from 1 to {MAX_OVERRIDE_TARGET}"),
                ));
                None
            }
        };
        let reason = reason.trim().replace("\r\n", "\n");
        let length = reason.chars().count();
        if length == 0 || length > MAX_OVERRIDE_REASON_CHARS {
            errors.push(FieldError::new(
                "reason",
                format!("reason must be 1–{MAX_OVERRIDE_REASON_CHARS} characters"),
            ));
        } else if reason.chars().any(|c| c.is_control() && c != '\n') {
            errors.push(FieldError::new(
                "reason",
                "reason must not contain control characters",
            ));
        }
        match target {
            Some(target) if errors.is_empty() => Ok(QuotaOverride { target, reason }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_needs_a_positive_quota_and_a_reason() {
        let ok = QuotaOverride::parse(" 120 ", "  Xã mới sáp nhập\r\nthêm dân cư ").unwrap();
        assert_eq!(ok.target, 120);
        assert_eq!(ok.reason, "Xã mới sáp nhập\nthêm dân cư");
        let fields = |t: &str, r: &str| -> Vec<&'static str> {
            QuotaOverride::parse(t, r)
                .unwrap_err()
                .iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(fields("0", ""), vec!["target", "reason"]);
        assert_eq!(fields("-3", "x"), vec!["target"]);
        assert_eq!(fields("1.5", "x"), vec!["target"]);
        assert_eq!(fields("1000001", "x"), vec!["target"]);
        assert_eq!(fields("abc", "x"), vec!["target"]);
        assert_eq!(fields("5", "   "), vec!["reason"]);
        assert_eq!(fields("5", &"a".repeat(501)), vec!["reason"]);
        assert_eq!(fields("5", "bad\u{7}bell"), vec!["reason"]);
        assert!(QuotaOverride::parse("1000000", &"ạ".repeat(500)).is_ok());
    }

    #[test]
    fn cochran_matches_hand_computation() {
        let d = SampleDesign::new(0.95, 0.05, QuotaMethod::Cochran).unwrap();
        // z = 1.959963984540054, n0 = 384.14588206941244
        assert_eq!(d.quota(None, 0), 385);
        // n = 384.1459 / (1 + 383.1459/120) = 91.45… → 92 (the quota in api.md's example)
        assert_eq!(d.quota(Some(120), 0), 92);
        // 1000: 384.1459 / 1.3831459 = 277.74… → 278
        assert_eq!(d.quota(Some(1000), 0), 278);
    }

    #[test]
    fn yamane_matches_the_guidance_formula() {
        let d = SampleDesign::new(0.95, 0.05, QuotaMethod::Yamane).unwrap();
        // 1000 / (1 + 1000 · 0.0025) = 285.714… → 286
        assert_eq!(d.quota(Some(1000), 0), 286);
        // 400 / 2 = 200 exactly: no spurious rounding up
        assert_eq!(d.quota(Some(400), 0), 200);
    }

    #[test]
    fn floor_applies_but_never_above_population() {
        let d = SampleDesign::new(0.95, 0.2, QuotaMethod::Cochran).unwrap();
        assert_eq!(d.quota(Some(1000), 25), 25);
        assert_eq!(d.quota(Some(12), 25), 12);
        assert_eq!(d.quota(Some(0), 25), 0);
    }

    #[test]
    fn refuses_levels_that_would_panic() {
        for c in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
            assert!(SampleDesign::new(c, 0.05, QuotaMethod::Cochran).is_err());
        }
        for e in [0.0, 0.6, f64::NAN] {
            assert!(SampleDesign::new(0.95, e, QuotaMethod::Cochran).is_err());
        }
    }

    fn entry(unit_id: i32, service_point_id: Option<i32>, population: u64) -> FrameEntry {
        FrameEntry {
            unit_id,
            service_point_id,
            population,
        }
    }

    #[test]
    fn populations_sum_per_unit() {
        let entries = [
            entry(7, Some(1), 40),
            entry(3, None, 120),
            entry(7, Some(2), 60),
            entry(9, None, 0),
        ];
        let populations = unit_populations(&entries).unwrap();
        assert_eq!(
            populations.into_iter().collect::<Vec<_>>(),
            vec![(3, 120), (7, 100), (9, 0)]
        );
        assert!(unit_populations(&[]).unwrap().is_empty());
    }

    #[test]
    fn populations_are_bounded() {
        assert_eq!(
            unit_populations(&[entry(1, None, MAX_POPULATION)]).unwrap()[&1],
            MAX_POPULATION
        );
        assert_eq!(
            unit_populations(&[entry(1, None, 5), entry(2, None, MAX_POPULATION + 1)]),
            Err(FrameError::TooLarge {
                unit_id: 2,
                population: MAX_POPULATION + 1
            })
        );
        assert_eq!(
            unit_populations(&[entry(1, None, u64::MAX)]),
            Err(FrameError::TooLarge {
                unit_id: 1,
                population: u64::MAX
            })
        );
        let error = unit_populations(&[entry(4, Some(1), MAX_POPULATION), entry(4, Some(2), 1)])
            .unwrap_err();
        assert_eq!(
            error,
            FrameError::Overflow {
                unit_id: 4,
                max: MAX_POPULATION
            }
        );
        assert_eq!(
            error.to_string(),
            "the populations of unit 4 add up to more than 1000000000"
        );
    }

    #[test]
    fn quotas_apply_each_units_floor() {
        let d = SampleDesign::new(0.95, 0.05, QuotaMethod::Cochran).unwrap();
        let populations = BTreeMap::from([(5, 1000), (2, 120), (9, 12), (4, 30)]);
        let floors = HashMap::from([(2, 25), (9, 25), (4, 45), (77, 45)]);
        assert_eq!(
            d.quotas(&populations, &floors),
            // 4: Cochran gives 28, its floor 45, capped at N = 30; 5 has no floor known.
            vec![(2, 92), (4, 30), (5, 278), (9, 12)]
        );
        assert!(d.quotas(&BTreeMap::new(), &floors).is_empty());
    }
}

/// How a unit's collection is going against its quota (`GET …/quotas`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaStatus {
    /// The quota is reached.
    Met,
    /// At the pace so far, the quota is reached by the end.
    OnTrack,
    /// The pace so far reaches at least 80 % of the quota by the end.
    Behind,
    /// Less than that, or the campaign has ended without the quota.
    AtRisk,
}

impl QuotaStatus {
    pub const ALL: [QuotaStatus; 4] = [
        QuotaStatus::Met,
        QuotaStatus::OnTrack,
        QuotaStatus::Behind,
        QuotaStatus::AtRisk,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QuotaStatus::Met => "met",
            QuotaStatus::OnTrack => "on_track",
            QuotaStatus::Behind => "behind",
            QuotaStatus::AtRisk => "at_risk",
        }
    }

    pub fn parse(s: &str) -> Option<QuotaStatus> {
        QuotaStatus::ALL.into_iter().find(|q| q.as_str() == s)
    }
}

/// A unit's pace: what it should have by today on a steady schedule, what it will
/// have at the end if it goes on as so far, and the resulting status.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pace {
    pub expected_by_today: f64,
    pub projected_at_end: f64,
    pub status: QuotaStatus,
}

/// Below this share of the quota by the end, a unit is at risk rather than behind.
pub const BEHIND_SHARE: f64 = 0.8;

/// Paces `responses` against `quota` over a campaign running from `starts_on` to
/// `ends_on` (both days included), as of `today`.
pub fn pace(
    responses: u64,
    quota: u64,
    starts_on: chrono::NaiveDate,
    ends_on: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> Pace {
    let days = ((ends_on - starts_on).num_days() + 1).max(1) as f64;
    let elapsed = ((today - starts_on).num_days() + 1).clamp(0, days as i64) as f64;
    let share = elapsed / days;
    let expected_by_today = quota as f64 * share;
    let projected_at_end = if share > 0.0 {
        responses as f64 / share
    } else {
        responses as f64
    };
    let status = if responses >= quota {
        QuotaStatus::Met
    } else if share >= 1.0 {
        QuotaStatus::AtRisk
    } else if share == 0.0 {
        // Not started: nothing is expected yet.
        QuotaStatus::OnTrack
    } else if projected_at_end >= quota as f64 {
        QuotaStatus::OnTrack
    } else if projected_at_end >= BEHIND_SHARE * quota as f64 {
        QuotaStatus::Behind
    } else {
        QuotaStatus::AtRisk
    };
    Pace {
        expected_by_today,
        projected_at_end,
        status,
    }
}

#[cfg(test)]
mod pace_tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2021, 3, d).unwrap()
    }

    #[test]
    fn paces_a_ten_day_campaign() {
        // Day 4 of 10 (1–10 March): 40 % of the time gone.
        let p = pace(40, 100, day(1), day(10), day(4));
        assert!((p.expected_by_today - 40.0).abs() < 1e-12);
        assert!((p.projected_at_end - 100.0).abs() < 1e-12);
        assert_eq!(p.status, QuotaStatus::OnTrack);
        assert_eq!(
            pace(33, 100, day(1), day(10), day(4)).status,
            QuotaStatus::Behind
        ); // 82.5
        assert_eq!(
            pace(31, 100, day(1), day(10), day(4)).status,
            QuotaStatus::AtRisk
        ); // 77.5
        assert_eq!(
            pace(100, 100, day(1), day(10), day(4)).status,
            QuotaStatus::Met
        );
    }

    #[test]
    fn before_and_after_the_campaign() {
        let before = pace(0, 50, day(10), day(20), day(1));
        assert_eq!(before.expected_by_today, 0.0);
        assert_eq!(before.projected_at_end, 0.0);
        assert_eq!(before.status, QuotaStatus::OnTrack, "nothing expected yet");
        let after = pace(49, 50, day(1), day(10), day(25));
        assert_eq!(after.expected_by_today, 50.0);
        assert_eq!(after.status, QuotaStatus::AtRisk, "ended without the quota");
        assert_eq!(
            pace(50, 50, day(1), day(10), day(25)).status,
            QuotaStatus::Met
        );
    }

    #[test]
    fn statuses_read_back_as_they_are_written() {
        for status in QuotaStatus::ALL {
            assert_eq!(QuotaStatus::parse(status.as_str()), Some(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::Value::from(status.as_str())
            );
        }
        assert_eq!(QuotaStatus::parse("late"), None);
    }
}
