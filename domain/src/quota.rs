//! Sample sizes (quotas) per unit: how many responses a unit needs for the campaign's
//! margin of error at its confidence level (statistics spec, "Quotas").

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuotaMethod {
    /// Cochran with finite-population correction (the default).
    Cochran,
    /// Yamane `N / (1 + N e²)`, the formula of the ministry's guidance.
    Yamane,
}

impl QuotaMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cochran => "cochran",
            Self::Yamane => "yamane",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "cochran" => Some(Self::Cochran),
            "yamane" => Some(Self::Yamane),
            _ => None,
        }
    }
}

/// What a campaign asks of its sample: a confidence level in (0, 1) and a margin of
/// error in (0, 0.5]. Built only through [`SampleDesign::new`], so the quantile below
/// never sees a level statrs would panic on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleDesign {
    confidence: f64,
    margin: f64,
    method: QuotaMethod,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SampleDesignError {
    #[error("confidence must be strictly between 0 and 1 (for example 0.95), got {0}")]
    Confidence(f64),
    #[error("margin must be greater than 0 and at most 0.5 (for example 0.05), got {0}")]
    Margin(f64),
}

impl SampleDesign {
    pub fn new(
        confidence: f64,
        margin: f64,
        method: QuotaMethod,
    ) -> Result<Self, SampleDesignError> {
        if !(confidence > 0.0 && confidence < 1.0) {
            return Err(SampleDesignError::Confidence(confidence));
        }
        if !(margin > 0.0 && margin <= 0.5) {
            return Err(SampleDesignError::Margin(margin));
        }
        Ok(Self {
            confidence,
            margin,
            method,
        })
    }

    pub fn confidence(&self) -> f64 {
        self.confidence
    }

    pub fn margin(&self) -> f64 {
        self.margin
    }

    pub fn method(&self) -> QuotaMethod {
        self.method
    }

    /// The quota of a unit with `population` completed dossiers (`None`: unknown, no
    /// finite-population correction), never below `floor` and never above N.
    pub fn quota(&self, population: Option<u64>, floor: u32) -> u64 {
        let e = self.margin;
        let raw = match (self.method, population) {
            (QuotaMethod::Cochran, _) | (QuotaMethod::Yamane, None) => {
                let z = Normal::standard().inverse_cdf(1.0 - (1.0 - self.confidence) / 2.0);
                let n0 = z * z * 0.25 / (e * e);
                match population {
                    Some(n) => n0 / (1.0 + (n0 - 1.0) / n as f64),
                    None => n0,
                }
            }
            (QuotaMethod::Yamane, Some(n)) => n as f64 / (1.0 + n as f64 * e * e),
        };
        let quota = ((raw - 1e-9).ceil() as u64).max(u64::from(floor));
        match population {
            Some(n) => quota.min(n),
            None => quota,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cochran_matches_hand_computation() {
        let d = SampleDesign::new(0.95, 0.05, QuotaMethod::Cochran).unwrap();
        // z = 1.959963984540054, n0 = 384.14588206941244
        assert_eq!(d.quota(None, 0), 385);
        // n = 384.1459 / (1 + 383.1459/120) = 91.45… → 92 (the quota in api.md's example)
        assert_eq!(d.quota(Some(120), 0), 92);
        // 1000: 384.1459 / 1.3831459 = 277.74… → 278
        assert_eq!(d.quota(Some(1000), 0), 278);
    }

    #[test]
    fn yamane_matches_the_guidance_formula() {
        let d = SampleDesign::new(0.95, 0.05, QuotaMethod::Yamane).unwrap();
        // 1000 / (1 + 1000 · 0.0025) = 285.714… → 286
        assert_eq!(d.quota(Some(1000), 0), 286);
        // 400 / 2 = 200 exactly: no spurious rounding up
        assert_eq!(d.quota(Some(400), 0), 200);
    }

    #[test]
    fn floor_applies_but_never_above_population() {
        let d = SampleDesign::new(0.95, 0.2, QuotaMethod::Cochran).unwrap();
        assert_eq!(d.quota(Some(1000), 25), 25);
        assert_eq!(d.quota(Some(12), 25), 12);
        assert_eq!(d.quota(Some(0), 25), 0);
    }

    #[test]
    fn refuses_levels_that_would_panic() {
        for c in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
            assert!(SampleDesign::new(c, 0.05, QuotaMethod::Cochran).is_err());
        }
        for e in [0.0, 0.6, f64::NAN] {
            assert!(SampleDesign::new(0.95, e, QuotaMethod::Cochran).is_err());
        }
    }
}
