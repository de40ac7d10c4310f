//! Receipt QR codes: how the one-stop system asks for one (the API call, with an
//! example built from the real request and answer types), a form for a desk officer to
//! make one by hand, and the slip to print on an 80 mm receipt printer.

use std::sync::LazyLock;

use chrono::NaiveDate;
use maud::{Markup, PreEscaped, html};

use super::form::{ErrorSummary, FORM_CSS, FieldProblem, field_errors, invalid};
use super::posters::PublicUrlWarning;
use super::{CSS, StaffNav};
use crate::Lang;
use crate::format::date;
use crate::layout::{Card, Kind, Shell, Tone};

pub const PATH: &str = "/manage/receipts";

/// What the form holds (as typed, so a refused form keeps it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceiptValues {
    /// `UNIT/DESK`.
    pub place: String,
    pub dossier_code: String,
    /// `yyyy-mm-dd`.
    pub returned_on: String,
}

/// A choice of a select: its value and label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// How to call the API, rendered from its real types.
#[derive(Debug, Clone, Default)]
pub struct ApiExample {
    /// `POST {public_url}/api/v1/campaigns/{c}/receipts`.
    pub endpoint: String,
    pub curl: String,
    pub request: String,
    pub response: String,
}

#[derive(Debug, Clone, Default)]
pub struct ReceiptsView {
    pub lang: Lang,
    pub nav: StaffNav,
    pub warning: Option<String>,
    /// Open campaigns (a receipt is issued only in one).
    pub campaigns: Vec<Choice>,
    /// The chosen campaign's code.
    pub campaign: Option<String>,
    /// The campaign's open desks in the member's scope, `UNIT/DESK`.
    pub places: Vec<Choice>,
    pub values: ReceiptValues,
    pub problems: Vec<FieldProblem>,
    pub example: ApiExample,
    pub receipt_valid_days: Option<u32>,
    pub demo: bool,
}

static RECEIPTS_CSS: LazyLock<String> = LazyLock::new(|| {
    [
        CSS,
        FORM_CSS,
        ".urlwarn p{margin:.25rem 0}.urlwarn code{overflow-wrap:anywhere}",
        "pre{background:#1b1b1b;color:#fff;padding:.75rem;border-radius:6px;overflow-x:auto;font-size:.875rem;line-height:1.4;white-space:pre}",
        "pre:focus{outline:3px solid #ffbf47}",
        "p code{overflow-wrap:anywhere}",
        "select{width:100%;max-width:36rem}",
        "input[type=date]{max-width:14rem}",
        ".choose{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end}.choose div{flex:1 1 16rem}",
    ]
    .concat()
});

fn select_field(
    (id, name, label): (&str, &str, &str),
    choices: &[Choice],
    selected: &str,
    problems: &[FieldProblem],
) -> Markup {
    let bad = invalid(problems, id);
    html! {
        label for=(id) { (label) }
        (field_errors(problems, id))
        select id=(id) name=(name) required
            aria-invalid=[bad.then_some("true")]
            aria-describedby=[bad.then(|| format!("{id}-error"))] {
            @for c in choices {
                option value=(c.value) selected[c.value == selected] { (c.label) }
            }
        }
    }
}

fn input_field(
    (id, name, label, kind): (&str, &str, &str, &str),
    value: &str,
    hint: Option<&str>,
    problems: &[FieldProblem],
) -> Markup {
    let bad = invalid(problems, id);
    let hint_id = format!("{id}-hint");
    let described: Vec<String> = [
        hint.map(|_| hint_id.clone()),
        bad.then(|| format!("{id}-error")),
    ]
    .into_iter()
    .flatten()
    .collect();
    html! {
        label for=(id) { (label) }
        @if let Some(hint) = hint { p.hint id=(hint_id) { (hint) } }
        (field_errors(problems, id))
        input id=(id) type=(kind) name=(name) value=(value) required autocomplete="off"
            aria-invalid=[bad.then_some("true")]
            aria-describedby=[(!described.is_empty()).then(|| described.join(" "))];
    }
}

