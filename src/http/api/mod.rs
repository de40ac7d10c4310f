//! `/api/v1`: the contract of `docs/api.md`.

pub mod campaigns;
pub mod desks;
pub mod imports;
pub mod quotas;
pub mod receipts;
pub mod scores;
pub mod units;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(imports::MAX_CSV_BYTES))
        .service(units::list_units)
        .service(units::list_service_points)
        .service(units::create_service_point)
        .service(campaigns::list_campaigns)
        .service(campaigns::create_campaign)
        .service(receipts::create_receipt)
        .service(desks::desk_qr)
        .service(imports::replace_frame)
        .service(imports::import_responses)
        .service(scores::campaign_scores)
        .service(scores::unit_scores)
        .service(quotas::campaign_quotas)
        .default_service(web::to(|| async {
            Err::<actix_web::HttpResponse, _>(super::ApiError::not_found(
                "no such API endpoint; see /api/v1/openapi.json",
            ))
        }));
}
