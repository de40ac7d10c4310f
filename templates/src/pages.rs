//! The short pages: thank you, already answered, survey code not found, error, and the
//! generic "this page does not exist" for any path.

use maud::{Markup, html};

use crate::i18n::Lang;
use crate::layout::{Card, Shell, Tone, page};

/// After a successful submission (the target of the `303 See Other`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThanksPage {
    pub lang: Lang,
    /// The page's own path for the language switch; `None` hides it.
    pub path: Option<String>,
    /// The unit that was rated, repeated so the citizen sees where the answers went.
    pub unit_name: Option<String>,
    pub service_point_name: Option<String>,
    pub demo: bool,
    /// On a desk's shared tablet: the fresh form the page returns to.
    pub next_form: Option<String>,
}

/// A receipt token that has already been used: nothing was stored this time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlreadyAnsweredPage {
    pub lang: Lang,
    pub path: Option<String>,
    pub unit_name: Option<String>,
    pub demo: bool,
}

/// A token that does not verify, or whose campaign or receipt is over (serve with 404).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotFoundPage {
    pub lang: Lang,
    pub path: Option<String>,
}

/// Anything else that went wrong (serve with the matching 4xx/5xx status).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorPage {
    pub lang: Lang,
    pub path: Option<String>,
    /// A specific, plain-language explanation; the generic one when `None`.
    pub message: Option<String>,
    /// Where a "try again" link points (e.g. the survey form), if anywhere.
    pub retry_href: Option<String>,
    /// A request id the citizen can quote to staff.
    pub reference: Option<String>,
    /// A posted form to send again as it was (its fields as hidden inputs, posted to
    /// `retry_href`), in place of the retry link: what a citizen answered survives a
    /// failure that came before the form could be shown again.
    pub resend: Vec<(String, String)>,
}

fn where_line(unit: Option<&str>, desk: Option<&str>) -> Markup {
    html! {
        @if let Some(unit) = unit {
            p.cap { (unit) @if let Some(desk) = desk { " · " (desk) } }
        }
    }
}

/// Renders the thank-you page.
pub fn thanks_page(v: &ThanksPage) -> Markup {
    let t = v.lang.text();
    page(
        Shell {
            lang: v.lang,
            title: t.thanks_title,
            path: v.path.as_deref(),
            demo: v.demo,
            ..Shell::default()
        },
        html! {
            (Card::toned(Tone::Ok, html! {
                (where_line(v.unit_name.as_deref(), v.service_point_name.as_deref()))
                h1 { (t.thanks_title) }
                p { (t.thanks_body) }
                @if let Some(next) = &v.next_form {
                    p { a href=(next) { (t.kiosk_next) } }
                } @else {
                    p { (t.thanks_close) }
                }
            }))
        },
    )
}

/// Renders the "already answered" page.
pub fn already_answered_page(v: &AlreadyAnsweredPage) -> Markup {
    let t = v.lang.text();
    page(
        Shell {
            lang: v.lang,
            title: t.already_title,
            path: v.path.as_deref(),
            demo: v.demo,
            ..Shell::default()
        },
        html! {
            (Card::toned(Tone::Warn, html! {
                (where_line(v.unit_name.as_deref(), None))
                h1 { (t.already_title) }
                p { (t.already_body) }
                p { (t.thanks_close) }
            }))
        },
    )
}

/// Renders the "not found" page (invalid or expired survey code).
pub fn not_found_page(v: &NotFoundPage) -> Markup {
    let t = v.lang.text();
    page(
        Shell {
            lang: v.lang,
            title: t.not_found_title,
            path: v.path.as_deref(),
            demo: false,
            ..Shell::default()
        },
        html! {
            (Card::toned(Tone::Err, html! {
                h1 { (t.not_found_title) }
                p { (t.not_found_body) }
                ul { @for step in t.not_found_steps { li { (step) } } }
            }))
        },
    )
}

/// Renders the generic error page.
pub fn error_page(v: &ErrorPage) -> Markup {
    let t = v.lang.text();
    page(
        Shell {
            lang: v.lang,
            title: t.error_title,
            path: v.path.as_deref(),
            demo: false,
            ..Shell::default()
        },
        html! {
            (Card::toned(Tone::Err, html! {
                h1 { (t.error_title) }
                p { (v.message.as_deref().unwrap_or(t.error_body)) }
                @if let (Some(href), false) = (&v.retry_href, v.resend.is_empty()) {
                    form method="post" action=(href) {
                        @for (name, value) in &v.resend {
                            input type="hidden" name=(name) value=(value);
                        }
                        button type="submit" { (t.error_retry) }
                    }
                } @else if let Some(href) = &v.retry_href {
                    p { a href=(href) { (t.error_retry) } }
                }
                @if let Some(reference) = &v.reference {
                    p.note { (t.error_reference) ": " code { (reference) } }
                }
            }))
        },
    )
}

/// The generic 404 page for any path that leads nowhere (not a survey code: see
/// [`not_found_page`]), with a link to the front page and a line in the other language.
/// `path` is the requested path, for the language switch (`None`, or a path that is not
/// local, hides it); serve it with status 404.
pub fn page_not_found(lang: Lang, path: Option<&str>) -> Markup {
    let t = lang.text();
    let other = lang.other();
    let o = other.text();
    page(
        Shell {
            lang,
            title: t.no_page_title,
            path,
            ..Shell::default()
        },
        html! {
            (Card::toned(Tone::Err, html! {
                h1 { (t.no_page_title) }
                p { (t.no_page_body) }
                p { a href="/" { (t.home_link) } }
                p.note lang=(other.code()) { (o.no_page_title) ". " a href="/" { (o.home_link) } }
            }))
        },
    )
}