pub fn receipts_page(view: &ReceiptsView) -> Markup {
    let lang = view.lang;
    let vi = lang == Lang::Vi;
    let tr = |a: &'static str, b: &'static str| if vi { a } else { b };
    let p = &view.problems;
    let body = html! {
        h1 { (tr("Mã QR trên giấy biên nhận", "Receipt QR codes")) }
        p.cap {
            (tr(
                "Khi trả kết quả hồ sơ, giấy biên nhận in một mã QR dùng một lần: người dân quét để đánh giá, phiếu được ghi là đã xác minh.",
                "When a dossier's result is returned, its receipt carries a single-use QR code: the citizen scans it to answer, and the response counts as verified.",
            ))
        }
        @if let Some(url) = &view.warning {
            (PublicUrlWarning { lang, public_url: url })
        }
        (ErrorSummary { lang, problems: p })
        section aria-labelledby="by-hand" {
            h2 #by-hand { (tr("Tạo mã QR biên nhận bằng tay", "Make a receipt QR code by hand")) }
            @if view.campaigns.is_empty() {
                (Card::toned(Tone::Warn, html! {
                    p.cap { (tr("Không có đợt khảo sát nào đang mở: chỉ đợt đang mở mới cấp mã biên nhận.", "No campaign is open: receipts are issued only in an open campaign.")) }
                }))
            } @else {
                @if view.campaigns.len() > 1 {
                    (Card::new(html! {
                        form.choose method="get" action=(PATH) {
                            input type="hidden" name="lang" value=(lang.code());
                            div {
                                label for="campaign-choice" { (tr("Đợt khảo sát", "Campaign")) }
                                select #campaign-choice name="campaign" {
                                    @for c in &view.campaigns {
                                        option value=(c.value) selected[view.campaign.as_deref() == Some(c.value.as_str())] { (c.label) }
                                    }
                                }
                            }
                            button type="submit" { (tr("Chọn đợt", "Choose")) }
                        }
                    }))
                }
                @if let Some(campaign) = &view.campaign {
                    (Card::new(html! {
                        @if view.places.is_empty() {
                            p { (tr("Không có quầy nào đang mở trong phạm vi của bạn.", "No open desk in your scope.")) }
                        } @else {
                            form method="post" action=(PATH) novalidate {
                                input type="hidden" name="csrf" value=(view.nav.csrf);
                                input type="hidden" name="lang" value=(lang.code());
                                input type="hidden" name="campaign" value=(campaign);
                                p.cap {
                                    (tr("Đợt: ", "Campaign: "))
                                    @for c in view.campaigns.iter().filter(|c| &c.value == campaign) { (c.label) }
                                }
                                (select_field(("place", "place", tr("Đơn vị và quầy trả kết quả", "Unit and desk returning the result")), &view.places, &view.values.place, p))
                                (input_field(("dossier", "dossier_code", tr("Mã hồ sơ", "Dossier code"), "text"), &view.values.dossier_code,
                                    Some(tr("Như trên giấy tiếp nhận (1–100 ký tự). Hệ thống chỉ lưu dạng băm của mã.", "As on the dossier's receipt (1–100 characters). Only a keyed hash of it is stored.")), p))
                                (input_field(("returned-on", "returned_on", tr("Ngày trả kết quả", "Day the result was returned"), "date"), &view.values.returned_on,
                                    view.receipt_valid_days.map(|days| if vi { format!("Mã có hiệu lực {days} ngày kể từ ngày này.") } else { format!("The code is valid for {days} days from this day.") }).as_deref(), p))
                                p.act { button.btn-main type="submit" { (tr("Tạo mã QR và phiếu in", "Make the QR code and slip")) } }
                            }
                        }
                    }))
                }
            }
        }
        section aria-labelledby="connect" {
            h2 #connect { (tr("Kết nối hệ thống Một cửa", "Connecting the one-stop system")) }
            p {
                (tr(
                    "Hệ thống Một cửa gọi API khi trả kết quả một hồ sơ, với mã truy cập có quyền ghi (quản trị viên tạo ở trang Mã truy cập API), rồi in mã QR của đường dẫn nhận được (hoặc ảnh qr_png_url) lên giấy biên nhận. Gọi lại cho cùng một hồ sơ trả về cùng mã (200 thay vì 201).",
                    "The one-stop system calls the API when it returns a dossier's result, with a token allowed to write (an administrator creates one on the API tokens page), and prints the QR code of the URL it gets (or the image at qr_png_url) on the receipt. Calling again for the same dossier returns the same code (200 instead of 201).",
                ))
            }
            p { code { (view.example.endpoint) } }
            h3 { (tr("Ví dụ với curl", "Example with curl")) }
            pre tabindex="0" aria-label=(tr("Ví dụ lệnh curl", "curl example")) { code { (view.example.curl) } }
            h3 { (tr("Yêu cầu (JSON)", "Request (JSON)")) }
            pre tabindex="0" aria-label=(tr("Ví dụ yêu cầu", "Request example")) { code { (view.example.request) } }
            h3 { (tr("Trả lời 201 (JSON)", "Answer 201 (JSON)")) }
            pre tabindex="0" aria-label=(tr("Ví dụ trả lời", "Answer example")) { code { (view.example.response) } }
            p.note {
                (tr("Mô tả đầy đủ: ", "Full description: "))
                a href="/api/docs" { "/api/docs" }
                (tr(" (mã lỗi 404: không có đơn vị hoặc quầy; 409: đợt không mở; 422: dữ liệu không hợp lệ).", " (404: unknown unit or desk; 409: campaign not open; 422: invalid fields)."))
            }
        }
    };
    super::page(
        Shell {
            lang,
            title: tr("Mã QR biên nhận — SIPAS", "Receipt QR codes — SIPAS"),
            path: Some(PATH),
            demo: view.demo,
            kind: Kind::Wide,
            css: Some(RECEIPTS_CSS.as_str()),
        },
        &view.nav,
        body,
    )
}

