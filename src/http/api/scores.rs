//! Scores: every unit's satisfaction index with its interval and PAR points, and the
//! stratified aggregate over the listed units (docs/api.md, `UnitScore`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use sipas_domain::campaign::Channel;
use sipas_domain::statistics::{self, Estimate, LeftOutReason};
use utoipa::{IntoParams, ToSchema};

use crate::http::{ApiError, AppState, ErrorBody};
use crate::scores::{
    CampaignScores, Channels, ScoreError, ScoreQuery, UnitScores, scoring_options,
};

/// A figure with its uncertainty; `null` where undefined.
#[derive(Serialize, ToSchema)]
pub struct EstimateView {
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    pub df: Option<u64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

impl From<&Estimate> for EstimateView {
    fn from(e: &Estimate) -> Self {
        Self {
            estimate: e.estimate,
            se: e.se,
            df: e.df,
            ci_low: e.ci_low,
            ci_high: e.ci_high,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ElementScore {
    pub code: String,
    #[serde(flatten)]
    pub index: EstimateView,
    pub mean_score: Option<f64>,
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
    pub mean_score: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct ParView {
    pub survey_max_points: Option<f64>,
    pub points: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
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
    pub sipas: EstimateView,
    pub mean_score: EstimateView,
    /// In the list only with `detail=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elements: Option<Vec<ElementScore>>,
    /// In the list only with `detail=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criteria: Option<Vec<CriterionScore>>,
    pub par: ParView,
    pub flags: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LeftOut {
    pub unit_code: String,
    /// `no_frame`, `no_responses` or `no_variance`.
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct Aggregate {
    pub n: u64,
    pub population: u64,
    pub units_included: usize,
    pub strata: usize,
    pub sipas: EstimateView,
    pub mean_score: EstimateView,
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

#[derive(Deserialize, IntoParams)]
pub struct ScoresParams {
    /// Only units of this type.
    pub unit_type: Option<String>,
    /// Only the children of this unit (by code).
    pub parent: Option<String>,
    /// Confidence level in (0, 1); default the campaign's.
    pub confidence: Option<String>,
    /// Criterion interval: `wilson-fpc` (default), `clopper-pearson`, `jeffreys`,
    /// `agresti-coull`, `wilson-cc`.
    pub method: Option<String>,
    /// Only responses of these channels (comma-separated: `desk_qr`, `receipt_qr`,
    /// `paper`, `interviewer`); default the campaign's official choice.
    pub channel: Option<String>,
    /// Include every unit's elements and criteria in the list.
    pub detail: Option<bool>,
}

impl From<ScoreError> for ApiError {
    fn from(err: ScoreError) -> Self {
        match err {
            ScoreError::Statistics(e) => ApiError::unprocessable(e.to_string()),
            ScoreError::Storage(e) => e.into(),
        }
    }
}

fn unit_score(scores: &CampaignScores, unit: &UnitScores, detail: bool) -> UnitScore {
    let q = &scores.questionnaire;
    let r = &unit.result;
    let elements = detail.then(|| {
        q.elements
            .iter()
            .zip(&r.elements)
            .map(|(e, result)| ElementScore {
                code: e.code.clone(),
                index: (&result.index).into(),
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
    let max = unit.unit.survey_max_points;
    let scale = |x: Option<f64>| Some(x? * max?);
    UnitScore {
        unit_code: unit.unit.code.clone(),
        unit_name: unit.unit.name.clone(),
        unit_type: unit.unit.unit_type.clone(),
        parent_code: unit.unit.parent_code.clone(),
        n: r.n,
        population: r.population,
        quota: unit.quota,
        strata: r.strata,
        sipas: (&r.sipas).into(),
        mean_score: (&r.mean_score).into(),
        elements,
        criteria,
        par: ParView {
            survey_max_points: max,
            points: scale(r.sipas.estimate),
            ci_low: scale(r.sipas.ci_low),
            ci_high: scale(r.sipas.ci_high),
        },
        flags: r.flags.iter().map(|f| f.as_str().to_owned()).collect(),
    }
}

fn channels(param: Option<&str>, official: Channels) -> Result<Channels, ApiError> {
    let Some(text) = param.filter(|t| !t.is_empty()) else {
        return Ok(official);
    };
    let mut chosen = Vec::new();
    for name in text.split(',').map(str::trim) {
        chosen.push(Channel::parse(name).ok_or_else(|| {
            ApiError::unprocessable(format!(
                "unknown channel {name:?}; use desk_qr, receipt_qr, paper or interviewer"
            ))
        })?);
    }
    Ok(Channels::only(chosen))
}

async fn compute(
    state: &AppState,
    campaign_code: &str,
    params: &ScoresParams,
) -> Result<
    (
        crate::storage::CampaignRecord,
        ScoreQuery,
        std::sync::Arc<CampaignScores>,
    ),
    ApiError,
> {
    let campaign = state.storage.campaign_by_code(campaign_code).await?;
    let options = scoring_options(
        &campaign,
        params.confidence.as_deref(),
        params.method.as_deref(),
    )
    .map_err(|e| ApiError::unprocessable(e.to_string()))?;
    let query = ScoreQuery {
        options,
        channels: channels(params.channel.as_deref(), Channels::official(&campaign))?,
    };
    let scores = state.scores.scores(&campaign, query).await?;
    Ok((campaign, query, scores))
}

/// Serves JSON with an `ETag`; a matching `If-None-Match` gets 304 and no body.
fn with_etag<T: Serialize>(req: &HttpRequest, etag: String, body: &T) -> HttpResponse {
    let etag = format!("\"{etag}\"");
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish();
    }
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .json(body)
}

fn etag(digest: &str, parts: &[Option<&str>]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(digest);
    for part in parts {
        hasher.update([0]);
        hasher.update(part.unwrap_or(""));
    }
    hasher.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every unit's scores, optionally of one type or parent, with the stratified
/// aggregate over the units listed.
#[utoipa::path(
    get, path = "/api/v1/campaigns/{campaign}/scores", tag = "scores",
    params(("campaign" = String, Path), ScoresParams),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, body = CampaignScoresView, headers(("ETag" = String))),
        (status = 304, description = "unchanged since the given ETag"),
        (status = 404, body = ErrorBody),
        (status = 422, description = "bad confidence, method or channel", body = ErrorBody)
    )
)]
#[get("/campaigns/{campaign}/scores")]
pub async fn campaign_scores(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    params: web::Query<ScoresParams>,
) -> Result<HttpResponse, ApiError> {
    let (campaign, query, scores) = compute(&state, &path, &params).await?;
    let listed: Vec<&UnitScores> = scores
        .units
        .iter()
        .filter(|u| {
            params
                .unit_type
                .as_ref()
                .is_none_or(|t| &u.unit.unit_type == t)
        })
        .filter(|u| {
            params
                .parent
                .as_ref()
                .is_none_or(|p| u.unit.parent_code.as_ref() == Some(p))
        })
        .collect();
    let group = statistics::aggregate(listed.iter().map(|u| &u.moments), query.options.confidence);
    let detail = params.detail.unwrap_or(false);
    let body = CampaignScoresView {
        campaign: campaign.code.clone(),
        confidence: query.options.confidence.level(),
        method: query.options.method.as_str().to_owned(),
        channels: query.channels.names(),
        snapshot: None,
        provisional: true,
        statistics_digest: scores.digest.clone(),
        units: listed
            .iter()
            .map(|u| unit_score(&scores, u, detail))
            .collect(),
        aggregate: Aggregate {
            n: group.n,
            population: group.population,
            units_included: group.units_included,
            strata: group.strata,
            sipas: (&group.sipas).into(),
            mean_score: (&group.mean_score).into(),
            left_out: group
                .left_out
                .iter()
                .map(|l| LeftOut {
                    unit_code: listed[l.unit].unit.code.clone(),
                    reason: match l.reason {
                        LeftOutReason::NoFrame => "no_frame",
                        LeftOutReason::NoResponses => "no_responses",
                        LeftOutReason::NoVariance => "no_variance",
                    }
                    .to_owned(),
                })
                .collect(),
        },
    };
    let detail_text = detail.to_string();
    let tag = etag(
        &scores.digest,
        &[
            params.unit_type.as_deref(),
            params.parent.as_deref(),
            Some(&detail_text),
        ],
    );
    Ok(with_etag(&req, tag, &body))
}

/// One unit's scores, with its elements and criteria.
#[utoipa::path(
    get, path = "/api/v1/campaigns/{campaign}/units/{unit}/scores", tag = "scores",
    params(("campaign" = String, Path), ("unit" = String, Path), ScoresParams),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, body = UnitScore, headers(("ETag" = String))),
        (status = 304, description = "unchanged since the given ETag"),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
#[get("/campaigns/{campaign}/units/{unit}/scores")]
pub async fn unit_scores(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    params: web::Query<ScoresParams>,
) -> Result<HttpResponse, ApiError> {
    let (campaign_code, unit_code) = path.into_inner();
    let (_, _, scores) = compute(&state, &campaign_code, &params).await?;
    let unit = scores
        .units
        .iter()
        .find(|u| u.unit.code == unit_code)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "unit {unit_code} has neither a frame nor responses in campaign {campaign_code}"
            ))
        })?;
    let tag = etag(&scores.digest, &[Some(&unit_code)]);
    Ok(with_etag(&req, tag, &unit_score(&scores, unit, true)))
}
