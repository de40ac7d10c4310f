//! The PAR Index assembly in the dashboard: the league of a unit type (page and XLSX,
//! the view the API serves) and the appraised points (upload, template, current
//! points). Parsing, checks, storage and audit are the services' ([`crate::appraisals`],
//! [`crate::league`]).

use actix_multipart::form::MultipartForm;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use sipas_templates::Lang;
use sipas_templates::staff::league::{
    AppraisalRow, AppraisalsView, LeaguePageView, LeagueRow, UnrankedRow, appraisals_page,
    league_page,
};

use super::LangQuery;
use super::auth::Staff;
use super::uploads::{Upload, refusal, unreadable};
use super::{StaffError, staff_page};
use crate::appraisals::AppraisalError;
use crate::http::AppState;
use crate::league::LeagueError;
use crate::reports::league::{LeagueView, league_xlsx};
use crate::snapshots::Selection;
use crate::storage::{CampaignRecord, UnitFilter, appraisals, campaigns, par_schemes, units};

#[derive(Deserialize)]
pub struct LeagueQuery {
    unit_type: Option<String>,
    snapshot: Option<String>,
    survey_only: Option<bool>,
    lang: Option<String>,
}

fn html(status: StatusCode, markup: maud::Markup) -> HttpResponse {
    staff_page(status).body(markup.into_string())
}

/// The league compares units across the province: only staff who read all of it.
async fn province_reader(
    state: &AppState,
    staff: &Staff,
    code: &str,
) -> Result<CampaignRecord, StaffError> {
    let current = state.scores.state_by_code(code).await?;
    let d = &current.description;
    staff.require(staff.readable_units(&d.tree, d.campaign.units_on).is_none())?;
    Ok(d.campaign.clone())
}

fn league_error(e: LeagueError) -> StaffError {
    match e {
        LeagueError::UnknownType { .. } => StaffError::NotFound,
        LeagueError::Snapshot(e) => e.into(),
        LeagueError::Storage(e) => e.into(),
    }
}

/// The league the query asks for; `None` when it names no unit type.
async fn league_of(
    state: &AppState,
    campaign: &CampaignRecord,
    query: &LeagueQuery,
) -> Result<Option<LeagueView>, StaffError> {
    let Some(unit_type) = query.unit_type.as_deref().filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let selection = Selection::parse(query.snapshot.as_deref())
        .map_err(|m| StaffError::BadRequest(format!("Bản chốt không hợp lệ. ({m})")))?;
    crate::league::view(
        &state.storage,
        &state.scores,
        campaign,
        unit_type,
        selection,
        query.survey_only.unwrap_or(false),
    )
    .await
    .map(Some)
    .map_err(league_error)
}

#[get("/manage/campaigns/{campaign}/league")]
pub async fn league(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LeagueQuery>,
) -> Result<HttpResponse, StaffError> {
    let campaign = province_reader(&state, &staff, &path).await?;
    let lang = Lang::from_query(query.lang.as_deref());
    let unit_types = crate::league::unit_types(&state.storage, &campaign).await?;
    let view = league_of(&state, &campaign, &query).await?;
    let mut page = LeaguePageView {
        lang,
        campaign_code: campaign.code.clone(),
        campaign_name: campaign.name.clone(),
        nav: staff.nav(Some(&campaign.code)),
        unit_types,
        ..Default::default()
    };
    if let Some(v) = view {
        page.unit_type = v.unit_type;
        page.par_scheme = v.par_scheme;
        page.max_total = v.max_total;
        page.survey_max_points = v.survey_max_points;
        page.points_confidence = v.points_confidence;
        page.survey_only = v.survey_only;
        page.snapshot = v.snapshot;
        page.rows = v
            .units
            .into_iter()
            .map(|u| LeagueRow {
                rank: u.rank,
                rank_low: u.rank_low,
                rank_high: u.rank_high,
                code: u.unit_code,
                name: u.unit_name,
                appraised: u.appraised_points,
                survey: u.survey_points,
                survey_low: u.survey_points_ci_low,
                survey_high: u.survey_points_ci_high,
                total: u.total,
                index_percent: u.index_percent,
                flags: u.flags,
            })
            .collect();
        page.unranked = v
            .unranked
            .into_iter()
            .map(|u| UnrankedRow {
                code: u.unit_code,
                name: u.unit_name,
                reason: u.reason,
            })
            .collect();
    }
    Ok(html(StatusCode::OK, league_page(&page)))
}

