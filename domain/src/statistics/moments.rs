//! Phase one of scoring a unit: point estimates and linearised variances, from the
//! strata's sufficient statistics alone.

use serde::{Deserialize, Serialize};

use super::accumulator::Layout;
use super::{Accumulator, QuestionnaireShape, StatisticsError};

/// One service point of a unit stratified by service point: its responses' statistics
/// and its `N_h` from the frame.
#[derive(Debug, Clone, Copy)]
pub struct Stratum<'a> {
    pub sample: &'a Accumulator,
    pub population: u64,
}

/// How a unit was sampled, as the frame says.
#[derive(Debug, Clone)]
pub enum Design<'a> {
    /// A simple random sample of the unit: the frame gives the unit's `N` (or nothing:
    /// no finite-population correction). Several accumulators (the unit's service
    /// points) are pooled into one stratum.
    Pooled {
        samples: Vec<&'a Accumulator>,
        population: Option<u64>,
    },
    /// Stratified by service point, the frame giving every `N_h`; the unit's `N` is their
    /// sum (service points without responses keep their `N_h` in it).
    Stratified(Vec<Stratum<'a>>),
}

impl<'a> Design<'a> {
    /// One accumulator, one stratum.
    pub fn simple(sample: &'a Accumulator, population: Option<u64>) -> Self {
        Self::Pooled {
            samples: vec![sample],
            population,
        }
    }
}

/// A statistic with its linearised variances.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    /// The point estimate; `None` when nothing it depends on was answered.
    pub estimate: Option<f64>,
    /// `v`, with the finite-population correction; `None` when `n < 2`.
    pub variance: Option<f64>,
    /// `v₀`: the same with every `f_h = 0` (the design effect uses it).
    pub variance_without_fpc: Option<f64>,
}

impl Moments {
    const UNDEFINED: Moments = Moments {
        estimate: None,
        variance: None,
        variance_without_fpc: None,
    };
}

/// One criterion's counts and moments.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CriterionMoments {
    /// `n_k`: responses that answered it (unweighted).
    pub answered: u64,
    /// `x`: of those, satisfied (unweighted).
    pub satisfied: u64,
    /// `p_k` (weighted when stratified) and its linearised variances.
    pub index: Moments,
    /// The weighted mean answer, 1–5, and its linearised variances.
    pub mean_score: Moments,
}

/// Everything about a unit that does not depend on the confidence level or on the
/// campaign: the output of phase one, the input of `Scorer::score` and `aggregate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitMoments {
    /// Responses (with at least one answer).
    pub n: u64,
    /// `N` from the frame; `None` without a frame.
    pub population: Option<u64>,
    /// `H`: strata with respondents after merging.
    pub strata: usize,
    /// A single-respondent stratum made us pool the unit's strata.
    pub stratum_merged: bool,
    pub sipas: Moments,
    pub mean_score: Moments,
    /// Element indices, by element.
    pub elements: Vec<Moments>,
    /// Element mean scores, by element.
    pub element_mean_scores: Vec<Moments>,
    pub criteria: Vec<CriterionMoments>,
}

impl UnitMoments {
    /// `df = n − H`, defined when `n ≥ 2`.
    pub fn degrees_of_freedom(&self) -> Option<u64> {
        (self.n >= 2).then(|| self.n - self.strata as u64)
    }

    /// `f = n / N`, 0 without a frame.
    pub fn sampling_fraction(&self) -> f64 {
        match self.population {
            Some(population) if population > 0 => self.n as f64 / population as f64,
            _ => 0.0,
        }
    }

    /// Phase one for one unit.
    pub fn compute(
        shape: &QuestionnaireShape,
        design: &Design<'_>,
    ) -> Result<UnitMoments, StatisticsError> {
        compute(shape, design, &mut Workspace::default())
    }
}

/// A stratum ready for the variance: its statistics' words (several service points
/// pooled into a reused buffer), `n_h`, weight `w_h` and fraction `f_h`.
struct ResolvedStratum<'s> {
    words: &'s [u64],
    n: u64,
    weight: f64,
    fraction: f64,
}

struct ResolvedDesign<'s> {
    strata: Vec<ResolvedStratum<'s>>,
    population: Option<u64>,
    merged: bool,
}

fn check_criteria(shape: &QuestionnaireShape, sample: &Accumulator) -> Result<(), StatisticsError> {
    if sample.criteria() == shape.criteria() {
        Ok(())
    } else {
        Err(StatisticsError::CriteriaMismatch {
            expected: shape.criteria(),
            got: sample.criteria(),
        })
    }
}

