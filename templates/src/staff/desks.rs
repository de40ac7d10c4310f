//! A unit's desks (service points): the list with each desk's poster and QR files, and
//! the forms to add, rename and close desks. Every form works without JavaScript; a
//! refused form comes back with its values, its errors next to their fields and
//! summarised at the top with links to them.

use std::sync::LazyLock;

use chrono::NaiveDate;
use maud::{Markup, Render, html};

use super::form::{ErrorSummary, FORM_CSS, FieldProblem, field_errors, invalid};
use super::{CSS, StaffNav};
use crate::Lang;
use crate::format::date;
use crate::layout::{self, Card, Kind, Shell, Table, Tone};

/// The desks page's CSS after the staff pages'.
static DESKS_CSS: LazyLock<String> = LazyLock::new(|| {
    [
        CSS,
        FORM_CSS,
        ".desk-actions{margin:.5rem 0 0}",
        ".desk-actions summary{display:inline-block;min-height:44px;padding:.5rem 0;cursor:pointer;color:#0b57a4;font-weight:600}",
        ".desk-actions form{margin:.5rem 0 1rem;padding:.75rem;border:1px solid #d5d8dc;border-radius:6px}",
        ".state-closed{font-weight:600}",
        ".kiosk{margin:.5rem 0 0}.kiosk form.inline{display:inline-block;margin:0 .5rem .25rem 0}",
        ".kiosk-link{word-break:break-all}",
    ]
    .concat()
});

/// One desk of the unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskLine {
    pub code: String,
    pub name: String,
    /// The unit's own Bộ phận Một cửa: closes only with the unit.
    pub is_default: bool,
    /// First day closed, if a closing is set.
    pub closed_from: Option<NaiveDate>,
    /// Open today.
    pub open: bool,
}

/// Which form a refused submission came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeskForm {
    Add,
    Rename(String),
    Close(String),
}

/// A refused form: what was typed and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedForm {
    pub form: DeskForm,
    pub code: String,
    pub name: String,
    pub on: String,
    pub problems: Vec<FieldProblem>,
}

/// What just succeeded (after the redirect).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeskDone {
    Added(String),
    Renamed(String),
    Closed(String),
    KioskEnabled(String),
    KioskRevoked(String),
}

#[derive(Debug, Clone, Default)]
pub struct DesksView {
    pub lang: Lang,
    pub nav: StaffNav,
    pub campaign_code: String,
    pub campaign_name: String,
    pub unit_code: String,
    pub unit_name: String,
    pub desks: Vec<DeskLine>,
    /// Draft or open: posters are worth printing.
    pub posters: bool,
    pub today: NaiveDate,
    pub failed: Option<FailedForm>,
    pub done: Option<DeskDone>,
    pub demo: bool,
    /// Codes of the desks with a live kiosk link in this campaign.
    pub kiosks: Vec<String>,
    /// A kiosk link just made: shown this once (only its hash is kept).
    pub kiosk_link: Option<String>,
}

/// The page's path.
pub fn path(campaign: &str, unit: &str) -> String {
    format!("/manage/campaigns/{campaign}/units/{unit}/desks")
}

fn problems_of<'a>(view: &'a DesksView, form: &DeskForm) -> &'a [FieldProblem] {
    match &view.failed {
        Some(f) if &f.form == form => &f.problems,
        _ => &[],
    }
}

/// A text or date field with its label, hint, errors and current value.
struct Field<'a> {
    id: &'a str,
    name: &'a str,
    label: &'a str,
    kind: &'a str,
    value: &'a str,
    hint: Option<&'a str>,
    required: bool,
    problems: &'a [FieldProblem],
    extra_class: Option<&'a str>,
}

