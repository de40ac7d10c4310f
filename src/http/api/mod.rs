//! `/api/v1`, for the index engine, the one-stop system and data-entry tools: bearer
//! tokens, JSON bodies, and every error as the contract's JSON body (docs/api.md).

pub mod auth;
pub mod campaigns;
pub mod desks;
mod error;
pub mod imports;
pub mod league;
pub mod openapi;
pub mod paging;
pub mod par_schemes;
pub mod quotas;
pub mod receipts;
pub mod scores;
pub mod snapshots;
pub mod units;
pub mod webhooks;

pub use error::{ApiError, ErrorBody, ErrorDetail};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::reports::Document;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(openapi::openapi_json)
        .service(openapi::api_docs)
        .service(
            web::scope("/api/v1")
                .app_data(error::json_config())
                .app_data(error::query_config())
                .app_data(error::path_config())
                .app_data(web::PayloadConfig::new(imports::MAX_CSV_BYTES))
                .wrap(actix_web::middleware::from_fn(auth::require_token))
                .wrap(actix_web::middleware::from_fn(error::json_errors))
                .service(units::list_units)
                .service(units::import_units)
                .service(units::create_unit)
                .service(units::rename_unit)
                .service(units::close_unit)
                .service(units::list_service_points)
                .service(units::create_service_point)
                .service(units::rename_service_point)
                .service(units::close_service_point)
                .service(par_schemes::list_schemes)
                .service(par_schemes::get_scheme)
                .service(par_schemes::put_scheme)
                .service(campaigns::list_campaigns)
                .service(campaigns::create_campaign)
                .service(campaigns::open_campaign)
                .service(campaigns::close_campaign)
                .service(snapshots::publish)
                .service(snapshots::list_snapshots)
                .service(snapshots::get_snapshot)
                .service(receipts::create_receipt)
                .service(desks::desk_qr)
                .service(imports::replace_frame)
                .service(imports::import_responses)
                .service(scores::campaign_scores)
                .service(scores::unit_scores)
                .service(scores::unit_change)
                .service(quotas::campaign_quotas)
                .service(webhooks::create_webhook)
                .service(webhooks::list_webhooks)
                .service(webhooks::delete_webhook)
                .service(webhooks::webhook_deliveries)
                .service(league::put_appraisals)
                .service(league::league)
                .default_service(web::to(|| async {
                    Err::<HttpResponse, _>(ApiError::not_found(
                        "no such API endpoint; see /api/v1/openapi.json",
                    ))
                })),
        );
}

/// Serves a document with its entity tag, gzip-compressed (once, then kept) when the
/// client accepts it; a request whose `If-None-Match` names either form (weakly or
/// strongly, or `*`) gets 304 and no body.
pub fn with_etag(req: &HttpRequest, document: &Document) -> HttpResponse {
    let plain = format!("\"{}\"", document.tag);
    let gzipped = format!("\"{}-gzip\"", document.tag);
    let matches = none_match(req, &[&plain, &gzipped]);
    let gzip = accepts_gzip(req);
    let etag = if gzip { gzipped } else { plain };
    if matches {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::VARY, "Accept-Encoding"))
            .finish();
    }
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::VARY, "Accept-Encoding"))
        .content_type("application/json");
    if gzip {
        response
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(document.gzip().clone())
    } else {
        response.body(document.json.clone())
    }
}

/// Whether the request's `If-None-Match` names one of `tags` (each quoted, `"…"`) or
/// is `*`, compared weakly as RFC 9110 §13.1.2 asks of it: `W/"x"` matches `"x"`, and
/// a list matches when any of its members does. For any response with an entity tag.
pub fn none_match(req: &HttpRequest, tags: &[&str]) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim())
        .map(|tag| tag.strip_prefix("W/").unwrap_or(tag))
        .any(|tag| tag == "*" || tags.contains(&tag))
}

/// Whether the request's `Accept-Encoding` allows gzip (not with `q=0`).
fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| {
            let mut pieces = part.split(';').map(str::trim);
            let coding = pieces.next().unwrap_or_default();
            let refused = pieces.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}
