//! The citizen's pages: the survey form behind a QR code, its submission, the
//! thank-you page, and a receipt token's own QR code. Every failure is a page in plain
//! Vietnamese (or English), never a bare server error.

pub mod kiosk;
pub mod survey;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sipas_templates::Lang;

use crate::citizen::CitizenError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(survey::form_config())
        .service(survey::show_form)
        .service(survey::submit_form)
        .service(survey::thanks)
        .service(survey::token_qr)
        .service(kiosk::show_form)
        .service(kiosk::submit_form)
        .service(kiosk::thanks);
}

/// This audience's conversion of errors: a failure on the citizen path becomes a page.
pub(crate) fn failure(err: CitizenError, lang: Lang, path: String) -> HttpResponse {
    match err {
        CitizenError::NotFound => survey::not_found(lang, Some(path)),
        CitizenError::Closed(_) => {
            survey::error(StatusCode::GONE, lang, None, Some(lang.text().closed))
        }
        CitizenError::KioskRevoked => survey::error(
            StatusCode::GONE,
            lang,
            None,
            Some(lang.text().kiosk_revoked),
        ),
        CitizenError::Storage(e) => {
            tracing::error!(error = %e, "citizen path failed");
            let mut response =
                survey::error(StatusCode::SERVICE_UNAVAILABLE, lang, Some(path), None);
            response.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                survey::RETRY_AFTER_OUTAGE.into(),
            );
            response
        }
    }
}
