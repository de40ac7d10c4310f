//! Phase one of scoring a unit: point estimates and linearised variances, from the
//! strata's sufficient statistics alone.

use serde::Serialize;

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
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CriterionMoments {
    /// `n_k`: responses that answered it (unweighted).
    pub answered: u64,
    /// `x`: of those, satisfied (unweighted).
    pub satisfied: u64,
    /// `p_k` (weighted when stratified) and its linearised variances.
    pub index: Moments,
    /// The weighted mean answer, 1–5.
    pub mean_score: Option<f64>,
}

/// Everything about a unit that does not depend on the confidence level or on the
/// campaign: the output of phase one, the input of `UnitMoments::score`.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// Element mean scores (point estimates), by element.
    pub element_mean_scores: Vec<Option<f64>>,
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
    squares: Squares,
}

/// Centred cross-products `n_h Σ x_k x_l − Σ x_k Σ x_l` of one stratum over the answered
/// criteria (row-major squares); `ry` and `ra` are the transposes of `yr` and `ar`, kept
/// so that every row is read contiguously.
#[derive(Debug, Default)]
struct Squares {
    /// Per stratum and criterion: Σ y, Σ r, Σ a, Σ a².
    totals: Vec<[u64; 4]>,
    yy: Vec<f64>,
    yr: Vec<f64>,
    ry: Vec<f64>,
    rr: Vec<f64>,
    aa: Vec<f64>,
    ar: Vec<f64>,
    ra: Vec<f64>,
}

/// Strata up to this size have every `n·Σxy` and `Σx·Σy` below 2^53 (cross-products are at
/// most 25·n, sums at most 5·n), so centring is exact in f64.
const EXACT_IN_F64: u64 = 1 << 24;

/// `n Σxy − Σx Σy` without rounding: below `EXACT_IN_F64` each product is an integer
/// below 2^53 and so is their difference; above, i128 then one rounding. Exactness makes
/// a stratum in which a criterion is constant contribute exactly zero.
#[inline]
fn centred(n: u64, cross: u64, sum_k: u64, sum_l: u64) -> f64 {
    if n <= EXACT_IN_F64 {
        // i64 (and its one-instruction conversion) is exact here too.
        (n as i64 * cross as i64 - sum_k as i64 * sum_l as i64) as f64
    } else {
        (i128::from(n) * i128::from(cross) - i128::from(sum_k) * i128::from(sum_l)) as f64
    }
}

/// The centred squares of one stratum, in the order of `active`.
fn fill_centred(
    squares: &mut Squares,
    stratum: &ResolvedStratum<'_>,
    totals: &[[u64; 4]],
    active: &[usize],
) {
    let m = active.len();
    let layout = Layout::new(totals.len());
    let criteria = layout.criteria;
    let n = stratum.n;
    let words = stratum.words;
    let Squares {
        yy,
        yr,
        ry,
        rr,
        aa,
        ar,
        ra,
        ..
    } = squares;
    for buffer in [
        &mut *yy, &mut *yr, &mut *ry, &mut *rr, &mut *aa, &mut *ar, &mut *ra,
    ] {
        buffer.clear();
        buffer.resize(m * m, 0.0);
    }
    for (i, &k) in active.iter().enumerate() {
        let [y_k, r_k, a_k, _] = totals[k];
        let row = layout.row(k);
        for (j, &l) in active.iter().enumerate() {
            let [y_l, r_l, a_l, _] = totals[l];
            let (at, transposed) = (i * m + j, j * m + i);
            let square = k * criteria + l;
            let cross_yr = centred(n, words[layout.yr + square], y_k, r_l);
            let cross_ar = centred(n, words[layout.ar + square], a_k, r_l);
            yr[at] = cross_yr;
            ry[transposed] = cross_yr;
            ar[at] = cross_ar;
            ra[transposed] = cross_ar;
            // Symmetric blocks: the upper triangle, mirrored.
            if l >= k {
                let upper = row + (l - k);
                let value = centred(n, words[layout.yy + upper], y_k, y_l);
                yy[at] = value;
                yy[transposed] = value;
                let value = centred(n, words[layout.rr + upper], r_k, r_l);
                rr[at] = value;
                rr[transposed] = value;
                let value = centred(n, words[layout.aa + upper], a_k, a_l);
                aa[at] = value;
                aa[transposed] = value;
            }
        }
    }
}

/// `Σ_l t_kl` over `range` for row `k` of the quadratic form below.
#[inline]
#[allow(clippy::too_many_arguments)]
fn row_terms(
    range: std::ops::Range<usize>,
    beta_k: f64,
    gamma_k: f64,
    xx: &[f64],
    rx: &[f64],
    xr: &[f64],
    rr: &[f64],
    beta: &[f64],
    gamma: &[f64],
) -> f64 {
    let mut sum = 0.0;
    for l in range {
        let a = beta_k * xx[l] - gamma_k * rx[l];
        let b = beta_k * xr[l] - gamma_k * rr[l];
        sum += beta[l] * a - gamma[l] * b;
    }
    sum
}

