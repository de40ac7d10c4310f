//! The unit page, its charts as SVG files and its desks' QR codes: one unit of one
//! campaign, for a staff member whose scope covers it. A unit outside the scope is a
//! 404, as is a unit the campaign's structure does not have.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use sipas_domain::campaign::Channels;
use sipas_templates::Lang;
use sipas_templates::staff::unit::{
    ChangeSection, ChartData, ChartKind, CommentsPage, UnitActivity, UnitFigures, chart,
};

use super::auth::Staff;
use super::{StaffError, staff_page};
use crate::http::{AppState, qr_image};
use crate::reports::change;
use crate::reports::unit_page::{self, ActivityFold, CommentSearch, PageParts, WeeklyBasis};
use crate::scores::{CampaignScores, CampaignState, ScoreQuery, UnitInfo};
use crate::storage::{ServicePointRecord, activity, units};

#[derive(Deserialize)]
pub struct UnitQuery {
    lang: Option<String>,
    /// A search in the comments.
    q: Option<String>,
    /// The page of comments, from 1.
    page: Option<String>,
}

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
    /// PNG QR codes only: pixels per module.
    px: Option<u32>,
}

/// A unit of a campaign the staff member may read.
struct Readable {
    state: Arc<CampaignState>,
    unit: UnitInfo,
}

/// The campaign's latest state and the unit, if the staff member's scope covers it on
/// the campaign's structure day; otherwise (or when either is unknown) not found.
async fn readable(
    state: &AppState,
    staff: &Staff,
    campaign: &str,
    unit: &str,
) -> Result<Readable, StaffError> {
    let current = state.scores.state_by_code(campaign).await?;
    let d = &current.description;
    let on = d.campaign.units_on;
    let id = d.tree.resolve(unit, on).ok_or(StaffError::NotFound)?;
    if !staff.may_read(&d.tree, id, on) {
        return Err(StaffError::NotFound);
    }
    let unit = d
        .units
        .iter()
        .find(|u| u.id == id)
        .cloned()
        .ok_or(StaffError::NotFound)?;
    Ok(Readable {
        state: current,
        unit,
    })
}

/// The unit's figures, or `None` when the scores do not list it (no frame, no
/// counted response).
fn figures(scores: &CampaignScores, unit: &UnitInfo, lang: Lang) -> Option<UnitFigures> {
    scores
        .units
        .iter()
        .find(|u| u.unit.id == unit.id)
        .map(|u| unit_page::figures(scores, u, lang))
}

/// Reads the unit's responses (in the caller's snapshot) and folds them.
async fn activity(
    db: &impl sea_orm::ConnectionTrait,
    current: &CampaignState,
    scores: &CampaignScores,
    unit: &UnitInfo,
) -> Result<UnitActivity, StaffError> {
    let d = &current.description;
    let campaign = &d.campaign;
    let mut fold = ActivityFold::new(&d.shape, scores.query.channels, campaign.starts_on);
    activity::each_response(db, campaign.id, unit.id, |row| fold.add(&row)).await?;
    if fold.damaged() > 0 {
        tracing::warn!(
            campaign = campaign.code,
            unit = unit.code,
            rows = fold.damaged(),
            "stored responses that fit neither the questionnaire nor a channel; not counted"
        );
    }
    let reference = unit_page::design_effect_reference(&d.shape, scores);
    let today = sipas_domain::campaign::vietnam_day(chrono::Utc::now());
    Ok(fold.finish(
        campaign.ends_on,
        today,
        &WeeklyBasis {
            frame: d.frames.get(&unit.id),
            quota: d.quotas.get(&unit.id).copied(),
            options: scores.query.options,
            reference: &reference,
        },
    ))
}

/// The change since the latest earlier round (demo with demo, real with real) that has
/// figures for the unit or the units it came from.
async fn previous_round(
    state: &AppState,
    later: &CampaignScores,
    unit: &UnitInfo,
    lang: Lang,
) -> Result<ChangeSection, StaffError> {
    let to = &later.campaign;
    let mut earlier: Vec<Arc<CampaignState>> = state
        .scores
        .states()
        .into_iter()
        .filter(|s| {
            let c = &s.description.campaign;
            c.starts_on < to.starts_on && c.is_demo == to.is_demo
        })
        .collect();
    earlier.sort_by_key(|s| std::cmp::Reverse(s.description.campaign.starts_on));
    for candidate in earlier {
        let from = &candidate.description.campaign;
        // Both rounds at this campaign's confidence, each with its own channels, as
        // the change API computes them.
        let query = ScoreQuery {
            options: later.query.options,
            channels: Channels::official(from.rules.count_unverified),
        };
        let from_scores = state.scores.scores(from.id, query).await?;
        let Ok(view) = change::change(&from_scores, later, &unit.code) else {
            continue;
        };
        if view.from.n == 0 {
            continue;
        }
        let names: HashMap<String, String> = candidate
            .description
            .units
            .iter()
            .map(|u| (u.code.clone(), u.name.clone()))
            .collect();
        return Ok(ChangeSection::Figures(Box::new(unit_page::change(
            &view, &from.name, &names, lang,
        ))));
    }
    Ok(ChangeSection::None)
}