fn check_frame(responses: u64, population: u64) -> Result<(), StatisticsError> {
    if responses <= population {
        Ok(())
    } else {
        Err(StatisticsError::SampleExceedsFrame {
            responses,
            population,
        })
    }
}

/// The words of these samples added up: borrowed for one sample, else summed into
/// `buffer` (a unit has at most one pooled stratum, so one buffer serves).
fn pooled_words<'s>(
    shape: &QuestionnaireShape,
    samples: &[&'s Accumulator],
    buffer: &'s mut Vec<u64>,
) -> &'s [u64] {
    match samples {
        [single] => single.words(),
        _ => {
            buffer.clear();
            buffer.resize(Layout::new(shape.criteria()).len, 0);
            for sample in samples {
                for (total, word) in buffer.iter_mut().zip(sample.words()) {
                    *total += word;
                }
            }
            buffer
        }
    }
}

/// One stratum for a simple random sample of `N` (or of an unknown population): the
/// ratio estimators do not depend on a constant weight, so `w = 1`.
fn one_stratum<'s>(
    shape: &QuestionnaireShape,
    samples: &[&'s Accumulator],
    buffer: &'s mut Vec<u64>,
    population: Option<u64>,
    merged: bool,
) -> Result<ResolvedDesign<'s>, StatisticsError> {
    let n: u64 = samples.iter().map(|sample| sample.responses()).sum();
    let fraction = match population {
        Some(population) => {
            check_frame(n, population)?;
            if population > 0 {
                n as f64 / population as f64
            } else {
                0.0
            }
        }
        None => 0.0,
    };
    Ok(ResolvedDesign {
        strata: vec![ResolvedStratum {
            words: pooled_words(shape, samples, buffer),
            n,
            weight: 1.0,
            fraction,
        }],
        population,
        merged,
    })
}

fn resolve<'s>(
    shape: &QuestionnaireShape,
    design: &Design<'s>,
    buffer: &'s mut Vec<u64>,
) -> Result<ResolvedDesign<'s>, StatisticsError> {
    match design {
        Design::Pooled {
            samples,
            population,
        } => {
            for sample in samples {
                check_criteria(shape, sample)?;
            }
            one_stratum(shape, samples, buffer, *population, false)
        }
        Design::Stratified(strata) => {
            for stratum in strata {
                check_criteria(shape, stratum.sample)?;
                check_frame(stratum.sample.responses(), stratum.population)?;
            }
            let population: u64 = strata.iter().map(|stratum| stratum.population).sum();
            let occupied = || {
                strata
                    .iter()
                    .filter(|stratum| stratum.sample.responses() > 0)
            };
            // A stratum with a single respondent has no variance: pool the unit.
            let lonely =
                occupied().count() > 1 && occupied().any(|stratum| stratum.sample.responses() == 1);
            if lonely || occupied().next().is_none() {
                let samples: Vec<&Accumulator> = occupied().map(|stratum| stratum.sample).collect();
                return one_stratum(shape, &samples, buffer, Some(population), lonely);
            }
            let strata = occupied()
                .map(|stratum| {
                    let n = stratum.sample.responses();
                    let (n_h, population_h) = (n as f64, stratum.population as f64);
                    ResolvedStratum {
                        words: stratum.sample.words(),
                        n,
                        weight: population_h / n_h,
                        fraction: n_h / population_h,
                    }
                })
                .collect();
            Ok(ResolvedDesign {
                strata,
                population: Some(population),
                merged: false,
            })
        }
    }
}

/// Scratch buffers reused across units so that scoring a campaign allocates little.
#[derive(Debug, Default)]
pub(crate) struct Workspace {
    /// The pooled statistics of a unit's service points.
    pooled: Vec<u64>,
}

/// The coefficients of the influence values `d_ik = β_k x_ik − γ_k r_ik` (x = y for the
/// indices, x = a for the mean scores), by criterion; zero for a criterion nobody answered
/// or whose influence vanishes identically.
struct Coefficients {
    beta: Vec<f64>,
    gamma: Vec<f64>,
    beta_score: Vec<f64>,
    gamma_score: Vec<f64>,
    /// `1/D_k` and `p_k/D_k`: a criterion's own index.
    criterion_beta: Vec<f64>,
    criterion_gamma: Vec<f64>,
    /// `1/D_k` and `m_k/D_k`: a criterion's own mean score.
    criterion_beta_score: Vec<f64>,
    criterion_gamma_score: Vec<f64>,
    /// `element_mask[e][l]` is 1 when criterion l is in element e, else 0.
    element_mask: Vec<Vec<f64>>,
}

