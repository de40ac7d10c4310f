//! The webhooks page (`/manage/webhooks`, administrators only): endpoints, their recent
//! deliveries, and resending one. Thin: the changes are [`crate::webhooks`]' (the API
//! makes them the same way); every form checks its session's token.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use sipas_domain::campaign::vietnam_time;
use sipas_templates::Lang;
use sipas_templates::staff::form::FieldProblem;
use sipas_templates::staff::webhooks::{
    self as view, DeleteView, DeliveryLine, EndpointLine, WebhookNotice, WebhooksView,
};

use super::LangQuery;
use super::auth::Staff;
use super::{StaffError, staff_page};
use crate::http::AppState;
use crate::storage::{StorageError, webhooks as stored};
use crate::webhooks::ChangeError;

/// How many deliveries the page lists.
const RECENT: u64 = 50;
/// How much of an answer the page shows (the whole first kilobyte is in the API).
const SNIPPET_CHARS: usize = 200;

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    vietnam_time(at).format("%d/%m/%Y %H:%M:%S").to_string()
}

fn snippet(text: &str) -> String {
    let mut short: String = text.chars().take(SNIPPET_CHARS).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

async fn webhooks_view(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
) -> Result<WebhooksView, StaffError> {
    let db = state.storage.db();
    let endpoints = stored::active(db)
        .await?
        .into_iter()
        .map(|w| EndpointLine {
            id: w.id,
            url: w.url,
            created: when(w.created_at),
            created_by: w.created_by,
        })
        .collect();
    let deliveries = stored::recent_deliveries(db, None, RECENT)
        .await?
        .into_iter()
        .map(|row| {
            let d = row.delivery;
            let body: serde_json::Value = serde_json::from_str(&row.event.body).unwrap_or_default();
            let about = match (body["campaign"].as_str(), body["version"].as_u64()) {
                (Some(c), Some(v)) => format!("{c} · v{v}"),
                (Some(c), None) => c.to_owned(),
                _ => row.event.message_id.clone(),
            };
            let pending = d.status == stored::PENDING;
            DeliveryLine {
                id: d.id,
                kind: row.event.kind,
                about,
                url: row.url,
                can_resend: d.status != stored::DELIVERED && !row.endpoint_removed,
                next_attempt: pending.then(|| when(d.next_attempt_at)),
                status: d.status,
                attempts: d.attempts,
                response_status: d.response_status,
                snippet: d
                    .error
                    .as_deref()
                    .or(d.response_body.as_deref())
                    .filter(|s| !s.is_empty())
                    .map(snippet),
                last_attempt: d.last_attempt_at.map(when),
            }
        })
        .collect();
    Ok(WebhooksView {
        lang,
        nav: staff.nav(None),
        endpoints,
        deliveries,
        ..Default::default()
    })
}

fn respond(status: StatusCode, view: &WebhooksView) -> HttpResponse {
    staff_page(status).body(view::page(view).into_string())
}

#[get("/manage/webhooks")]
pub async fn page(
    staff: Staff,
    state: web::Data<AppState>,
    query: web::Query<LangQuery>,
) -> Result<HttpResponse, StaffError> {
    staff.require(staff.is_admin())?;
    let lang = Lang::from_query(query.lang.as_deref());
    let view = webhooks_view(&state, &staff, lang).await?;
    Ok(respond(StatusCode::OK, &view))
}

#[derive(Deserialize, Default)]
pub struct NewWebhookForm {
    #[serde(default)]
    csrf: String,
    lang: Option<String>,
    #[serde(default)]
    url: String,
}

#[derive(Deserialize, Default)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    lang: Option<String>,
}

fn form_or_default<T: Default>(form: Option<web::Form<T>>) -> T {
    form.map_or_else(T::default, web::Form::into_inner)
}

