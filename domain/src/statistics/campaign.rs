//! The campaign level: pooled reference design effects and every unit at once.

use serde::{Deserialize, Serialize};

use super::moments::{Design, Moments, UnitMoments, Workspace, compute};
use super::score::{Scorer, ScoringOptions, UnitResult};
use super::{QuestionnaireShape, StatisticsError};

/// `D_ref` of one statistic, kept as its pooled sums so a stored campaign can show where
/// it came from: `Σ_u (n_u − 1)·n_u v₀_u / Σ_u (n_u − 1)·I_u(1 − I_u)` over the units with
/// `n_u ≥ 2` and `0 < I_u < 1`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PooledDesignEffect {
    pub numerator: f64,
    pub denominator: f64,
    /// How many units qualified.
    pub units: usize,
}

impl PooledDesignEffect {
    /// With fewer qualifying units than this, `D_ref = 1` (safe, wider).
    pub const MIN_UNITS: usize = 5;

    /// Adds a unit's statistic if it qualifies.
    pub fn add(&mut self, n: u64, moments: &Moments) {
        let (Some(estimate), Some(v0)) = (moments.estimate, moments.variance_without_fpc) else {
            return;
        };
        if n < 2 || estimate <= 0.0 || estimate >= 1.0 {
            return;
        }
        let n = n as f64;
        self.numerator += (n - 1.0) * n * v0;
        self.denominator += (n - 1.0) * estimate * (1.0 - estimate);
        self.units += 1;
    }

    /// `D_ref`: 1 (safe, wider) with fewer than `MIN_UNITS` qualifying units, and also if
    /// the pooled ratio is not a positive number (sums restored from a damaged store).
    pub fn value(&self) -> f64 {
        let ratio = self.numerator / self.denominator;
        if self.units < Self::MIN_UNITS || !(ratio > 0.0 && ratio.is_finite()) {
            1.0
        } else {
            ratio
        }
    }
}

/// The reference design effects of a campaign: the SIPAS index and each element. It
/// changes as responses arrive; a published snapshot freezes it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DesignEffectReference {
    pub sipas: PooledDesignEffect,
    /// By element index.
    pub elements: Vec<PooledDesignEffect>,
}

impl DesignEffectReference {
    /// Pools the given units (those that do not qualify are skipped).
    pub fn pool<'a>(
        shape: &QuestionnaireShape,
        units: impl IntoIterator<Item = &'a UnitMoments>,
    ) -> Self {
        let mut reference = Self {
            sipas: PooledDesignEffect::default(),
            elements: vec![PooledDesignEffect::default(); shape.elements()],
        };
        for unit in units {
            reference.sipas.add(unit.n, &unit.sipas);
            for (pool, moments) in reference.elements.iter_mut().zip(&unit.elements) {
                pool.add(unit.n, moments);
            }
        }
        reference
    }
}

/// Phase one for every unit of a campaign, and its reference design effects.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignAnalysis {
    /// By unit, in the order given; a unit whose inputs are inconsistent (a frame smaller
    /// than its responses, statistics of another questionnaire) carries its error.
    pub units: Vec<Result<UnitMoments, StatisticsError>>,
    pub design_effect_reference: DesignEffectReference,
}

impl CampaignAnalysis {
    pub fn compute(shape: &QuestionnaireShape, designs: &[Design<'_>]) -> Self {
        let mut workspace = Workspace::default();
        let units: Vec<_> = designs
            .iter()
            .map(|design| compute(shape, design, &mut workspace))
            .collect();
        let design_effect_reference =
            DesignEffectReference::pool(shape, units.iter().filter_map(|unit| unit.as_ref().ok()));
        Self {
            units,
            design_effect_reference,
        }
    }

    /// Phase two for every unit; `quotas[i]` is unit `i`'s quota (missing = none).
    pub fn score(
        &self,
        shape: &QuestionnaireShape,
        options: ScoringOptions,
        quotas: &[Option<u64>],
    ) -> Vec<Result<UnitResult, StatisticsError>> {
        let mut scorer = Scorer::new(options);
        self.units
            .iter()
            .enumerate()
            .map(|(i, unit)| {
                let unit = unit.as_ref().map_err(Clone::clone)?;
                let quota = quotas.get(i).copied().flatten();
                Ok(scorer.score(shape, unit, &self.design_effect_reference, quota))
            })
            .collect()
    }
}

/// Both phases for one campaign: the scores of every unit and the reference used.
pub fn score_campaign(
    shape: &QuestionnaireShape,
    designs: &[Design<'_>],
    options: ScoringOptions,
    quotas: &[Option<u64>],
) -> (
    Vec<Result<UnitResult, StatisticsError>>,
    DesignEffectReference,
) {
    let analysis = CampaignAnalysis::compute(shape, designs);
    let results = analysis.score(shape, options, quotas);
    (results, analysis.design_effect_reference)
}

/// Both phases for a single unit, with a reference kept from the campaign.
pub fn score_unit(
    shape: &QuestionnaireShape,
    design: &Design<'_>,
    options: ScoringOptions,
    reference: &DesignEffectReference,
    quota: Option<u64>,
) -> Result<UnitResult, StatisticsError> {
    let moments = UnitMoments::compute(shape, design)?;
    Ok(Scorer::new(options).score(shape, &moments, reference, quota))
}
