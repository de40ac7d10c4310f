//! The OpenAPI 3 description, generated from the handlers themselves so it cannot
//! drift from the implementation, and a plain page listing the endpoints.

use actix_web::{HttpResponse, get};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

mod reference;

use super::{
    ErrorBody, ErrorDetail, campaigns, desks, imports, league, par_schemes, quotas, receipts,
    scores, snapshots, units, webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "SIPAS API", description = "Citizen satisfaction (SIPAS) for the PAR Index. Bearer tokens: `sipas token create`."),
    paths(
        units::list_units,
        units::import_units,
        units::create_unit,
        units::rename_unit,
        units::close_unit,
        units::list_service_points,
        units::create_service_point,
        units::rename_service_point,
        units::close_service_point,
        par_schemes::list_schemes,
        par_schemes::get_scheme,
        par_schemes::put_scheme,
        campaigns::list_campaigns,
        campaigns::create_campaign,
        campaigns::open_campaign,
        campaigns::close_campaign,
        snapshots::publish,
        snapshots::list_snapshots,
        snapshots::get_snapshot,
        receipts::create_receipt,
        desks::desk_qr,
        imports::replace_frame,
        imports::import_responses,
        scores::campaign_scores,
        scores::unit_scores,
        scores::unit_change,
        quotas::campaign_quotas,
        webhooks::create_webhook,
        webhooks::list_webhooks,
        webhooks::delete_webhook,
        webhooks::webhook_deliveries,
        league::put_appraisals,
        league::league,
    ),
    components(schemas(
        ErrorBody,
        ErrorDetail,
        crate::reports::scores::EstimateDoc,
        crate::reports::scores::ParPointsDoc,
        crate::reports::league::LeagueUnit,
        crate::reports::league::UnrankedUnit
    )),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[get("/api/v1/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

/// The API reference for people, without any outside script (the service runs on
/// closed networks): every route of the document grouped by tag, with its parameters and
/// the fields of its bodies, resolved from the document when the page is asked for, so a
/// route added to the document appears here without more work.
#[get("/api/docs")]
pub async fn api_docs(query: actix_web::web::Query<LangQuery>) -> HttpResponse {
    let doc = ApiDoc::openapi();
    let value = serde_json::to_value(&doc).unwrap_or_default();
    let lang = sipas_templates::Lang::from_query(query.lang.as_deref());
    let page = sipas_templates::api_docs::page_in(
        lang,
        Some(sipas_templates::api_docs::PATH),
        &sipas_templates::api_docs::ApiDocsView {
            title: doc.info.title.clone(),
            version: doc.info.version.clone(),
            groups: reference::groups(&value),
        },
    );
    crate::http::html_page(actix_web::http::StatusCode::OK).body(page.into_string())
}

#[derive(serde::Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

/// Each documented path as its segments (a `{name}` segment matches any one segment)
/// with the methods it answers: built once from the document, so routes added to it
/// are known without a list to keep in step.
fn documented_routes() -> &'static [(Vec<String>, Vec<String>)] {
    static ROUTES: std::sync::OnceLock<Vec<(Vec<String>, Vec<String>)>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| {
        ApiDoc::openapi()
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                let mut methods: Vec<String> = operations(item)
                    .map(|(method, _)| method.to_owned())
                    .collect();
                if methods.iter().any(|m| m == "GET") {
                    methods.push("HEAD".to_owned());
                }
                (segments, methods)
            })
            .collect()
    })
}

/// The methods of the documented routes whose templates match `path`, if any.
pub fn allowed_methods(path: &str) -> Option<Vec<String>> {
    let asked: Vec<&str> = path.split('/').collect();
    let mut allowed: Vec<String> = Vec::new();
    for (_, methods) in documented_routes().iter().filter(|(segments, _)| {
        segments.len() == asked.len()
            && segments.iter().zip(&asked).all(|(template, part)| {
                template == part
                    || (template.starts_with('{') && template.ends_with('}') && !part.is_empty())
            })
    }) {
        for method in methods {
            if !allowed.contains(method) {
                allowed.push(method.clone());
            }
        }
    }
    (!allowed.is_empty()).then_some(allowed)
}

/// A path item's operations with their methods, in a fixed order.
pub fn operations(
    item: &utoipa::openapi::PathItem,
) -> impl Iterator<Item = (&'static str, &utoipa::openapi::path::Operation)> {
    [
        ("GET", &item.get),
        ("POST", &item.post),
        ("PUT", &item.put),
        ("PATCH", &item.patch),
        ("DELETE", &item.delete),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.as_ref().map(|op| (method, op)))
}
