//! Scores: every unit's satisfaction index with its interval and PAR points, and the
//! stratified aggregate over the listed units (docs/api.md, `UnitScore`). The views are
//! the report layer's; this parses the request and serves the document.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use sipas_domain::access::{Action, Resource};
use sipas_domain::campaign::Channels;
use utoipa::IntoParams;

use super::auth::{Caller, authorize};
use super::{ApiError, ErrorBody, with_etag};
use crate::http::AppState;
use crate::reports::change::{self, ChangeView};
use crate::reports::scores::{CampaignScoresView, UnitScore};
use crate::reports::{Document, UnitSelection, View};
use crate::scores::{CampaignScores, CampaignState, ScoreQuery, scoring_options};
use crate::snapshots::Selection;

#[derive(Deserialize, IntoParams)]
pub struct ScoresParams {
    /// Only units of this type.
    pub unit_type: Option<String>,
    /// Only the units under this one (by code): its whole subtree, not only its children.
    pub parent: Option<String>,
    /// Confidence level in (0, 1); default the campaign's.
    pub confidence: Option<String>,
    /// Criterion interval: `wilson-fpc` (default), `clopper-pearson`, `jeffreys`,
    /// `agresti-coull`, `wilson-cc`.
    pub method: Option<String>,
    /// Only responses of these channels (comma-separated: `desk_qr`, `receipt_qr`,
    /// `paper`, `interviewer`, `kiosk`); default the campaign's official choice.
    pub channel: Option<String>,
    /// Include every unit's elements and criteria in the list.
    pub detail: Option<bool>,
    /// `latest` (default: the latest published snapshot, the live figures while none
    /// is), `live` (provisional figures) or a snapshot version `k`.
    pub snapshot: Option<String>,
}

/// A scores request parsed into the domain's terms.
struct ScoresRequest {
    query: ScoreQuery,
    source: Selection,
    selection: UnitSelection,
    detail: bool,
}

impl ScoresRequest {
    fn parse(params: ScoresParams, current: &CampaignState) -> Result<Self, ApiError> {
        let campaign = &current.description.campaign;
        let options = scoring_options(
            campaign,
            params.confidence.as_deref(),
            params.method.as_deref(),
        )
        .map_err(|e| ApiError::unprocessable(e.to_string()))?;
        let channels = match params.channel.as_deref().filter(|t| !t.is_empty()) {
            Some(text) => Channels::parse_list(text).map_err(ApiError::unprocessable)?,
            None => Channels::official(campaign.rules.count_unverified),
        };
        let source =
            Selection::parse(params.snapshot.as_deref()).map_err(ApiError::unprocessable)?;
        Ok(Self {
            query: ScoreQuery { options, channels },
            source,
            selection: UnitSelection {
                unit_type: params.unit_type.filter(|t| !t.is_empty()),
                under: params.parent.filter(|p| !p.is_empty()),
            },
            detail: params.detail.unwrap_or(false),
        })
    }

    /// The scores from the selected source: a snapshot, or the live figures.
    async fn scores(
        &self,
        state: &AppState,
        campaign_id: i32,
    ) -> Result<std::sync::Arc<CampaignScores>, ApiError> {
        Ok(crate::snapshots::scores(
            &state.storage,
            &state.scores,
            campaign_id,
            self.source,
            self.query,
        )
        .await?
        .scores)
    }
}

/// Every unit's scores, optionally of one type or under one unit, with the stratified
/// aggregate over the units listed.
#[utoipa::path(
    get, path = "/api/v1/campaigns/{campaign}/scores", tag = "scores",
    params(("campaign" = String, Path), ScoresParams, super::paging::PageParams),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, body = CampaignScoresView, headers(("ETag" = String), ("X-Total-Count" = u64, description = "with `limit`: the number of units listed in all"), ("Link" = String, description = "with `limit`, when more follow: `<…>; rel=\"next\"`"))),
        (status = 304, description = "unchanged since the given ETag"),
        (status = 404, description = "unknown campaign, unit or snapshot", body = ErrorBody),
        (status = 422, description = "bad confidence, method, channel or snapshot", body = ErrorBody)
    )
)]
#[get("/campaigns/{campaign}/scores")]
pub async fn campaign_scores(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    params: web::Query<ScoresParams>,
) -> Result<HttpResponse, ApiError> {
    let current = state.scores.state_by_code(&path).await?;
    let campaign_id = current.description.campaign.id;
    let on = current.description.campaign.units_on;
    authorize(&state, &caller, Action::Read, Resource::Province, on).await?;
    let request = ScoresRequest::parse(params.into_inner(), &current)?;
    let scores = request.scores(&state, campaign_id).await?;
    let view = View::Scores {
        selection: request.selection.clone(),
        detail: request.detail,
    };
    let document = state.documents.document(&scores, view)?.ok_or_else(|| {
        ApiError::not_found(format!(
            "unit {} is not in the structure of campaign {}",
            request.selection.under.as_deref().unwrap_or_default(),
            scores.campaign.code
        ))
    })?;
    // A page lists some units; the aggregate stays that of every unit selected.
    super::paging::serve_document(&req, &document, "/units", "unit_code")
}

