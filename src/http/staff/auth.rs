//! Who is looking at a staff page: the [`Staff`] extractor opens the session a signed
//! cookie names (in Redis or the database, so on any node) and loads its account; a
//! request without a live session is sent to the login page. Forms carry the session's
//! CSRF token, checked by [`Staff::check_csrf`].

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use chrono::NaiveDate;
use sipas_domain::access::{Action, Principal, Resource};
use sipas_domain::unit::UnitTree;
use sipas_templates::staff::StaffNav;

use super::StaffError;
use crate::http::AppState;
use crate::sessions::{SESSION_HOURS, SessionKey};
use crate::storage::users::{self, StaffAccount};

/// The session cookie.
pub const SESSION_COOKIE: &str = "sipas_staff";

/// A logged-in staff member: take `Staff` as a handler argument.
pub struct Staff {
    pub user_id: i32,
    pub principal: Principal,
    pub account: StaffAccount,
    pub session: SessionKey,
    csrf: String,
}

impl Staff {
    /// The navigation bar of their pages, on a campaign's pages or not.
    pub fn nav(&self, campaign: Option<&str>) -> StaffNav {
        StaffNav {
            display_name: self.account.display_name.clone(),
            role: self.account.role.as_str().to_owned(),
            scope_name: self.account.unit_name.clone(),
            csrf: self.csrf.clone(),
            campaign: campaign.map(str::to_owned),
        }
    }

    /// The token of their forms (hidden field `csrf`).
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// Refuses a form that does not carry this session's token: another site cannot
    /// make a logged-in manager's browser post it.
    pub fn check_csrf(&self, state: &AppState, token: &str) -> Result<(), StaffError> {
        if state.sessions.csrf_matches(&self.session, token) {
            Ok(())
        } else {
            Err(StaffError::Forbidden)
        }
    }

    /// The units they may read in a campaign whose units are read on `on`; `None`: all.
    pub fn readable_units(&self, tree: &UnitTree, on: NaiveDate) -> Option<HashSet<i32>> {
        self.principal.readable_units(tree, on)
    }

    /// Whether they may read this unit's data in a campaign read on `on`.
    pub fn may_read(&self, tree: &UnitTree, unit_id: i32, on: NaiveDate) -> bool {
        self.principal
            .may(Action::Read, Resource::Unit(unit_id), tree, on)
    }

    /// Whether they may change this unit's data (desks, quota, paper forms) in a
    /// campaign read on `on`: admins and the managers whose scope holds it.
    pub fn may_write(&self, tree: &UnitTree, unit_id: i32, on: NaiveDate) -> bool {
        self.principal
            .may(Action::Write, Resource::Unit(unit_id), tree, on)
    }

    /// Whether they may change province-wide things: campaigns, frames, users, tokens.
    pub fn may_write_province(&self) -> bool {
        // `Resource::Province` does not look at the tree.
        self.principal.may(
            Action::Write,
            Resource::Province,
            &UnitTree::default(),
            NaiveDate::MIN,
        )
    }

    /// Whether they are a provincial administrator (users, tokens, the audit log).
    pub fn is_admin(&self) -> bool {
        self.account.role == sipas_domain::access::Role::Admin
    }

    /// `Ok` when `allowed`, else the page that says their role does not allow it.
    pub fn require(&self, allowed: bool) -> Result<(), StaffError> {
        if allowed {
            Ok(())
        } else {
            Err(StaffError::NotAllowed)
        }
    }

    /// Whether they read citizens' comments.
    pub fn reads_comments(&self) -> bool {
        self.principal.reads_comments()
    }
}

impl FromRequest for Staff {
    type Error = StaffError;
    type Future = Pin<Box<dyn Future<Output = Result<Staff, StaffError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let login = || StaffError::LoginRequired(next_of(&req));
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| StaffError::Internal("no application state".into()))?;
            let cookie = req.cookie(SESSION_COOKIE).ok_or_else(login)?;
            let key = state
                .sessions
                .from_cookie(cookie.value())
                .ok_or_else(login)?;
            let record = state.sessions.find(&key).await?.ok_or_else(login)?;
            let account = users::by_id(state.storage.db(), record.user_id)
                .await?
                .filter(|a| a.credential == record.credential)
                .ok_or_else(login)?;
            tracing::Span::current().record("client", account.username.as_str());
            Ok(Staff {
                user_id: account.id,
                principal: account.principal(),
                csrf: state.sessions.csrf_token(&key),
                session: key,
                account,
            })
        })
    }
}

/// Where the login page sends a member back to: this page.
fn next_of(req: &HttpRequest) -> String {
    match req.method() {
        &actix_web::http::Method::GET => req
            .uri()
            .path_and_query()
            .map_or("/manage".to_owned(), |p| p.as_str().to_owned()),
        // After a login, a form is not posted again: back to the dashboard.
        _ => "/manage".to_owned(),
    }
}

/// The session cookie for a key: signed, out of scripts' reach, not sent along with
/// other sites' requests, HTTPS-only when the service is served over HTTPS.
pub fn session_cookie(state: &AppState, key: &SessionKey) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, state.sessions.cookie_value(key))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.public_url.starts_with("https://"))
        .max_age(actix_web::cookie::time::Duration::hours(SESSION_HOURS))
        .finish()
}

/// A cookie that removes the session cookie.
pub fn removed_session_cookie(state: &AppState) -> Cookie<'static> {
    let mut cookie = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.public_url.starts_with("https://"))
        .finish();
    cookie.make_removal();
    cookie
}
