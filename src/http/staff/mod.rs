//! Pages for survey managers: login and password ([`account`]), the logged-in member
//! ([`auth::Staff`]), the campaign list, overview and digest, the unit page with its
//! charts, the exports, and the desks' public posters. Every read is scoped to the
//! member's units (404 outside); failures are pages in the shared layout.

mod account;
mod admin;
pub mod auth;
mod desks;
mod exports;
mod league;
mod overview;
mod pages;
mod posters;
mod receipts;
mod round;
mod unit;
mod uploads;
mod webhooks;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sipas_templates::{ErrorPage, Lang};

use crate::http::html_page;
use crate::storage::StorageError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(upload_config())
        .service(pages::home)
        .service(pages::poster)
        .service(account::login)
        .service(account::login_post)
        .service(account::logout)
        .service(account::password)
        .service(account::password_post)
        // Before the overview's `/manage/campaigns/{campaign}`, which `new` would match.
        .service(round::new_campaign)
        .service(round::create_campaign)
        .service(round::setup)
        .service(round::open)
        .service(round::close)
        .service(round::publish_page)
        .service(round::publish)
        .service(round::snapshot_document)
        .service(round::quota_page)
        .service(round::override_quota)
        .service(round::undo_quota_override)
        .service(unit::page)
        .service(unit::chart_file)
        .service(unit::desk_qr)
        .service(exports::export)
        .service(overview::campaigns)
        .service(overview::overview_page)
        .service(overview::digest_page)
        .service(desks::page)
        .service(desks::add)
        .service(desks::rename)
        .service(desks::close)
        .service(desks::kiosk_enable)
        .service(desks::kiosk_revoke)
        .service(posters::chooser)
        .service(posters::print)
        .service(posters::zip)
        .service(receipts::page)
        .service(receipts::issue)
        .service(league::league_export)
        .service(league::league)
        .service(league::appraisals_template)
        .service(league::appraisals_get)
        .service(league::appraisals_upload)
        .service(uploads::frame_template)
        .service(uploads::frame_apply)
        .service(uploads::frame)
        .service(uploads::frame_upload)
        .service(uploads::paper_template)
        .service(uploads::entry)
        .service(uploads::entry_post)
        .service(uploads::paper_forms)
        .service(uploads::paper_upload)
        .service(admin::users_page)
        .service(admin::create_user)
        .service(admin::reset_password)
        .service(admin::disable_user)
        .service(admin::enable_user)
        .service(admin::tokens_page)
        .service(admin::create_token)
        .service(admin::revoke_confirm)
        .service(admin::revoke_token)
        .service(admin::audit_page)
        .service(webhooks::page)
        .service(webhooks::create)
        .service(webhooks::delete_confirm)
        .service(webhooks::delete)
        .service(webhooks::resend);
}

/// The query of a page that takes only its language: `?lang=vi|en`.
#[derive(serde::Deserialize)]
pub struct LangQuery {
    pub lang: Option<String>,
}

/// Uploads (frames, paper forms) as `actix_multipart::form::MultipartForm`: at most
/// [`crate::tabular::MAX_UPLOAD_BYTES`], held in memory, and a refused upload is a page.
fn upload_config() -> actix_multipart::form::MultipartFormConfig {
    use actix_multipart::MultipartError;
    actix_multipart::form::MultipartFormConfig::default()
        .total_limit(crate::tabular::MAX_UPLOAD_BYTES + 64 * 1024)
        .memory_limit(crate::tabular::MAX_UPLOAD_BYTES + 64 * 1024)
        .error_handler(|err, _req| match err {
            MultipartError::Payload(actix_web::error::PayloadError::Overflow) => {
                StaffError::TooLarge.into()
            }
            other if other.to_string().contains("limit") => StaffError::TooLarge.into(),
            other => StaffError::BadRequest(format!(
                "Không đọc được tệp tải lên. (The upload could not be read: {other}.)"
            ))
            .into(),
        })
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
    /// Logged in, but their role or scope does not allow this change.
    #[error("not allowed")]
    NotAllowed,
    /// A request no form of ours sends (a malformed query or upload): the message says
    /// what was wrong, in Vietnamese and English.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// An upload over the limit.
    #[error("the upload is too large")]
    TooLarge,
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

impl From<crate::snapshots::SnapshotError> for StaffError {
    fn from(err: crate::snapshots::SnapshotError) -> Self {
        use crate::snapshots::SnapshotError;
        match err {
            SnapshotError::Unknown { .. } => Self::NotFound,
            SnapshotError::Channels { .. } => Self::BadRequest(err.to_string()),
            SnapshotError::Storage(e) => e.into(),
            SnapshotError::Scores(e) => e.into(),
            SnapshotError::Unreadable { .. } => Self::Internal(err.to_string()),
        }
    }
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
            Self::Forbidden | Self::NotAllowed => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
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
        let message = match self {
            Self::NotAllowed => Some(
                "Vai trò hoặc phạm vi của bạn không cho phép thay đổi này. \
                 (Your role or scope does not allow this change.)"
                    .to_owned(),
            ),
            Self::BadRequest(message) => Some(message.clone()),
            Self::TooLarge => Some(format!(
                "Tệp quá lớn: tối đa {} MB. (The file is too large: at most {} MB.)",
                crate::tabular::MAX_UPLOAD_BYTES >> 20,
                crate::tabular::MAX_UPLOAD_BYTES >> 20
            )),
            _ => None,
        };
        if message.is_some() {
            let page = sipas_templates::error_page(&ErrorPage {
                lang: Lang::Vi,
                message,
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
        let mut response = html_page(status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            // The database is out of reach: usually for moments.
            response.insert_header((actix_web::http::header::RETRY_AFTER, "30"));
        }
        response.body(page.into_string())
    }
}
