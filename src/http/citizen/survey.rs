//! The citizen's pages: the survey form behind a QR code, its submission, the
//! thank-you page, and the QR codes and posters that lead there.

use std::collections::{BTreeMap, HashMap};

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, get, post, web};
use serde::Deserialize;
use sipas_templates::{
    AlreadyAnsweredPage, CriterionView, ElementView, ErrorPage, Lang, NotFoundPage, SurveyForm,
    ThanksPage,
};

use super::failure;
use crate::citizen::{OpenSurvey, Outcome, PostedForm};
use crate::http::{AppState, client_address, html_page, qr_image, survey_url};

const DEVICE_COOKIE: &str = "sipas_device";

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

impl LangQuery {
    fn lang(&self) -> Lang {
        Lang::from_query(self.lang.as_deref())
    }
}

/// The citizen pages carry a token in their URL and take no outside resource.
fn citizen_page(status: StatusCode) -> HttpResponseBuilder {
    html_page(status)
}

fn survey_path(token: &str) -> String {
    format!("/s/{token}")
}

pub(super) fn not_found(lang: Lang, path: Option<String>) -> HttpResponse {
    citizen_page(StatusCode::NOT_FOUND)
        .body(sipas_templates::not_found_page(&NotFoundPage { lang, path }).into_string())
}

pub(super) fn error(
    status: StatusCode,
    lang: Lang,
    path: Option<String>,
    message: Option<&str>,
) -> HttpResponse {
    let page = sipas_templates::error_page(&ErrorPage {
        lang,
        retry_href: path.clone(),
        path,
        message: message.map(str::to_owned),
        reference: None,
    });
    citizen_page(status).body(page.into_string())
}

/// The page's language and path, and the survey behind its token; or the page that
/// explains why there is none.
async fn open(
    state: &AppState,
    token: &str,
    query: &LangQuery,
) -> Result<(Lang, String, OpenSurvey), HttpResponse> {
    let (lang, path) = (query.lang(), survey_path(token));
    match state.citizen.open(token).await {
        Ok(survey) => Ok((lang, path, survey)),
        Err(e) => Err(failure(e, lang, path)),
    }
}

fn form_view(
    survey: &OpenSurvey,
    lang: Lang,
    path: String,
    nonce: String,
    issued_at: i64,
) -> SurveyForm {
    let place = &survey.place;
    let campaign = &survey.campaign;
    let pick = |vi: &str, en: &str| match lang {
        Lang::Vi => vi.to_owned(),
        Lang::En => en.to_owned(),
    };
    SurveyForm {
        lang,
        path,
        campaign_name: campaign.name.clone(),
        unit_name: place.unit_name.clone(),
        service_point_name: Some(place.service_point.name.clone()),
        demo: campaign.is_demo,
        elements: survey
            .questionnaire
            .elements
            .iter()
            .map(|e| ElementView {
                code: e.code.clone(),
                name: pick(&e.name.vi, &e.name.en),
                criteria: e
                    .criteria
                    .iter()
                    .map(|c| CriterionView {
                        code: c.code.clone(),
                        text: pick(&c.text.vi, &c.text.en),
                    })
                    .collect(),
            })
            .collect(),
        nonce,
        issued_at,
        ..Default::default()
    }
}

fn render_form(status: StatusCode, view: &SurveyForm) -> HttpResponse {
    citizen_page(status)
        // History navigation may reuse the page (and its nonce); a fresh visit asks again.
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .body(sipas_templates::survey_form(view).into_string())
}