/// The printable slip of one receipt.
#[derive(Debug, Clone, Default)]
pub struct SlipView {
    pub lang: Lang,
    pub nav: StaffNav,
    pub campaign_name: String,
    pub unit_name: String,
    pub desk_name: String,
    pub dossier_code: String,
    pub url: String,
    /// The QR code of `url` as inline SVG.
    pub svg: String,
    /// The last day it can be answered (Vietnam's day).
    pub valid_until: NaiveDate,
    /// `false`: the dossier had a receipt already; this is the same one.
    pub created: bool,
    pub warning: Option<String>,
}

static SLIP_CSS: LazyLock<String> = LazyLock::new(|| {
    [
        CSS,
        ".urlwarn p{margin:.25rem 0}.urlwarn code{overflow-wrap:anywhere}",
        "@page{size:80mm 150mm;margin:4mm}",
        ".slip{width:72mm;margin:1rem auto;background:#fff;border:1px dashed #4a4f57;padding:3mm;text-align:center;font-size:11pt;line-height:1.3;color:#000}",
        ".slip h1{font-size:15pt;margin:0}.slip .en{margin:0;font-size:10pt}",
        ".slip .qr{width:56mm;margin:2mm auto}.slip .qr svg{display:block;width:100%;height:auto}",
        ".slip p{margin:1mm 0}.slip .code{font:700 12pt ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere}",
        ".slip .url{font:9pt ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere}",
        "@media print{.snav,.noprint{display:none}.slip{margin:0;border:0;padding:0}}",
    ]
    .concat()
});

