//! The confidence level, the criterion interval method, and the exact quantiles.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use statrs::distribution::{Beta, ChiSquared, Continuous, ContinuousCDF, Normal, StudentsT};

use super::StatisticsError;

/// A confidence level strictly between 0 and 1. Validated once, here, because statrs'
/// `inverse_cdf` panics outside [0, 1]: nothing downstream has to check again.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Confidence(f64);

impl Confidence {
    /// The campaign default.
    pub const DEFAULT: Confidence = Confidence(0.95);

    pub fn new(level: f64) -> Result<Self, StatisticsError> {
        // `0.0 < level && level < 1.0` is false for NaN too.
        if level > 0.0 && level < 1.0 {
            Ok(Self(level))
        } else {
            Err(StatisticsError::InvalidConfidence(level.to_string()))
        }
    }

    pub fn level(self) -> f64 {
        self.0
    }

    /// α = 1 − confidence.
    pub fn alpha(self) -> f64 {
        1.0 - self.0
    }
}

impl Default for Confidence {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl FromStr for Confidence {
    type Err = StatisticsError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let level: f64 = text
            .trim()
            .parse()
            .map_err(|_| StatisticsError::InvalidConfidence(text.to_owned()))?;
        Self::new(level).map_err(|_| StatisticsError::InvalidConfidence(text.to_owned()))
    }
}

impl TryFrom<f64> for Confidence {
    type Error = StatisticsError;
    fn try_from(level: f64) -> Result<Self, Self::Error> {
        Self::new(level)
    }
}

impl From<Confidence> for f64 {
    fn from(confidence: Confidence) -> Self {
        confidence.0
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// How a criterion's interval is computed (`method=` of the scores API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CriterionMethod {
    /// The default: Wilson with finite-population correction and the Brown–Cai–DasGupta
    /// boundary rules (one stratum), Wilson on the effective sample size (stratified).
    #[default]
    WilsonFpc,
    ClopperPearson,
    Jeffreys,
    AgrestiCoull,
    /// Wilson with continuity correction (Newcombe 1998, method 4).
    WilsonCc,
}

impl CriterionMethod {
    pub const ALL: [CriterionMethod; 5] = [
        Self::WilsonFpc,
        Self::ClopperPearson,
        Self::Jeffreys,
        Self::AgrestiCoull,
        Self::WilsonCc,
    ];

    /// The name used by the API and in results.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WilsonFpc => "wilson-fpc",
            Self::ClopperPearson => "clopper-pearson",
            Self::Jeffreys => "jeffreys",
            Self::AgrestiCoull => "agresti-coull",
            Self::WilsonCc => "wilson-cc",
        }
    }
}

impl FromStr for CriterionMethod {
    type Err = StatisticsError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|method| method.as_str() == text)
            .ok_or_else(|| StatisticsError::UnknownMethod(text.to_owned()))
    }
}

impl fmt::Display for CriterionMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn check_probability(p: f64) -> Result<(), StatisticsError> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(StatisticsError::InvalidQuantileArgument(
            "probability outside [0, 1]",
        ))
    }
}

fn check_positive(value: f64, what: &'static str) -> Result<(), StatisticsError> {
    if value > 0.0 && value.is_finite() {
        Ok(())
    } else {
        Err(StatisticsError::InvalidQuantileArgument(what))
    }
}

/// Φ⁻¹(p), the standard normal quantile.
pub fn normal_quantile(p: f64) -> Result<f64, StatisticsError> {
    check_probability(p)?;
    let normal = Normal::standard();
    Ok(normal.inverse_cdf(p))
}

/// The quantile of Student's t with `df` degrees of freedom.
pub fn students_t_quantile(p: f64, df: f64) -> Result<f64, StatisticsError> {
    check_probability(p)?;
    check_positive(df, "degrees of freedom must be positive")?;
    Ok(t_quantile(p, df))
}

/// Above this many degrees of freedom statrs' t quantile drifts (its incomplete beta
/// stops its continued fraction after 140 terms: 3e-9 relative at df = 1,000, 0.17 at
/// df = 10⁷), so the Cornish–Fisher expansion takes over, which there agrees with R's
/// `qt` to a few ulps. Below it statrs agrees with `qt` to 1e-12.
const CORNISH_FISHER_DF: f64 = 500.0;

