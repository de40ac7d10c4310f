//! Logging in and out, and changing one's password.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use sipas_domain::access::{MIN_PASSWORD_CHARS, NewPassword, PasswordProblem};
use sipas_templates::Lang;
use sipas_templates::layout::is_local_path;
use sipas_templates::staff::login::{
    LoginProblem, LoginView, PasswordError, PasswordView, login_page, password_page,
};

use super::LangQuery;
use super::auth::{Staff, removed_session_cookie, session_cookie};
use super::{StaffError, staff_page};
use crate::http::{AppState, client_address, html_page};
use crate::rate_limit::{Check, Limit};
use crate::storage::users;

/// The cookie that pairs the login form with its browser (double submit), so another
/// site cannot log a manager's browser in to its own account.
const LOGIN_COOKIE: &str = "sipas_login";
/// A login form is good for this long.
const LOGIN_FORM_SECONDS: i64 = 2 * 3600;
/// Attempts per account: a person mistyping never reaches it; a guesser is stopped.
const PER_ACCOUNT: Limit = Limit {
    max: 10,
    window: std::time::Duration::from_secs(15 * 60),
};
/// Attempts per address: an office behind one address logs in many people.
const PER_ADDRESS: Limit = Limit {
    max: 60,
    window: std::time::Duration::from_secs(15 * 60),
};

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
    /// `1` after a logout.
    out: Option<String>,
}

/// Only a path of this site, so a crafted link cannot send a member elsewhere.
fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| is_local_path(n) && !n.starts_with("/login"))
        .unwrap_or("/manage")
        .to_owned()
}

/// The login form with its token (a fresh one unless `view.csrf` holds a good one,
/// kept so the browser's back button still works), and the cookie that pairs it with
/// this browser.
fn login_form(
    state: &AppState,
    status: StatusCode,
    mut view: LoginView,
) -> Result<HttpResponse, StaffError> {
    if view.csrf.is_empty() {
        view.csrf = state.keys.new_form_nonce(chrono::Utc::now().timestamp());
    }
    let nonce = view.csrf.clone();
    let cookie = Cookie::build(LOGIN_COOKIE, nonce)
        .path("/login")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.public_url.starts_with("https://"))
        .max_age(actix_web::cookie::time::Duration::seconds(
            LOGIN_FORM_SECONDS,
        ))
        .finish();
    Ok(html_page(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(cookie)
        .body(login_page(&view).into_string()))
}

async fn is_demo(state: &AppState) -> bool {
    crate::storage::campaigns::all(state.storage.db())
        .await
        .is_ok_and(|all| all.iter().any(|c| c.is_demo))
}

#[get("/login")]
pub async fn login(
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, StaffError> {
    let view = LoginView {
        lang: Lang::from_query(query.lang.as_deref()),
        next: safe_next(query.next.as_deref()),
        problem: query.out.is_some().then_some(LoginProblem::LoggedOut),
        demo: is_demo(&state).await,
        ..Default::default()
    };
    login_form(&state, StatusCode::OK, view)
}

#[derive(Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    next: Option<String>,
    lang: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

#[post("/login")]
pub async fn login_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: Option<web::Form<LoginForm>>,
) -> Result<HttpResponse, StaffError> {
    // A body that is not a form is a form without its token: refused below.
    let form = form.map_or_else(LoginForm::default, web::Form::into_inner);
    let username = form.username.trim().to_lowercase();
    let mut view = LoginView {
        lang: Lang::from_query(form.lang.as_deref()),
        next: safe_next(form.next.as_deref()),
        username: username.chars().take(64).collect(),
        demo: is_demo(&state).await,
        ..Default::default()
    };
    let paired = req
        .cookie(LOGIN_COOKIE)
        .is_some_and(|c| !form.csrf.is_empty() && c.value() == form.csrf);
    let fresh = state.keys.verify_form_nonce(&form.csrf).is_ok_and(|n| {
        let age = chrono::Utc::now().timestamp() - n.issued_at_unix;
        (0..LOGIN_FORM_SECONDS).contains(&age)
    });
    if !(paired && fresh) {
        view.problem = Some(LoginProblem::Expired);
        return login_form(&state, StatusCode::FORBIDDEN, view);
    }
    view.csrf = form.csrf.clone();
    let address = client_address(&req, &state.trusted_proxies).unwrap_or_default();
    let checks = [
        Check::new(format!("login:user:{}", view.username), PER_ACCOUNT),
        Check::new(format!("login:addr:{address}"), PER_ADDRESS),
    ];
    if !state.login_limiter.allow(&state.redis, &checks).await {
        tracing::warn!(user = %view.username, "login attempts throttled");
        view.problem = Some(LoginProblem::Throttled);
        return login_form(&state, StatusCode::TOO_MANY_REQUESTS, view);
    }
    let Some(account) = users::authenticate(state.storage.db(), &username, &form.password).await?
    else {
        tracing::warn!(user = %view.username, "login refused: wrong username or password");
        view.problem = Some(LoginProblem::Rejected);
        return login_form(&state, StatusCode::UNAUTHORIZED, view);
    };
    let key = state.sessions.open(account.id, &account.credential).await?;
    tracing::info!(user = %account.username, "logged in");
    let txn = state.storage.write().await?;
    crate::storage::audit::record(
        &txn,
        &account.username,
        "user.login",
        &account.username,
        serde_json::json!({}),
    )
    .await?;
    txn.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;
    let mut used = Cookie::build(LOGIN_COOKIE, "")
        .path("/login")
        .secure(crate::http::secure_cookies(&state))
        .finish();
    used.make_removal();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, with_lang(&view.next, view.lang)))
        .cookie(session_cookie(&state, &key))
        .cookie(used)
        .finish())
}

