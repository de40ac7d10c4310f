//! Phase two of scoring a unit: intervals and flags, from its moments, the confidence
//! level and the campaign's reference design effects.

use serde::Serialize;

use super::campaign::DesignEffectReference;
use super::confidence::Quantiles;
use super::interval::{
    Interval, agresti_coull, clopper_pearson, corrected_sample_size, jeffreys, wilson, wilson_cc,
    wilson_fpc,
};
use super::moments::{CriterionMoments, Moments, UnitMoments};
use super::{Confidence, CriterionMethod, QuestionnaireShape};

/// Below this effective number of dissatisfied (or satisfied) respondents the design
/// effect is floored at the campaign's reference and the result is flagged.
pub const FEW_EFFECTIVE: f64 = 15.0;
/// A criterion with at most this many satisfied or dissatisfied answers is flagged.
pub const FEW_ANSWERS: u64 = 3;
/// Below this many responses a unit should not be ranked.
pub const SMALL_SAMPLE: u64 = 30;

/// The choices a reader makes (`confidence=`, `method=`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct ScoringOptions {
    pub confidence: Confidence,
    pub method: CriterionMethod,
}

/// A published figure with its uncertainty, as served in `UnitScore` (`sipas`,
/// `mean_score`, each element and its `mean_score`, each criterion's `mean_score`).
/// `None` is an undefined figure (served as null).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Estimate {
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    pub df: Option<u64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

impl Estimate {
    fn with_interval(estimate: f64, se: f64, df: u64, interval: Interval) -> Self {
        Self {
            estimate: Some(estimate),
            se: Some(se),
            df: Some(df),
            ci_low: Some(interval.low),
            ci_high: Some(interval.high),
        }
    }

    fn point_only(estimate: Option<f64>) -> Self {
        Self {
            estimate,
            ..Self::default()
        }
    }

    /// Half the interval's width: the margin of error achieved.
    pub fn half_width(&self) -> Option<f64> {
        Some((self.ci_high? - self.ci_low?) / 2.0)
    }
}

/// How an index interval came about (for the curious and for tests).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct IndexDetail {
    /// The sample size fed to Wilson; `None` for a census (infinite) or without interval.
    pub n_eff: Option<f64>,
    /// `D_u = n·v₀ / (I(1 − I))`, defined for 0 < I < 1.
    pub design_effect: Option<f64>,
    /// `c = n·min(I, 1 − I) / D_u`: the effective number of dissatisfied (or satisfied)
    /// respondents; defined when `D_u > 0`.
    pub effective_count: Option<f64>,
    /// The design-effect floor lowered `n_eff`.
    pub floor_applied: bool,
    /// The reference design effect that was available to the floor.
    pub d_ref: f64,
}

/// An element's index (served under `elements`) with its mean score and detail.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ElementResult {
    pub index: Estimate,
    /// `estimate ± t_df · se`, as the unit's mean score.
    pub mean_score: Estimate,
    pub detail: IndexDetail,
}

/// A criterion as served under `criteria` (plus `se` and its mean score).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CriterionResult {
    pub element: usize,
    pub answered: u64,
    pub satisfied: u64,
    pub estimate: Option<f64>,
    /// The linearised standard error of `p_k`.
    pub se: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub method: CriterionMethod,
    /// `estimate ± t_df · se` with the unit's `df`, as the unit's mean score.
    pub mean_score: Estimate,
}

/// What a result warns about (served as `flags`, in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// No `N`: no finite-population correction, no weighting in aggregates.
    NoFrame,
    /// `n` under the unit's quota.
    BelowQuota,
    /// `n < 30`: do not rank.
    SmallSample,
    /// SIPAS `c < 15`, or a criterion with `min(x, n_k − x) ≤ 3`: judge on the interval.
    FewDissatisfied,
    /// A single-respondent stratum: the unit is reported unstratified.
    StratumMerged,
    /// `n < 2`: estimates without intervals.
    NoVariance,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoFrame => "no_frame",
            Self::BelowQuota => "below_quota",
            Self::SmallSample => "small_sample",
            Self::FewDissatisfied => "few_dissatisfied",
            Self::StratumMerged => "stratum_merged",
            Self::NoVariance => "no_variance",
        }
    }
}

/// A unit's scores: everything `UnitScore` serves except names, codes, quota and PAR
/// points (see `UnitResult::par`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitResult {
    pub n: u64,
    pub population: Option<u64>,
    pub strata: usize,
    pub sipas: Estimate,
    pub sipas_detail: IndexDetail,
    pub mean_score: Estimate,
    /// By element index.
    pub elements: Vec<ElementResult>,
    /// By criterion index.
    pub criteria: Vec<CriterionResult>,
    pub flags: Vec<Flag>,
}

