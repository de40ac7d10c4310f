//! Aggregates above the unit: a district's communes, all departments, the province.

use serde::Serialize;

use super::Confidence;
use super::confidence::Quantiles;
use super::interval::{Interval, wilson};
use super::moments::{Moments, UnitMoments};
use super::score::Estimate;

/// Why a unit is not in a group estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeftOutReason {
    /// No `N`: the unit cannot be weighted.
    NoFrame,
    /// No response: the unit has no estimate.
    NoResponses,
    /// A single response: the unit has no variance.
    NoVariance,
}

/// A unit left out of a group estimate: its position in the input, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LeftOutUnit {
    pub unit: usize,
    pub reason: LeftOutReason,
}

/// The stratified estimate of a group of units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupEstimate {
    /// Responses of the units included.
    pub n: u64,
    /// `Σ N_u` of the units included.
    pub population: u64,
    pub units_included: usize,
    /// `H`: all strata of the units included (each unit's service-point strata are
    /// strata of the group's design), so `df = n − H`.
    pub strata: usize,
    pub sipas: Estimate,
    /// Each element's index, by element, by the same rule as the SIPAS index; undefined
    /// (`estimate: None`) when an included unit has no estimate of that element.
    pub elements: Vec<Estimate>,
    pub mean_score: Estimate,
    pub left_out: Vec<LeftOutUnit>,
}

/// The units as strata weighted by their `N`: `I = Σ W_u I_u`, `v = Σ W_u² v_u` with
/// `W_u = N_u / Σ N`, and the interval `Wilson(I, I(1 − I)/v, t_{n−H})`. When `v = 0`
/// or `I` is 0 or 1, `n_eff = n(N − 1)/(N − n)` as for a unit (a census gives `[I, I]`).
/// The SIPAS index and each element's index alike; the mean score `± t·se`.
pub fn aggregate<'a>(
    units: impl IntoIterator<Item = &'a UnitMoments>,
    confidence: Confidence,
) -> GroupEstimate {
    let mut included: Vec<(&UnitMoments, u64)> = Vec::new();
    let mut left_out = Vec::new();
    // Every unit of a group normally shares its questionnaire; the longest one decides.
    let mut element_count = 0;
    for (position, unit) in units.into_iter().enumerate() {
        element_count = element_count.max(unit.elements.len());
        let reason = match unit.population {
            None => Some(LeftOutReason::NoFrame),
            Some(_) if unit.sipas.estimate.is_none() => Some(LeftOutReason::NoResponses),
            Some(_) if unit.sipas.variance.is_none() => Some(LeftOutReason::NoVariance),
            Some(population) => {
                included.push((unit, population));
                None
            }
        };
        if let Some(reason) = reason {
            left_out.push(LeftOutUnit {
                unit: position,
                reason,
            });
        }
    }

    let n: u64 = included.iter().map(|(unit, _)| unit.n).sum();
    let population: u64 = included.iter().map(|&(_, population)| population).sum();
    let strata: usize = included.iter().map(|(unit, _)| unit.strata).sum();
    let combine = |pick: &dyn Fn(&UnitMoments) -> Option<&Moments>| -> Option<(f64, f64)> {
        if included.is_empty() {
            return None;
        }
        let total = population as f64;
        let (mut estimate, mut variance) = (0.0, 0.0);
        for &(unit, population) in &included {
            let weight = population as f64 / total;
            let moments = pick(unit)?;
            estimate += weight * moments.estimate?;
            variance += weight * weight * moments.variance?;
        }
        Some((estimate, variance))
    };

    let mut quantiles = Quantiles::new(confidence);
    let df = n.checked_sub(strata as u64).filter(|&df| df > 0);
    let t = df.map(|df| quantiles.t(df));
    let make = |combined: Option<(f64, f64)>, interval: &dyn Fn(f64, f64, f64) -> Interval| match (
        combined, df, t,
    ) {
        (Some((estimate, v)), Some(df), Some(t)) => {
            let bounds = interval(estimate, v, t);
            Estimate {
                estimate: Some(estimate),
                se: Some(v.sqrt()),
                df: Some(df),
                ci_low: Some(bounds.low),
                ci_high: Some(bounds.high),
            }
        }
        (combined, _, _) => Estimate {
            estimate: combined.map(|(estimate, _)| estimate),
            ..Estimate::default()
        },
    };
    let degenerate_size = {
        let (n, total) = (n as f64, population as f64);
        if population <= n as u64 {
            f64::INFINITY
        } else {
            n * (total - 1.0) / (total - n)
        }
    };
    let index = |estimate: f64, v: f64, t: f64| {
        let spread = estimate * (1.0 - estimate);
        let n_eff = if v == 0.0 || spread == 0.0 {
            degenerate_size
        } else {
            spread / v
        };
        wilson(estimate, n_eff, t)
    };
    let sipas = make(combine(&|unit| Some(&unit.sipas)), &index);
    let elements = (0..element_count)
        .map(|e| make(combine(&|unit| unit.elements.get(e)), &index))
        .collect();
    let mean_score = make(
        combine(&|unit| Some(&unit.mean_score)),
        &|estimate, v, t| Interval {
            low: estimate - t * v.sqrt(),
            high: estimate + t * v.sqrt(),
        },
    );

    GroupEstimate {
        n,
        population,
        units_included: included.len(),
        strata,
        sipas,
        elements,
        mean_score,
        left_out,
    }
}
