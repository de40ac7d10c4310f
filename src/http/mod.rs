//! The HTTP layer, split by audience; each audience has its own routes, its own error
//! type and its own conversion of errors to responses, and none reaches into another:
//!
//! * [`api`]: `/api/v1`, bearer tokens, JSON errors (the contract of docs/api.md);
//! * [`citizen`]: the survey behind a QR code, plain-language pages;
//! * [`staff`]: pages for survey managers (the overview, posters; the dashboard next).
//!
//! Handlers are thin: they parse the request into domain types, call a service or the
//! storage and report layers, and render. What every audience shares (the page
//! headers, QR images, the generic 404) is here.

pub mod api;
pub mod citizen;
mod health;
mod logging;
pub mod precompressed;
pub mod staff;

pub use logging::RequestLine;

use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use sipas_domain::token::SigningKeys;
use sipas_templates::Lang;

use crate::citizen::CitizenService;
use crate::redis_store::RedisStore;
use crate::scores::ScoreBook;
use crate::storage::Storage;

/// What every handler may reach, shared by all workers.
pub struct AppState {
    pub storage: Storage,
    pub redis: Arc<RedisStore>,
    pub citizen: CitizenService,
    pub scores: ScoreBook,
    pub keys: SigningKeys,
    /// Score and quota documents already serialized.
    pub documents: crate::reports::DocumentCache,
    /// Base URL for links and QR codes, without a trailing slash.
    pub public_url: String,
    /// Whose `X-Forwarded-For` is believed (`SIPAS_TRUSTED_PROXIES`).
    pub trusted_proxies: sipas_domain::network::TrustedProxies,
    /// Staff sessions, known to every node.
    pub sessions: crate::sessions::SessionStore,
    /// Login attempts per account and per address, counted across nodes.
    pub login_limiter: crate::rate_limit::RateLimiter,
    /// Citizen pages kept compressed, by desk, language and campaign revision.
    pub pages: precompressed::PageCache,
    /// API tokens this node has checked, forgotten on every node at a revocation.
    pub tokens: Arc<crate::tokens::ApiTokens>,
}

/// The client's network as rate limits count it: the peer, or the address our
/// trusted proxies say they received the request from; an IPv6 client by its /64.
pub fn client_address(
    req: &HttpRequest,
    proxies: &sipas_domain::network::TrustedProxies,
) -> Option<String> {
    let peer = req.peer_addr()?.ip();
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    Some(sipas_domain::network::limited_network(
        proxies.client(peer, &forwarded),
    ))
}

/// Every route of the service, audience by audience.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .configure(api::routes)
        .configure(citizen::routes)
        .configure(staff::routes)
        .default_service(web::to(not_found));
}