/// t_df quantile for a valid probability and df > 0.
fn t_quantile(p: f64, df: f64) -> f64 {
    if df < CORNISH_FISHER_DF {
        return StudentsT::new(0.0, 1.0, df)
            .expect("positive degrees of freedom")
            .inverse_cdf(p);
    }
    // Abramowitz & Stegun 26.7.5: t = z + g1/ν + g2/ν² + g3/ν³ + g4/ν⁴.
    let z = Normal::standard().inverse_cdf(p);
    let z2 = z * z;
    let g1 = z * (z2 + 1.0) / 4.0;
    let g2 = z * ((5.0 * z2 + 16.0) * z2 + 3.0) / 96.0;
    let g3 = z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / 384.0;
    let g4 = z * ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) / 92160.0;
    z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df
}

/// χ²_df quantile for a probability in (0, 1) and df > 0: statrs' quantile (a Newton
/// search stopped at about 1e-10 relative, and far off for tiny p with df < 2), polished
/// by Newton steps on statrs' own cdf and density. In the lower half the steps are taken
/// on `ln F` against `ln x`, where the cdf behaves like a power of `x` and the plain
/// Newton step would overshoot below 0.
fn chi_squared_quantile_unchecked(p: f64, df: f64) -> f64 {
    let chi = ChiSquared::new(df).expect("positive degrees of freedom");
    let mut x = chi.inverse_cdf(p);
    for _ in 0..64 {
        let (cdf, pdf) = (chi.cdf(x), chi.pdf(x));
        let next = if p < 0.5 {
            x * (-(cdf.ln() - p.ln()) * cdf / (x * pdf)).exp()
        } else {
            x - (cdf - p) / pdf
        };
        if !(next.is_finite() && next > 0.0) {
            break;
        }
        let converged = (next - x).abs() <= 2.0 * f64::EPSILON * x;
        x = next;
        if converged {
            break;
        }
    }
    x
}

/// The quantile of χ² with `df` degrees of freedom.
pub fn chi_squared_quantile(p: f64, df: f64) -> Result<f64, StatisticsError> {
    check_probability(p)?;
    check_positive(df, "degrees of freedom must be positive")?;
    if p == 0.0 || p == 1.0 {
        return Ok(if p == 0.0 { 0.0 } else { f64::INFINITY });
    }
    Ok(chi_squared_quantile_unchecked(p, df))
}

/// The quantile of Beta(a, b); both shapes must be positive (statrs rejects 0).
pub fn beta_quantile(p: f64, a: f64, b: f64) -> Result<f64, StatisticsError> {
    check_probability(p)?;
    check_positive(a, "beta shape a must be positive")?;
    check_positive(b, "beta shape b must be positive")?;
    let beta =
        Beta::new(a, b).map_err(|_| StatisticsError::InvalidQuantileArgument("beta shapes"))?;
    Ok(beta.inverse_cdf(p))
}

/// The quantiles one confidence level needs, computed once per scoring pass.
#[derive(Debug, Clone)]
pub(crate) struct Quantiles {
    pub confidence: Confidence,
    /// z = Φ⁻¹(1 − α/2).
    pub z: f64,
    /// χ²_{2x}(α), lower α quantiles for x = 1, 2, 3 (the Brown–Cai–DasGupta rule).
    chi_squared_lower: [f64; 3],
    /// t_{df}(1 − α/2) by df, filled lazily: units of a campaign share few df values.
    t_by_df: Vec<f64>,
}

impl Quantiles {
    pub fn new(confidence: Confidence) -> Self {
        let alpha = confidence.alpha();
        // Both calls receive probabilities in (0, 1) because `Confidence` is validated.
        let z = Normal::standard().inverse_cdf(1.0 - alpha / 2.0);
        let chi_squared_lower =
            [1.0, 2.0, 3.0].map(|x: f64| chi_squared_quantile_unchecked(alpha, 2.0 * x));
        Self {
            confidence,
            z,
            chi_squared_lower,
            t_by_df: Vec::new(),
        }
    }

    pub fn alpha(&self) -> f64 {
        self.confidence.alpha()
    }

    /// χ²_{2x}(α) for x in 1..=3.
    pub fn chi_squared_lower(&self, x: u64) -> f64 {
        self.chi_squared_lower[(x - 1) as usize]
    }

    /// t_{df}(1 − α/2), df ≥ 1.
    pub fn t(&mut self, df: u64) -> f64 {
        // A cache indexed by df; beyond this size compute directly rather than grow.
        const CACHED_DF: u64 = 1 << 16;
        let compute = |df: u64, alpha: f64| t_quantile(1.0 - alpha / 2.0, df as f64);
        if df >= CACHED_DF {
            return compute(df, self.alpha());
        }
        let i = df as usize;
        if self.t_by_df.len() <= i {
            self.t_by_df.resize(i + 1, f64::NAN);
        }
        if self.t_by_df[i].is_nan() {
            self.t_by_df[i] = compute(df, self.alpha());
        }
        self.t_by_df[i]
    }
}
