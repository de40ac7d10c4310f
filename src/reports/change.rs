//! Change between two rounds (docs/statistics.md, "Change between two rounds"): a
//! unit's SIPAS index in a later campaign against the same unit in an earlier one, or,
//! across the 2025 reform, against the group of old units that merged into it (the
//! crosswalk), with the MOVER interval of the difference. Built once here for the API
//! and, later, the dashboard.

use serde::Serialize;
use sipas_domain::statistics::{self, Change, Estimate, LeftOutReason};

use utoipa::ToSchema;

use super::scores::LeftOut;
use crate::scores::{CampaignScores, UnitScores};

/// One side's figure: the estimate and its interval.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Figure {
    pub estimate: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

impl From<&Estimate> for Figure {
    fn from(e: &Estimate) -> Self {
        Figure {
            estimate: e.estimate,
            ci_low: e.ci_low,
            ci_high: e.ci_high,
        }
    }
}

/// The earlier round: the unit itself, or the group of its predecessors.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangeFrom {
    pub campaign: String,
    pub template: String,
    /// The units compared against, valid in that campaign's structure, in code order.
    pub units: Vec<String>,
    /// Predecessors left out of the group, with why (`no_frame`, `no_responses`,
    /// `no_variance`).
    pub left_out: Vec<LeftOut>,
    /// Responses counted.
    pub n: u64,
    pub estimate: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangeTo {
    pub campaign: String,
    pub template: String,
    pub unit_code: String,
    pub unit_name: String,
    pub n: u64,
    pub estimate: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

/// An element's change (elements are compared by their place, 1–5, which both
/// methods share).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ElementChange {
    /// 1-based place of the element in both questionnaires.
    pub element: usize,
    pub from_code: String,
    pub to_code: String,
    pub name_vi: String,
    pub name_en: String,
    pub from: Figure,
    pub to: Figure,
    #[schema(value_type = Option<ChangeDoc>)]
    pub change: Option<Change>,
}

/// The change `Δ = I₂ − I₁` with its MOVER interval (the domain's `Change`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ChangeDoc {
    pub estimate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Only when the interval excludes 0; otherwise "no clear change", whatever the sign.
    pub significant: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangeView {
    /// The confidence of both rounds' intervals and of the change's.
    pub confidence: f64,
    /// `same_unit`: the unit existed in both rounds; `predecessors`: it is compared
    /// with the units it came from (the crosswalk).
    pub comparison: String,
    pub from: ChangeFrom,
    pub to: ChangeTo,
    /// The SIPAS index's change; null when either side has no interval.
    #[schema(value_type = Option<ChangeDoc>)]
    pub change: Option<Change>,
    pub elements: Vec<ElementChange>,
    /// `approximate_predecessor` (an old unit was split between several new ones),
    /// `different_questionnaires`, `predecessors_left_out`, `no_interval`.
    pub flags: Vec<String>,
    /// What the comparison may and may not be read for.
    pub notes: Vec<String>,
}

/// Why a change cannot be computed.
#[derive(Debug)]
pub enum ChangeError {
    /// The unit has no scores in the later campaign.
    UnitNotScored(String),
    /// Nothing in the earlier campaign's structure leads to the unit.
    NoPredecessor(String),
    /// The campaign compared with does not start earlier.
    NotEarlier(String),
}

