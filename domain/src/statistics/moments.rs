//! Phase one of scoring a unit: point estimates and linearised variances, from the
//! strata's sufficient statistics alone.

use std::borrow::Cow;

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

/// A stratum ready for the variance: its statistics, weight `w_h` and fraction `f_h`.
struct ResolvedStratum<'a> {
    sample: Cow<'a, Accumulator>,
    weight: f64,
    fraction: f64,
}

struct ResolvedDesign<'a> {
    strata: Vec<ResolvedStratum<'a>>,
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

fn pool<'a>(shape: &QuestionnaireShape, samples: &[&'a Accumulator]) -> Cow<'a, Accumulator> {
    match samples {
        [single] => Cow::Borrowed(*single),
        _ => {
            let mut pooled = Accumulator::new(shape);
            for sample in samples {
                pooled.merge(sample).expect("criteria checked");
            }
            Cow::Owned(pooled)
        }
    }
}

/// One stratum for a simple random sample of `N` (or of an unknown population): the
/// ratio estimators do not depend on a constant weight, so `w = 1`.
fn one_stratum<'a>(
    sample: Cow<'a, Accumulator>,
    population: Option<u64>,
    merged: bool,
) -> ResolvedDesign<'a> {
    let fraction = match population {
        Some(population) if population > 0 => sample.responses() as f64 / population as f64,
        _ => 0.0,
    };
    ResolvedDesign {
        strata: vec![ResolvedStratum {
            sample,
            weight: 1.0,
            fraction,
        }],
        population,
        merged,
    }
}

