//! A campaign's posters for printing: the chooser, the print page (one A4 poster per
//! printed page, for one unit, a parent unit with the units under it, or every unit the
//! member reads) and the desks' QR codes as a ZIP of SVG and PNG files. Each poster is
//! the public poster's sheet with the same URL ([`crate::desks::desk_url`]). A unit
//! outside the member's scope is a 404.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use sipas_domain::campaign::CampaignStatus;
use sipas_templates::Lang;
use sipas_templates::staff::posters::{
    PosterChoice, PostersView, PrintView, posters_page, print_page,
};

use super::LangQuery;
use super::auth::Staff;
use super::{StaffError, staff_page};
use crate::desks::PrintedDesk;
use crate::http::AppState;
use crate::scores::CampaignState;
use crate::storage::units;

/// The public URL, when citizens' phones cannot open it.
pub(super) fn public_url_warning(state: &AppState) -> Option<String> {
    crate::config::public_url_is_private(&state.public_url).then(|| state.public_url.clone())
}

#[derive(Deserialize)]
pub struct PrintQuery {
    lang: Option<String>,
    /// One unit, by code.
    unit: Option<String>,
    /// A unit and every unit under it, by code.
    parent: Option<String>,
}

/// The units to print, in code order, and what they are called together.
struct Selection {
    current: Arc<CampaignState>,
    units: Vec<(i32, String, String)>,
    label: String,
    /// A file-name part: the unit's code, or empty for everything.
    file_part: String,
}