#[get("/manage/campaigns/{campaign}/league.xlsx")]
pub async fn league_export(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LeagueQuery>,
) -> Result<HttpResponse, StaffError> {
    let campaign = province_reader(&state, &staff, &path).await?;
    let lang = Lang::from_query(query.lang.as_deref());
    let view = league_of(&state, &campaign, &query)
        .await?
        .ok_or(StaffError::NotFound)?;
    let name = format!("{}-league-{}.xlsx", campaign.code, view.unit_type);
    let bytes = web::block(move || league_xlsx(lang, &view))
        .await
        .map_err(|e| StaffError::Internal(e.to_string()))?
        .map_err(|e| StaffError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header(header::ContentEncoding::Identity)
        .body(bytes))
}

async fn appraisals_view(
    state: &AppState,
    staff: &Staff,
    campaign: &CampaignRecord,
    lang: Lang,
) -> Result<AppraisalsView, StaffError> {
    let txn = state.storage.read_snapshot().await?;
    let scheme = par_schemes::by_code(&txn, &campaign.par_scheme).await?;
    let current = appraisals::current(&txn, campaign.id).await?;
    let listed = units::list(
        &txn,
        &UnitFilter {
            on: Some(campaign.units_on),
            ..Default::default()
        },
    )
    .await?;
    drop(txn);
    let rows = listed
        .into_iter()
        .filter_map(|u| {
            let a = current.get(&u.id)?;
            Some(AppraisalRow {
                code: u.code,
                name: u.name,
                unit_type: u.unit_type,
                points: a.points,
                version: a.version,
                imported_by: a.imported_by.clone(),
            })
        })
        .collect();
    Ok(AppraisalsView {
        lang,
        campaign_code: campaign.code.clone(),
        campaign_name: campaign.name.clone(),
        nav: staff.nav(Some(&campaign.code)),
        may_write: staff.may_write_province(),
        maxima: scheme
            .points
            .iter()
            .map(|(t, p)| (t.clone(), p.criteria_max_points))
            .collect(),
        rows,
        ..Default::default()
    })
}

#[get("/manage/campaigns/{campaign}/appraisals")]
pub async fn appraisals_get(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
) -> Result<HttpResponse, StaffError> {
    let campaign = province_reader(&state, &staff, &path).await?;
    let lang = Lang::from_query(query.lang.as_deref());
    let view = appraisals_view(&state, &staff, &campaign, lang).await?;
    Ok(html(StatusCode::OK, appraisals_page(&view)))
}

#[get("/manage/campaigns/{campaign}/appraisals/template.csv")]
pub async fn appraisals_template(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, StaffError> {
    staff.require(staff.may_write_province())?;
    let campaign = campaigns::by_code(state.storage.db(), &path).await?;
    let scheme = par_schemes::by_code(state.storage.db(), &campaign.par_scheme).await?;
    let listed = units::list(
        state.storage.db(),
        &UnitFilter {
            on: Some(campaign.units_on),
            ..Default::default()
        },
    )
    .await?;
    // Every unit the scheme scores, points left blank for the council to fill in.
    let mut body = format!("\u{feff}{}", crate::appraisals::TEMPLATE);
    for u in listed
        .iter()
        .filter(|u| scheme.points.contains_key(&u.unit_type))
    {
        body.push_str(&format!("{},\n", u.code));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}-appraisals.csv\"", campaign.code),
        ))
        .body(body))
}

/// A file of appraised points: all stored as a new version, or every bad line listed
/// and nothing stored.
#[post("/manage/campaigns/{campaign}/appraisals")]
pub async fn appraisals_upload(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
    form: MultipartForm<Upload>,
) -> Result<HttpResponse, StaffError> {
    staff.check_csrf(&state, form.csrf.as_ref().map_or("", |t| t.as_str()))?;
    staff.require(staff.may_write_province())?;
    let lang = Lang::from_query(query.lang.as_deref());
    let campaign = campaigns::by_code(state.storage.db(), &path).await?;
    let text = match crate::tabular::csv_text(&form.file.data) {
        Ok(text) => text,
        Err(e) => {
            let mut view = appraisals_view(&state, &staff, &campaign, lang).await?;
            view.refusal = Some(unreadable(lang, e));
            return Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                appraisals_page(&view),
            ));
        }
    };
    let result = crate::appraisals::import(
        &state.storage,
        &staff.account.username,
        &campaign.code,
        &text,
    )
    .await;
    let mut view = appraisals_view(&state, &staff, &campaign, lang).await?;
    let status = match result {
        Ok(imported) => {
            view.stored = Some((imported.version, imported.units));
            StatusCode::OK
        }
        Err(AppraisalError::Refused(problems)) => {
            view.refusal = Some(refusal(problems));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(AppraisalError::Storage(e)) => return Err(e.into()),
    };
    Ok(html(status, appraisals_page(&view)))
}