/// A page of the unit's comments that match the search, newest first.
async fn comments(
    db: &impl sea_orm::ConnectionTrait,
    campaign_id: i32,
    unit_id: i32,
    query: &UnitQuery,
    service_points: &[ServicePointRecord],
) -> Result<CommentsPage, StaffError> {
    // A page number that is not one is the first page.
    let wanted = query
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<usize>().ok())
        .unwrap_or(1);
    let text: String = query.q.as_deref().unwrap_or("").chars().take(200).collect();
    let mut search = CommentSearch::new(&text, wanted);
    activity::each_comment(db, campaign_id, unit_id, |row| search.offer(row)).await?;
    // Past the last page (an old link, a typed number): the last page.
    if let Some(last) = search.past_the_end() {
        search = CommentSearch::new(&text, last);
        activity::each_comment(db, campaign_id, unit_id, |row| search.offer(row)).await?;
    }
    let desks: HashMap<i32, String> = service_points
        .iter()
        .map(|sp| (sp.id, sp.name.clone()))
        .collect();
    Ok(search.finish(&desks))
}

/// The unit page.
#[get("/manage/campaigns/{campaign}/units/{unit}")]
pub async fn page(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<UnitQuery>,
) -> Result<HttpResponse, StaffError> {
    let (campaign_code, unit_code) = path.into_inner();
    let lang = Lang::from_query(query.lang.as_deref());
    let Readable {
        state: current,
        unit,
    } = readable(&state, &staff, &campaign_code, &unit_code).await?;
    let d = &current.description;
    let scores = super::official_scores(&state, &current).await?;
    let mut figures = figures(&scores, &unit, lang);
    if let Some(f) = figures.as_mut()
        && f.quota.is_some()
        && staff.may_write(&d.tree, unit.id, d.campaign.units_on)
    {
        f.quota_href = Some(format!(
            "{}{}",
            sipas_templates::staff::round::quota_path(&d.campaign.code, &unit.code),
            if lang == Lang::En { "?lang=en" } else { "" }
        ));
    }

    // One snapshot for everything read from the responses.
    let txn = state.storage.read_snapshot().await?;
    let activity = activity(&txn, &current, &scores, &unit).await?;
    let service_points = units::service_points(&txn, unit.id).await?;
    let comments = if staff.reads_comments() {
        Some(comments(&txn, d.campaign.id, unit.id, &query, &service_points).await?)
    } else {
        None
    };
    txn.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;

    let change = previous_round(&state, &scores, &unit, lang).await?;
    let parent = unit
        .parent_code
        .as_ref()
        .and_then(|code| d.units.iter().find(|u| &u.code == code));
    let view = unit_page::page(PageParts {
        lang,
        campaign: &d.campaign,
        unit: &unit,
        parent,
        figures,
        activity,
        comments,
        change,
        desks: &service_points,
        today: sipas_domain::campaign::vietnam_day(chrono::Utc::now()),
    });
    let page = sipas_templates::staff::unit::page(&view, &staff.nav(Some(&d.campaign.code)));
    Ok(staff_page(StatusCode::OK).body(page.into_string()))
}

/// One chart of the unit page as an SVG file.
#[get("/manage/campaigns/{campaign}/units/{unit}/charts/{file}")]
pub async fn chart_file(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    query: web::Query<LangQuery>,
) -> Result<HttpResponse, StaffError> {
    let (campaign_code, unit_code, file) = path.into_inner();
    let kind = ChartKind::from_file(&file).ok_or(StaffError::NotFound)?;
    let lang = Lang::from_query(query.lang.as_deref());
    let Readable {
        state: current,
        unit,
    } = readable(&state, &staff, &campaign_code, &unit_code).await?;
    let scores = super::official_scores(&state, &current).await?;
    let svg = if kind.from_figures() {
        let figures = figures(&scores, &unit, lang).unwrap_or_default();
        chart(lang, kind, ChartData::Figures(&figures))
    } else {
        let txn = state.storage.read_snapshot().await?;
        let activity = activity(&txn, &current, &scores, &unit).await?;
        txn.commit()
            .await
            .map_err(crate::storage::StorageError::from)?;
        chart(lang, kind, ChartData::Activity(&activity))
    }
    .ok_or_else(|| StaffError::Internal(format!("chart {} has no data", kind.name())))?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        // A unit's figures: kept by no cache, as its page.
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'",
        ))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "inline; filename=\"{}-{}-{}.svg\"",
                current.description.campaign.code,
                unit.code,
                kind.name()
            ),
        ))
        .body(sipas_templates::charts::standalone(&svg)))
}

/// A desk's QR code (`qr.svg` or `qr.png`) for a logged-in member whose scope covers
/// the unit: the API's QR route wants a bearer token, a browser has a session.
#[get("/manage/campaigns/{campaign}/units/{unit}/service-points/{service_point}/qr.{format}")]
pub async fn desk_qr(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String, String)>,
    query: web::Query<LangQuery>,
) -> Result<HttpResponse, StaffError> {
    let (campaign, unit, service_point, format) = path.into_inner();
    if format != "svg" && format != "png" {
        return Err(StaffError::NotFound);
    }
    let readable = readable(&state, &staff, &campaign, &unit).await?;
    let desk = crate::desks::resolve(
        &state.storage,
        &state.keys,
        &state.public_url,
        (&campaign, &unit, &service_point),
    )
    .await?;
    if desk.unit.id != readable.unit.id {
        return Err(StaffError::NotFound);
    }
    let mut image = qr_image(&desk.url, &format, query.px.map(|px| px.clamp(1, 40)))
        .ok_or(StaffError::NotFound)?;
    // Behind a login, as every staff response: no shared cache keeps it.
    image.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    Ok(image)
}
