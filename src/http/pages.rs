//! Pages for people (as opposed to the JSON API).

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::{ApiError, AppState};

#[get("/")]
pub async fn home(state: web::Data<AppState>) -> Result<maud::Markup, ApiError> {
    // Counts come from the score book: the front page never scans responses.
    let campaigns = state.storage.campaigns().await?;
    let mut summaries = Vec::with_capacity(campaigns.len());
    for c in campaigns {
        let responses = state.scores.counted(&c).await?;
        summaries.push(sipas_templates::home::CampaignSummary {
            code: c.code,
            name: c.name,
            status: c.status.as_str().to_owned(),
            starts_on: c.starts_on.to_string(),
            ends_on: c.ends_on.to_string(),
            responses,
            is_demo: c.is_demo,
        });
    }
    let citizen_demo_url =
        crate::demo::citizen_demo_url(&state.storage, state.citizen.keys(), &state.public_url)
            .await?;
    Ok(sipas_templates::home::page(
        &sipas_templates::home::HomeView {
            campaigns: summaries,
            citizen_demo_url,
        },
    ))
}

/// The printable A4 poster of a desk's QR code.
#[get("/posters/{campaign}/{unit}/{service_point}")]
pub async fn poster(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> HttpResponse {
    let (campaign, unit, service_point) = path.into_inner();
    let desk = match super::api::desks::resolve_desk(&state, &campaign, &unit, &service_point).await
    {
        Ok(desk) => desk,
        Err(e) if e.status == actix_web::http::StatusCode::NOT_FOUND => {
            return super::survey::not_found_page();
        }
        Err(e) => return actix_web::ResponseError::error_response(&e),
    };
    let page = sipas_templates::poster_page(&sipas_templates::PosterPage {
        campaign_name: desk.campaign.name,
        unit_name: desk.unit.name,
        service_point_name: desk.service_point.name,
        url: desk.url,
        demo: desk.campaign.is_demo,
    });
    match page {
        Ok(markup) => super::survey::html(markup),
        Err(e) => actix_web::ResponseError::error_response(&ApiError::new(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("cannot draw the QR code: {}", e.0),
        )),
    }
}

/// Anything unknown: JSON for API clients, a page for people.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    if req.path().starts_with("/api/") {
        return actix_web::ResponseError::error_response(&ApiError::not_found(
            "no such API endpoint; see /api/v1/openapi.json",
        ));
    }
    HttpResponse::NotFound()
        .content_type("text/html; charset=utf-8")
        .body("<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><title>Không tìm thấy</title><p>Không tìm thấy trang này. <a href=\"/\">Về trang chủ</a></p></html>")
}
