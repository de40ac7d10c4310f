//! The citizen's pages: the survey form behind a QR code, its submission, the
//! thank-you page, and the QR codes and posters that lead there.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, get, post, web};
use serde::Deserialize;
use sipas_templates::layout::OWN_URL;
use sipas_templates::{
    AlreadyAnsweredPage, CriterionView, ElementView, ErrorPage, Lang, NotFoundPage, SurveyForm,
    ThanksPage,
};

use super::failure;
use crate::citizen::{CitizenError, OpenSurvey, Outcome, PostedForm};
use crate::http::precompressed::{self, KeptBody, KeptPage, PageKey};
use crate::http::{AppState, client_address, html_page, qr_image, survey_url};

const DEVICE_COOKIE: &str = "sipas_device";
/// Seconds a citizen is asked to wait (`Retry-After`): a database outage is usually
/// short; a rate limit's window is ten minutes (the page says so too).
pub(super) const RETRY_AFTER_OUTAGE: u32 = 30;
const RETRY_AFTER_LIMITED: u32 = 600;

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

impl LangQuery {
    pub(super) fn lang(&self) -> Lang {
        Lang::from_query(self.lang.as_deref())
    }
}

/// The citizen pages carry a token in their URL and take no outside resource.
pub(super) fn citizen_page(status: StatusCode) -> HttpResponseBuilder {
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
        resend: Vec::new(),
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

pub(super) fn form_view(
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

pub(super) fn render_form(status: StatusCode, view: &SurveyForm) -> HttpResponse {
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
    fresh_form(&req, &state, &survey, lang, (DEVICE_COOKIE, "/s/"))
}

/// A fresh form with a new nonce; a browser without its counting cookie (`name`, scoped
/// to `scope`) gets one: a random-looking id derived from the fresh nonce's unique
/// bytes, only used to count its submissions.
///
/// Everything before the form's hidden fields is the same for every citizen of the desk
/// and language (whatever the path: QR code, receipt or kiosk): it is rendered and
/// compressed once ([`crate::http::precompressed`]), and only the fields and what
/// follows them are written per request.
pub(super) fn fresh_form(
    req: &HttpRequest,
    state: &AppState,
    survey: &OpenSurvey,
    lang: Lang,
    (name, scope): (&'static str, &'static str),
) -> HttpResponse {
    let now = chrono::Utc::now().timestamp();
    let nonce = state.citizen.new_nonce();
    let kept = state
        .pages
        .get_with(page_key(survey, lang, KeptPage::Form), || {
            let view = form_view(survey, lang, OWN_URL.to_owned(), String::new(), 0);
            sipas_templates::survey::fresh_form_parts(&view)
        });
    let mut tail = sipas_templates::survey::hidden_fields(&nonce, now).into_string();
    tail.push_str(&kept.after);
    let mut page = citizen_page(StatusCode::OK);
    // History navigation may reuse the page (and its nonce); a fresh visit asks again.
    page.insert_header((header::CACHE_CONTROL, "private, no-cache"));
    if req.cookie(name).is_none() {
        let id = state.keys.keyed_hash(name, nonce.as_bytes());
        let cookie = Cookie::build(name, id[..32].to_owned())
            .path(scope)
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(crate::http::secure_cookies(state))
            .max_age(actix_web::cookie::time::Duration::days(365))
            .finish();
        page.cookie(cookie);
    }
    precompressed::respond(page, req, &kept, tail.as_bytes())
}

/// What a kept page of this survey is the same for.
pub(super) fn page_key(survey: &OpenSurvey, lang: Lang, page: KeptPage) -> PageKey {
    PageKey {
        page,
        campaign_id: survey.campaign.id,
        revision: survey.campaign.revision,
        service_point_id: survey.place.service_point.id,
        lang,
    }
}

/// The thank-you page, the same for every citizen of a desk and language: kept
/// compressed. A kiosk's links to its own form.
pub(super) fn thanks_page(
    state: &AppState,
    survey: &OpenSurvey,
    lang: Lang,
    next_form: Option<String>,
) -> Arc<KeptBody> {
    let kept_as = match &next_form {
        Some(next) => KeptPage::KioskThanks { next: next.clone() },
        None => KeptPage::Thanks,
    };
    state.pages.get_with(page_key(survey, lang, kept_as), || {
        let page = sipas_templates::thanks_page(&ThanksPage {
            lang,
            path: Some(OWN_URL.to_owned()),
            unit_name: Some(survey.place.unit_name.clone()),
            service_point_name: Some(survey.place.service_point.name.clone()),
            demo: survey.campaign.is_demo,
            next_form,
        });
        (page.into_string(), String::new())
    })
}

#[post("/s/{token}")]
pub async fn submit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    query: web::Query<LangQuery>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (lang, path) = (query.lang(), survey_path(&token));
    let survey = match state.citizen.open(&token).await {
        Ok(survey) => survey,
        // Nothing of this desk or receipt seen lately and the database out of reach:
        // the form cannot be drawn, but what was sent is kept, to be sent again as is.
        Err(CitizenError::Storage(error)) => {
            tracing::error!(%error, "a citizen's form could not be opened; kept to be sent again");
            let page = sipas_templates::error_page(&ErrorPage {
                lang,
                retry_href: Some(match lang {
                    Lang::Vi => path.clone(),
                    Lang::En => format!("{path}?lang=en"),
                }),
                path: Some(path),
                message: Some(lang.text().unavailable_resend.to_owned()),
                resend: form.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                ..Default::default()
            });
            let mut response =
                citizen_page(StatusCode::SERVICE_UNAVAILABLE).body(page.into_string());
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(RETRY_AFTER_OUTAGE),
            );
            return response;
        }
        Err(e) => return failure(e, lang, path),
    };
    let device = req.cookie(DEVICE_COOKIE);
    answer(
        &req,
        &state,
        (lang, path, &survey),
        &form,
        device.as_ref().map(|c| c.value()),
    )
    .await
}