/// A local path with the chosen language, unless it already says one.
fn with_lang(path: &str, lang: Lang) -> String {
    if lang == Lang::Vi || path.contains("lang=") {
        return path.to_owned();
    }
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}lang={}", lang.code())
}

#[derive(Deserialize, Default)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

#[post("/logout")]
pub async fn logout(
    staff: Staff,
    state: web::Data<AppState>,
    form: Option<web::Form<CsrfForm>>,
) -> Result<HttpResponse, StaffError> {
    let form = form.map_or_else(CsrfForm::default, web::Form::into_inner);
    staff.check_csrf(&state, &form.csrf)?;
    state.sessions.close(&staff.session).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/login?out=1"))
        .cookie(removed_session_cookie(&state))
        .finish())
}

fn password_view(staff: &Staff, lang: Lang) -> PasswordView {
    PasswordView {
        lang,
        nav: staff.nav(None),
        min_chars: MIN_PASSWORD_CHARS,
        ..Default::default()
    }
}

#[get("/account/password")]
pub async fn password(staff: Staff, query: web::Query<LangQuery>) -> HttpResponse {
    let view = password_view(&staff, Lang::from_query(query.lang.as_deref()));
    staff_page(StatusCode::OK).body(password_page(&view).into_string())
}

#[derive(Deserialize, Default)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    lang: Option<String>,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirmation: String,
}

#[post("/account/password")]
pub async fn password_post(
    staff: Staff,
    state: web::Data<AppState>,
    form: Option<web::Form<PasswordForm>>,
) -> Result<HttpResponse, StaffError> {
    let form = form.map_or_else(PasswordForm::default, web::Form::into_inner);
    staff.check_csrf(&state, &form.csrf)?;
    let mut view = password_view(&staff, Lang::from_query(form.lang.as_deref()));
    let username = &staff.account.username;
    // The current password is guessable here too: the same limit as the login's.
    let checks = [Check::new(format!("login:user:{username}"), PER_ACCOUNT)];
    if !state.login_limiter.allow(&state.redis, &checks).await {
        view.errors.push(PasswordError::Throttled);
        return Ok(
            staff_page(StatusCode::TOO_MANY_REQUESTS).body(password_page(&view).into_string())
        );
    }
    let current_ok = users::authenticate(state.storage.db(), username, &form.current)
        .await?
        .is_some_and(|a| a.id == staff.user_id);
    if !current_ok {
        view.errors.push(PasswordError::WrongCurrent);
    }
    let new = NewPassword::parse(username, &form.password, &form.confirmation);
    if let Err(problems) = &new {
        view.errors.extend(problems.iter().map(|p| match p {
            PasswordProblem::TooShort => PasswordError::TooShort,
            PasswordProblem::TooLong => PasswordError::TooLong,
            PasswordProblem::ContainsUsername => PasswordError::ContainsUsername,
            PasswordProblem::Mismatch => PasswordError::Mismatch,
        }));
    }
    let new = match new {
        Ok(new) if current_ok => new,
        _ => {
            return Ok(staff_page(StatusCode::UNPROCESSABLE_ENTITY)
                .body(password_page(&view).into_string()));
        }
    };
    // The new password and its audit entry commit together.
    let txn = state.storage.write().await?;
    let credential = users::set_password(&txn, username, staff.user_id, &new).await?;
    txn.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;
    // Every session opened with the old password is over (their credential no longer
    // matches), so failing to remove this one's record leaves nothing open.
    if let Err(error) = state.sessions.close(&staff.session).await {
        tracing::warn!(%error, "an old session's record stays until it expires");
    }
    let key = state.sessions.open(staff.user_id, &credential).await?;
    view.done = true;
    view.nav.csrf = state.sessions.csrf_token(&key);
    Ok(staff_page(StatusCode::OK)
        .cookie(session_cookie(&state, &key))
        .body(password_page(&view).into_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_come_next() {
        assert_eq!(
            safe_next(Some("/manage/campaigns/X")),
            "/manage/campaigns/X"
        );
        assert_eq!(safe_next(Some("https://evil.example/")), "/manage");
        assert_eq!(safe_next(Some("//evil.example/")), "/manage");
        // What a browser would turn into `//evil.example`, and what no header may hold.
        for crafted in [
            "/\t/evil.example",
            "/\\evil.example",
            "/x/\\/evil",
            "/\n",
            "/a\rb",
        ] {
            assert_eq!(safe_next(Some(crafted)), "/manage", "{crafted:?}");
        }
        assert_eq!(safe_next(Some("/login?next=/x")), "/manage");
        assert_eq!(safe_next(None), "/manage");
        assert_eq!(with_lang("/manage", Lang::En), "/manage?lang=en");
        assert_eq!(with_lang("/manage?x=1", Lang::En), "/manage?x=1&lang=en");
        assert_eq!(with_lang("/manage", Lang::Vi), "/manage");
    }
}
