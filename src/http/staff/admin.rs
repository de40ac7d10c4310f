//! The administrators' pages: staff accounts, API tokens and the audit log. Thin: the
//! changes are [`crate::accounts`]' (the command line makes them the same way), the
//! audit view is the report layer's; every page is for admins only (403 otherwise) and
//! every form checks its session's token.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use sipas_domain::access::{NewUser, Scope};
use sipas_domain::campaign::{FieldError, vietnam_time};
use sipas_templates::Lang;
use sipas_templates::staff::admin::{
    self as view, AuditFilterForm, AuditView, RevokeView, ScopeGroup, ScopeOption, TokenLine,
    TokenNotice, TokensView, UserForm, UserLine, UserNotice, UsersView,
};
use sipas_templates::staff::form::FieldProblem;

use super::LangQuery;
use super::auth::Staff;
use super::{StaffError, staff_page};
use crate::accounts::{self, AccountError, Refusal};
use crate::http::AppState;
use crate::reports::audit::{self as report, AuditQuery};
use crate::storage::{api_clients, audit, units, users};

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    vietnam_time(at).format("%d/%m/%Y %H:%M").to_string()
}

/// A field's problem in the page's language (the domain's message in English).
fn problem(lang: Lang, e: &FieldError) -> FieldProblem {
    let m = e.message.as_str();
    let vi = match (e.field, m) {
        ("username", m) if m.contains("already exists") => "Tên đăng nhập này đã có người dùng.",
        ("username", _) => {
            "Tên đăng nhập cần 3–64 ký tự: chữ cái không dấu, chữ số, '.', '_' hoặc '-'."
        }
        ("display_name", _) => "Họ tên tối đa 200 ký tự, không chứa ký tự điều khiển.",
        ("role", _) => "Chọn một vai trò: quản trị cấp tỉnh, cán bộ quản lý hoặc người xem.",
        ("scope", m) if m.contains("admin") => {
            "Quản trị cấp tỉnh phụ trách toàn tỉnh: chọn phạm vi “Toàn tỉnh”."
        }
        ("scope", m) if m.contains("no unit") => "Hiện không có đơn vị nào mang mã này.",
        ("scope", _) => "Phạm vi phải là mã của một đơn vị.",
        ("name", _) => "Cần nhập tên, không chứa ký tự điều khiển.",
        ("scopes", _) => "Chọn ít nhất một quyền: đọc hoặc ghi.",
        _ => m,
    };
    FieldProblem {
        field: e.field.to_owned(),
        message: if lang == Lang::Vi { vi } else { m }.to_owned(),
    }
}

