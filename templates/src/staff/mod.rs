//! The managers' pages: every one is built by [`page`], which puts the [`StaffNav`]
//! (who is logged in, the dashboard's links, the logout button) above the page's own
//! content in the shared layout.

pub mod admin;
pub mod unit;

use maud::{Markup, Render, html};

use crate::Lang;
pub mod desks;
pub mod digest;
pub mod form;
pub mod league;
pub mod login;
pub mod overview;
pub mod posters;
pub mod publish;
pub mod receipts;
pub mod round;
pub mod uploads;
pub mod webhooks;

use crate::layout::{self, Shell};

/// CSS of every staff page (constants only): the navigation bar, forms, status badges,
/// progress bars. Status colours are never the only signal: each badge has an icon and
/// its text.
pub const CSS: &str = concat!(
    ".snav{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center;margin:0 0 1rem;font-size:.9375rem}",
    ".snav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0;flex:1 1 auto}",
    ".snav a{display:inline-block;padding:.5rem 0;min-height:44px}",
    ".snav form{margin:0}",
    ".who{color:#4a4f57}",
    "button,.btn{font:inherit;font-weight:600;min-height:44px;padding:.5rem 1rem;border-radius:4px;border:2px solid #0b3a6e;background:#fff;color:#0b3a6e;cursor:pointer}",
    ".btn-main{background:#00703c;border-color:#00703c;color:#fff}",
    "label{display:block;font-weight:600;margin:.75rem 0 .25rem}",
    "input[type=text],input[type=password],input[type=search]{width:100%;max-width:24rem}",
    "input,select{font:inherit;min-height:44px;padding:.375rem .5rem;border:2px solid #4a4f57;border-radius:4px;max-width:100%}",
    "input:focus,select:focus{outline:3px solid #ffbf47;outline-offset:0;box-shadow:0 0 0 5px #1b1b1b}",
    ".error{color:#b3261e;font-weight:600}",
    ".badge{display:inline-block;white-space:nowrap;font-weight:600;padding:0 .375rem;border-radius:4px;border:1px solid currentColor}",
    ".s-met{color:#00703c}.s-on_track{color:#0b57a4}.s-behind{color:#7a5c00}.s-at_risk{color:#b3261e}",
);

/// The current staff member, as the navigation bar shows them.
#[derive(Debug, Clone, Default)]
pub struct StaffNav {
    pub display_name: String,
    /// `admin`, `manager` or `viewer`.
    pub role: String,
    /// The name of the unit they answer for; `None`: the whole province.
    pub scope_name: Option<String>,
    /// The CSRF token of the session, for the logout form.
    pub csrf: String,
    /// The campaign being looked at, for the overview and digest links.
    pub campaign: Option<String>,
}

/// A role's name in the page's language.
pub fn role_label(lang: Lang, role: &str) -> &str {
    match (lang, role) {
        (Lang::Vi, "admin") => "Quản trị cấp tỉnh",
        (Lang::Vi, "manager") => "Cán bộ quản lý",
        (Lang::Vi, "viewer") => "Người xem",
        (Lang::En, "admin") => "Provincial administrator",
        (Lang::En, "manager") => "Manager",
        (Lang::En, "viewer") => "Viewer",
        (_, other) => other,
    }
}

/// A quota status (`met`, `on_track`, `behind`, `at_risk`) in words.
pub fn status_label(lang: Lang, status: &str) -> &str {
    match (lang, status) {
        (Lang::Vi, "met") => "Đã đạt",
        (Lang::Vi, "on_track") => "Đúng tiến độ",
        (Lang::Vi, "behind") => "Chậm",
        (Lang::Vi, "at_risk") => "Nguy cơ không đạt",
        (Lang::En, "met") => "Met",
        (Lang::En, "on_track") => "On track",
        (Lang::En, "behind") => "Behind",
        (Lang::En, "at_risk") => "At risk",
        (_, other) => other,
    }
}