#[get("/s/{token}")]
pub async fn show_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    query: web::Query<LangQuery>,
) -> HttpResponse {
    let (lang, path, survey) = match open(&state, &token, &query).await {
        Ok(opened) => opened,
        Err(page) => return page,
    };
    if survey.already_answered {
        return already_answered(&survey, lang, path);
    }
    let now = chrono::Utc::now().timestamp();
    let view = form_view(&survey, lang, path, state.citizen.new_nonce(), now);
    let mut response = render_form(StatusCode::OK, &view);
    if req.cookie(DEVICE_COOKIE).is_none() {
        // A random-looking id for this browser, only used to count its submissions:
        // derived from the fresh nonce's unique bytes, so nothing else is needed.
        let device = state.keys.keyed_hash("device-id", view.nonce.as_bytes());
        let cookie = Cookie::build(DEVICE_COOKIE, device[..32].to_owned())
            .path("/s/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(crate::http::secure_cookies(&state))
            .max_age(actix_web::cookie::time::Duration::days(365))
            .finish();
        let _ = response.add_cookie(&cookie);
    }
    response
}

#[post("/s/{token}")]
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
    let device = req.cookie(DEVICE_COOKIE);
    let posted = PostedForm {
        fields: &form,
        language: lang.code(),
        device: device.as_ref().map(|c| c.value()),
        address: client_address(&req, state.trust_proxy),
    };
    let outcome = match state.citizen.submit(&survey, posted).await {
        Ok(o) => o,
        Err(e) => return failure(e, lang, path),
    };
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let issued_at = field(sipas_templates::survey::FIELD_ISSUED_AT)
        .parse()
        .unwrap_or(0);
    let keep = |answers: Vec<(String, u8)>, nonce: String, issued_at: i64| {
        let mut view = form_view(&survey, lang, path.clone(), nonce, issued_at);
        view.answers = answers.into_iter().collect::<BTreeMap<_, _>>();
        view.comment = field(sipas_templates::survey::FIELD_COMMENT);
        view
    };
    match outcome {
        Outcome::Accepted => HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("{path}/thanks?lang={}", lang.code()),
            ))
            .finish(),
        Outcome::Incomplete { answered, missing } => {
            let mut view = keep(
                answered,
                field(sipas_templates::survey::FIELD_NONCE),
                issued_at,
            );
            if missing.is_empty() {
                view.notice = Some(lang.text().all_no_opinion.to_owned());
            }
            view.missing = missing.into_iter().collect();
            render_form(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
        Outcome::StaleForm { answered } => {
            let now = chrono::Utc::now().timestamp();
            let mut view = keep(answered, state.citizen.new_nonce(), now);
            view.notice = Some(lang.text().stale_form.to_owned());
            render_form(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
        Outcome::RateLimited => error(
            StatusCode::TOO_MANY_REQUESTS,
            lang,
            Some(path.clone()),
            Some(lang.text().rate_limited),
        ),
        Outcome::AlreadyAnswered => already_answered(&survey, lang, path),
    }
}

fn already_answered(survey: &OpenSurvey, lang: Lang, path: String) -> HttpResponse {
    let page = sipas_templates::already_answered_page(&AlreadyAnsweredPage {
        lang,
        path: Some(path),
        unit_name: Some(survey.place.unit_name.clone()),
        demo: survey.campaign.is_demo,
    });
    citizen_page(StatusCode::OK).body(page.into_string())
}

#[get("/s/{token}/thanks")]
pub async fn thanks(
    state: web::Data<AppState>,
    token: web::Path<String>,
    query: web::Query<LangQuery>,
) -> HttpResponse {
    let (lang, path, survey) = match open(&state, &token, &query).await {
        Ok(opened) => opened,
        Err(page) => return page,
    };
    let page = sipas_templates::thanks_page(&ThanksPage {
        lang,
        path: Some(format!("{path}/thanks")),
        unit_name: Some(survey.place.unit_name.clone()),
        service_point_name: Some(survey.place.service_point.name.clone()),
        demo: survey.campaign.is_demo,
    });
    citizen_page(StatusCode::OK).body(page.into_string())
}

#[derive(Deserialize)]
pub struct QrQuery {
    /// Pixels per module of a PNG (default 8).
    px: Option<u32>,
}

/// A survey token's own QR code: what the one-stop system prints on a receipt.
#[get("/s/{token}/qr.{format}")]
pub async fn token_qr(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<QrQuery>,
) -> HttpResponse {
    let (token, format) = path.into_inner();
    if state.keys.verify(&token).is_err() {
        return not_found(Lang::Vi, None);
    }
    qr_image(&survey_url(&state.public_url, &token), &format, query.px)
        .unwrap_or_else(|| not_found(Lang::Vi, None))
}

/// Refusals of the form body itself (not form-encoded, too large) as a page.
pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(32 * 1024)
        .error_handler(|err, _| {
            let response = error(StatusCode::BAD_REQUEST, Lang::Vi, None, None);
            actix_web::error::InternalError::from_response(err, response).into()
        })
}
