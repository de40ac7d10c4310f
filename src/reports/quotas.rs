//! Quotas: each unit's sample size against its responses, with its pace and the margin
//! of error achieved so far (the half-width of its SIPAS interval).

use chrono::NaiveDate;
use serde::Serialize;
use sipas_domain::quota::{QuotaStatus, pace};
use utoipa::ToSchema;

use crate::scores::{CampaignScores, UnitScores};

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitQuota {
    pub unit_code: String,
    pub unit_name: String,
    pub unit_type: String,
    pub parent_code: Option<String>,
    pub population: Option<u64>,
    pub quota: u64,
    /// Counted responses (the campaign's official channels, bots excluded).
    pub responses: u64,
    /// `responses / quota`.
    pub progress: f64,
    /// What a steady pace over the campaign's days would have by today.
    pub expected_by_today: f64,
    /// What the pace so far gives at the end.
    pub projected_at_end: f64,
    /// `met`, `on_track`, `behind` (≥ 80 % projected) or `at_risk`.
    #[schema(value_type = String)]
    pub status: QuotaStatus,
    /// Half-width of the SIPAS index interval so far; null without an interval.
    pub margin_achieved: Option<f64>,
    /// Whether a manager set this quota by hand instead of the frame's.
    pub overridden: bool,
    /// Why they did; null unless `overridden`.
    pub override_reason: Option<String>,
}

/// Every listed unit with a quota (units in the frame), in code order, as of `today`.
pub fn quotas(scores: &CampaignScores, listed: &[&UnitScores], today: NaiveDate) -> Vec<UnitQuota> {
    let campaign = &scores.campaign;
    listed
        .iter()
        .filter_map(|u| {
            let quota = u.quota?;
            let n = u.result.n;
            let pace = pace(n, quota, campaign.starts_on, campaign.ends_on, today);
            Some(UnitQuota {
                unit_code: u.unit.code.clone(),
                unit_name: u.unit.name.clone(),
                unit_type: u.unit.unit_type.clone(),
                parent_code: u.unit.parent_code.clone(),
                population: u.result.population,
                quota,
                responses: n,
                progress: if quota == 0 {
                    1.0
                } else {
                    n as f64 / quota as f64
                },
                expected_by_today: pace.expected_by_today,
                projected_at_end: pace.projected_at_end,
                status: pace.status,
                margin_achieved: u.result.margin_achieved(),
                overridden: u.quota_override.is_some(),
                override_reason: u.quota_override.clone(),
            })
        })
        .collect()
}