/// The quadratic form `Σ_kl Σ_i d_ik d_il` of the (centred, `n_h`-scaled) influence values
/// `d_ik = β_k x_ik − γ_k r_ik`, and its diagonal element blocks when `blocks` is given.
/// Each term is `t_kl = β_l A_kl − γ_l B_kl` with `A_kl = Σ_i d_ik x_il` and
/// `B_kl = Σ_i d_ik r_il`; criteria whose `d` vanishes identically (p = 0 or 1, constant
/// answers) come with zero coefficients, so they add exact zeros.
#[allow(clippy::too_many_arguments)]
fn quadratic_form(
    m: usize,
    xx: &[f64],
    xr: &[f64],
    rx: &[f64],
    rr: &[f64],
    beta: &[f64],
    gamma: &[f64],
    element_range: &[std::ops::Range<usize>],
    mut blocks: Option<&mut [f64]>,
) -> f64 {
    let mut total = 0.0;
    for k in 0..m {
        if beta[k] == 0.0 && gamma[k] == 0.0 {
            if let Some(blocks) = blocks.as_deref_mut() {
                blocks[k] = 0.0;
            }
            continue;
        }
        let row = k * m..(k + 1) * m;
        let terms = |range: std::ops::Range<usize>| {
            row_terms(
                range,
                beta[k],
                gamma[k],
                &xx[row.clone()],
                &rx[row.clone()],
                &xr[row.clone()],
                &rr[row.clone()],
                beta,
                gamma,
            )
        };
        let own = element_range[k].clone();
        let block = terms(own.clone());
        total += terms(0..own.start) + block + terms(own.end..m);
        if let Some(blocks) = blocks.as_deref_mut() {
            blocks[k] = block;
        }
    }
    total
}

