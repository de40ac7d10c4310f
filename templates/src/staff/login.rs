//! The login page and the password change page.

use maud::{Markup, html};

use super::{CSS, StaffNav};
use crate::Lang;
use crate::layout::{self, Card, Kind, Shell, Tone};

/// Why a login form is shown again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginProblem {
    /// Wrong username or password (never which of the two).
    Rejected,
    /// Too many attempts for this account or from this address.
    Throttled,
    /// The form's token was missing, forged or too old.
    Expired,
    /// The session ended (logged out, expired, password changed elsewhere).
    LoggedOut,
}

#[derive(Debug, Clone, Default)]
pub struct LoginView {
    pub lang: Lang,
    /// The form's token (hidden field `csrf`).
    pub csrf: String,
    /// Where to go after logging in (hidden field `next`).
    pub next: String,
    /// The username typed last time, to type it only once.
    pub username: String,
    pub problem: Option<LoginProblem>,
    /// The demo's credentials hint, shown on a demo deployment.
    pub demo: bool,
}

pub const PATH: &str = "/login";

pub fn login_page(view: &LoginView) -> Markup {
    let vi = view.lang == Lang::Vi;
    let problem = view.problem.map(|p| match (p, vi) {
        (LoginProblem::Rejected, true) => "Tên đăng nhập hoặc mật khẩu không đúng.",
        (LoginProblem::Rejected, false) => "The username or password is wrong.",
        (LoginProblem::Throttled, true) => {
            "Quá nhiều lần đăng nhập không thành công. Vui lòng thử lại sau 15 phút."
        }
        (LoginProblem::Throttled, false) => {
            "Too many login attempts. Please try again in 15 minutes."
        }
        (LoginProblem::Expired, true) => "Biểu mẫu đã hết hạn. Vui lòng đăng nhập lại.",
        (LoginProblem::Expired, false) => "The form expired. Please log in again.",
        (LoginProblem::LoggedOut, true) => "Bạn đã đăng xuất.",
        (LoginProblem::LoggedOut, false) => "You are logged out.",
    });
    let title = if vi {
        "Đăng nhập — SIPAS"
    } else {
        "Log in — SIPAS"
    };
    let body = html! {
        (Card::new(html! {
            h1 { (if vi { "Đăng nhập trang quản lý" } else { "Log in to the dashboard" }) }
            p.note {
                (if vi {
                    "Dành cho cán bộ theo dõi khảo sát của tỉnh và các đơn vị."
                } else {
                    "For the province's and the units' survey managers."
                })
            }
        }))
        @if let Some(problem) = problem {
            @let tone = if view.problem == Some(LoginProblem::LoggedOut) { Tone::Ok } else { Tone::Err };
            (Card::toned(tone, html! { p.cap role="alert" { (problem) } }))
        }
        (Card::new(html! {
            form method="post" action=(PATH) {
                input type="hidden" name="csrf" value=(view.csrf);
                input type="hidden" name="next" value=(view.next);
                input type="hidden" name="lang" value=(view.lang.code());
                label for="username" { (if vi { "Tên đăng nhập" } else { "Username" }) }
                input #username type="text" name="username" value=(view.username)
                    autocomplete="username" autocapitalize="none" spellcheck="false" required;
                label for="password" { (if vi { "Mật khẩu" } else { "Password" }) }
                input #password type="password" name="password" autocomplete="current-password" required;
                p { button.btn-main type="submit" { (if vi { "Đăng nhập" } else { "Log in" }) } }
            }
            @if view.demo {
                p.note {
                    (if vi {
                        "Bản trình diễn: mật khẩu của tài khoản admin được in ra khi máy chủ khởi động lần đầu (hoặc đặt lại bằng lệnh sipas user password --username admin)."
                    } else {
                        "Demo: the admin account's password is printed when the server first starts (or reset it with sipas user password --username admin)."
                    })
                }
            }
        }))
    };
    layout::page(
        Shell {
            lang: view.lang,
            title,
            path: Some(PATH),
            demo: view.demo,
            kind: Kind::Narrow,
            css: Some(CSS),
        },
        body,
    )
}