/// A sum of squares `S = n·Σ_i q_i² − (Σ_i q_i)²` (that is `n_h` times the centred sum
/// of squares), kept in parts: `positive` and `cross` are the non-negative and the
/// subtracted halves of `Σ q²` (every β, γ ≥ 0), `linear` is `Σ q`.
#[derive(Debug, Default, Clone, Copy)]
struct SumOfSquares {
    positive: f64,
    cross: f64,
    linear: f64,
}

/// The sums of squares of one stratum, for every statistic.
struct StratumSums {
    sipas: SumOfSquares,
    score: SumOfSquares,
    elements: Vec<SumOfSquares>,
    element_scores: Vec<SumOfSquares>,
    criteria: Vec<SumOfSquares>,
    criterion_scores: Vec<SumOfSquares>,
}

impl StratumSums {
    fn new(elements: usize, criteria: usize) -> Self {
        Self {
            sipas: SumOfSquares::default(),
            score: SumOfSquares::default(),
            elements: vec![SumOfSquares::default(); elements],
            element_scores: vec![SumOfSquares::default(); elements],
            criteria: vec![SumOfSquares::default(); criteria],
            criterion_scores: vec![SumOfSquares::default(); criteria],
        }
    }
}

/// Below this fraction of the magnitudes it was computed from, a sum of squares is
/// rounding noise (the exact value is 0): the floating-point error of these sums is
/// about 1e-16 times the number of terms, and a genuine one is at least (1 − p)/4 of it.
const NOISE: f64 = 1e-12;

impl SumOfSquares {
    fn value(&self, n: f64) -> f64 {
        let value = n * (self.positive - self.cross) - self.linear * self.linear;
        let magnitude = n * (self.positive + self.cross) + self.linear * self.linear;
        if value <= NOISE * magnitude {
            0.0
        } else {
            value
        }
    }
}

/// Converts an integer count (below 2^53 in any real survey) for floating-point use;
/// through i64, a single instruction.
#[inline]
fn real(count: u64) -> f64 {
    count as i64 as f64
}

