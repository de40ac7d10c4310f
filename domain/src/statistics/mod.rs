//! The statistics engine: the contract is `docs/statistics.md`, implemented exactly.
//!
//! Pure: answers and frames in, typed results out; no I/O.
//!
//! * [`Accumulator`]: the integer sufficient statistics of one stratum (a unit's
//!   service point). Responses are added one by one or merged; reads never scan them.
//!   [`BulkFold`] (behind [`Accumulator::from_responses`]) folds many responses of one
//!   stratum fast, to identical statistics.
//! * [`UnitMoments::compute`] (phase one): point estimates and linearised variances of
//!   a unit from its strata's statistics and the frame ([`Design`]).
//! * [`DesignEffectReference`]: `D_ref`, pooled over the campaign's units.
//! * [`Scorer::score`] (phase two): intervals and flags at a confidence level, giving a
//!   [`UnitResult`] that maps onto the API's `UnitScore`.
//! * [`CampaignAnalysis`] / [`score_campaign`]: every unit of a campaign at once;
//!   [`aggregate`]: the stratified estimate of a group of units (SIPAS, elements, mean
//!   score).
//! * [`change`]: the change of an index between two rounds (MOVER), from the two
//!   rounds' [`Estimate`]s.
//!
//! Criteria and elements are identified by index in the [`QuestionnaireShape`]; the
//! caller maps them to codes.
//!
//! Choices the spec leaves open, made here:
//! * `n < 2`: every interval (indices and mean scores of the unit, its elements and its
//!   criteria) is absent, and `se`/`df` too.
//! * Mean scores of elements and criteria use the unit's `df = n − H` and `t_df`, as the
//!   unit's mean score does.
//! * The alternative criterion methods use the raw counts `x` of `n_k` (no FPC); in a
//!   stratified unit with variance they use the effective counts `p·n_eff` of
//!   `n_eff = p(1 − p)/v`. Agresti–Coull is truncated to [0, 1].
//! * In a stratified unit, service points without responses count in `N` but not in `H`.
//! * A group aggregate's `H` counts every stratum of its units (a unit stratified by
//!   service point brings its service points), so `df = n − H` is that of the combined
//!   design; units without a frame, responses or variance are left out and listed.
//!   When the group's `v = 0` or `I` is 0 or 1, `n_eff = n(N − 1)/(N − n)` as for a unit.
//!   A group's element index is undefined when an included unit has no estimate of that
//!   element (nobody answered it there): its weight cannot be given to the others.
//! * A change is `significant` when its interval excludes 0 strictly (`L > 0` or `U < 0`).
//! * "v = 0" is decided exactly where it can be (a criterion with p = 0 or 1, or with
//!   every answer the same, a stratum whose answers are all identical, a census); a sum
//!   of squares below 1e-12 of the magnitudes it is computed from is rounding noise and
//!   counts as 0.
//! * Quantiles come from statrs, except two places where statrs is not accurate enough
//!   for the 1e-9 contract: Student's t above 500 degrees of freedom uses the
//!   Cornish–Fisher expansion around statrs' normal quantile, and χ² quantiles are
//!   polished by Newton steps on statrs' own cdf (both checked against R).

mod accumulator;
mod aggregate;
mod campaign;
mod change;
mod confidence;
mod error;
mod interval;
pub mod league;
mod moments;
mod score;
mod shape;

pub use accumulator::{Accumulator, BulkFold, MAX_ANSWER, SATISFIED_FROM};
pub use aggregate::{GroupEstimate, LeftOutReason, LeftOutUnit, aggregate};
pub use campaign::{
    CampaignAnalysis, DesignEffectReference, PooledDesignEffect, score_campaign, score_unit,
};
pub use change::{Change, change};
pub use confidence::{
    Confidence, CriterionMethod, beta_quantile, chi_squared_quantile, normal_quantile,
    students_t_quantile,
};
pub use error::StatisticsError;
pub use interval::{
    Interval, agresti_coull, clopper_pearson, corrected_sample_size, jeffreys, wilson, wilson_cc,
};
pub use moments::{CriterionMoments, Design, Moments, Stratum, UnitMoments};
pub use score::{
    CriterionResult, ElementResult, Estimate, FEW_ANSWERS, FEW_EFFECTIVE, Flag, IndexDetail,
    ParPoints, SMALL_SAMPLE, Scorer, ScoringOptions, UnitResult,
};
pub use shape::QuestionnaireShape;