/// A quota status as a badge: icon, text and colour, so neither colour vision nor a
/// greyscale print is needed to read it.
#[derive(Debug, Clone, Copy)]
pub struct StatusBadge<'a> {
    pub lang: Lang,
    pub status: &'a str,
}

impl Render for StatusBadge<'_> {
    fn render(&self) -> Markup {
        let icon = match self.status {
            "met" => "✔",
            "on_track" => "●",
            "behind" => "▲",
            "at_risk" => "✖",
            _ => "?",
        };
        html! {
            span class={ "badge s-" (self.status) } {
                span aria-hidden="true" { (icon) " " }
                (status_label(self.lang, self.status))
            }
        }
    }
}

/// The navigation bar in a language.
struct NavBar<'a>(Lang, &'a StaffNav);

impl Render for NavBar<'_> {
    fn render(&self) -> Markup {
        let (lang, nav) = (self.0, self.1);
        let vi = lang == Lang::Vi;
        let q = format!("?lang={}", lang.code());
        html! {
            nav.snav aria-label=(if vi { "Trang quản lý" } else { "Dashboard" }) {
                ul {
                    li { a href={ "/manage" (q) } { (if vi { "Các đợt khảo sát" } else { "Campaigns" }) } }
                    @if let Some(c) = &nav.campaign {
                        li { a href={ "/manage/campaigns/" (c) (q) } { (if vi { "Tiến độ" } else { "Overview" }) } }
                        li { a href={ "/manage/campaigns/" (c) "/digest" (q) } { (if vi { "Bản tin ngày" } else { "Daily digest" }) } }
                    }
                    @if nav.role != "viewer" {
                        @if let Some(c) = &nav.campaign {
                            li { a href={ "/manage/campaigns/" (c) "/setup" (q) } { (if vi { "Thiết lập đợt" } else { "Round set-up" }) } }
                            // The frame is the province's: only province-wide members change it.
                            @if nav.scope_name.is_none() {
                                li { a href={ "/manage/campaigns/" (c) "/frame" (q) } { (if vi { "Khung mẫu" } else { "Frame" }) } }
                            }
                            li { a href={ "/manage/campaigns/" (c) "/posters" (q) } { (if vi { "Áp phích QR" } else { "Posters" }) } }
                            li { a href={ "/manage/campaigns/" (c) "/paper" (q) } { (if vi { "Phiếu giấy" } else { "Paper forms" }) } }
                        }
                        li { a href={ "/manage/receipts" (q) } { (if vi { "Mã QR biên nhận" } else { "Receipt QR" }) } }
                    }
                    @if nav.role == "admin" {
                        li { a href={ "/manage/users" (q) } { (if vi { "Người dùng" } else { "Users" }) } }
                        li { a href={ "/manage/tokens" (q) } { (if vi { "Mã truy cập API" } else { "API tokens" }) } }
                        li { a href={ "/manage/webhooks" (q) } { "Webhook" } }
                        li { a href={ "/manage/audit" (q) } { (if vi { "Nhật ký thay đổi" } else { "Audit log" }) } }
                    }
                    li { a href={ "/account/password" (q) } { (if vi { "Đổi mật khẩu" } else { "Change password" }) } }
                }
                span.who {
                    (nav.display_name) " · " (role_label(lang, &nav.role))
                    @if let Some(scope) = &nav.scope_name { " · " (scope) }
                }
                form method="post" action="/logout" {
                    input type="hidden" name="csrf" value=(nav.csrf);
                    button type="submit" { (if vi { "Đăng xuất" } else { "Log out" }) }
                }
            }
        }
    }
}

/// A staff page: the layout, the navigation bar, then `body`.
pub fn page(shell: Shell<'_>, nav: &StaffNav, body: Markup) -> Markup {
    let lang = shell.lang;
    layout::page(shell, html! { (NavBar(lang, nav)) (body) })
}
