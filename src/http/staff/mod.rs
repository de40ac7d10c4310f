//! Pages for survey managers: login and password ([`account`]), the logged-in member
//! ([`auth::Staff`]), the campaign list, overview and digest, the unit page with its
//! charts, the exports, and the desks' public posters. Every read is scoped to the
//! member's units (404 outside); failures are pages in the shared layout.

mod account;
pub mod auth;
mod exports;
mod overview;
mod pages;
mod unit;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sipas_templates::{ErrorPage, Lang};

use crate::http::html_page;
use crate::storage::StorageError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(pages::home)
        .service(pages::poster)
        .service(account::login)
        .service(account::login_post)
        .service(account::logout)
        .service(account::password)
        .service(account::password_post)
        .service(unit::page)
        .service(unit::chart_file)
        .service(unit::desk_qr)
        .service(exports::export)
        .service(overview::campaigns)
        .service(overview::overview_page)
        .service(overview::digest_page);
}

/// Headers of a logged-in page: the page headers, and never kept by a browser's or a
/// proxy's cache (it holds a unit's data and the session's form token).
pub fn staff_page(status: StatusCode) -> actix_web::HttpResponseBuilder {
    let mut builder = html_page(status);
    builder.insert_header((actix_web::http::header::CACHE_CONTROL, "private, no-store"));
    builder
}

/// What can go wrong on a staff page.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("not found")]
    NotFound,
    /// No live session: to the login page, then back to `next`.
    #[error("login required")]
    LoginRequired(String),
    /// A form without its session's token.
    #[error("the form's token is missing or wrong")]
    Forbidden,
    #[error(transparent)]
    Storage(StorageError),
    #[error("{0}")]
    Internal(String),
}

impl From<crate::scores::ScoreError> for StaffError {
    fn from(err: crate::scores::ScoreError) -> Self {
        match err {
            crate::scores::ScoreError::Storage(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// A campaign's official figures (its confidence, the default method, the channels it
/// counts), as the API serves them by default: what every dashboard view reads.
async fn official_scores(
    state: &crate::http::AppState,
    current: &crate::scores::CampaignState,
) -> Result<std::sync::Arc<crate::scores::CampaignScores>, StaffError> {
    let campaign = &current.description.campaign;
    let query = crate::scores::ScoreQuery::official(campaign)
        .map_err(|e| StaffError::Internal(e.to_string()))?;
    Ok(state.scores.scores(campaign.id, query).await?)
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
            Self::LoginRequired(_) => StatusCode::SEE_OTHER,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Storage(StorageError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// This audience's conversion of errors: a page in the shared layout.
    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let Self::LoginRequired(next) = self {
            let location = format!(
                "/login?next={}",
                percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC)
            );
            return HttpResponse::SeeOther()
                .insert_header((actix_web::http::header::LOCATION, location))
                .finish();
        }
        if let Self::Forbidden = self {
            let page = sipas_templates::error_page(&ErrorPage {
                lang: Lang::Vi,
                message: Some(
                    "Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử lại. \
                     (The form expired or is invalid: reload the page and try again.)"
                        .into(),
                ),
                ..Default::default()
            });
            return html_page(status).body(page.into_string());
        }
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