/// One unit's scores, with its elements and criteria.
#[utoipa::path(
    get, path = "/api/v1/campaigns/{campaign}/units/{unit}/scores", tag = "scores",
    params(("campaign" = String, Path), ("unit" = String, Path), ScoresParams),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, body = UnitScore, headers(("ETag" = String))),
        (status = 304, description = "unchanged since the given ETag"),
        (status = 404, description = "unknown campaign, unit or snapshot", body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
#[get("/campaigns/{campaign}/units/{unit}/scores")]
pub async fn unit_scores(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    params: web::Query<ScoresParams>,
) -> Result<HttpResponse, ApiError> {
    let (campaign_code, unit_code) = path.into_inner();
    let current = state.scores.state_by_code(&campaign_code).await?;
    let campaign_id = current.description.campaign.id;
    let on = current.description.campaign.units_on;
    let missing = || {
        ApiError::not_found(format!(
            "unit {unit_code} has neither a frame nor responses in campaign {campaign_code}"
        ))
    };
    let unit_id = current
        .description
        .tree
        .resolve(&unit_code, on)
        .ok_or_else(missing)?;
    authorize(&state, &caller, Action::Read, Resource::Unit(unit_id), on).await?;
    let request = ScoresRequest::parse(params.into_inner(), &current)?;
    let scores = request.scores(&state, campaign_id).await?;
    let document = state
        .documents
        .document(&scores, View::Unit(unit_code.clone()))?
        .ok_or_else(missing)?;
    Ok(with_etag(&req, &document))
}

#[derive(Deserialize, IntoParams)]
pub struct ChangeParams {
    /// The earlier campaign to compare with.
    pub from: String,
    /// Confidence level in (0, 1) of both rounds and of the change; default this
    /// campaign's.
    pub confidence: Option<String>,
}

/// A unit's change since an earlier campaign: against itself when it existed then,
/// otherwise against the group of the units it came from (the crosswalk across the
/// 2025 reform), with the MOVER interval of the change and whether it is significant.
#[utoipa::path(
    get, path = "/api/v1/campaigns/{campaign}/units/{unit}/change", tag = "scores",
    params(("campaign" = String, Path), ("unit" = String, Path), ChangeParams),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, body = ChangeView, headers(("ETag" = String))),
        (status = 304, description = "unchanged since the given ETag"),
        (status = 404, description = "unknown campaign or unit, or no predecessor in the earlier campaign", body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
#[get("/campaigns/{campaign}/units/{unit}/change")]
pub async fn unit_change(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    params: web::Query<ChangeParams>,
) -> Result<HttpResponse, ApiError> {
    let (campaign_code, unit_code) = path.into_inner();
    let later = state.scores.state_by_code(&campaign_code).await?;
    let earlier = state.scores.state_by_code(&params.from).await?;
    let to = &later.description.campaign;
    let from = &earlier.description.campaign;
    let on = to.units_on;
    let unit_id = later
        .description
        .tree
        .resolve(&unit_code, on)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "unit {unit_code} is not a unit of campaign {campaign_code} (units valid on {on})"
            ))
        })?;
    authorize(&state, &caller, Action::Read, Resource::Unit(unit_id), on).await?;
    let options = scoring_options(to, params.confidence.as_deref(), None)
        .map_err(|e| ApiError::unprocessable(e.to_string()))?;
    let to_scores = state
        .scores
        .scores(
            to.id,
            ScoreQuery {
                options,
                channels: Channels::official(to.rules.count_unverified),
            },
        )
        .await?;
    let from_scores = state
        .scores
        .scores(
            from.id,
            ScoreQuery {
                options,
                channels: Channels::official(from.rules.count_unverified),
            },
        )
        .await?;
    let view = change::change(&from_scores, &to_scores, &unit_code).map_err(|e| match e {
        change::ChangeError::UnitNotScored(m) | change::ChangeError::NoPredecessor(m) => {
            ApiError::not_found(m)
        }
        change::ChangeError::NotEarlier(m) => ApiError::unprocessable(m),
    })?;
    let document = Document::new(&view).map_err(|e| ApiError::from(std::sync::Arc::new(e)))?;
    Ok(with_etag(&req, &document))
}