pub fn slip_page(view: &SlipView) -> Markup {
    let lang = view.lang;
    let vi = lang == Lang::Vi;
    let tr = |a: &'static str, b: &'static str| if vi { a } else { b };
    let body = html! {
        div.noprint {
            p.cap { a href={ (PATH) "?lang=" (lang.code()) } { "← " (tr("Tạo mã khác", "Make another")) } }
            (Card::toned(Tone::Ok, html! {
                p.cap role="status" {
                    span aria-hidden="true" { "✔ " }
                    @if view.created {
                        (tr("Đã tạo mã QR biên nhận. In phiếu dưới đây (Ctrl+P) trên máy in hóa đơn 80 mm.", "Receipt QR code made. Print the slip below (Ctrl+P) on an 80 mm receipt printer."))
                    } @else {
                        (tr("Hồ sơ này đã có mã QR biên nhận: đây là mã đó.", "This dossier already had a receipt QR code: here it is."))
                    }
                }
            }))
            @if let Some(url) = &view.warning {
                (PublicUrlWarning { lang, public_url: url })
            }
        }
        div.slip {
            p { (view.unit_name) }
            p { (view.desk_name) }
            h1 { "Quét để đánh giá" }
            p.en lang="en" { "Scan to rate our service" }
            div.qr role="img" aria-label={ "Mã QR: " (view.url) } { (PreEscaped(&view.svg)) }
            p { "Mã hồ sơ " span lang="en" { "/ Dossier" } ": " }
            p.code { (view.dossier_code) }
            p { "Có hiệu lực đến hết ngày " span lang="en" { "/ Valid until" } " " strong { (date(view.valid_until)) } }
            p.url { (crate::poster::display_url(&view.url)) }
            p { (view.campaign_name) }
        }
    };
    super::page(
        Shell {
            lang,
            title: tr("Phiếu mã QR biên nhận — SIPAS", "Receipt QR slip — SIPAS"),
            path: None,
            demo: false,
            kind: Kind::Print,
            css: Some(SLIP_CSS.as_str()),
        },
        &view.nav,
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_keeps_values_and_errors() {
        let html = receipts_page(&ReceiptsView {
            campaigns: vec![Choice {
                value: "HT-2026".into(),
                label: "Khảo sát 2026".into(),
            }],
            campaign: Some("HT-2026".into()),
            places: vec![
                Choice {
                    value: "18073/MC".into(),
                    label: "Phường Thành Sen – Bộ phận Một cửa".into(),
                },
                Choice {
                    value: "18073/Q1".into(),
                    label: "Phường Thành Sen – Quầy 1".into(),
                },
            ],
            values: ReceiptValues {
                place: "18073/Q1".into(),
                dossier_code: String::new(),
                returned_on: "2026-03-05".into(),
            },
            problems: vec![FieldProblem {
                field: "dossier".into(),
                message: "Nhập mã hồ sơ.".into(),
            }],
            example: ApiExample {
                curl: "curl -X POST".into(),
                ..Default::default()
            },
            ..Default::default()
        })
        .into_string();
        assert!(html.contains(r#"<option value="18073/Q1" selected>"#));
        assert!(html.contains(r##"<a href="#dossier">Nhập mã hồ sơ.</a>"##));
        assert!(html.contains(r#"id="dossier-error""#));
        assert!(html.contains(r#"value="2026-03-05""#));
        assert!(html.contains("curl -X POST"));
        // One open campaign: no campaign chooser.
        assert!(!html.contains("campaign-choice"));
    }

    #[test]
    fn the_slip_fits_a_receipt_printer() {
        let html = slip_page(&SlipView {
            dossier_code: "H42.01-260305-0001".into(),
            url: "https://ks.example.vn/s/abc".into(),
            svg: "<svg></svg>".into(),
            valid_until: NaiveDate::from_ymd_opt(2026, 4, 4).unwrap(),
            created: true,
            ..Default::default()
        })
        .into_string();
        assert!(html.contains("@page{size:80mm"));
        assert!(html.contains("Quét để đánh giá"));
        assert!(html.contains("04/04/2026"));
        assert!(html.contains("H42.01-260305-0001"));
    }
}
