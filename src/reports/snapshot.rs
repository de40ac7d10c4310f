//! The published snapshot document (format 1): what a campaign's publication freezes,
//! as the canonical JSON whose SHA-256 is published. Besides the figures exactly as the
//! API serves them, it keeps each unit's moments and the `D_ref` used, so the snapshot
//! can be re-scored later at any confidence level or criterion method, exactly.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sipas_domain::statistics::{DesignEffectReference, PooledDesignEffect, UnitMoments};
use utoipa::ToSchema;

use super::scores::{UnitScore, unit_score};
use crate::scores::CampaignScores;

/// The document format; a reader refuses a format it does not know.
pub const FORMAT: u32 = 1;

/// What a snapshot freezes besides the scores: who publishes it, when, as which
/// version, and each unit's frame by desk code.
pub struct Publication<'a> {
    pub version: u32,
    pub published_at: DateTime<Utc>,
    pub published_by: &'a str,
    /// Each listed unit's frame: its `N`, and `N_h` by desk code when stratified.
    pub frames: BTreeMap<String, Frame>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    pub population: u64,
    /// `N_h` by desk code; absent when the unit's frame is a single `N`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub by_desk: Option<BTreeMap<String, u64>>,
}

#[derive(Serialize, Deserialize)]
pub struct QuestionnaireRef {
    pub code: String,
    pub version: i32,
}

#[derive(Serialize, Deserialize)]
pub struct SnapshotCampaign {
    pub code: String,
    pub name: String,
    pub template: String,
    pub questionnaire: QuestionnaireRef,
    pub units_on: NaiveDate,
    pub confidence: f64,
    pub margin: f64,
    pub quota_method: String,
    pub par_scheme: String,
    /// The channels the official figures count.
    pub channels: Vec<String>,
}

/// `D_ref` of one statistic with the pooled sums it comes from.
#[derive(Serialize)]
pub struct DesignEffect {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(flatten)]
    pub pooled: PooledDesignEffect,
    /// The value used: 1 with too few qualifying units.
    pub value: f64,
}

#[derive(Serialize)]
pub struct DesignEffects {
    pub sipas: DesignEffect,
    pub elements: Vec<DesignEffect>,
}

#[derive(Serialize)]
pub struct SnapshotUnit {
    pub unit_code: String,
    pub unit_name: String,
    pub unit_type: String,
    pub parent_code: Option<String>,
    pub survey_max_points: Option<f64>,
    pub frame: Option<Frame>,
    pub quota: Option<u64>,
    /// Why a manager overrode the quota; null: the frame's.
    pub quota_override_reason: Option<String>,
    /// The official figures, exactly as `GET …/units/{u}/scores` serves them.
    pub score: UnitScore,
    pub moments: UnitMoments,
}

#[derive(Serialize)]
pub struct SnapshotDocument {
    pub format: u32,
    pub campaign: SnapshotCampaign,
    pub version: u32,
    pub published_at: DateTime<Utc>,
    pub published_by: String,
    /// The statistics digest of the official figures (`sipas recompute` prints it).
    pub statistics_digest: String,
    pub d_ref: DesignEffects,
    pub units: Vec<SnapshotUnit>,
}

/// The snapshot document of a campaign's official scores.
pub fn document(scores: &CampaignScores, publication: &Publication<'_>) -> SnapshotDocument {
    let c = &scores.campaign;
    let reference = &scores.design_effect_reference;
    let effect = |code: Option<String>, pooled: &PooledDesignEffect| DesignEffect {
        code,
        pooled: *pooled,
        value: pooled.value(),
    };
    SnapshotDocument {
        format: FORMAT,
        campaign: SnapshotCampaign {
            code: c.code.clone(),
            name: c.name.clone(),
            template: c.template.clone(),
            questionnaire: QuestionnaireRef {
                code: scores.questionnaire.code.clone(),
                version: scores.questionnaire.version,
            },
            units_on: c.units_on,
            confidence: c.design.confidence(),
            margin: c.design.margin(),
            quota_method: c.design.method().as_str().to_owned(),
            par_scheme: c.par_scheme.clone(),
            channels: scores
                .query
                .channels
                .names()
                .into_iter()
                .map(str::to_owned)
                .collect(),
        },
        version: publication.version,
        published_at: publication.published_at,
        published_by: publication.published_by.to_owned(),
        statistics_digest: scores.digest.clone(),
        d_ref: DesignEffects {
            sipas: effect(None, &reference.sipas),
            elements: scores
                .questionnaire
                .elements
                .iter()
                .zip(&reference.elements)
                .map(|(e, pooled)| effect(Some(e.code.clone()), pooled))
                .collect(),
        },
        units: scores
            .units
            .iter()
            .map(|u| SnapshotUnit {
                unit_code: u.unit.code.clone(),
                unit_name: u.unit.name.clone(),
                unit_type: u.unit.unit_type.clone(),
                parent_code: u.unit.parent_code.clone(),
                survey_max_points: u.unit.survey_max_points,
                frame: publication.frames.get(&u.unit.code).cloned(),
                quota: u.quota,
                quota_override_reason: u.quota_override.clone(),
                score: unit_score(scores, u, true),
                moments: u.moments.clone(),
            })
            .collect(),
    }
}

/// The canonical bytes of a document: through `serde_json::Value`, whose maps sort
/// their keys, compact, UTF-8. The same figures give the same bytes on every node.
pub fn canonical(document: &SnapshotDocument) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&serde_json::to_value(document)?)
}

/// What a reader needs back from a stored document to re-score it.
#[derive(Deserialize)]
pub struct StoredDocument {
    pub format: u32,
    pub campaign: SnapshotCampaign,
    pub version: u32,
    pub statistics_digest: String,
    pub d_ref: DesignEffectReference,
    pub units: Vec<StoredUnit>,
}

#[derive(Deserialize)]
pub struct StoredUnit {
    pub unit_code: String,
    pub unit_name: String,
    pub unit_type: String,
    pub parent_code: Option<String>,
    pub survey_max_points: Option<f64>,
    pub quota: Option<u64>,
    pub quota_override_reason: Option<String>,
    pub moments: UnitMoments,
}

/// A published snapshot as listed (`GET /api/v1/campaigns/{c}/snapshots`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SnapshotSummary {
    pub version: u32,
    pub published_at: DateTime<Utc>,
    pub published_by: String,
    /// SHA-256 (hex) of the document's bytes as `url` serves them.
    pub sha256: String,
    pub url: String,
}