pub(crate) fn compute(
    shape: &QuestionnaireShape,
    design: &Design<'_>,
    workspace: &mut Workspace,
) -> Result<UnitMoments, StatisticsError> {
    let Workspace { pooled, squares } = workspace;
    let resolved = resolve(shape, design, pooled)?;
    let criteria = shape.criteria();
    let elements = shape.elements();
    let strata = &resolved.strata;
    let n: u64 = strata.iter().map(|stratum| stratum.n).sum();
    let layout = Layout::new(criteria);

    // Per-stratum sums are diagonals of the cross-products (y ≤ r, r² = r).
    squares.totals.clear();
    for stratum in strata {
        let words = stratum.words;
        squares.totals.extend((0..criteria).map(|k| {
            let row = layout.row(k);
            [
                words[layout.yy + row],
                words[layout.rr + row],
                words[layout.ar + k * criteria + k],
                words[layout.aa + row],
            ]
        }));
    }
    let totals = std::mem::take(&mut squares.totals);
    let stratum_totals = |h: usize| &totals[h * criteria..(h + 1) * criteria];

    // Unit totals, unweighted and weighted: D_k = Σ w r, Σ w y, Σ w a.
    let mut unit = vec![[0u64; 4]; criteria];
    let mut weighted = vec![[0.0f64; 3]; criteria];
    for (h, stratum) in strata.iter().enumerate() {
        for (k, sums) in stratum_totals(h).iter().enumerate() {
            for (total, &sum) in unit[k].iter_mut().zip(sums) {
                *total += sum;
            }
            let [y, r, a, _] = *sums;
            weighted[k][0] += stratum.weight * y as f64;
            weighted[k][1] += stratum.weight * r as f64;
            weighted[k][2] += stratum.weight * a as f64;
        }
    }

    // The answered criteria ("active"), grouped by element, carry every estimate; the
    // others are left out of their element's mean, and an element without one is left
    // out of the SIPAS mean.
    let mut active: Vec<usize> = (0..criteria).filter(|&k| unit[k][1] > 0).collect();
    active.sort_by_key(|&k| shape.element_of(k));
    let m = active.len();
    let element: Vec<usize> = active.iter().map(|&k| shape.element_of(k)).collect();
    let element_range: Vec<std::ops::Range<usize>> = (0..m)
        .map(|i| {
            let start = element.iter().position(|&e| e == element[i]).unwrap_or(i);
            let end = element
                .iter()
                .rposition(|&e| e == element[i])
                .map_or(i, |j| j)
                + 1;
            start..end
        })
        .collect();
    let index: Vec<f64> = active
        .iter()
        .map(|&k| weighted[k][0] / weighted[k][1])
        .collect();
    let score: Vec<f64> = active
        .iter()
        .map(|&k| weighted[k][2] / weighted[k][1])
        .collect();
    let mut answered_in_element = vec![0usize; elements];
    for &e in &element {
        answered_in_element[e] += 1;
    }
    let answered_elements = answered_in_element.iter().filter(|&&c| c > 0).count();

    let mean_by_element = |values: &[f64]| -> Vec<Option<f64>> {
        let mut sums = vec![0.0; elements];
        for (i, &value) in values.iter().enumerate() {
            sums[element[i]] += value;
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
    // influence is identically zero gets zero coefficients (decided on exact counts):
    // p_k = 0 or 1 for the indices, every answer the same for the mean score.
    let mut beta = Vec::with_capacity(m);
    let mut gamma = Vec::with_capacity(m);
    let mut beta_score = Vec::with_capacity(m);
    let mut gamma_score = Vec::with_capacity(m);
    let mut criterion_beta = Vec::with_capacity(m);
    for (i, &k) in active.iter().enumerate() {
        let [y, r, a, a2] = unit[k];
        let denominator = weighted[k][1];
        let c = 1.0 / (answered_elements * answered_in_element[element[i]]) as f64;
        let b = c / denominator;
        let varies = y != 0 && y != r;
        let scores_vary = u128::from(a) * u128::from(a) != u128::from(a2) * u128::from(r);
        beta.push(if varies { b } else { 0.0 });
        gamma.push(if varies { b * index[i] } else { 0.0 });
        beta_score.push(if scores_vary { b } else { 0.0 });
        gamma_score.push(if scores_vary { b * score[i] } else { 0.0 });
        criterion_beta.push(if varies { 1.0 / denominator } else { 0.0 });
    }

    // Σ_h (1 − f_h)·w_h²/(n_h − 1)·S_h and the same without (1 − f_h), where S_h is the
    // quadratic form over the stratum's centred cross-products (scaled by n_h, hence
    // w_h²/(n_h − 1) rather than n_h/(n_h − 1)·w_h²/n_h).
    let mut sipas_v = (0.0, 0.0);
    let mut score_v = (0.0, 0.0);
    let mut element_v = vec![(0.0, 0.0); elements];
    let mut criterion_v = vec![(0.0, 0.0); m];
    let mut blocks = vec![0.0; m];
    let variance_defined = n >= 2;
    if variance_defined && m > 0 {
        for (h, stratum) in strata.iter().enumerate() {
            if stratum.n < 2 {
                continue;
            }
            fill_centred(squares, stratum, stratum_totals(h), &active);
            let scale = stratum.weight * stratum.weight / (stratum.n - 1) as f64;
            let fpc = 1.0 - stratum.fraction;
            let add = |target: &mut (f64, f64), form: f64| {
                let contribution = scale * form.max(0.0);
                target.0 += fpc * contribution;
                target.1 += contribution;
            };
            let ws = &*squares;
            let total = quadratic_form(
                m,
                &ws.yy,
                &ws.yr,
                &ws.ry,
                &ws.rr,
                &beta,
                &gamma,
                &element_range,
                Some(&mut blocks),
            );
            add(&mut sipas_v, total);
            let mut by_element = vec![0.0; elements];
            for (i, &block) in blocks.iter().enumerate() {
                by_element[element[i]] += block;
            }
            for (target, &form) in element_v.iter_mut().zip(&by_element) {
                add(target, form);
            }
            let total = quadratic_form(
                m,
                &ws.aa,
                &ws.ar,
                &ws.ra,
                &ws.rr,
                &beta_score,
                &gamma_score,
                &element_range,
                None,
            );
            add(&mut score_v, total);
            for i in 0..m {
                let b = criterion_beta[i];
                let g = b * index[i];
                let d = i * m + i;
                let a = b * ws.yy[d] - g * ws.ry[d];
                let r = b * ws.yr[d] - g * ws.rr[d];
                add(&mut criterion_v[i], b * a - g * r);
            }
        }
    }
    squares.totals = totals;

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
    let element_moments = element_index
        .iter()
        .zip(&element_v)
        .map(|(&estimate, &(v, v0))| moments(estimate, (e2 * v, e2 * v0)))
        .collect();
    let mut criterion_moments: Vec<CriterionMoments> = (0..criteria)
        .map(|k| CriterionMoments {
            answered: unit[k][1],
            satisfied: unit[k][0],
            index: Moments::UNDEFINED,
            mean_score: None,
        })
        .collect();
    for (i, &k) in active.iter().enumerate() {
        criterion_moments[k].index = moments(Some(index[i]), criterion_v[i]);
        criterion_moments[k].mean_score = Some(score[i]);
    }

    Ok(UnitMoments {
        n,
        population: resolved.population,
        strata: strata.iter().filter(|stratum| stratum.n > 0).count(),
        stratum_merged: resolved.merged,
        sipas: moments(sipas_estimate, sipas_v),
        mean_score: moments(score_estimate, score_v),
        elements: element_moments,
        element_mean_scores: element_score,
        criteria: criterion_moments,
    })
}