impl UnitResult {
    /// The margin of error achieved: the half-width of the SIPAS interval.
    pub fn margin_achieved(&self) -> Option<f64> {
        self.sipas.half_width()
    }

    /// The unit's PAR Index points from the survey (`survey_max_points` from its unit
    /// type's scheme, which may be fractional).
    pub fn par(&self, survey_max_points: f64) -> ParPoints {
        ParPoints::from_index(&self.sipas, survey_max_points)
    }

    pub fn has_flag(&self, flag: Flag) -> bool {
        self.flags.contains(&flag)
    }
}

/// A unit's earned PAR Index points, as served under `par`:
/// `points = SIPAS index × survey_max_points`, and the interval likewise (unrounded).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ParPoints {
    pub survey_max_points: f64,
    pub points: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

impl ParPoints {
    pub fn from_index(index: &Estimate, survey_max_points: f64) -> Self {
        let scale = |x: Option<f64>| x.map(|x| x * survey_max_points);
        Self {
            survey_max_points,
            points: scale(index.estimate),
            ci_low: scale(index.ci_low),
            ci_high: scale(index.ci_high),
        }
    }
}

/// Scores units at one confidence level, keeping the quantiles it has computed.
#[derive(Debug, Clone)]
pub struct Scorer {
    quantiles: Quantiles,
    method: CriterionMethod,
}

impl Scorer {
    pub fn new(options: ScoringOptions) -> Self {
        Self {
            quantiles: Quantiles::new(options.confidence),
            method: options.method,
        }
    }

    /// Phase two for one unit. `quota` is the unit's quota when it has one.
    pub fn score(
        &mut self,
        shape: &QuestionnaireShape,
        unit: &UnitMoments,
        reference: &DesignEffectReference,
        quota: Option<u64>,
    ) -> UnitResult {
        let df = unit.degrees_of_freedom();
        let t = df.filter(|&df| df > 0).map(|df| self.quantiles.t(df));
        let context = IndexContext {
            n: unit.n,
            population: unit.population,
            fraction: unit.sampling_fraction(),
            df,
            t,
        };
        let (sipas, sipas_detail) = context.index(&unit.sipas, reference.sipas.value());
        let elements = unit
            .elements
            .iter()
            .zip(&unit.element_mean_scores)
            .enumerate()
            .map(|(e, (moments, mean_score))| {
                let d_ref = reference.elements.get(e).map_or(1.0, |pool| pool.value());
                let (index, detail) = context.index(moments, d_ref);
                ElementResult {
                    index,
                    mean_score: context.mean(mean_score),
                    detail,
                }
            })
            .collect();
        let mean_score = context.mean(&unit.mean_score);
        let criteria: Vec<CriterionResult> = unit
            .criteria
            .iter()
            .enumerate()
            .map(|(k, criterion)| self.criterion(shape.element_of(k), criterion, unit, &context))
            .collect();

        let few_dissatisfied = sipas_detail
            .effective_count
            .is_some_and(|c| c < FEW_EFFECTIVE)
            || criteria.iter().any(|c| {
                c.answered > 0 && c.satisfied.min(c.answered - c.satisfied) <= FEW_ANSWERS
            });
        let flags = [
            (Flag::NoFrame, unit.population.is_none()),
            (Flag::BelowQuota, quota.is_some_and(|quota| unit.n < quota)),
            (Flag::SmallSample, unit.n < SMALL_SAMPLE),
            (Flag::FewDissatisfied, few_dissatisfied),
            (Flag::StratumMerged, unit.stratum_merged),
            (Flag::NoVariance, unit.n < 2),
        ]
        .into_iter()
        .filter_map(|(flag, raised)| raised.then_some(flag))
        .collect();

        UnitResult {
            n: unit.n,
            population: unit.population,
            strata: unit.strata,
            sipas,
            sipas_detail,
            mean_score,
            elements,
            criteria,
            flags,
        }
    }

