//! Change between two rounds: the MOVER interval of a difference built from the two
//! rounds' published intervals (docs/statistics.md, "Change between two rounds").

use serde::Serialize;

use super::score::Estimate;

/// The change `Δ = I₂ − I₁` of an index between two rounds, with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Change {
    /// `Δ = I₂ − I₁`.
    pub estimate: f64,
    /// `L = Δ − √((I₂ − l₂)² + (u₁ − I₁)²)`.
    pub ci_low: f64,
    /// `U = Δ + √((u₂ − I₂)² + (I₁ − l₁)²)`.
    pub ci_high: f64,
    /// The interval excludes 0; otherwise there is "no clear change", whatever the sign
    /// of `Δ`.
    pub significant: bool,
}

/// The change from `round_1` (a unit's or a group's index, `I₁` in `[l₁, u₁]`) to
/// `round_2` (`I₂` in `[l₂, u₂]`), independent samples at the same confidence (MOVER,
/// Newcombe's method for a difference of proportions). `None` when either round lacks
/// its estimate or its interval (no response, `n < 2`, no degrees of freedom).
pub fn change(round_1: &Estimate, round_2: &Estimate) -> Option<Change> {
    let (i1, l1, u1) = (round_1.estimate?, round_1.ci_low?, round_1.ci_high?);
    let (i2, l2, u2) = (round_2.estimate?, round_2.ci_low?, round_2.ci_high?);
    let delta = i2 - i1;
    let ci_low = delta - (i2 - l2).hypot(u1 - i1);
    let ci_high = delta + (u2 - i2).hypot(i1 - l1);
    Some(Change {
        estimate: delta,
        ci_low,
        ci_high,
        significant: ci_low > 0.0 || ci_high < 0.0,
    })
}