/// The sums of squares of one stratum, read directly off its integer cross-products:
/// for the SIPAS index and the mean score (and each element's block of them), and each
/// criterion's own index and mean score. `Σ_i q_i² = βᵀ[xx]β − 2βᵀ[xr]γ + γᵀ[rr]γ` is a quadratic form in
/// the stratum's cross-products and `Σ_i q_i = β·Σx − γ·Σr`; centring is the rank-one
/// correction `n Σq² − (Σq)²`. Nothing is materialised: one pass over the words.
fn stratum_sums(
    words: &[u64],
    totals: &[[u64; 4]],
    coefficients: &Coefficients,
    element_of: &[usize],
    sums: &mut StratumSums,
) {
    let StratumSums {
        sipas,
        elements,
        score,
        element_scores,
        criteria,
        criterion_scores,
    } = sums;
    *sipas = SumOfSquares::default();
    *score = SumOfSquares::default();
    elements.fill(SumOfSquares::default());
    element_scores.fill(SumOfSquares::default());
    let k_max = totals.len();
    let layout = Layout::new(k_max);
    let Coefficients {
        beta,
        gamma,
        beta_score,
        gamma_score,
        criterion_beta,
        criterion_gamma,
        criterion_beta_score,
        criterion_gamma_score,
        element_mask,
    } = coefficients;
    for k in 0..k_max {
        let [y, r, a, a2] = totals[k];
        let (y, r, a, a2) = (real(y), real(r), real(a), real(a2));
        let e = element_of[k];
        let mask = &element_mask[e];
        let sipas_linear = beta[k] * y - gamma[k] * r;
        sipas.linear += sipas_linear;
        elements[e].linear += sipas_linear;
        let score_linear = beta_score[k] * a - gamma_score[k] * r;
        score.linear += score_linear;
        element_scores[e].linear += score_linear;
        // A criterion's own index and mean score: the diagonal terms only (Σ y² = Σ yr =
        // Σ y, Σ r² = Σ r, Σ ar = Σ a).
        let (b, g) = (criterion_beta[k], criterion_gamma[k]);
        criteria[k] = SumOfSquares {
            positive: b * b * y + g * g * r,
            cross: 2.0 * b * g * y,
            linear: b * y - g * r,
        };
        let (b, g) = (criterion_beta_score[k], criterion_gamma_score[k]);
        criterion_scores[k] = SumOfSquares {
            positive: b * b * a2 + g * g * r,
            cross: 2.0 * b * g * a,
            linear: b * a - g * r,
        };
        if beta[k] == 0.0 && beta_score[k] == 0.0 {
            continue;
        }

        // Symmetric blocks, upper triangle: off-diagonal entries count twice.
        let row = layout.row(k);
        let upper = k + 1..k_max;
        let (yy, rr, aa) = (
            &words[layout.yy + row..][..k_max - k],
            &words[layout.rr + row..][..k_max - k],
            &words[layout.aa + row..][..k_max - k],
        );
        let (mut yy_total, mut yy_block, mut rr_total, mut rr_block) = (0.0, 0.0, 0.0, 0.0);
        let (mut aa_total, mut aa_block, mut rr_score, mut rr_score_block) = (0.0, 0.0, 0.0, 0.0);
        for (offset, l) in upper.clone().enumerate() {
            let (yy, rr, aa) = (
                real(yy[offset + 1]),
                real(rr[offset + 1]),
                real(aa[offset + 1]),
            );
            let t = beta[l] * yy;
            yy_total += t;
            yy_block += t * mask[l];
            let t = gamma[l] * rr;
            rr_total += t;
            rr_block += t * mask[l];
            let t = beta_score[l] * aa;
            aa_total += t;
            aa_block += t * mask[l];
            let t = gamma_score[l] * rr;
            rr_score += t;
            rr_score_block += t * mask[l];
        }
        let (yy_kk, rr_kk, aa_kk) = (real(yy[0]), real(rr[0]), real(aa[0]));
        let sipas_positive = |yy_off: f64, rr_off: f64| {
            beta[k] * (beta[k] * yy_kk + 2.0 * yy_off)
                + gamma[k] * (gamma[k] * rr_kk + 2.0 * rr_off)
        };
        sipas.positive += sipas_positive(yy_total, rr_total);
        elements[e].positive += sipas_positive(yy_block, rr_block);
        let score_positive = |aa_off: f64, rr_off: f64| {
            beta_score[k] * (beta_score[k] * aa_kk + 2.0 * aa_off)
                + gamma_score[k] * (gamma_score[k] * rr_kk + 2.0 * rr_off)
        };
        score.positive += score_positive(aa_total, rr_score);
        element_scores[e].positive += score_positive(aa_block, rr_score_block);

        // Full squares Σ x_k r_l: the cross terms 2·β_k γ_l Σ x_k r_l.
        let yr = &words[layout.yr + k * k_max..][..k_max];
        let ar = &words[layout.ar + k * k_max..][..k_max];
        let (mut yr_total, mut yr_block, mut ar_total, mut ar_block) = (0.0, 0.0, 0.0, 0.0);
        for l in 0..k_max {
            let t = gamma[l] * real(yr[l]);
            yr_total += t;
            yr_block += t * mask[l];
            let t = gamma_score[l] * real(ar[l]);
            ar_total += t;
            ar_block += t * mask[l];
        }
        sipas.cross += 2.0 * beta[k] * yr_total;
        elements[e].cross += 2.0 * beta[k] * yr_block;
        score.cross += 2.0 * beta_score[k] * ar_total;
        element_scores[e].cross += 2.0 * beta_score[k] * ar_block;
    }
}

/// True when every answer in the stratum is the same for each criterion: then every
/// influence value equals its stratum mean and the stratum adds exactly nothing.
fn constant_stratum(n: u64, totals: &[[u64; 4]]) -> bool {
    totals
        .iter()
        .all(|&[y, r, a, a2]| constant_criterion(n, y, r, a, a2))
}

fn constant_criterion(n: u64, y: u64, r: u64, a: u64, a2: u64) -> bool {
    (y == 0 || y == n)
        && (r == 0 || r == n)
        && u128::from(a) * u128::from(a) == u128::from(a2) * u128::from(n)
}

