//! The OpenAPI 3 description, generated from the handlers themselves so it cannot
//! drift from the implementation, and a plain page listing the endpoints.

use actix_web::{HttpResponse, get};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    ErrorBody, ErrorDetail, campaigns, desks, imports, league, par_schemes, quotas, receipts,
    scores, units,
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
        receipts::create_receipt,
        desks::desk_qr,
        imports::replace_frame,
        imports::import_responses,
        scores::campaign_scores,
        scores::unit_scores,
        scores::unit_change,
        quotas::campaign_quotas,
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

/// A readable index of the API without any outside script (the service runs on closed
/// networks): each endpoint with its summary, and the JSON description for tools.
#[get("/api/docs")]
pub async fn api_docs(query: actix_web::web::Query<LangQuery>) -> HttpResponse {
    let doc = ApiDoc::openapi();
    let endpoints = doc
        .paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("DELETE", &item.delete),
            ]
            .into_iter()
            .filter_map(move |(method, op)| {
                op.as_ref().map(|op| sipas_templates::api_docs::Endpoint {
                    method,
                    path: path.clone(),
                    summary: op
                        .summary
                        .clone()
                        .or_else(|| op.description.clone())
                        .unwrap_or_default(),
                })
            })
        })
        .collect();
    let lang = sipas_templates::Lang::from_query(query.lang.as_deref());
    let page = sipas_templates::api_docs::page_in(
        lang,
        Some(sipas_templates::api_docs::PATH),
        &sipas_templates::api_docs::ApiDocsView {
            title: doc.info.title.clone(),
            version: doc.info.version.clone(),
            endpoints,
        },
    );
    crate::http::html_page(actix_web::http::StatusCode::OK).body(page.into_string())
}

#[derive(serde::Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}
