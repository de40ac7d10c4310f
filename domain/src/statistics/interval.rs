//! Closed-form intervals for proportions: Wilson and the rules of the spec built on it,
//! and the alternative criterion methods.

use serde::Serialize;

use super::confidence::{Quantiles, beta_quantile};

/// A confidence interval `[low, high]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// The degenerate interval `[x, x]` (a census).
    pub fn point(x: f64) -> Self {
        Self { low: x, high: x }
    }

    /// Half the width: the margin of error reported next to a quota.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / 2.0
    }
}

/// Wilson(p, m, q): the Wilson score interval for proportion `p` with sample size `m`
/// and quantile `q`:
/// `(p + q²/2m ∓ q·√(p(1−p)/m + q²/4m²)) / (1 + q²/m)`.
/// An infinite `m` (a census) gives `[p, p]`. The result always lies in [0, 1]; the
/// clamp only absorbs rounding at p = 0 or 1.
pub fn wilson(p: f64, m: f64, q: f64) -> Interval {
    if m.is_infinite() {
        return Interval::point(p);
    }
    let q2m = q * q / m;
    let centre = p + q2m / 2.0;
    let spread = q * (p * (1.0 - p) / m + q2m / (4.0 * m)).sqrt();
    let denominator = 1.0 + q2m;
    Interval {
        low: ((centre - spread) / denominator).clamp(0.0, 1.0),
        high: ((centre + spread) / denominator).clamp(0.0, 1.0),
    }
}

/// The finite-population-corrected sample size of a criterion in a one-stratum unit:
/// `n* = n_k (N_k − 1)/(N_k − n_k)` with `N_k = N·n_k/n`; `n_k` without a frame and
/// infinity for a census.
pub fn corrected_sample_size(answered: u64, responses: u64, population: Option<u64>) -> f64 {
    let n_k = answered as f64;
    match population {
        None => n_k,
        Some(population) if population <= responses => f64::INFINITY,
        Some(population) => {
            let population_k = population as f64 * n_k / responses as f64;
            n_k * (population_k - 1.0) / (population_k - n_k)
        }
    }
}

/// The one-stratum criterion rule: Wilson(p, n*, z), then the Brown–Cai–DasGupta
/// boundary rules, with the edge rules for `x = 0` and `x = n_k` and `[p, p]` for a
/// census. `p` is the estimate (`x / n_k` unless the caller weights it).
pub(crate) fn wilson_fpc(
    p: f64,
    satisfied: u64,
    answered: u64,
    corrected_size: f64,
    quantiles: &Quantiles,
) -> Interval {
    if corrected_size.is_infinite() {
        return Interval::point(p);
    }
    let z2 = quantiles.z * quantiles.z;
    let n_k = answered as f64;
    if satisfied == answered {
        return Interval {
            low: n_k / (n_k + z2),
            high: 1.0,
        };
    }
    if satisfied == 0 {
        return Interval {
            low: 0.0,
            high: z2 / (n_k + z2),
        };
    }
    let mut interval = wilson(p, corrected_size, quantiles.z);
    let x_star = if answered <= 50 { 2 } else { 3 };
    let dissatisfied = answered - satisfied;
    if satisfied <= x_star {
        interval.low = 0.5 * quantiles.chi_squared_lower(satisfied) / corrected_size;
    }
    if dissatisfied <= x_star {
        interval.high = 1.0 - 0.5 * quantiles.chi_squared_lower(dissatisfied) / corrected_size;
    }
    interval
}

/// Clopper–Pearson (exact) interval for `x` successes in `n` trials (real numbers are
/// allowed: effective counts of a stratified design). x = 0 gives lower 0 and x = n
/// upper 1 without building a Beta with a zero shape.
pub fn clopper_pearson(x: f64, n: f64, alpha: f64) -> Interval {
    let low = if x <= 0.0 {
        0.0
    } else {
        beta_quantile(alpha / 2.0, x, n - x + 1.0).unwrap_or(0.0)
    };
    let high = if x >= n {
        1.0
    } else {
        beta_quantile(1.0 - alpha / 2.0, x + 1.0, n - x).unwrap_or(1.0)
    };
    Interval { low, high }
}

/// Jeffreys interval: quantiles of Beta(x + ½, n − x + ½), with lower 0 at x = 0 and
/// upper 1 at x = n (Brown, Cai & DasGupta 2001).
pub fn jeffreys(x: f64, n: f64, alpha: f64) -> Interval {
    let (a, b) = (x + 0.5, n - x + 0.5);
    let low = if x <= 0.0 {
        0.0
    } else {
        beta_quantile(alpha / 2.0, a, b).unwrap_or(0.0)
    };
    let high = if x >= n {
        1.0
    } else {
        beta_quantile(1.0 - alpha / 2.0, a, b).unwrap_or(1.0)
    };
    Interval { low, high }
}

/// Agresti–Coull: the Wald interval around `(x + z²/2)/(n + z²)` with `n + z²` trials,
/// truncated to [0, 1] (proportions are served in [0, 1]).
pub fn agresti_coull(x: f64, n: f64, z: f64) -> Interval {
    let n_tilde = n + z * z;
    let p_tilde = (x + z * z / 2.0) / n_tilde;
    let spread = z * (p_tilde * (1.0 - p_tilde) / n_tilde).sqrt();
    Interval {
        low: (p_tilde - spread).max(0.0),
        high: (p_tilde + spread).min(1.0),
    }
}

/// Wilson with continuity correction (Newcombe 1998, method 4, as R's
/// `prop.test(correct = TRUE)`): the Wilson bounds of `p ∓ 1/2n`, 0 and 1 at the edges.
pub fn wilson_cc(x: f64, n: f64, z: f64) -> Interval {
    let p = x / n;
    let corrected_low = p - 0.5 / n;
    let corrected_high = p + 0.5 / n;
    let low = if corrected_low <= 0.0 {
        0.0
    } else {
        wilson(corrected_low, n, z).low
    };
    let high = if corrected_high >= 1.0 {
        1.0
    } else {
        wilson(corrected_high, n, z).high
    };
    Interval { low, high }
}