impl Render for Field<'_> {
    fn render(&self) -> Markup {
        let bad = invalid(self.problems, self.id);
        let hint_id = format!("{}-hint", self.id);
        let error_id = format!("{}-error", self.id);
        let described: Vec<&str> = [
            self.hint.map(|_| hint_id.as_str()),
            bad.then_some(error_id.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect();
        html! {
            label for=(self.id) { (self.label) }
            @if let Some(hint) = self.hint { p.hint id=(hint_id) { (hint) } }
            (field_errors(self.problems, self.id))
            input id=(self.id) type=(self.kind) name=(self.name) value=(self.value)
                class=[self.extra_class]
                required[self.required]
                aria-invalid=[bad.then_some("true")]
                aria-describedby=[(!described.is_empty()).then(|| described.join(" "))];
        }
    }
}

pub fn desks_page(view: &DesksView) -> Markup {
    let lang = view.lang;
    let vi = lang == Lang::Vi;
    let tr = |a: &'static str, b: &'static str| if vi { a } else { b };
    let here = path(&view.campaign_code, &view.unit_code);
    let unit_page = format!(
        "/manage/campaigns/{}/units/{}?lang={}",
        view.campaign_code,
        view.unit_code,
        lang.code()
    );
    let all_problems: &[FieldProblem] = view.failed.as_ref().map_or(&[], |f| &f.problems);
    let columns = [
        layout::Column::text(tr("Mã", "Code")),
        layout::Column::text(tr("Tên quầy", "Desk name")),
        layout::Column::text(tr("Trạng thái", "State")),
        layout::Column::text(tr("Áp phích và mã QR", "Poster and QR code")),
    ];
    let qr_base = format!(
        "/manage/campaigns/{}/units/{}/service-points",
        view.campaign_code, view.unit_code
    );
    let rows = view
        .desks
        .iter()
        .map(|d| {
            vec![
                html! { (d.code) },
                html! {
                    (d.name)
                    @if d.is_default { br; small { (tr("Bộ phận Một cửa của đơn vị", "The unit's own one-stop desk")) } }
                },
                html! {
                    @if d.open {
                        span { span aria-hidden="true" { "● " } (tr("Đang mở", "Open")) }
                        @if let Some(until) = d.closed_from {
                            br; small { (tr("Đóng từ ", "Closes from ")) (date(until)) }
                        }
                    } @else {
                        span.state-closed { span aria-hidden="true" { "✖ " } (tr("Đã đóng", "Closed")) }
                        @if let Some(until) = d.closed_from { br; small { (tr("từ ", "from ")) (date(until)) } }
                    }
                },
                html! {
                    @if d.open && view.posters {
                        a href={ "/posters/" (view.campaign_code) "/" (view.unit_code) "/" (d.code) } { (tr("Áp phích A4", "A4 poster")) }
                        " · "
                        a href={ (qr_base) "/" (d.code) "/qr.svg" } download { "QR (SVG)" }
                        " · "
                        a href={ (qr_base) "/" (d.code) "/qr.png" } download { "QR (PNG)" }
                    } @else if d.open {
                        (tr("Đợt khảo sát đã kết thúc.", "The campaign has ended."))
                    } @else { "–" }
                    @if d.open && view.posters {
                        (kiosk_forms(view, d))
                    }
                    @if d.open && !d.is_default {
                        (actions(view, d))
                    }
                },
            ]
        })
        .collect();
    let add = DeskForm::Add;
    let add_problems = problems_of(view, &add);
    let (add_code, add_name) = match &view.failed {
        Some(f) if f.form == add => (f.code.as_str(), f.name.as_str()),
        _ => ("", ""),
    };
    let done = view.done.as_ref().map(|d| match (d, vi) {
        (DeskDone::Added(c), true) => format!("Đã thêm quầy {c}."),
        (DeskDone::Added(c), false) => format!("Desk {c} added."),
        (DeskDone::Renamed(c), true) => format!("Đã đổi tên quầy {c}."),
        (DeskDone::Renamed(c), false) => format!("Desk {c} renamed."),
        (DeskDone::Closed(c), true) => format!("Đã đặt ngày đóng quầy {c}."),
        (DeskDone::Closed(c), false) => format!("Desk {c} is set to close."),
        (DeskDone::KioskEnabled(c), true) => format!("Đã tạo liên kết máy tính bảng (kiosk) cho quầy {c}; liên kết cũ, nếu có, không còn dùng được."),
        (DeskDone::KioskEnabled(c), false) => format!("A tablet (kiosk) link was made for desk {c}; its earlier link, if any, no longer works."),
        (DeskDone::KioskRevoked(c), true) => format!("Đã thu hồi liên kết máy tính bảng của quầy {c}."),
        (DeskDone::KioskRevoked(c), false) => format!("The tablet link of desk {c} was withdrawn."),
    });
    let title = format!("{} {} — SIPAS", tr("Quầy của", "Desks of"), view.unit_name);
    let body = html! {
        p.cap { a href=(unit_page) { "← " (view.unit_name) } }
        h1 { (tr("Các quầy của ", "Desks of ")) (view.unit_name) }
        p.cap { (view.campaign_name) " · " (tr("mã đơn vị ", "unit code ")) (view.unit_code) }
        @if let Some(done) = done {
            (Card::toned(Tone::Ok, html! {
                p.cap role="status" { span aria-hidden="true" { "✔ " } (done) }
                @if let Some(link) = &view.kiosk_link {
                    p { (tr(
                        "Mở liên kết này trên máy tính bảng của quầy. Liên kết chỉ hiện một lần; nếu mất, hãy tạo liên kết mới.",
                        "Open this link on the desk's tablet. It is shown only this once; if it is lost, make a new one.",
                    )) }
                    p { a.kiosk-link href=(link) { (link) } }
                }
            }))
        }
        (ErrorSummary { lang, problems: all_problems })
        section aria-labelledby="list" {
            h2 #list { (tr("Danh sách quầy", "Desks")) }
            (Table { columns: &columns, rows })
            p.note {
                (tr(
                    "Quầy đã đóng vẫn giữ các phiếu đã nhận; mã QR của quầy ngừng nhận phiếu từ ngày đóng.",
                    "A closed desk keeps its responses; its QR code stops taking answers from the closing day.",
                ))
            }
        }
        section aria-labelledby="add" {
            h2 #add { (tr("Thêm quầy", "Add a desk")) }
            (Card::new(html! {
                form method="post" action={ (here) "/add" } novalidate {
                    input type="hidden" name="csrf" value=(view.nav.csrf);
                    input type="hidden" name="lang" value=(lang.code());
                    (Field {
                        id: "add-name", name: "name", label: tr("Tên quầy", "Desk name"), kind: "text",
                        value: add_name,
                        hint: Some(tr("Ví dụ: Quầy số 2 – Đất đai", "For example: Desk 2 – Land")),
                        required: true, problems: add_problems, extra_class: None,
                    })
                    (Field {
                        id: "add-code", name: "code", label: tr("Mã quầy (không bắt buộc)", "Desk code (optional)"), kind: "text",
                        value: add_code,
                        hint: Some(tr(
                            "Để trống để tự đặt mã (Q1, Q2, …). Chữ cái không dấu, chữ số, '-', '_' hoặc '.'; tối đa 32 ký tự.",
                            "Leave empty for a generated code (Q1, Q2, …). Letters without accents, digits, '-', '_' or '.'; at most 32.",
                        )),
                        required: false, problems: add_problems, extra_class: None,
                    })
                    p.act { button.btn-main type="submit" { (tr("Thêm quầy", "Add the desk")) } }
                }
            }))
        }
    };
    super::page(
        Shell {
            lang,
            title: &title,
            path: Some(&here),
            demo: view.demo,
            kind: Kind::Wide,
            css: Some(DESKS_CSS.as_str()),
        },
        &view.nav,
        body,
    )
}

/// The kiosk link's buttons of one desk: make one (or a new one), withdraw it.
fn kiosk_forms(view: &DesksView, d: &DeskLine) -> Markup {
    let vi = view.lang == Lang::Vi;
    let tr = |a: &'static str, b: &'static str| if vi { a } else { b };
    let here = format!(
        "{}/{}/kiosk",
        path(&view.campaign_code, &view.unit_code),
        d.code
    );
    let live = view.kiosks.contains(&d.code);
    html! {
        div.kiosk {
            @if live { small { (tr("Máy tính bảng (kiosk): đang bật. ", "Tablet (kiosk): on. ")) } }
            form.inline method="post" action=(here) {
                input type="hidden" name="csrf" value=(view.nav.csrf);
                input type="hidden" name="lang" value=(view.lang.code());
                button type="submit" {
                    @if live { (tr("Tạo liên kết kiosk mới", "New kiosk link")) }
                    @else { (tr("Bật chế độ kiosk", "Enable kiosk mode")) }
                }
            }
            @if live {
                form.inline method="post" action={ (here) "/revoke" } {
                    input type="hidden" name="csrf" value=(view.nav.csrf);
                    input type="hidden" name="lang" value=(view.lang.code());
                    button type="submit" { (tr("Thu hồi", "Withdraw")) }
                }
            }
        }
    }
}

/// The rename and close forms of one desk, folded in a `details` (open when one of them
/// was refused).
fn actions(view: &DesksView, d: &DeskLine) -> Markup {
    let lang = view.lang;
    let vi = lang == Lang::Vi;
    let tr = |a: &'static str, b: &'static str| if vi { a } else { b };
    let here = path(&view.campaign_code, &view.unit_code);
    let rename = DeskForm::Rename(d.code.clone());
    let close = DeskForm::Close(d.code.clone());
    let rename_problems = problems_of(view, &rename);
    let close_problems = problems_of(view, &close);
    let failed_here = !rename_problems.is_empty() || !close_problems.is_empty();
    let name_value = match &view.failed {
        Some(f) if f.form == rename => f.name.clone(),
        _ => d.name.clone(),
    };
    let on_value = match &view.failed {
        Some(f) if f.form == close => f.on.clone(),
        _ => view.today.format("%Y-%m-%d").to_string(),
    };
    let name_id = format!("name-{}", d.code);
    let on_id = format!("on-{}", d.code);
    let confirm_id = format!("confirm-{}", d.code);
    let confirm_bad = invalid(close_problems, &confirm_id);
    html! {
        details.desk-actions open[failed_here] {
            summary { (tr("Đổi tên hoặc đóng quầy ", "Rename or close desk ")) (d.code) }
            form method="post" action={ (here) "/" (d.code) "/rename" } novalidate {
                input type="hidden" name="csrf" value=(view.nav.csrf);
                input type="hidden" name="lang" value=(lang.code());
                (Field {
                    id: &name_id, name: "name", label: tr("Tên mới", "New name"), kind: "text",
                    value: &name_value, hint: None, required: true, problems: rename_problems,
                    extra_class: None,
                })
                p.act { button type="submit" { (tr("Đổi tên", "Rename")) } }
            }
            form method="post" action={ (here) "/" (d.code) "/close" } novalidate {
                input type="hidden" name="csrf" value=(view.nav.csrf);
                input type="hidden" name="lang" value=(lang.code());
                (Field {
                    id: &on_id, name: "on", label: tr("Đóng từ ngày", "Closed from"), kind: "date",
                    value: &on_value,
                    hint: Some(tr(
                        "Ngày đầu tiên quầy không nhận phiếu nữa.",
                        "The first day the desk takes no more answers.",
                    )),
                    required: true, problems: close_problems, extra_class: None,
                })
                (field_errors(close_problems, &confirm_id))
                label.check for=(confirm_id) {
                    input id=(confirm_id) type="checkbox" name="confirm" value="yes"
                        aria-invalid=[confirm_bad.then_some("true")]
                        aria-describedby=[confirm_bad.then(|| format!("{confirm_id}-error"))];
                    span {
                        (tr("Tôi xác nhận đóng quầy ", "I confirm closing desk ")) (d.name)
                        (tr(": mã QR của quầy sẽ ngừng nhận phiếu.", ": its QR code will stop taking answers."))
                    }
                }
                p.act { button type="submit" { (tr("Đóng quầy", "Close the desk")) } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> DesksView {
        DesksView {
            lang: Lang::Vi,
            campaign_code: "HT-2026".into(),
            campaign_name: "Khảo sát 2026".into(),
            unit_code: "18073".into(),
            unit_name: "Phường Thành Sen".into(),
            desks: vec![
                DeskLine {
                    code: "MC".into(),
                    name: "Bộ phận Một cửa".into(),
                    is_default: true,
                    closed_from: None,
                    open: true,
                },
                DeskLine {
                    code: "Q1".into(),
                    name: "Quầy 1".into(),
                    is_default: false,
                    closed_from: None,
                    open: true,
                },
                DeskLine {
                    code: "Q2".into(),
                    name: "Quầy 2".into(),
                    is_default: false,
                    closed_from: NaiveDate::from_ymd_opt(2026, 3, 1),
                    open: false,
                },
            ],
            posters: true,
            today: NaiveDate::from_ymd_opt(2026, 3, 5).unwrap(),
            ..Default::default()
        }
    }

    #[test]
    fn lists_desks_with_their_forms() {
        let html = desks_page(&view()).into_string();
        assert!(html.contains(r#"action="/manage/campaigns/HT-2026/units/18073/desks/add""#));
        assert!(html.contains(r#"action="/manage/campaigns/HT-2026/units/18073/desks/Q1/rename""#));
        assert!(html.contains(r#"action="/manage/campaigns/HT-2026/units/18073/desks/Q1/close""#));
        // The default desk and a closed desk have no forms.
        assert!(!html.contains("/desks/MC/close") && !html.contains("/desks/Q2/rename"));
        assert!(html.contains("href=\"/posters/HT-2026/18073/Q1\""));
        assert!(!html.contains("/posters/HT-2026/18073/Q2"));
        assert!(html.contains("Đã đóng") && html.contains("01/03/2026"));
        assert!(html.contains(r#"value="2026-03-05""#));
        assert!(!html.contains(r#"aria-invalid="true""#));
        // Every open desk, the one-stop desk too, may get a kiosk link.
        assert!(html.contains(r#"action="/manage/campaigns/HT-2026/units/18073/desks/MC/kiosk""#));
        assert!(!html.contains("/desks/Q2/kiosk") && !html.contains("/kiosk/revoke"));
    }

    #[test]
    fn a_new_kiosk_link_is_shown_once_with_its_withdraw_button() {
        let mut v = view();
        v.kiosks = vec!["Q1".into()];
        v.done = Some(DeskDone::KioskEnabled("Q1".into()));
        v.kiosk_link = Some("https://ks.example.vn/k/abc".into());
        let html = desks_page(&v).into_string();
        assert!(html.contains(r#"href="https://ks.example.vn/k/abc""#));
        assert!(
            html.contains("/desks/Q1/kiosk/revoke") && !html.contains("/desks/MC/kiosk/revoke")
        );
        assert!(html.contains("Tạo liên kết kiosk mới"));
    }

    #[test]
    fn a_refused_form_shows_its_errors_by_its_fields() {
        let mut v = view();
        v.lang = Lang::En;
        v.failed = Some(FailedForm {
            form: DeskForm::Close("Q1".into()),
            code: String::new(),
            name: String::new(),
            on: "2026-03-09".into(),
            problems: vec![FieldProblem {
                field: "confirm-Q1".into(),
                message: "Tick the box".into(),
            }],
        });
        let html = desks_page(&v).into_string();
        assert!(html.contains(r##"<a href="#confirm-Q1">Tick the box</a>"##));
        assert!(html.contains(r#"id="confirm-Q1-error""#));
        assert!(html.contains(r#"aria-invalid="true""#));
        assert!(html.contains("<details class=\"desk-actions\" open"));
        assert!(html.contains(r#"value="2026-03-09""#));
    }
}
