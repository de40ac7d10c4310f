//! League tables with rank intervals (docs/statistics.md, "League tables and rank
//! intervals"): the units of one type ranked on `T_u = A_u + M·I_u`, each with the
//! interval of ranks it could hold at 90 % (Bonferroni over its `K − 1` pairwise MOVER
//! comparisons, Klein, Wright & Wieczorek 2020).
//!
//! Two steps, because the confidence of the unit intervals depends on how many units
//! are ranked: [`unranked_reason`] decides who is in the league (`K`), [`confidence`]
//! gives `γ = 1 − 0.10/(K − 1)`, the caller scores the units at `γ`, and [`rank`]
//! ranks them.

use serde::Serialize;

/// The confidence of every rank interval.
pub const RANK_CONFIDENCE: f64 = 0.90;

/// Why a unit is listed after the league rather than in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnrankedReason {
    /// No counted response: no SIPAS index.
    NoSurvey,
    /// No appraised points (a league that is not survey-only).
    NoAppraisal,
    /// `n < 2`: an index without an interval.
    NoVariance,
}

impl UnrankedReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoSurvey => "no_survey",
            Self::NoAppraisal => "no_appraisal",
            Self::NoVariance => "no_variance",
        }
    }
}

/// Whether a unit can be ranked: `None` when it has an index from at least two
/// responses and, unless the league is survey-only, appraised points. A unit lacking
/// several things gets the first of the spec's order (`no_survey`, `no_appraisal`,
/// `no_variance`).
pub fn unranked_reason(
    index: Option<f64>,
    n: u64,
    appraised: Option<f64>,
    survey_only: bool,
) -> Option<UnrankedReason> {
    if index.is_none() || n == 0 {
        Some(UnrankedReason::NoSurvey)
    } else if appraised.is_none() && !survey_only {
        Some(UnrankedReason::NoAppraisal)
    } else if n < 2 {
        Some(UnrankedReason::NoVariance)
    } else {
        None
    }
}

/// `γ = 1 − 0.10/(K − 1)`: the confidence of each unit's SIPAS interval so that a unit's
/// `K − 1` comparisons hold together at 90 %. `None` for `K < 2` (nothing to compare).
pub fn confidence(ranked: usize) -> Option<f64> {
    (ranked >= 2).then(|| 1.0 - (1.0 - RANK_CONFIDENCE) / (ranked - 1) as f64)
}

/// One ranked unit's inputs: appraised points (0 in a survey-only league), its SIPAS
/// index and the index's interval at [`confidence`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contender {
    pub appraised: f64,
    pub index: f64,
    pub low: f64,
    pub high: f64,
}

/// A unit's place in the league.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Placing {
    /// `T_u = A_u + M·I_u`.
    pub total: f64,
    /// `1 + #{v : T_v > T_u}`: equal totals share a rank.
    pub rank: usize,
    /// `1 + #{v surely ahead of u}`.
    pub rank_low: usize,
    /// `K − #{v surely behind u}`.
    pub rank_high: usize,
}

/// The interval of `T_v − T_u`: `(A_v − A_u) + M·[Δ − √((I_v − l_v)² + (u_u − I_u)²),
/// Δ + √((u_v − I_v)² + (I_u − l_u)²)]` with `Δ = I_v − I_u` (MOVER).
pub fn difference(v: &Contender, u: &Contender, max_points: f64) -> (f64, f64) {
    let delta = v.index - u.index;
    let appraised = v.appraised - u.appraised;
    let low = delta - (v.index - v.low).hypot(u.high - u.index);
    let high = delta + (v.high - v.index).hypot(u.index - u.low);
    (appraised + max_points * low, appraised + max_points * high)
}

