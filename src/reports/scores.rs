//! Scores: every unit's satisfaction index with its interval and PAR points, and the
//! stratified aggregate over the listed units (docs/api.md, `UnitScore`).

use std::collections::HashSet;

use serde::Serialize;
use sipas_domain::statistics::{self, Estimate, LeftOutReason, ParPoints};
use utoipa::ToSchema;

use super::UnitSelection;
use crate::scores::{CampaignScores, UnitScores};

/// A figure with its uncertainty; `null` where undefined (the domain's `Estimate`). An
/// index's interval is Wilson's (docs/statistics.md); a mean score's is
/// `estimate ± t_df · se`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EstimateDoc {
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    pub df: Option<u64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

/// A unit's PAR Index points from the survey: the SIPAS index × the survey's maximum
/// points for its unit type, and the interval likewise (the domain's `ParPoints`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ParPointsDoc {
    pub survey_max_points: f64,
    pub points: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct ElementScore {
    pub code: String,
    #[serde(flatten)]
    #[schema(inline, value_type = EstimateDoc)]
    pub index: Estimate,
    /// The element's mean score (1–5) with its interval, as the unit's `mean_score`.
    #[schema(value_type = EstimateDoc)]
    pub mean_score: Estimate,
}

#[derive(Serialize, ToSchema)]
pub struct CriterionScore {
    pub code: String,
    pub element: String,
    pub answered: u64,
    pub satisfied: u64,
    pub estimate: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub method: String,
    /// The criterion's mean score (1–5) with its interval, as the unit's `mean_score`.
    #[schema(value_type = EstimateDoc)]
    pub mean_score: Estimate,
}

#[derive(Serialize, ToSchema)]
pub struct UnitScore {
    pub unit_code: String,
    pub unit_name: String,
    pub unit_type: String,
    pub parent_code: Option<String>,
    pub n: u64,
    pub population: Option<u64>,
    pub quota: Option<u64>,
    pub strata: usize,
    #[schema(value_type = EstimateDoc)]
    pub sipas: Estimate,
    #[schema(value_type = EstimateDoc)]
    pub mean_score: Estimate,
    /// In the list only with `detail=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elements: Option<Vec<ElementScore>>,
    /// In the list only with `detail=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criteria: Option<Vec<CriterionScore>>,
    /// Null for a unit type the campaign's PAR scheme gives no survey points.
    #[schema(value_type = Option<ParPointsDoc>)]
    pub par: Option<ParPoints>,
    pub flags: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeftOut {
    pub unit_code: String,
    /// `no_frame`, `no_responses` or `no_variance`.
    pub reason: String,
}

impl LeftOut {
    pub fn new(unit_code: String, reason: LeftOutReason) -> LeftOut {
        LeftOut {
            unit_code,
            reason: match reason {
                LeftOutReason::NoFrame => "no_frame",
                LeftOutReason::NoResponses => "no_responses",
                LeftOutReason::NoVariance => "no_variance",
            }
            .to_owned(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Aggregate {
    pub n: u64,
    pub population: u64,
    pub units_included: usize,
    pub strata: usize,
    #[schema(value_type = EstimateDoc)]
    pub sipas: Estimate,
    #[schema(value_type = EstimateDoc)]
    pub mean_score: Estimate,
    pub left_out: Vec<LeftOut>,
}

#[derive(Serialize, ToSchema)]
pub struct CampaignScoresView {
    pub campaign: String,
    pub confidence: f64,
    pub method: String,
    /// The channels whose responses count here.
    pub channels: Vec<&'static str>,
    /// The published snapshot served, or null for live figures.
    pub snapshot: Option<u32>,
    /// Live figures change as responses arrive; a published snapshot does not.
    pub provisional: bool,
    /// Identifies the statistics behind these figures; `sipas recompute` prints the
    /// same value for the campaign's official scores when it rebuilds them.
    pub statistics_digest: String,
    pub units: Vec<UnitScore>,
    pub aggregate: Aggregate,
}

/// One unit's scores, with elements and criteria when `detail`.
pub fn unit_score(scores: &CampaignScores, unit: &UnitScores, detail: bool) -> UnitScore {
    let q = &scores.questionnaire;
    let r = &unit.result;
    let elements = detail.then(|| {
        q.elements
            .iter()
            .zip(&r.elements)
            .map(|(e, result)| ElementScore {
                code: e.code.clone(),
                index: result.index,
                mean_score: result.mean_score,
            })
            .collect()
    });
    let criteria = detail.then(|| {
        q.criteria()
            .zip(&r.criteria)
            .map(|((e, c), result)| CriterionScore {
                code: c.code.clone(),
                element: q.elements[e].code.clone(),
                answered: result.answered,
                satisfied: result.satisfied,
                estimate: result.estimate,
                ci_low: result.ci_low,
                ci_high: result.ci_high,
                method: result.method.as_str().to_owned(),
                mean_score: result.mean_score,
            })
            .collect()
    });
    UnitScore {
        unit_code: unit.unit.code.clone(),
        unit_name: unit.unit.name.clone(),
        unit_type: unit.unit.unit_type.clone(),
        parent_code: unit.unit.parent_code.clone(),
        n: r.n,
        population: r.population,
        quota: unit.quota,
        strata: r.strata,
        sipas: r.sipas,
        mean_score: r.mean_score,
        elements,
        criteria,
        par: unit.unit.survey_max_points.map(|max| r.par(max)),
        flags: r.flags.iter().map(|f| f.as_str().to_owned()).collect(),
    }
}

/// The units of `scores` a selection lists; `None` when it names a unit the campaign's
/// structure does not have.
pub fn select<'a>(
    scores: &'a CampaignScores,
    selection: &UnitSelection,
) -> Option<Vec<&'a UnitScores>> {
    let on = scores.campaign.units_on;
    let under: Option<HashSet<i32>> = match &selection.under {
        Some(code) => {
            let root = scores.tree.resolve(code, on)?;
            Some(
                scores
                    .tree
                    .subtree(root, on)
                    .into_iter()
                    .filter(|id| *id != root)
                    .collect(),
            )
        }
        None => None,
    };
    Some(
        scores
            .units
            .iter()
            .filter(|u| {
                selection
                    .unit_type
                    .as_ref()
                    .is_none_or(|t| &u.unit.unit_type == t)
            })
            .filter(|u| under.as_ref().is_none_or(|w| w.contains(&u.unit.id)))
            .collect(),
    )
}

/// Every selected unit's scores with the stratified aggregate over them.
pub fn campaign_scores(
    scores: &CampaignScores,
    listed: &[&UnitScores],
    detail: bool,
) -> CampaignScoresView {
    let query = scores.query;
    let group = statistics::aggregate(listed.iter().map(|u| &u.moments), query.options.confidence);
    CampaignScoresView {
        campaign: scores.campaign.code.clone(),
        confidence: query.options.confidence.level(),
        method: query.options.method.as_str().to_owned(),
        channels: query.channels.names(),
        snapshot: scores.snapshot,
        provisional: scores.snapshot.is_none(),
        statistics_digest: scores.digest.clone(),
        units: listed
            .iter()
            .map(|u| unit_score(scores, u, detail))
            .collect(),
        aggregate: Aggregate {
            n: group.n,
            population: group.population,
            units_included: group.units_included,
            strata: group.strata,
            sipas: group.sipas,
            mean_score: group.mean_score,
            left_out: group
                .left_out
                .iter()
                .map(|l| LeftOut::new(listed[l.unit].unit.code.clone(), l.reason))
                .collect(),
        },
    }
}