fn resolve<'a>(
    shape: &QuestionnaireShape,
    design: &Design<'a>,
) -> Result<ResolvedDesign<'a>, StatisticsError> {
    match design {
        Design::Pooled {
            samples,
            population,
        } => {
            for sample in samples {
                check_criteria(shape, sample)?;
            }
            let sample = pool(shape, samples);
            if let Some(population) = *population {
                check_frame(sample.responses(), population)?;
            }
            Ok(one_stratum(sample, *population, false))
        }
        Design::Stratified(strata) => {
            for stratum in strata {
                check_criteria(shape, stratum.sample)?;
                check_frame(stratum.sample.responses(), stratum.population)?;
            }
            let population: u64 = strata.iter().map(|stratum| stratum.population).sum();
            let occupied: Vec<&Stratum<'a>> = strata
                .iter()
                .filter(|stratum| stratum.sample.responses() > 0)
                .collect();
            // A stratum with a single respondent has no variance: pool the unit.
            let lonely = occupied.len() > 1
                && occupied
                    .iter()
                    .any(|stratum| stratum.sample.responses() == 1);
            if lonely || occupied.is_empty() {
                let samples: Vec<&Accumulator> =
                    occupied.iter().map(|stratum| stratum.sample).collect();
                return Ok(one_stratum(pool(shape, &samples), Some(population), lonely));
            }
            let strata = occupied
                .into_iter()
                .map(|stratum| {
                    let n_h = stratum.sample.responses() as f64;
                    let population_h = stratum.population as f64;
                    ResolvedStratum {
                        sample: Cow::Borrowed(stratum.sample),
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

/// Scratch buffers reused across units so that scoring a campaign does not allocate
/// per stratum.
#[derive(Debug, Default)]
pub(crate) struct Workspace {
    /// Centred cross-products `n_h Σ x_k x_l − Σ x_k Σ x_l` of one stratum, over the
    /// answered criteria only: yy, yr, rr, aa, ar (row-major squares).
    yy: Vec<f64>,
    yr: Vec<f64>,
    rr: Vec<f64>,
    aa: Vec<f64>,
    ar: Vec<f64>,
    /// Σ y, Σ r, Σ a of the active criteria in the stratum.
    sums: Vec<(u64, u64, u64)>,
}

/// Strata up to this size have every `n·Σxy` and `Σx·Σy` below 2^53 (cross-products are at
/// most 25·n, sums at most 5·n), so centring is exact in f64.
const EXACT_IN_F64: u64 = 1 << 24;

/// `n Σxy − Σx Σy`, exactly: each product is an integer below 2^53 and so is their
/// difference, hence no rounding at all. Exactness makes a stratum in which a criterion
/// is constant contribute exactly zero.
#[inline]
fn centred(n: f64, cross: u64, sum_k: f64, sum_l: f64) -> f64 {
    n * cross as f64 - sum_k * sum_l
}

/// The same for very large strata, in i128 then rounded once.
#[inline]
fn centred_wide(n: u64, cross: u64, sum_k: u64, sum_l: u64) -> f64 {
    (i128::from(n) * i128::from(cross) - i128::from(sum_k) * i128::from(sum_l)) as f64
}

/// Quadratic form `Σ_kl Σ_i d_ik d_il` of influence values `d_ik = β_k y_ik − γ_k r_ik`
/// (centred within the stratum and scaled by `n_h`), split into element blocks.
///
/// Written as `t_kl = β_l A_kl − γ_l B_kl` with `A_kl = Σ d_ik y_il`, `B_kl = Σ d_ik r_il`:
/// when criterion k or l has p = 0 or p = 1 (y ≡ 0 or y ≡ r), `d` is identically zero and
/// this order of operations yields an exact 0 rather than rounding noise, so "no
/// variance" is detected exactly.
#[allow(clippy::too_many_arguments)]
fn quadratic_form(
    m: usize,
    xx: &[f64],
    xr: &[f64],
    rr: &[f64],
    beta: &[f64],
    gamma: &[f64],
    element: &[usize],
    blocks: &mut [f64],
) -> f64 {
    let mut total = 0.0;
    for k in 0..m {
        let (beta_k, gamma_k) = (beta[k], gamma[k]);
        let mut row = 0.0;
        let mut block = 0.0;
        for l in 0..m {
            // Σ r_k x_l is the transpose of Σ x_l r_k.
            let a = beta_k * xx[k * m + l] - gamma_k * xr[l * m + k];
            let b = beta_k * xr[k * m + l] - gamma_k * rr[k * m + l];
            let t = beta[l] * a - gamma[l] * b;
            row += t;
            if element[l] == element[k] {
                block += t;
            }
        }
        total += row;
        blocks[element[k]] += block;
    }
    total
}

/// The diagonal term `t_kk` of the form (a single criterion's own variance).
#[inline]
fn diagonal_term(
    k: usize,
    m: usize,
    xx: &[f64],
    xr: &[f64],
    rr: &[f64],
    beta: f64,
    gamma: f64,
) -> f64 {
    let d = k * m + k;
    let a = beta * xx[d] - gamma * xr[d];
    let b = beta * xr[d] - gamma * rr[d];
    beta * a - gamma * b
}

pub(crate) fn compute(
    shape: &QuestionnaireShape,
    design: &Design<'_>,
    workspace: &mut Workspace,
) -> Result<UnitMoments, StatisticsError> {
    let resolved = resolve(shape, design)?;
    let criteria = shape.criteria();
    let elements = shape.elements();
    let strata = &resolved.strata;
    let n: u64 = strata.iter().map(|s| s.sample.responses()).sum();

    // Weighted totals per criterion: D_k = Σ w r, and Σ w y, Σ w a.
    let mut answered = vec![0u64; criteria];
    let mut satisfied = vec![0u64; criteria];
    let mut weighted = vec![(0.0f64, 0.0f64, 0.0f64); criteria];
    for stratum in strata {
        for k in 0..criteria {
            let (r, y, a) = (
                stratum.sample.answered(k),
                stratum.sample.satisfied(k),
                stratum.sample.score_sum(k),
            );
            answered[k] += r;
            satisfied[k] += y;
            let w = stratum.weight;
            weighted[k].0 += w * y as f64;
            weighted[k].1 += w * r as f64;
            weighted[k].2 += w * a as f64;
        }
    }

    // The answered criteria ("active") carry every estimate; the others are left out of
    // their element's mean, and an element without one is left out of the SIPAS mean.
    let active: Vec<usize> = (0..criteria).filter(|&k| answered[k] > 0).collect();
    let m = active.len();
    let index: Vec<f64> = active
        .iter()
        .map(|&k| weighted[k].0 / weighted[k].1)
        .collect();
    let score: Vec<f64> = active
        .iter()
        .map(|&k| weighted[k].2 / weighted[k].1)
        .collect();
    let element: Vec<usize> = active.iter().map(|&k| shape.element_of(k)).collect();
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

    // Influence coefficients: u_i = w_i Σ_k c_k (y_ik − p_k r_ik) / D_k with
    // c_k = 1/(E'·K'_e) the weight of criterion k in the mean of means.
    let mut beta = Vec::with_capacity(m);
    let mut gamma = Vec::with_capacity(m);
    let mut gamma_score = Vec::with_capacity(m);
    let mut criterion_beta = Vec::with_capacity(m);
    for (i, &k) in active.iter().enumerate() {
        let denominator = weighted[k].1;
        let c = 1.0 / (answered_elements * answered_in_element[element[i]]) as f64;
        let b = c / denominator;
        beta.push(b);
        gamma.push(b * index[i]);
        gamma_score.push(b * score[i]);
        criterion_beta.push(1.0 / denominator);
    }

    // Σ_h (1 − f_h)·w_h²/(n_h − 1)·S_h and the same without (1 − f_h), where S_h is the
    // quadratic form over the stratum's centred cross-products.
    let mut sipas_v = (0.0, 0.0);
    let mut score_v = (0.0, 0.0);
    let mut element_v = vec![(0.0, 0.0); elements];
    let mut criterion_v = vec![(0.0, 0.0); m];
    let mut blocks = vec![0.0; elements];
    let mut score_blocks = vec![0.0; elements];
    let variance_defined = n >= 2;
    if variance_defined {
        for stratum in strata.iter() {
            let n_h = stratum.sample.responses();
            if n_h < 2 {
                continue;
            }
            fill_centred(workspace, &stratum.sample, &active);
            let scale = stratum.weight * stratum.weight / (n_h - 1) as f64;
            let fpc = 1.0 - stratum.fraction;
            let add = |target: &mut (f64, f64), form: f64| {
                let contribution = scale * form.max(0.0);
                target.0 += fpc * contribution;
                target.1 += contribution;
            };
            let ws = &*workspace;
            blocks.fill(0.0);
            let total = quadratic_form(
                m,
                &ws.yy,
                &ws.yr,
                &ws.rr,
                &beta,
                &gamma,
                &element,
                &mut blocks,
            );
            add(&mut sipas_v, total);
            for (target, &form) in element_v.iter_mut().zip(&blocks) {
                add(target, form);
            }
            score_blocks.fill(0.0);
            let total = quadratic_form(
                m,
                &ws.aa,
                &ws.ar,
                &ws.rr,
                &beta,
                &gamma_score,
                &element,
                &mut score_blocks,
            );
            add(&mut score_v, total);
            for i in 0..m {
                let b = criterion_beta[i];
                let form = diagonal_term(i, m, &ws.yy, &ws.yr, &ws.rr, b, b * index[i]);
                add(&mut criterion_v[i], form);
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
    let element_moments = element_index
        .iter()
        .zip(&element_v)
        .map(|(&estimate, &(v, v0))| moments(estimate, (e2 * v, e2 * v0)))
        .collect();
    let mut criterion_moments: Vec<CriterionMoments> = (0..criteria)
        .map(|k| CriterionMoments {
            answered: answered[k],
            satisfied: satisfied[k],
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
        strata: strata.iter().filter(|s| s.sample.responses() > 0).count(),
        stratum_merged: resolved.merged,
        sipas: moments(sipas_estimate, sipas_v),
        mean_score: moments(score_estimate, score_v),
        elements: element_moments,
        element_mean_scores: element_score,
        criteria: criterion_moments,
    })
}

/// Expands a stratum's cross-products over the active criteria into centred squares.
fn fill_centred(workspace: &mut Workspace, sample: &Accumulator, active: &[usize]) {
    let m = active.len();
    let layout: Layout = sample.layout();
    let words = sample.words();
    let n = sample.responses();
    let criteria = layout.criteria;
    for buffer in [
        &mut workspace.yy,
        &mut workspace.yr,
        &mut workspace.rr,
        &mut workspace.aa,
        &mut workspace.ar,
    ] {
        buffer.clear();
        buffer.resize(m * m, 0.0);
    }
    let sums = &mut workspace.sums;
    sums.clear();
    sums.extend(
        active
            .iter()
            .map(|&k| (sample.satisfied(k), sample.answered(k), sample.score_sum(k))),
    );
    let exact_f64 = n <= EXACT_IN_F64;
    let nf = n as f64;
    let centre = |cross: u64, sum_k: u64, sum_l: u64| {
        if exact_f64 {
            centred(nf, cross, sum_k as f64, sum_l as f64)
        } else {
            centred_wide(n, cross, sum_k, sum_l)
        }
    };
    for (i, &k) in active.iter().enumerate() {
        let (y_k, r_k, a_k) = sums[i];
        let row = layout.row(k);
        for (j, &l) in active.iter().enumerate() {
            let (y_l, r_l, a_l) = sums[j];
            let square = k * criteria + l;
            let at = i * m + j;
            workspace.yr[at] = centre(words[layout.yr + square], y_k, r_l);
            workspace.ar[at] = centre(words[layout.ar + square], a_k, r_l);
            // Symmetric blocks: computed once from the upper triangle, mirrored.
            if l >= k {
                let symmetric = row + (l - k);
                let mirror = j * m + i;
                let yy = centre(words[layout.yy + symmetric], y_k, y_l);
                let rr = centre(words[layout.rr + symmetric], r_k, r_l);
                let aa = centre(words[layout.aa + symmetric], a_k, a_l);
                workspace.yy[at] = yy;
                workspace.yy[mirror] = yy;
                workspace.rr[at] = rr;
                workspace.rr[mirror] = rr;
                workspace.aa[at] = aa;
                workspace.aa[mirror] = aa;
            }
        }
    }
}