pub(crate) fn compute(
    shape: &QuestionnaireShape,
    design: &Design<'_>,
    workspace: &mut Workspace,
) -> Result<UnitMoments, StatisticsError> {
    let resolved = resolve(shape, design, &mut workspace.pooled)?;
    let criteria = shape.criteria();
    let elements = shape.elements();
    let element_of = shape.element_map();
    let strata = &resolved.strata;
    let n: u64 = strata.iter().map(|stratum| stratum.n).sum();
    let layout = Layout::new(criteria);

    // Per-stratum sums are diagonals of the cross-products (y ≤ r, r² = r): Σ y, Σ r,
    // Σ a, Σ a².
    let totals: Vec<Vec<[u64; 4]>> = strata
        .iter()
        .map(|stratum| {
            let words = stratum.words;
            (0..criteria)
                .map(|k| {
                    let row = layout.row(k);
                    [
                        words[layout.yy + row],
                        words[layout.rr + row],
                        words[layout.ar + k * criteria + k],
                        words[layout.aa + row],
                    ]
                })
                .collect()
        })
        .collect();

    // Unit totals, unweighted and weighted: D_k = Σ w r, Σ w y, Σ w a.
    let mut unit = vec![[0u64; 4]; criteria];
    let mut weighted = vec![[0.0f64; 3]; criteria];
    for (stratum, totals) in strata.iter().zip(&totals) {
        for (k, sums) in totals.iter().enumerate() {
            for (total, &sum) in unit[k].iter_mut().zip(sums) {
                *total += sum;
            }
            let [y, r, a, _] = *sums;
            weighted[k][0] += stratum.weight * real(y);
            weighted[k][1] += stratum.weight * real(r);
            weighted[k][2] += stratum.weight * real(a);
        }
    }

    // The answered criteria carry every estimate; the others are left out of their
    // element's mean, and an element without one is left out of the SIPAS mean.
    let answered = |k: usize| unit[k][1] > 0;
    let index: Vec<Option<f64>> = (0..criteria)
        .map(|k| answered(k).then(|| weighted[k][0] / weighted[k][1]))
        .collect();
    let score: Vec<Option<f64>> = (0..criteria)
        .map(|k| answered(k).then(|| weighted[k][2] / weighted[k][1]))
        .collect();
    let mut answered_in_element = vec![0usize; elements];
    for k in (0..criteria).filter(|&k| answered(k)) {
        answered_in_element[element_of[k]] += 1;
    }
    let answered_elements = answered_in_element.iter().filter(|&&c| c > 0).count();
    let mean_by_element = |values: &[Option<f64>]| -> Vec<Option<f64>> {
        let mut sums = vec![0.0; elements];
        for (k, value) in values.iter().enumerate() {
            if let Some(value) = value {
                sums[element_of[k]] += value;
            }
        }
        sums.iter()
            .zip(&answered_in_element)
            .map(|(&sum, &count)| (count > 0).then(|| sum / count as f64))
            .collect()
    };
    let element_index = mean_by_element(&index);
    let element_score = mean_by_element(&score);
    let overall = |by_element: &[Option<f64>]| -> Option<f64> {
        (answered_elements > 0)
            .then(|| by_element.iter().flatten().sum::<f64>() / answered_elements as f64)
    };
    let sipas_estimate = overall(&element_index);
    let score_estimate = overall(&element_score);

    // Influence coefficients: u_i = w_i Σ_k c_k (x_ik − p_k r_ik) / D_k with
    // c_k = 1/(E'·K'_e) the weight of criterion k in the mean of means. A criterion whose
    // influence is identically zero gets zero coefficients, decided on exact counts
    // (p_k = 0 or 1 for the indices, every answer the same for the mean score), so it
    // adds exact zeros rather than rounding noise.
    let mut coefficients = Coefficients {
        beta: vec![0.0; criteria],
        gamma: vec![0.0; criteria],
        beta_score: vec![0.0; criteria],
        gamma_score: vec![0.0; criteria],
        criterion_beta: vec![0.0; criteria],
        criterion_gamma: vec![0.0; criteria],
        criterion_beta_score: vec![0.0; criteria],
        criterion_gamma_score: vec![0.0; criteria],
        element_mask: (0..elements)
            .map(|e| {
                element_of
                    .iter()
                    .map(|&of| f64::from(u8::from(of == e)))
                    .collect()
            })
            .collect(),
    };
    for k in (0..criteria).filter(|&k| answered(k)) {
        let [y, r, a, a2] = unit[k];
        let (p, mean) = (index[k].unwrap_or(0.0), score[k].unwrap_or(0.0));
        let denominator = weighted[k][1];
        let c = 1.0 / (answered_elements * answered_in_element[element_of[k]]) as f64;
        let b = c / denominator;
        if y != 0 && y != r {
            coefficients.beta[k] = b;
            coefficients.gamma[k] = b * p;
            coefficients.criterion_beta[k] = 1.0 / denominator;
            coefficients.criterion_gamma[k] = p / denominator;
        }
        if u128::from(a) * u128::from(a) != u128::from(a2) * u128::from(r) {
            coefficients.beta_score[k] = b;
            coefficients.gamma_score[k] = b * mean;
            coefficients.criterion_beta_score[k] = 1.0 / denominator;
            coefficients.criterion_gamma_score[k] = mean / denominator;
        }
    }

    // v = Σ_h (1 − f_h)·n_h/(n_h − 1)·w_h²·Σ_i (q_i − q̄_h)² = Σ_h (1 − f_h)·w_h²/(n_h − 1)·S_h
    // with S_h = n_h·Σ_i (q_i − q̄_h)²; v₀ the same without (1 − f_h).
    let mut sipas_v = (0.0, 0.0);
    let mut score_v = (0.0, 0.0);
    let mut element_v = vec![(0.0, 0.0); elements];
    let mut element_score_v = vec![(0.0, 0.0); elements];
    let mut criterion_v = vec![(0.0, 0.0); criteria];
    let mut criterion_score_v = vec![(0.0, 0.0); criteria];
    let variance_defined = n >= 2;
    if variance_defined && answered_elements > 0 {
        let mut sums = StratumSums::new(elements, criteria);
        for (stratum, totals) in strata.iter().zip(&totals) {
            if stratum.n < 2 || constant_stratum(stratum.n, totals) {
                continue;
            }
            stratum_sums(stratum.words, totals, &coefficients, element_of, &mut sums);
            let n_h = real(stratum.n);
            let scale = stratum.weight * stratum.weight / (n_h - 1.0);
            let fpc = 1.0 - stratum.fraction;
            let add = |target: &mut (f64, f64), sums: &SumOfSquares| {
                let contribution = scale * sums.value(n_h);
                target.0 += fpc * contribution;
                target.1 += contribution;
            };
            add(&mut sipas_v, &sums.sipas);
            add(&mut score_v, &sums.score);
            for (target, sums) in element_v.iter_mut().zip(&sums.elements) {
                add(target, sums);
            }
            for (target, sums) in element_score_v.iter_mut().zip(&sums.element_scores) {
                add(target, sums);
            }
            for k in 0..criteria {
                let [y, r, a, a2] = totals[k];
                if !constant_criterion(stratum.n, y, r, a, a2) {
                    add(&mut criterion_v[k], &sums.criteria[k]);
                    add(&mut criterion_score_v[k], &sums.criterion_scores[k]);
                }
            }
        }
    }

    let moments = |estimate: Option<f64>, (v, v0): (f64, f64)| match estimate {
        None => Moments::UNDEFINED,
        Some(estimate) => Moments {
            estimate: Some(estimate),
            variance: variance_defined.then_some(v),
            variance_without_fpc: variance_defined.then_some(v0),
        },
    };
    // An element's own coefficients are 1/K'_e = E'·c_k: its variance is E'² times its block.
    let e2 = (answered_elements * answered_elements) as f64;
    let by_element = |estimates: &[Option<f64>], variances: &[(f64, f64)]| -> Vec<Moments> {
        estimates
            .iter()
            .zip(variances)
            .map(|(&estimate, &(v, v0))| moments(estimate, (e2 * v, e2 * v0)))
            .collect()
    };
    let element_moments = by_element(&element_index, &element_v);
    let element_score_moments = by_element(&element_score, &element_score_v);
    let criterion_moments = (0..criteria)
        .map(|k| CriterionMoments {
            answered: unit[k][1],
            satisfied: unit[k][0],
            index: moments(index[k], criterion_v[k]),
            mean_score: moments(score[k], criterion_score_v[k]),
        })
        .collect();

    Ok(UnitMoments {
        n,
        population: resolved.population,
        strata: strata.iter().filter(|stratum| stratum.n > 0).count(),
        stratum_merged: resolved.merged,
        sipas: moments(sipas_estimate, sipas_v),
        mean_score: moments(score_estimate, score_v),
        elements: element_moments,
        element_mean_scores: element_score_moments,
        criteria: criterion_moments,
    })
}
