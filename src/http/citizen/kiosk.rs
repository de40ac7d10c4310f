//! A desk's shared tablet (kiosk mode): the desk's form at `/k/{token}`, and after each
//! answer a thank-you page that returns to a fresh form by itself (a `Refresh` header,
//! no JavaScript). The tablet is known by its own cookie, scoped to `/k/`.

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use sipas_templates::Lang;

use super::failure;
use super::survey::{LangQuery, answer, citizen_page, fresh_form, thanks_page};
use crate::citizen::OpenSurvey;
use crate::http::{AppState, precompressed};
use crate::kiosks::kiosk_path;

const TABLET_COOKIE: &str = "sipas_tablet";
/// Seconds the thank-you page stays before the next person's form.
const NEXT_FORM_SECONDS: u32 = 5;

async fn open(
    state: &AppState,
    token: &str,
    query: &LangQuery,
) -> Result<(Lang, String, OpenSurvey), HttpResponse> {
    let (lang, path) = (query.lang(), kiosk_path(token));
    match state.citizen.open_kiosk(token).await {
        Ok(survey) => Ok((lang, path, survey)),
        Err(e) => Err(failure(e, lang, path)),
    }
}

#[get("/k/{token}")]
pub async fn show_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    query: web::Query<LangQuery>,
) -> HttpResponse {
    let (lang, _, survey) = match open(&state, &token, &query).await {
        Ok(opened) => opened,
        Err(page) => return page,
    };
    fresh_form(&req, &state, &survey, lang, (TABLET_COOKIE, "/k/"))
}

#[post("/k/{token}")]
pub async fn submit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    query: web::Query<LangQuery>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (lang, path, survey) = match open(&state, &token, &query).await {
        Ok(opened) => opened,
        Err(page) => return page,
    };
    let tablet = req.cookie(TABLET_COOKIE);
    answer(
        &req,
        &state,
        (lang, path, &survey),
        &form,
        tablet.as_ref().map(|c| c.value()),
    )
    .await
}

#[get("/k/{token}/thanks")]
pub async fn thanks(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    query: web::Query<LangQuery>,
) -> HttpResponse {
    let (lang, path, survey) = match open(&state, &token, &query).await {
        Ok(opened) => opened,
        Err(page) => return page,
    };
    let next = sipas_templates::layout::lang_href(&path, lang);
    let kept = thanks_page(&state, &survey, lang, Some(next.clone()));
    let mut page = citizen_page(StatusCode::OK);
    page.insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("Refresh", format!("{NEXT_FORM_SECONDS}; url={next}")));
    precompressed::respond(page, &req, &kept, b"")
}