/// No unit, campaign, desk or token has a NUL byte in its name, and PostgreSQL refuses
/// one in any text it is sent, so a path or query holding one (`%00`) is answered as
/// not found here, before any handler can send it to the database.
pub async fn refuse_nul(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<
    actix_web::dev::ServiceResponse<actix_web::body::EitherBody<impl actix_web::body::MessageBody>>,
    actix_web::Error,
> {
    let uri = req.uri().to_string();
    let has_nul = |text: &str| text.contains('\0') || text.to_ascii_lowercase().contains("%00");
    // A survey token is verified by its signature before anything is looked up, and a
    // bad one gets the citizen's own page.
    if has_nul(&uri) && !req.path().starts_with("/s/") {
        let response = not_found(req.request().clone()).await;
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// The policy of any response that set none (JSON, images, QR codes, CSV): it may
/// load nothing and be framed by nobody.
const DEFAULT_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Paths of the citizen's pages (a survey or kiosk token): their CSP allows exactly
/// the page's own inline CSS by its hash, never `'unsafe-inline'`.
const CITIZEN_PREFIXES: [&str; 2] = ["/s/", "/k/"];

/// The CSP of a citizen page: its own style blocks by their hashes, nothing else.
pub fn citizen_policy(
    html: &str,
) -> Result<header::HeaderValue, actix_web::http::header::InvalidHeaderValue> {
    let hashes = sipas_templates::layout::style_hashes(html);
    header::HeaderValue::from_str(&format!(
        "default-src 'none'; style-src {}; img-src 'self' data:; form-action 'self'; \
         base-uri 'none'; frame-ancestors 'none'",
        if hashes.is_empty() {
            "'none'".to_owned()
        } else {
            hashes.join(" ")
        }
    ))
}

/// Security headers on every response, whatever produced it (API, home, API docs,
/// staff and citizen pages, the default 404): `nosniff`, no referrer, a CSP (the
/// handler's own, or [`DEFAULT_CSP`]); on a citizen page the CSP's `style-src` names
/// the hashes of the page's style blocks; behind an `https` public URL, HSTS.
pub async fn security_headers(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let https = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.public_url.starts_with("https://"));
    let citizen = CITIZEN_PREFIXES.iter().any(|p| req.path().starts_with(p));
    let mut res = next.call(req).await?.map_into_boxed_body();
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    // A page sent already compressed (kept so, `precompressed`) brings the policy
    // computed from its HTML when it was kept: its bytes here are not HTML.
    let encoded = res.headers().contains_key(header::CONTENT_ENCODING);
    if citizen && is_html && !encoded {
        // A citizen page is about 20 KB: read it whole to hash its style blocks.
        let (request, response) = res.into_parts();
        let (mut response, body) = response.into_parts();
        let bytes = actix_web::body::to_bytes(body)
            .await
            .map_err(|_| actix_web::error::ErrorInternalServerError("page body"))?;
        if let Ok(value) = citizen_policy(&String::from_utf8_lossy(&bytes)) {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, value);
        }
        res = actix_web::dev::ServiceResponse::new(
            request,
            response.set_body(actix_web::body::BoxBody::new(bytes)),
        );
    }
    let headers = res.headers_mut();
    let defaults = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, DEFAULT_CSP),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, header::HeaderValue::from_static(value));
        }
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            header::HeaderValue::from_static("max-age=31536000"),
        );
    }
    Ok(res)
}

/// Whether cookies must be `Secure`: the service is reached over https.
pub fn secure_cookies(state: &AppState) -> bool {
    state.public_url.starts_with("https://")
}

/// `HEAD` wherever `GET` is served (RFC 9110 §9.3.2), for every audience: the request
/// is routed and answered as a `GET`, so status and headers (`Content-Length`, `ETag`)
/// are the GET's, and the HTTP/1 codec, which noted the request was a `HEAD` when it
/// read it, writes no body.
pub async fn head_as_get(
    mut req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    next.call(req).await
}

/// Headers of every HTML page: nothing leaves the page (no referrer, no outside
/// resource, no framing).
pub fn html_page(status: StatusCode) -> HttpResponseBuilder {
    let mut builder = HttpResponse::build(status);
    builder
        .content_type("text/html; charset=utf-8")
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
             form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ));
    builder
}

/// Anything unknown: JSON under `/api/`, a page in the shared layout elsewhere.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    if req.path().starts_with("/api/") {
        return actix_web::ResponseError::error_response(&api::ApiError::not_found(
            "no such API endpoint; see /api/v1/openapi.json",
        ));
    }
    let lang = Lang::from_query(
        web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.get("lang").cloned())
            .as_deref(),
    );
    html_page(StatusCode::NOT_FOUND).body(sipas_templates::page_not_found(lang, None).into_string())
}

/// The survey URL a token's QR code encodes.
pub fn survey_url(public_url: &str, token: &str) -> String {
    format!("{public_url}/s/{token}")
}

/// A URL as an SVG or PNG QR code (`None` for another format); codes are immutable,
/// so they cache well.
pub fn qr_image(url: &str, format: &str, px: Option<u32>) -> Option<HttpResponse> {
    let rendered = match format {
        "svg" => sipas_templates::qr_svg(url).map(|svg| ("image/svg+xml", svg.into_bytes())),
        "png" => sipas_templates::qr_png(url, px.unwrap_or(8)).map(|png| ("image/png", png)),
        _ => return None,
    };
    Some(match rendered {
        Ok((content_type, body)) => HttpResponse::Ok()
            .content_type(content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
            .body(body),
        Err(e) => {
            tracing::error!(error = %e.0, "QR rendering failed");
            HttpResponse::InternalServerError().finish()
        }
    })
}