fn blank_to_none(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

async fn selection(
    state: &AppState,
    staff: &Staff,
    campaign: &str,
    query: &PrintQuery,
    lang: Lang,
) -> Result<Selection, StaffError> {
    let vi = lang == Lang::Vi;
    let current = state.scores.state_by_code(campaign).await?;
    let d = &current.description;
    let on = d.campaign.units_on;
    let readable = staff.readable_units(&d.tree, on);
    let in_scope = |id: i32| readable.as_ref().is_none_or(|r| r.contains(&id));
    let resolve = |code: &str| {
        d.tree
            .resolve(code, on)
            .filter(|id| in_scope(*id))
            .and_then(|id| d.units.iter().find(|u| u.id == id))
            .ok_or(StaffError::NotFound)
    };
    let (ids, label, file_part): (HashSet<i32>, String, String) = match (
        blank_to_none(query.unit.as_deref()),
        blank_to_none(query.parent.as_deref()),
    ) {
        (Some(_), Some(_)) => {
            return Err(StaffError::BadRequest(
                "Chọn một đơn vị hoặc một đơn vị cấp trên, không chọn cả hai. \
                 (Choose a unit or a parent unit, not both.)"
                    .into(),
            ));
        }
        (Some(code), None) => {
            let unit = resolve(code)?;
            (
                HashSet::from([unit.id]),
                unit.name.clone(),
                unit.code.clone(),
            )
        }
        (None, Some(code)) => {
            let parent = resolve(code)?;
            let ids = d
                .tree
                .subtree(parent.id, on)
                .into_iter()
                .filter(|id| in_scope(*id))
                .collect();
            let label = if vi {
                format!("{} và các đơn vị trực thuộc", parent.name)
            } else {
                format!("{} and the units under it", parent.name)
            };
            (ids, label, parent.code.clone())
        }
        (None, None) => {
            let ids = d
                .units
                .iter()
                .map(|u| u.id)
                .filter(|id| in_scope(*id))
                .collect();
            let label = match (readable.is_none(), vi) {
                (true, true) => "Toàn tỉnh".to_owned(),
                (true, false) => "The whole province".to_owned(),
                (false, true) => "Mọi đơn vị trong phạm vi của bạn".to_owned(),
                (false, false) => "Every unit in your scope".to_owned(),
            };
            (ids, label, String::new())
        }
    };
    let units = d
        .units
        .iter()
        .filter(|u| ids.contains(&u.id))
        .map(|u| (u.id, u.code.clone(), u.name.clone()))
        .collect();
    Ok(Selection {
        current,
        units,
        label,
        file_part,
    })
}

fn today() -> chrono::NaiveDate {
    sipas_domain::campaign::vietnam_day(chrono::Utc::now())
}

async fn printed(state: &AppState, selection: &Selection) -> Result<Vec<PrintedDesk>, StaffError> {
    Ok(crate::desks::printed(
        &state.storage,
        (&state.keys, &state.public_url),
        &selection.current.description.campaign,
        &selection.units,
        today(),
    )
    .await?)
}

/// The chooser: the whole province, a parent unit, or one unit.
#[get("/manage/campaigns/{campaign}/posters")]
pub async fn chooser(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
) -> Result<HttpResponse, StaffError> {
    let lang = Lang::from_query(query.lang.as_deref());
    let current = state.scores.state_by_code(&path).await?;
    let d = &current.description;
    let on = d.campaign.units_on;
    let readable = staff.readable_units(&d.tree, on);
    let in_scope = |id: i32| readable.as_ref().is_none_or(|r| r.contains(&id));
    let today = today();
    let mut open_desks: HashMap<i32, usize> = HashMap::new();
    for point in units::all_service_points(state.storage.db()).await? {
        if point.is_open_on(today) {
            *open_desks.entry(point.unit_id).or_default() += 1;
        }
    }
    let listed: Vec<_> = d.units.iter().filter(|u| in_scope(u.id)).collect();
    let with_children: HashSet<&str> = listed
        .iter()
        .filter_map(|u| u.parent_code.as_deref())
        .collect();
    let parents = listed
        .iter()
        .filter(|u| with_children.contains(u.code.as_str()))
        .map(|u| PosterChoice {
            code: u.code.clone(),
            name: u.name.clone(),
            desks: d
                .tree
                .subtree(u.id, on)
                .into_iter()
                .filter(|id| in_scope(*id))
                .map(|id| open_desks.get(&id).copied().unwrap_or(0))
                .sum(),
        })
        .collect();
    let units: Vec<PosterChoice> = listed
        .iter()
        .map(|u| PosterChoice {
            code: u.code.clone(),
            name: u.name.clone(),
            desks: open_desks.get(&u.id).copied().unwrap_or(0),
        })
        .collect();
    let view = PostersView {
        lang,
        nav: staff.nav(Some(&d.campaign.code)),
        campaign_code: d.campaign.code.clone(),
        campaign_name: d.campaign.name.clone(),
        warning: public_url_warning(&state),
        posters: matches!(
            d.campaign.status,
            CampaignStatus::Draft | CampaignStatus::Open
        ),
        all_desks: units.iter().map(|u| u.desks).sum(),
        whole_province: readable.is_none(),
        parents,
        units,
        demo: d.campaign.is_demo,
    };
    Ok(staff_page(StatusCode::OK).body(posters_page(&view).into_string()))
}

/// The print page: every chosen desk's poster, one per printed page.
#[get("/manage/campaigns/{campaign}/posters/print")]
pub async fn print(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<PrintQuery>,
) -> Result<HttpResponse, StaffError> {
    let lang = Lang::from_query(query.lang.as_deref());
    let selection = selection(&state, &staff, &path, &query, lang).await?;
    let campaign = &selection.current.description.campaign;
    let posters = printed(&state, &selection)
        .await?
        .into_iter()
        .map(|desk| sipas_templates::PosterPage {
            campaign_name: campaign.name.clone(),
            unit_name: desk.unit_name,
            service_point_name: desk.service_point.name,
            url: desk.url,
            demo: campaign.is_demo,
        })
        .collect();
    let page = print_page(&PrintView {
        lang,
        nav: staff.nav(Some(&campaign.code)),
        campaign_code: campaign.code.clone(),
        scope: selection.label.clone(),
        warning: public_url_warning(&state),
        posters,
    })
    .map_err(|e| StaffError::Internal(format!("cannot draw a QR code: {}", e.0)))?;
    Ok(staff_page(StatusCode::OK).body(page.into_string()))
}

/// The chosen desks' QR codes as a ZIP: `<unit>-<slug>/<desk>-<slug>.svg|.png`.
#[get("/manage/campaigns/{campaign}/posters.zip")]
pub async fn zip(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<PrintQuery>,
) -> Result<HttpResponse, StaffError> {
    let lang = Lang::from_query(query.lang.as_deref());
    let selection = selection(&state, &staff, &path, &query, lang).await?;
    let desks = printed(&state, &selection).await?;
    // ~250 desks of a province are a few megabytes: drawn off the async workers.
    let bytes = web::block(move || crate::desks::qr_zip(&desks))
        .await
        .map_err(|e| StaffError::Internal(e.to_string()))?
        .map_err(StaffError::Internal)?;
    let campaign = &selection.current.description.campaign.code;
    let name = if selection.file_part.is_empty() {
        format!("{campaign}-qr.zip")
    } else {
        format!("{campaign}-{}-qr.zip", selection.file_part)
    };
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes))
}