fn refusal(lang: Lang, r: &Refusal) -> String {
    match (lang, r) {
        (Lang::Vi, Refusal::OwnAccount) => "Bạn không thể tự khóa tài khoản của mình.".to_owned(),
        (Lang::Vi, Refusal::LastAdmin) => {
            "Đây là quản trị viên cuối cùng còn hoạt động: hãy tạo hoặc mở khóa một quản trị viên khác trước."
                .to_owned()
        }
        (Lang::Vi, Refusal::AlreadyRevoked { name, .. }) => {
            format!("Mã truy cập của {name} đã bị thu hồi trước đó.")
        }
        (Lang::En, r) => {
            let text = r.to_string();
            let mut chars = text.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>() + ".")
                .unwrap_or_default()
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    lang: Option<String>,
}

/// The form of a change, or an empty one (refused by its missing token).
fn form_or_default<T: Default>(form: Option<web::Form<T>>) -> T {
    form.map_or_else(T::default, web::Form::into_inner)
}

// ---------------------------------------------------------------------------------
// Users

/// The users page: every account and the units a new one may answer for.
async fn users_view(state: &AppState, staff: &Staff, lang: Lang) -> Result<UsersView, StaffError> {
    let db = state.storage.db();
    let vi = lang == Lang::Vi;
    let list = users::list(db).await?;
    let types = units::types(db).await?;
    let today = units::list(db, &units::UnitFilter::default()).await?;
    let groups = types
        .iter()
        .filter(|t| t.code != "province")
        .filter_map(|t| {
            let members: Vec<ScopeOption> = today
                .iter()
                .filter(|u| u.unit_type == t.code)
                .map(|u| ScopeOption {
                    code: u.code.clone(),
                    name: u.name.clone(),
                })
                .collect();
            (!members.is_empty()).then(|| ScopeGroup {
                label: if vi {
                    t.name_vi.clone()
                } else {
                    t.name_en.clone()
                },
                units: members,
            })
        })
        .collect();
    Ok(UsersView {
        lang,
        nav: staff.nav(None),
        users: list
            .into_iter()
            .map(|u| UserLine {
                is_self: u.id == staff.user_id,
                id: u.id,
                scope: u
                    .unit_name
                    .as_ref()
                    .map(|name| format!("{name} ({})", u.unit_code.as_deref().unwrap_or_default())),
                username: u.username,
                display_name: u.display_name,
                role: u.role,
                disabled: u.disabled,
                created: sipas_templates::format::date(vietnam_time(u.created_at).date()),
            })
            .collect(),
        groups,
        form: UserForm {
            role: "manager".to_owned(),
            ..Default::default()
        },
        errors: Vec::new(),
        notice: None,
    })
}

fn users_response(status: StatusCode, view: &UsersView) -> HttpResponse {
    staff_page(status).body(view::users_page(view).into_string())
}

#[get("/manage/users")]
pub async fn users_page(
    staff: Staff,
    state: web::Data<AppState>,
    query: web::Query<LangQuery>,
) -> Result<HttpResponse, StaffError> {
    staff.require(staff.is_admin())?;
    let lang = Lang::from_query(query.lang.as_deref());
    let view = users_view(&state, &staff, lang).await?;
    Ok(users_response(StatusCode::OK, &view))
}

#[derive(Deserialize, Default)]
pub struct NewUserForm {
    #[serde(default)]
    csrf: String,
    lang: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    scope: String,
}

/// Creates an account; the page shows its password once.
#[post("/manage/users")]
pub async fn create_user(
    staff: Staff,
    state: web::Data<AppState>,
    form: Option<web::Form<NewUserForm>>,
) -> Result<HttpResponse, StaffError> {
    let form = form_or_default(form);
    staff.require(staff.is_admin())?;
    staff.check_csrf(&state, &form.csrf)?;
    let lang = Lang::from_query(form.lang.as_deref());
    let display_name = Some(form.display_name.trim()).filter(|n| !n.is_empty());
    let result = match NewUser::parse(&form.username, display_name, &form.role, Some(&form.scope)) {
        Ok(new) => accounts::create_user(&state.storage, &staff.account.username, &new)
            .await
            .map(|password| (new, password)),
        Err(errors) => Err(AccountError::Fields(errors)),
    };
    let mut view = users_view(&state, &staff, lang).await?;
    match result {
        Ok((new, password)) => {
            view.notice = Some(UserNotice::Created {
                username: new.username,
                password,
            });
            Ok(users_response(StatusCode::OK, &view))
        }
        Err(AccountError::Fields(errors)) => {
            view.errors = errors.iter().map(|e| problem(lang, e)).collect();
            view.form = UserForm {
                username: form.username,
                display_name: form.display_name,
                role: form.role,
                scope: form.scope,
            };
            Ok(users_response(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(other) => Err(account_error(other)),
    }
}

fn account_error(error: AccountError) -> StaffError {
    match error {
        AccountError::Storage(e) => e.into(),
        other => StaffError::Internal(other.to_string()),
    }
}

/// Gives an account a new password, shown once; its sessions end.
#[post("/manage/users/{id}/reset")]
pub async fn reset_password(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<i32>,
    form: Option<web::Form<ActionForm>>,
) -> Result<HttpResponse, StaffError> {
    let form = form_or_default(form);
    staff.require(staff.is_admin())?;
    staff.check_csrf(&state, &form.csrf)?;
    let lang = Lang::from_query(form.lang.as_deref());
    let (username, password) =
        accounts::reset_password(&state.storage, &staff.account.username, *path)
            .await
            .map_err(account_error)?;
    let mut view = users_view(&state, &staff, lang).await?;
    view.notice = Some(UserNotice::Reset { username, password });
    Ok(users_response(StatusCode::OK, &view))
}

async fn set_disabled(
    staff: Staff,
    state: web::Data<AppState>,
    user_id: i32,
    form: ActionForm,
    disabled: bool,
) -> Result<HttpResponse, StaffError> {
    staff.require(staff.is_admin())?;
    staff.check_csrf(&state, &form.csrf)?;
    let lang = Lang::from_query(form.lang.as_deref());
    let result = accounts::set_disabled(
        &state.storage,
        staff.user_id,
        &staff.account.username,
        user_id,
        disabled,
    )
    .await;
    let (status, notice) = match result {
        Ok(row) if disabled => (
            StatusCode::OK,
            UserNotice::Disabled {
                username: row.username,
            },
        ),
        Ok(row) => (
            StatusCode::OK,
            UserNotice::Enabled {
                username: row.username,
            },
        ),
        Err(AccountError::Refused(why)) => (
            StatusCode::CONFLICT,
            UserNotice::Refused(refusal(lang, &why)),
        ),
        Err(other) => return Err(account_error(other)),
    };
    let mut view = users_view(&state, &staff, lang).await?;
    view.notice = Some(notice);
    Ok(users_response(status, &view))
}

#[post("/manage/users/{id}/disable")]
pub async fn disable_user(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<i32>,
    form: Option<web::Form<ActionForm>>,
) -> Result<HttpResponse, StaffError> {
    set_disabled(staff, state, *path, form_or_default(form), true).await
}

#[post("/manage/users/{id}/enable")]
pub async fn enable_user(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<i32>,
    form: Option<web::Form<ActionForm>>,
) -> Result<HttpResponse, StaffError> {
    set_disabled(staff, state, *path, form_or_default(form), false).await
}

// ---------------------------------------------------------------------------------
// API tokens

async fn tokens_view(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
) -> Result<TokensView, StaffError> {
    let clients = api_clients::list(state.storage.db()).await?;
    Ok(TokensView {
        lang,
        nav: staff.nav(None),
        tokens: clients
            .into_iter()
            .map(|c| TokenLine {
                id: c.id,
                name: c.name,
                scopes: c.scopes,
                created: when(c.created_at),
                last_used: c.last_used_at.map(when),
                revoked: c.revoked_at.map(when),
            })
            .collect(),
        read: true,
        ..Default::default()
    })
}

fn tokens_response(status: StatusCode, view: &TokensView) -> HttpResponse {
    staff_page(status).body(view::tokens_page(view).into_string())
}

#[get("/manage/tokens")]
pub async fn tokens_page(
    staff: Staff,
    state: web::Data<AppState>,
    query: web::Query<LangQuery>,
) -> Result<HttpResponse, StaffError> {
    staff.require(staff.is_admin())?;
    let lang = Lang::from_query(query.lang.as_deref());
    let view = tokens_view(&state, &staff, lang).await?;
    Ok(tokens_response(StatusCode::OK, &view))
}

#[derive(Deserialize, Default)]
pub struct NewTokenForm {
    #[serde(default)]
    csrf: String,
    lang: Option<String>,
    #[serde(default)]
    name: String,
    read: Option<String>,
    write: Option<String>,
}

/// Creates an API client; the page shows its token once.
#[post("/manage/tokens")]
pub async fn create_token(
    staff: Staff,
    state: web::Data<AppState>,
    form: Option<web::Form<NewTokenForm>>,
) -> Result<HttpResponse, StaffError> {
    let form = form_or_default(form);
    staff.require(staff.is_admin())?;
    staff.check_csrf(&state, &form.csrf)?;
    let lang = Lang::from_query(form.lang.as_deref());
    let (read, write) = (form.read.is_some(), form.write.is_some());
    let scopes: Vec<Scope> = [(read, Scope::Read), (write, Scope::Write)]
        .into_iter()
        .filter_map(|(on, s)| on.then_some(s))
        .collect();
    let mut errors = Vec::new();
    if form.name.trim().is_empty() || sipas_domain::text::refuse_control(&form.name).is_err() {
        errors.push(FieldError::new(
            "name",
            "a token needs a name without control characters",
        ));
    }
    if scopes.is_empty() {
        errors.push(FieldError::new(
            "scopes",
            "choose at least one scope: read or write",
        ));
    }
    let result = if errors.is_empty() {
        accounts::create_token(&state.storage, &staff.account.username, &form.name, &scopes).await
    } else {
        Err(AccountError::Fields(errors))
    };
    let mut view = tokens_view(&state, &staff, lang).await?;
    match result {
        Ok((client, token)) => {
            view.notice = Some(TokenNotice::Created {
                name: client.name().to_owned(),
                token,
            });
            Ok(tokens_response(StatusCode::OK, &view))
        }
        Err(AccountError::Fields(errors)) => {
            view.errors = errors.iter().map(|e| problem(lang, e)).collect();
            view.name = form.name;
            view.read = read;
            view.write = write;
            Ok(tokens_response(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(other) => Err(account_error(other)),
    }
}

/// Asks before revoking.
#[get("/manage/tokens/{id}/revoke")]
pub async fn revoke_confirm(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<i32>,
    query: web::Query<LangQuery>,
) -> Result<HttpResponse, StaffError> {
    staff.require(staff.is_admin())?;
    let lang = Lang::from_query(query.lang.as_deref());
    let client = api_clients::find(state.storage.db(), &path.to_string()).await?;
    if client.id != *path {
        return Err(StaffError::NotFound);
    }
    let page = view::revoke_page(&RevokeView {
        lang,
        nav: staff.nav(None),
        id: client.id,
        name: client.name,
        scopes: client.scopes,
        last_used: client.last_used_at.map(when),
    });
    Ok(staff_page(StatusCode::OK).body(page.into_string()))
}

#[post("/manage/tokens/{id}/revoke")]
pub async fn revoke_token(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<i32>,
    form: Option<web::Form<ActionForm>>,
) -> Result<HttpResponse, StaffError> {
    let form = form_or_default(form);
    staff.require(staff.is_admin())?;
    staff.check_csrf(&state, &form.csrf)?;
    let lang = Lang::from_query(form.lang.as_deref());
    // By id only: a client named like another's id is not the one meant.
    let exists = api_clients::find(state.storage.db(), &path.to_string())
        .await
        .is_ok_and(|c| c.id == *path);
    if !exists {
        return Err(StaffError::NotFound);
    }
    let (status, notice) = match accounts::revoke_token(
        &state.storage,
        &state.tokens,
        &staff.account.username,
        &path.to_string(),
    )
    .await
    {
        Ok(client) => (StatusCode::OK, TokenNotice::Revoked { name: client.name }),
        Err(AccountError::Refused(why)) => (
            StatusCode::CONFLICT,
            TokenNotice::Refused(refusal(lang, &why)),
        ),
        Err(other) => return Err(account_error(other)),
    };
    let mut view = tokens_view(&state, &staff, lang).await?;
    view.notice = Some(notice);
    Ok(tokens_response(status, &view))
}

// ---------------------------------------------------------------------------------
// Audit log

#[derive(Deserialize)]
pub struct AuditParams {
    lang: Option<String>,
    actor: Option<String>,
    unit: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<i64>,
}

/// The audit log, newest first, a page at a time, filtered by user, unit and days.
#[get("/manage/audit")]
pub async fn audit_page(
    staff: Staff,
    state: web::Data<AppState>,
    params: web::Query<AuditParams>,
) -> Result<HttpResponse, StaffError> {
    staff.require(staff.is_admin())?;
    let params = params.into_inner();
    let lang = Lang::from_query(params.lang.as_deref());
    let db = state.storage.db();
    let query = AuditQuery {
        actor: params.actor.clone(),
        unit: params.unit.clone(),
        from: params.from.clone(),
        to: params.to.clone(),
        before: params.before,
    };
    let tree = units::tree(db).await?;
    let mut view = AuditView {
        lang,
        nav: staff.nav(None),
        filter: AuditFilterForm {
            actor: params.actor.unwrap_or_default().trim().to_owned(),
            unit: params.unit.unwrap_or_default().trim().to_owned(),
            from: params.from.unwrap_or_default().trim().to_owned(),
            to: params.to.unwrap_or_default().trim().to_owned(),
        },
        actors: audit::actors(db).await?,
        ..Default::default()
    };
    let filter = match report::filter(&query, &tree, lang == Lang::Vi) {
        Ok(filter) => filter,
        Err(problems) => {
            view.errors = problems;
            let page = view::audit_page(&view);
            return Ok(staff_page(StatusCode::BAD_REQUEST).body(page.into_string()));
        }
    };
    let (events, more) = audit::page(db, &filter, report::PAGE_SIZE).await?;
    let unit_ids: Vec<i32> = events.iter().filter_map(|e| e.unit_id).collect();
    let names: HashMap<i32, (String, String)> = if unit_ids.is_empty() {
        HashMap::new()
    } else {
        audit::unit_names(db, &unit_ids).await?
    };
    view.lines = events.iter().map(|e| report::line(e, &names)).collect();
    let link = |before: Option<i64>| {
        let mut pairs: Vec<(&str, String)> = vec![("lang", lang.code().to_owned())];
        for (key, value) in [
            ("actor", &view.filter.actor),
            ("unit", &view.filter.unit),
            ("from", &view.filter.from),
            ("to", &view.filter.to),
        ] {
            if !value.is_empty() {
                pairs.push((key, value.clone()));
            }
        }
        if let Some(id) = before {
            pairs.push(("before", id.to_string()));
        }
        let query: Vec<String> = pairs
            .into_iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    percent_encoding::utf8_percent_encode(&v, percent_encoding::NON_ALPHANUMERIC)
                )
            })
            .collect();
        format!("{}?{}", view::AUDIT_PATH, query.join("&"))
    };
    view.older = more
        .then(|| view.lines.last().map(|l| link(Some(l.id))))
        .flatten();
    view.newest = params.before.map(|_| link(None));
    Ok(staff_page(StatusCode::OK).body(view::audit_page(&view).into_string()))
}