    fn criterion(
        &self,
        element: usize,
        criterion: &CriterionMoments,
        unit: &UnitMoments,
        context: &IndexContext,
    ) -> CriterionResult {
        let mut result = CriterionResult {
            element,
            answered: criterion.answered,
            satisfied: criterion.satisfied,
            estimate: criterion.index.estimate,
            se: criterion.index.variance.map(f64::sqrt),
            ci_low: None,
            ci_high: None,
            method: self.method,
            mean_score: context.mean(&criterion.mean_score),
        };
        let (Some(p), Some(v)) = (criterion.index.estimate, criterion.index.variance) else {
            // Nobody answered, or n < 2: no interval.
            return result;
        };
        let (x, n_k) = (criterion.satisfied, criterion.answered);
        // Stratified with variance: the effective sample size carries the design.
        let effective = (unit.strata > 1 && v > 0.0).then(|| p * (1.0 - p) / v);
        let q = &self.quantiles;
        let interval = match (self.method, effective) {
            (CriterionMethod::WilsonFpc, Some(n_eff)) => wilson(p, n_eff, q.z),
            (CriterionMethod::WilsonFpc, None) => {
                let corrected = corrected_sample_size(n_k, unit.n, unit.population);
                wilson_fpc(p, x, n_k, corrected, q)
            }
            (method, effective) => {
                let (x, n) = match effective {
                    Some(n_eff) => (p * n_eff, n_eff),
                    None => (x as f64, n_k as f64),
                };
                match method {
                    CriterionMethod::ClopperPearson => clopper_pearson(x, n, q.alpha()),
                    CriterionMethod::Jeffreys => jeffreys(x, n, q.alpha()),
                    CriterionMethod::AgrestiCoull => agresti_coull(x, n, q.z),
                    CriterionMethod::WilsonCc => wilson_cc(x, n, q.z),
                    CriterionMethod::WilsonFpc => unreachable!("handled above"),
                }
            }
        };
        result.ci_low = Some(interval.low);
        result.ci_high = Some(interval.high);
        result
    }
}

/// What the intervals of one unit (indices and mean scores) share.
struct IndexContext {
    n: u64,
    population: Option<u64>,
    fraction: f64,
    df: Option<u64>,
    t: Option<f64>,
}

impl IndexContext {
    /// `n_eff` without a usable variance: `n(N − 1)/(N − n)`, `n` without a frame,
    /// infinite for a census.
    fn degenerate_size(&self) -> f64 {
        let n = self.n as f64;
        match self.population {
            None => n,
            Some(population) if population <= self.n => f64::INFINITY,
            Some(population) => {
                let population = population as f64;
                n * (population - 1.0) / (population - n)
            }
        }
    }

    /// The element and SIPAS index rule: Wilson(I, n_eff, t_df) with the design-effect
    /// floor near the boundary.
    fn index(&self, moments: &Moments, d_ref: f64) -> (Estimate, IndexDetail) {
        let mut detail = IndexDetail {
            d_ref,
            ..IndexDetail::default()
        };
        let Some(estimate) = moments.estimate else {
            return (Estimate::default(), detail);
        };
        let (Some(v), Some(v0), Some(df), Some(t)) = (
            moments.variance,
            moments.variance_without_fpc,
            self.df,
            self.t,
        ) else {
            return (Estimate::point_only(Some(estimate)), detail);
        };
        let n = self.n as f64;
        let spread = estimate * (1.0 - estimate);
        if spread > 0.0 {
            let design_effect = n * v0 / spread;
            detail.design_effect = Some(design_effect);
            if design_effect > 0.0 {
                detail.effective_count = Some(n * estimate.min(1.0 - estimate) / design_effect);
            }
        }
        let n_eff = if v == 0.0 || spread == 0.0 {
            // Degenerate: no floor.
            self.degenerate_size()
        } else {
            let mut n_eff = spread / v;
            if detail.effective_count.is_some_and(|c| c < FEW_EFFECTIVE) {
                let floor = n / ((1.0 - self.fraction) * d_ref);
                if floor < n_eff {
                    n_eff = floor;
                    detail.floor_applied = true;
                }
            }
            n_eff
        };
        detail.n_eff = n_eff.is_finite().then_some(n_eff);
        let interval = wilson(estimate, n_eff, t);
        (
            Estimate::with_interval(estimate, v.sqrt(), df, interval),
            detail,
        )
    }

    /// A mean score (the unit's, an element's or a criterion's): `estimate ± t_df · se`.
    fn mean(&self, moments: &Moments) -> Estimate {
        let Some(estimate) = moments.estimate else {
            return Estimate::default();
        };
        let (Some(v), Some(df), Some(t)) = (moments.variance, self.df, self.t) else {
            return Estimate::point_only(Some(estimate));
        };
        let se = v.sqrt();
        Estimate::with_interval(
            estimate,
            se,
            df,
            Interval {
                low: estimate - t * se,
                high: estimate + t * se,
            },
        )
    }
}
