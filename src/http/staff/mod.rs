//! Pages for survey managers: the overview and the desks' posters now; the dashboard
//! (login, scoped views, exports) next. Failures are pages in the shared layout.

mod pages;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sipas_templates::{ErrorPage, Lang};

use crate::http::html_page;
use crate::storage::StorageError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(pages::home).service(pages::poster);
}

/// What can go wrong on a staff page.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Storage(StorageError),
    #[error("{0}")]
    Internal(String),
}

impl From<StorageError> for StaffError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::NotFound(_) => Self::NotFound,
            other => Self::Storage(other),
        }
    }
}

impl actix_web::ResponseError for StaffError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Storage(StorageError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// This audience's conversion of errors: a page in the shared layout.
    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status == StatusCode::NOT_FOUND {
            return html_page(status)
                .body(sipas_templates::page_not_found(Lang::Vi, None).into_string());
        }
        tracing::error!(error = %self, "staff page failed");
        let page = sipas_templates::error_page(&ErrorPage {
            lang: Lang::Vi,
            ..Default::default()
        });
        html_page(status).body(page.into_string())
    }
}