/// The change of `unit_code` from the campaign `from` to the campaign `to`, both
/// computed at the same confidence.
pub fn change(
    from: &CampaignScores,
    to: &CampaignScores,
    unit_code: &str,
) -> Result<ChangeView, ChangeError> {
    if from.campaign.starts_on >= to.campaign.starts_on {
        return Err(ChangeError::NotEarlier(format!(
            "campaign {} starts on {}, not before campaign {} ({}): compare with an earlier campaign",
            from.campaign.code, from.campaign.starts_on, to.campaign.code, to.campaign.starts_on
        )));
    }
    let target = to
        .units
        .iter()
        .find(|u| u.unit.code == unit_code)
        .ok_or_else(|| {
            ChangeError::UnitNotScored(format!(
                "unit {unit_code} has neither a frame nor responses in campaign {}",
                to.campaign.code
            ))
        })?;
    let predecessors = to
        .tree
        .predecessors(target.unit.id, from.campaign.units_on)
        .ok_or_else(|| {
            ChangeError::NoPredecessor(format!(
                "unit {unit_code} of campaign {} has no predecessor among the units of campaign {} (valid on {})",
                to.campaign.code, from.campaign.code, from.campaign.units_on
            ))
        })?;
    let mut flags = Vec::new();
    let mut notes = Vec::new();
    if predecessors.approximate {
        flags.push("approximate_predecessor".to_owned());
        notes.push("An old unit was split between several new ones and counts whole in each: the predecessor group covers more than this unit did.".to_owned());
    }
    let by_id: std::collections::HashMap<i32, &UnitScores> =
        from.units.iter().map(|u| (u.unit.id, u)).collect();
    let code_of = |id: i32| to.tree.node(id).map(|n| n.code.clone()).unwrap_or_default();
    let scored: Vec<&UnitScores> = predecessors
        .units
        .iter()
        .filter_map(|id| by_id.get(id).copied())
        .collect();
    let mut left_out: Vec<LeftOut> = predecessors
        .units
        .iter()
        .filter(|id| !by_id.contains_key(id))
        .map(|id| LeftOut::new(code_of(*id), LeftOutReason::NoResponses))
        .collect();
    let confidence = to.query.options.confidence;
    // One predecessor, whole: its own published figures. Several: the group estimate
    // with the units as strata.
    let (n, sipas, elements): (u64, Estimate, Vec<Estimate>) =
        if predecessors.units.len() == 1 && scored.len() == 1 {
            let r = &scored[0].result;
            (r.n, r.sipas, r.elements.iter().map(|e| e.index).collect())
        } else {
            let group = statistics::aggregate(scored.iter().map(|u| &u.moments), confidence);
            for l in &group.left_out {
                left_out.push(LeftOut::new(scored[l.unit].unit.code.clone(), l.reason));
            }
            (group.n, group.sipas, group.elements)
        };
    if !left_out.is_empty() {
        flags.push("predecessors_left_out".to_owned());
    }
    let same_questionnaire = from.questionnaire.code == to.questionnaire.code;
    if !same_questionnaire {
        flags.push("different_questionnaires".to_owned());
        notes.push(format!(
            "{} and {} ask different criteria: the rounds are compared on the SIPAS index and on the elements only, never criterion by criterion.",
            from.questionnaire.code, to.questionnaire.code
        ));
    }
    let change = statistics::change(&sipas, &target.result.sipas);
    if change.is_none() {
        flags.push("no_interval".to_owned());
    }
    let element_changes = if from.questionnaire.elements.len() == to.questionnaire.elements.len() {
        to.questionnaire
            .elements
            .iter()
            .zip(&from.questionnaire.elements)
            .enumerate()
            .filter_map(|(i, (to_element, from_element))| {
                let before = elements.get(i)?;
                let after = &target.result.elements.get(i)?.index;
                Some(ElementChange {
                    element: i + 1,
                    from_code: from_element.code.clone(),
                    to_code: to_element.code.clone(),
                    name_vi: to_element.name.vi.clone(),
                    name_en: to_element.name.en.clone(),
                    from: before.into(),
                    to: after.into(),
                    change: statistics::change(before, after),
                })
            })
            .collect()
    } else {
        notes.push(
            "The questionnaires have different elements: only the SIPAS index is compared."
                .to_owned(),
        );
        Vec::new()
    };
    let units: Vec<String> = predecessors.units.iter().map(|id| code_of(*id)).collect();
    Ok(ChangeView {
        confidence: confidence.level(),
        comparison: if predecessors.same_unit {
            "same_unit"
        } else {
            "predecessors"
        }
        .to_owned(),
        from: ChangeFrom {
            campaign: from.campaign.code.clone(),
            template: from.questionnaire.code.clone(),
            units,
            left_out,
            n,
            estimate: sipas.estimate,
            ci_low: sipas.ci_low,
            ci_high: sipas.ci_high,
        },
        to: ChangeTo {
            campaign: to.campaign.code.clone(),
            template: to.questionnaire.code.clone(),
            unit_code: target.unit.code.clone(),
            unit_name: target.unit.name.clone(),
            n: target.result.n,
            estimate: target.result.sipas.estimate,
            ci_low: target.result.sipas.ci_low,
            ci_high: target.result.sipas.ci_high,
        },
        change,
        elements: element_changes,
        flags,
        notes,
    })
}