/// A posted form of a survey opened at `path`, by a device known by this cookie value:
/// stored and thanked, or the form again with what was wrong.
pub(super) async fn answer(
    req: &HttpRequest,
    state: &AppState,
    (lang, path, survey): (Lang, String, &OpenSurvey),
    form: &HashMap<String, String>,
    device: Option<&str>,
) -> HttpResponse {
    let posted = PostedForm {
        fields: form,
        language: lang.code(),
        device,
        address: client_address(req, &state.trusted_proxies),
    };
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let issued_at = field(sipas_templates::survey::FIELD_ISSUED_AT)
        .parse()
        .unwrap_or(0);
    let keep = |answers: Vec<(String, u8)>, nonce: String, issued_at: i64| {
        let mut view = form_view(survey, lang, path.clone(), nonce, issued_at);
        view.answers = answers.into_iter().collect::<BTreeMap<_, _>>();
        view.comment = field(sipas_templates::survey::FIELD_COMMENT);
        view
    };
    // The same form shown again with every answer and the same nonce: sent again, it is
    // stored once, whatever became of this attempt.
    let again = |status: StatusCode, notice: &str, retry_after: u32| {
        let answered = crate::citizen::answered(&survey.questionnaire, form);
        let mut view = keep(
            answered,
            field(sipas_templates::survey::FIELD_NONCE),
            issued_at,
        );
        view.notice = Some(notice.to_owned());
        let mut response = render_form(status, &view);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after));
        response
    };
    let outcome = match state.citizen.submit(survey, posted).await {
        Ok(o) => o,
        Err(CitizenError::Storage(error)) => {
            tracing::error!(%error, "a citizen's form could not be stored; shown again with its answers");
            return again(
                StatusCode::SERVICE_UNAVAILABLE,
                lang.text().unavailable,
                RETRY_AFTER_OUTAGE,
            );
        }
        Err(e) => return failure(e, lang, path),
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
        Outcome::RateLimited => again(
            StatusCode::TOO_MANY_REQUESTS,
            lang.text().rate_limited,
            RETRY_AFTER_LIMITED,
        ),
        Outcome::AlreadyAnswered => already_answered(survey, lang, path),
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
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    query: web::Query<LangQuery>,
) -> HttpResponse {
    let (lang, _, survey) = match open(&state, &token, &query).await {
        Ok(opened) => opened,
        Err(page) => return page,
    };
    let kept = thanks_page(&state, &survey, lang, None);
    precompressed::respond(citizen_page(StatusCode::OK), &req, &kept, b"")
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

/// The largest form taken: 22 answers and a comment of the longest kept, even with
/// every character percent-encoded, fit well within it.
pub const FORM_MAX_BYTES: usize = 32 * 1024;

/// Refusals of the form body itself as a page that says what happened and leads back
/// to the form: 413 for a form over the limit, 400 for a body that is not a form.
pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(FORM_MAX_BYTES)
        .error_handler(|err, req| {
            use actix_web::error::UrlencodedError;
            let lang = Lang::from_query(
                web::Query::<LangQuery>::from_query(req.query_string())
                    .ok()
                    .and_then(|q| q.into_inner().lang)
                    .as_deref(),
            );
            let path = Some(req.path().to_owned());
            let (status, message) = match &err {
                UrlencodedError::Overflow { .. } => {
                    (StatusCode::PAYLOAD_TOO_LARGE, lang.text().form_too_large)
                }
                _ => (StatusCode::BAD_REQUEST, lang.text().form_unreadable),
            };
            let response = error(status, lang, path, Some(message));
            actix_web::error::InternalError::from_response(err, response).into()
        })
}