/// Adds an endpoint; the page shows its secret once.
#[post("/manage/webhooks")]
pub async fn create(
    staff: Staff,
    state: web::Data<AppState>,
    form: Option<web::Form<NewWebhookForm>>,
) -> Result<HttpResponse, StaffError> {
    let form = form_or_default(form);
    staff.require(staff.is_admin())?;
    staff.check_csrf(&state, &form.csrf)?;
    let lang = Lang::from_query(form.lang.as_deref());
    let result = crate::webhooks::create(&state.storage, &staff.account.username, &form.url).await;
    let mut view = webhooks_view(&state, &staff, lang).await?;
    match result {
        Ok(created) => {
            view.notice = Some(WebhookNotice::Created {
                url: created.url,
                secret: created.secret,
            });
            Ok(respond(StatusCode::OK, &view))
        }
        Err(ChangeError::Invalid(message)) => {
            let message = if lang == Lang::Vi {
                format!(
                    "Địa chỉ nhận chưa hợp lệ: cần là URL đầy đủ bắt đầu bằng https:// hoặc http://, tối đa 2000 ký tự ({message})."
                )
            } else {
                format!("The endpoint URL is not valid: {message}.")
            };
            view.errors = vec![FieldProblem {
                field: "url".into(),
                message,
            }];
            view.url = form.url;
            Ok(respond(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(ChangeError::Storage(e)) => Err(e.into()),
    }
}

/// Asks before removing an endpoint.
#[get("/manage/webhooks/{id}/delete")]
pub async fn delete_confirm(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<i32>,
    query: web::Query<LangQuery>,
) -> Result<HttpResponse, StaffError> {
    staff.require(staff.is_admin())?;
    let lang = Lang::from_query(query.lang.as_deref());
    let endpoint = stored::find_active(state.storage.db(), *path)
        .await
        .map_err(|_| StaffError::NotFound)?;
    let confirm = view::delete_page(&DeleteView {
        lang,
        nav: staff.nav(None),
        id: endpoint.id,
        url: endpoint.url,
    });
    Ok(staff_page(StatusCode::OK).body(confirm.into_string()))
}

#[post("/manage/webhooks/{id}/delete")]
pub async fn delete(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<i32>,
    form: Option<web::Form<ActionForm>>,
) -> Result<HttpResponse, StaffError> {
    let form = form_or_default(form);
    staff.require(staff.is_admin())?;
    staff.check_csrf(&state, &form.csrf)?;
    let lang = Lang::from_query(form.lang.as_deref());
    let endpoint = stored::find_active(state.storage.db(), *path)
        .await
        .map_err(|_| StaffError::NotFound)?;
    match crate::webhooks::delete(&state.storage, &staff.account.username, *path).await {
        Ok(()) => {}
        Err(ChangeError::Storage(StorageError::NotFound(_))) => return Err(StaffError::NotFound),
        Err(ChangeError::Storage(e)) => return Err(e.into()),
        Err(ChangeError::Invalid(m)) => return Err(StaffError::BadRequest(m)),
    }
    let mut view = webhooks_view(&state, &staff, lang).await?;
    view.notice = Some(WebhookNotice::Deleted { url: endpoint.url });
    Ok(respond(StatusCode::OK, &view))
}

/// Sends a pending or failed delivery again now.
#[post("/manage/webhooks/deliveries/{id}/resend")]
pub async fn resend(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: Option<web::Form<ActionForm>>,
) -> Result<HttpResponse, StaffError> {
    let form = form_or_default(form);
    staff.require(staff.is_admin())?;
    staff.check_csrf(&state, &form.csrf)?;
    let lang = Lang::from_query(form.lang.as_deref());
    let vi = lang == Lang::Vi;
    let (status, notice) =
        match crate::webhooks::resend(&state.storage, &staff.account.username, *path).await {
            Ok(()) => (StatusCode::OK, WebhookNotice::Resent { id: *path }),
            Err(ChangeError::Storage(StorageError::NotFound(_))) => {
                return Err(StaffError::NotFound);
            }
            Err(ChangeError::Storage(StorageError::Conflict(m))) => (
                StatusCode::CONFLICT,
                WebhookNotice::Refused(if vi {
                    if m.contains("removed") {
                        "Điểm nhận của lần gửi này đã bị gỡ: không thể gửi lại.".to_owned()
                    } else {
                        "Lần gửi này đã thành công: không cần gửi lại.".to_owned()
                    }
                } else {
                    format!("Not resent: {m}.")
                }),
            ),
            Err(ChangeError::Storage(e)) => return Err(e.into()),
            Err(ChangeError::Invalid(m)) => return Err(StaffError::BadRequest(m)),
        };
    let mut view = webhooks_view(&state, &staff, lang).await?;
    view.notice = Some(notice);
    Ok(respond(status, &view))
}