/// What is wrong with a password change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordError {
    WrongCurrent,
    TooShort,
    TooLong,
    ContainsUsername,
    Mismatch,
    Throttled,
}

#[derive(Debug, Clone, Default)]
pub struct PasswordView {
    pub lang: Lang,
    pub nav: StaffNav,
    pub min_chars: usize,
    pub errors: Vec<PasswordError>,
    /// The password was just changed.
    pub done: bool,
}

pub const PASSWORD_PATH: &str = "/account/password";

pub fn password_page(view: &PasswordView) -> Markup {
    let vi = view.lang == Lang::Vi;
    let message = |e: PasswordError| match (e, vi) {
        (PasswordError::WrongCurrent, true) => "Mật khẩu hiện tại không đúng.".to_owned(),
        (PasswordError::WrongCurrent, false) => "The current password is wrong.".to_owned(),
        (PasswordError::TooShort, true) => {
            format!("Mật khẩu mới cần ít nhất {} ký tự.", view.min_chars)
        }
        (PasswordError::TooShort, false) => {
            format!(
                "The new password needs at least {} characters.",
                view.min_chars
            )
        }
        (PasswordError::TooLong, true) => "Mật khẩu mới quá dài (tối đa 128 ký tự).".to_owned(),
        (PasswordError::TooLong, false) => {
            "The new password is too long (at most 128 characters).".to_owned()
        }
        (PasswordError::ContainsUsername, true) => {
            "Mật khẩu mới không được chứa tên đăng nhập.".to_owned()
        }
        (PasswordError::ContainsUsername, false) => {
            "The new password must not contain the username.".to_owned()
        }
        (PasswordError::Mismatch, true) => "Hai lần nhập mật khẩu mới không khớp.".to_owned(),
        (PasswordError::Mismatch, false) => "The two new passwords differ.".to_owned(),
        (PasswordError::Throttled, true) => {
            "Quá nhiều lần thử. Vui lòng thử lại sau 15 phút.".to_owned()
        }
        (PasswordError::Throttled, false) => {
            "Too many attempts. Please try again in 15 minutes.".to_owned()
        }
    };
    let title = if vi {
        "Đổi mật khẩu — SIPAS"
    } else {
        "Change password — SIPAS"
    };
    let body = html! {
        (Card::new(html! {
            h1 { (if vi { "Đổi mật khẩu" } else { "Change password" }) }
        }))
        @if view.done {
            (Card::toned(Tone::Ok, html! {
                p.cap role="status" {
                    (if vi {
                        "Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc."
                    } else {
                        "Your password is changed. Your other sessions have ended."
                    })
                }
            }))
        }
        @if !view.errors.is_empty() {
            (Card::toned(Tone::Err, html! {
                ul.error role="alert" {
                    @for e in &view.errors { li { (message(*e)) } }
                }
            }))
        }
        (Card::new(html! {
            form method="post" action=(PASSWORD_PATH) {
                input type="hidden" name="csrf" value=(view.nav.csrf);
                input type="hidden" name="lang" value=(view.lang.code());
                label for="current" { (if vi { "Mật khẩu hiện tại" } else { "Current password" }) }
                input #current type="password" name="current" autocomplete="current-password" required;
                label for="password" { (if vi { "Mật khẩu mới" } else { "New password" }) }
                input #password type="password" name="password" autocomplete="new-password"
                    minlength=(view.min_chars) maxlength="128" required aria-describedby="password-hint";
                p.note #password-hint {
                    (if vi {
                        format!("Ít nhất {} ký tự, không chứa tên đăng nhập.", view.min_chars)
                    } else {
                        format!("At least {} characters, not containing the username.", view.min_chars)
                    })
                }
                label for="confirmation" { (if vi { "Nhập lại mật khẩu mới" } else { "New password again" }) }
                input #confirmation type="password" name="confirmation" autocomplete="new-password" required;
                p { button.btn-main type="submit" { (if vi { "Đổi mật khẩu" } else { "Change password" }) } }
            }
        }))
    };
    super::page(
        Shell {
            lang: view.lang,
            title,
            path: Some(PASSWORD_PATH),
            demo: false,
            kind: Kind::Narrow,
            css: Some(CSS),
        },
        &view.nav,
        body,
    )
}