/// Ranks the league's units (in the order given) with `M = max_points` (the unit
/// type's `survey_max_points`; 1 for a survey-only league). Every interval must be at
/// [`confidence`]`(units.len())`.
pub fn rank(units: &[Contender], max_points: f64) -> Vec<Placing> {
    let k = units.len();
    let totals: Vec<f64> = units
        .iter()
        .map(|u| u.appraised + max_points * u.index)
        .collect();
    units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let mut ahead = 0;
            let mut surely_ahead = 0;
            let mut surely_behind = 0;
            for (j, v) in units.iter().enumerate() {
                if j == i {
                    continue;
                }
                if totals[j] > totals[i] {
                    ahead += 1;
                }
                let (low, high) = difference(v, u, max_points);
                if low > 0.0 {
                    surely_ahead += 1;
                } else if high < 0.0 {
                    surely_behind += 1;
                }
            }
            Placing {
                total: totals[i],
                rank: 1 + ahead,
                rank_low: 1 + surely_ahead,
                rank_high: k - surely_behind,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(appraised: f64, index: f64, half: f64) -> Contender {
        Contender {
            appraised,
            index,
            low: index - half,
            high: index + half,
        }
    }

    #[test]
    fn gamma_follows_the_number_ranked() {
        assert_eq!(confidence(0), None);
        assert_eq!(confidence(1), None);
        assert!((confidence(2).unwrap() - 0.90).abs() < 1e-15);
        assert!((confidence(11).unwrap() - 0.99).abs() < 1e-15);
    }

    #[test]
    fn equal_totals_share_a_rank() {
        // Totals 50, 45, 45, 40: ranks 1, 2, 2, 4.
        let units = [
            unit(30.0, 1.0, 0.01),
            unit(25.0, 1.0, 0.01),
            unit(27.0, 0.9, 0.01),
            unit(20.0, 1.0, 0.01),
        ];
        let ranks: Vec<usize> = rank(&units, 20.0).iter().map(|p| p.rank).collect();
        assert_eq!(ranks, vec![1, 2, 2, 4]);
    }

    #[test]
    fn a_single_unit_holds_rank_one() {
        let placings = rank(&[unit(10.0, 0.8, 0.1)], 20.0);
        assert_eq!(placings.len(), 1);
        let p = placings[0];
        assert_eq!((p.rank, p.rank_low, p.rank_high), (1, 1, 1));
        assert!((p.total - 26.0).abs() < 1e-12);
    }

    #[test]
    fn a_unit_far_ahead_is_surely_first_and_close_ones_overlap() {
        let units = [
            unit(30.0, 0.95, 0.02),
            unit(10.0, 0.80, 0.05),
            unit(10.0, 0.81, 0.05),
            unit(0.0, 0.50, 0.05),
        ];
        let p = rank(&units, 20.0);
        assert_eq!((p[0].rank, p[0].rank_low, p[0].rank_high), (1, 1, 1));
        // The two close units cannot be told apart: each could be 2nd or 3rd.
        assert_eq!((p[1].rank, p[1].rank_low, p[1].rank_high), (3, 2, 3));
        assert_eq!((p[2].rank, p[2].rank_low, p[2].rank_high), (2, 2, 3));
        assert_eq!((p[3].rank, p[3].rank_low, p[3].rank_high), (4, 4, 4));
    }

    #[test]
    fn the_difference_interval_is_mover_scaled_by_the_points() {
        let v = Contender {
            appraised: 12.0,
            index: 0.9,
            low: 0.85,
            high: 0.93,
        };
        let u = Contender {
            appraised: 11.0,
            index: 0.8,
            low: 0.7,
            high: 0.86,
        };
        let (low, high) = difference(&v, &u, 20.0);
        let expected_low = 1.0 + 20.0 * (0.1 - (0.05f64.powi(2) + 0.06f64.powi(2)).sqrt());
        let expected_high = 1.0 + 20.0 * (0.1 + (0.03f64.powi(2) + 0.1f64.powi(2)).sqrt());
        assert!((low - expected_low).abs() < 1e-12);
        assert!((high - expected_high).abs() < 1e-12);
    }

    #[test]
    fn a_rank_always_lies_in_its_interval() {
        // A small linear congruential generator: many leagues, no dependency.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..500 {
            let k = 1 + (next() * 20.0) as usize;
            let units: Vec<Contender> = (0..k)
                .map(|_| {
                    let index = next();
                    Contender {
                        // Whole points make exact ties frequent.
                        appraised: (next() * 5.0).round(),
                        index,
                        low: index * (1.0 - 0.2 * next()),
                        high: index + (1.0 - index) * 0.2 * next(),
                    }
                })
                .collect();
            let placings = rank(&units, 20.0);
            for p in &placings {
                assert!(1 <= p.rank_low && p.rank_low <= p.rank, "{p:?}");
                assert!(p.rank <= p.rank_high && p.rank_high <= k, "{p:?}");
            }
        }
    }

    #[test]
    fn reasons_come_in_the_spec_order() {
        assert_eq!(
            unranked_reason(None, 0, None, false),
            Some(UnrankedReason::NoSurvey)
        );
        assert_eq!(
            unranked_reason(Some(0.9), 1, None, false),
            Some(UnrankedReason::NoAppraisal)
        );
        assert_eq!(
            unranked_reason(Some(0.9), 1, Some(3.0), false),
            Some(UnrankedReason::NoVariance)
        );
        assert_eq!(
            unranked_reason(Some(0.9), 1, None, true),
            Some(UnrankedReason::NoVariance)
        );
        assert_eq!(unranked_reason(Some(0.9), 2, None, true), None);
        assert_eq!(unranked_reason(Some(0.9), 2, Some(3.0), false), None);
    }
}
