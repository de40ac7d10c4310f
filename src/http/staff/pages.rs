//! The overview and the printable posters.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use sipas_templates::Lang;

use super::LangQuery;
use super::StaffError;
use crate::http::{AppState, html_page};
use crate::storage::campaigns;

#[get("/")]
pub async fn home(
    state: web::Data<AppState>,
    query: web::Query<LangQuery>,
) -> Result<HttpResponse, StaffError> {
    // Counts come from the score book: the front page never scans responses.
    let mut summaries = Vec::new();
    for c in campaigns::all(state.storage.db()).await? {
        summaries.push(sipas_templates::home::CampaignSummary {
            responses: state.scores.counted(c.id),
            code: c.code,
            name: c.name,
            status: c.status.as_str().to_owned(),
            // Dates as a Vietnamese reader writes them, in both languages.
            starts_on: c.starts_on.format("%d/%m/%Y").to_string(),
            ends_on: c.ends_on.format("%d/%m/%Y").to_string(),
            is_demo: c.is_demo,
        });
    }
    let citizen_demo_url =
        crate::demo::citizen_demo_url(&state.storage, &state.keys, &state.public_url).await?;
    let lang = Lang::from_query(query.lang.as_deref());
    let page = sipas_templates::home::page_in(
        lang,
        Some(sipas_templates::home::PATH),
        &sipas_templates::home::HomeView {
            campaigns: summaries,
            citizen_demo_url,
        },
    );
    Ok(html_page(StatusCode::OK).body(page.into_string()))
}

/// The printable A4 poster of a desk's QR code.
#[get("/posters/{campaign}/{unit}/{service_point}")]
pub async fn poster(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, StaffError> {
    let (campaign, unit, service_point) = path.into_inner();
    let desk = crate::desks::resolve(
        &state.storage,
        &state.keys,
        &state.public_url,
        (&campaign, &unit, &service_point),
    )
    .await?;
    let page = sipas_templates::poster_page(&sipas_templates::PosterPage {
        campaign_name: desk.campaign.name,
        unit_name: desk.unit.name,
        service_point_name: desk.service_point.name,
        url: desk.url,
        demo: desk.campaign.is_demo,
    })
    .map_err(|e| StaffError::Internal(format!("cannot draw the QR code: {}", e.0)))?;
    Ok(html_page(StatusCode::OK).body(page.into_string()))
}
