//! Running a round from the dashboard: the form that creates a campaign
//! (`/manage/campaigns/new`), a campaign's set-up page with its settings and its
//! lifecycle buttons (`/manage/campaigns/{c}/setup`), and the page that overrides one
//! unit's quota (`/manage/campaigns/{c}/quotas/{unit}`).
//!
//! Every form keeps what was typed when it is refused, shows each problem next to its
//! field (`aria-invalid`, `aria-describedby`) and lists them all at the top, each
//! linking to its field.

use std::sync::LazyLock;

use chrono::NaiveDateTime;
use maud::{Markup, html};

use super::overview::{CampaignHead, Choice, campaign_heading};
use super::{CSS, StaffNav};
use crate::Lang;
use crate::format::{count, date, decimal};
use crate::layout::{Card, Kind, Shell, Tone};

static ROUND_CSS: LazyLock<String> = LazyLock::new(|| {
    [
        CSS,
        "input[type=number],input[type=date]{width:100%;max-width:14rem}",
        "textarea{font:inherit;width:100%;max-width:36rem;min-height:6rem;padding:.375rem .5rem;border:2px solid #4a4f57;border-radius:4px}",
        "[aria-invalid=true]{border-color:#b3261e;border-width:3px}",
        ".field{margin:0 0 1rem}.field .note{margin:.25rem 0 0}",
        ".field p.error{margin:.25rem 0 0}",
        ".check{display:flex;gap:.5rem;align-items:flex-start;font-weight:600;margin:.75rem 0 .25rem}",
        ".check input{width:24px;height:24px;min-height:24px;margin:.25rem 0 0;flex:none}",
        ".summary a{color:#b3261e;font-weight:600}",
        "dl.settings{display:grid;grid-template-columns:minmax(10rem,16rem) 1fr;gap:.25rem 1rem;margin:0}",
        "dl.settings dt{color:#4a4f57}dl.settings dd{margin:0;font-weight:600}",
        "@media (max-width:40rem){dl.settings{grid-template-columns:1fr}dl.settings dd{margin:0 0 .5rem}}",
        ".actions form{margin:0 0 1rem}",
        ".links{margin:0;padding-left:1.25rem}.links li{margin:.25rem 0}.links a{display:inline-block;min-height:44px;padding:.5rem 0}",
        "details.ovr summary{cursor:pointer;min-height:24px}",
        "code.hash{word-break:break-all;font-size:.8125rem}",
        ".scroll{overflow-x:auto}",
        "table.grid{border-collapse:collapse}table.grid th,table.grid td{text-align:left;padding:.375rem .5rem;border-bottom:1px solid #c8ccd1;vertical-align:top}",
        "ul.snaps{list-style:none;margin:0;padding:0}ul.snaps li{border-top:1px solid #c8ccd1;padding:.5rem 0}",
        "ul.snaps h3{margin:.25rem 0 .5rem;font-size:1.0625rem}ul.snaps a{display:inline-block;min-height:44px;padding:.5rem .25rem}",
        "a.btn{display:inline-block;text-decoration:none}",
        "a.btn-main{color:#fff}",
    ]
    .concat()
});

/// The CSS of these pages (also the overview's quota marker).
pub fn css() -> &'static str {
    ROUND_CSS.as_str()
}

/// `?lang=en` in English, nothing in Vietnamese.
fn lang_query(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "",
        Lang::En => "?lang=en",
    }
}

/// What is wrong with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The value breaks the field's rule (the domain's check).
    Rule,
    /// Nothing usable was given (an empty or unreadable date or number).
    Missing,
    /// The value is taken (a campaign code).
    Taken,
}

/// A problem with one field of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field's name: `code`, `name`, `template`, `starts_on`, `ends_on`,
    /// `confidence`, `margin`, `quota_method`, `par_scheme`, `min_fill_seconds`,
    /// `receipt_valid_days`; `target` and `reason` on the quota page.
    pub field: String,
    pub problem: Problem,
}

/// A field's label.
fn label(lang: Lang, field: &str) -> &str {
    let vi = lang == Lang::Vi;
    match field {
        "code" => {
            if vi {
                "Mã đợt khảo sát"
            } else {
                "Campaign code"
            }
        }
        "name" => {
            if vi {
                "Tên đợt khảo sát"
            } else {
                "Name"
            }
        }
        "template" => {
            if vi {
                "Mẫu phiếu"
            } else {
                "Questionnaire template"
            }
        }
        "starts_on" => {
            if vi {
                "Ngày bắt đầu"
            } else {
                "First day"
            }
        }
        "ends_on" => {
            if vi {
                "Ngày kết thúc"
            } else {
                "Last day"
            }
        }
        "confidence" => {
            if vi {
                "Độ tin cậy"
            } else {
                "Confidence level"
            }
        }
        "margin" => {
            if vi {
                "Sai số cho phép (điểm %)"
            } else {
                "Margin of error (percentage points)"
            }
        }
        "quota_method" => {
            if vi {
                "Công thức tính cỡ mẫu"
            } else {
                "Quota method"
            }
        }
        "par_scheme" => {
            if vi {
                "Bộ điểm PAR Index"
            } else {
                "PAR Index scheme"
            }
        }
        "count_unverified" => {
            if vi {
                "Tính cả phiếu quét mã QR và máy tính bảng tại quầy"
            } else {
                "Count desk QR and desk tablet responses"
            }
        }
        "min_fill_seconds" => {
            if vi {
                "Thời gian trả lời tối thiểu (giây)"
            } else {
                "Minimum fill time (seconds)"
            }
        }
        "receipt_valid_days" => {
            if vi {
                "Hiệu lực mã QR biên nhận (ngày)"
            } else {
                "Receipt QR validity (days)"
            }
        }
        "target" => {
            if vi {
                "Chỉ tiêu mới (số phiếu)"
            } else {
                "New quota (responses)"
            }
        }
        "reason" => {
            if vi {
                "Lý do điều chỉnh"
            } else {
                "Reason"
            }
        }
        other => other,
    }
}

/// What a problem with a field means, in the page's language.
pub fn message(lang: Lang, field: &str, problem: Problem) -> String {
    let vi = lang == Lang::Vi;
    let text = match (field, problem) {
        ("code", Problem::Taken) => {
            if vi {
                "Đã có đợt khảo sát với mã này: hãy chọn mã khác."
            } else {
                "A campaign with this code exists already: choose another code."
            }
        }
        ("starts_on" | "ends_on", Problem::Missing) => {
            if vi {
                "Hãy chọn một ngày (ngày/tháng/năm)."
            } else {
                "Choose a day (day/month/year)."
            }
        }
        (_, Problem::Missing) => {
            if vi {
                "Hãy nhập một số."
            } else {
                "Enter a number."
            }
        }
        ("code", _) => {
            if vi {
                "Mã gồm 1–32 ký tự: chữ cái không dấu, chữ số, dấu '-', '_' hoặc '.', ví dụ SIPAS-2026."
            } else {
                "The code is 1–32 letters, digits, '-', '_' or '.', for example SIPAS-2026."
            }
        }
        ("name", _) => {
            if vi {
                "Hãy nhập tên, tối đa 200 ký tự."
            } else {
                "Enter a name of at most 200 characters."
            }
        }
        ("template", _) => {
            if vi {
                "Hãy chọn một mẫu phiếu trong danh sách."
            } else {
                "Choose a template from the list."
            }
        }
        ("ends_on", _) => {
            if vi {
                "Ngày kết thúc không được trước ngày bắt đầu."
            } else {
                "The last day cannot be before the first day."
            }
        }
        ("confidence", _) => {
            if vi {
                "Hãy chọn độ tin cậy 90 %, 95 % hoặc 99 %."
            } else {
                "Choose a confidence level of 90 %, 95 % or 99 %."
            }
        }
        ("margin", _) => {
            if vi {
                "Sai số phải lớn hơn 0 và không quá 50 điểm phần trăm (thường là 5)."
            } else {
                "The margin must be above 0 and at most 50 percentage points (usually 5)."
            }
        }
        ("quota_method", _) => {
            if vi {
                "Hãy chọn công thức Cochran hoặc Yamane."
            } else {
                "Choose Cochran or Yamane."
            }
        }
        ("par_scheme", _) => {
            if vi {
                "Hãy chọn một bộ điểm PAR Index trong danh sách."
            } else {
                "Choose a PAR Index scheme from the list."
            }
        }
        ("min_fill_seconds", _) => {
            if vi {
                "Thời gian tối thiểu là số nguyên từ 0 đến 600 giây."
            } else {
                "The minimum fill time is a whole number from 0 to 600 seconds."
            }
        }
        ("receipt_valid_days", _) => {
            if vi {
                "Hiệu lực là số nguyên từ 1 đến 366 ngày."
            } else {
                "The validity is a whole number from 1 to 366 days."
            }
        }
        ("target", _) => {
            if vi {
                "Chỉ tiêu là số nguyên dương (từ 1 đến 1.000.000)."
            } else {
                "The quota is a positive whole number (1 to 1,000,000)."
            }
        }
        ("reason", _) => {
            if vi {
                "Hãy ghi lý do điều chỉnh, tối đa 500 ký tự."
            } else {
                "Give the reason for the change, at most 500 characters."
            }
        }
        _ => {
            if vi {
                "Giá trị không hợp lệ."
            } else {
                "This value is not valid."
            }
        }
    };
    text.to_owned()
}

/// The problem of a field, if any.
fn problem_of<'a>(errors: &'a [FieldProblem], field: &str) -> Option<&'a FieldProblem> {
    errors.iter().find(|e| e.field == field)
}

/// The summary of a refused form: every problem, each a link to its field.
fn error_summary(lang: Lang, errors: &[FieldProblem]) -> Markup {
    let vi = lang == Lang::Vi;
    html! {
        @if !errors.is_empty() {
            (Card::toned(Tone::Err, html! {
                div.summary role="alert" aria-labelledby="error-summary" {
                    h2 #error-summary {
                        (if vi { "Chưa lưu được: hãy sửa " } else { "Nothing was saved: please fix " })
                        (count(lang, errors.len() as u64))
                        (if vi { " lỗi dưới đây" } else if errors.len() == 1 { " problem below" } else { " problems below" })
                    }
                    ul {
                        @for e in errors {
                            li { a href={ "#f-" (e.field) } { (label(lang, &e.field)) ": " (message(lang, &e.field, e.problem)) } }
                        }
                    }
                }
            }))
        }
    }
}

/// A field's error message, next to it, and its attributes.
struct FieldState {
    invalid: Option<&'static str>,
    described_by: String,
    error: Option<String>,
}

fn field_state(lang: Lang, errors: &[FieldProblem], field: &str, hint: bool) -> FieldState {
    let problem = problem_of(errors, field);
    let mut ids = Vec::new();
    if hint {
        ids.push(format!("f-{field}-hint"));
    }
    if problem.is_some() {
        ids.push(format!("f-{field}-error"));
    }
    FieldState {
        invalid: problem.map(|_| "true"),
        described_by: ids.join(" "),
        error: problem.map(|p| message(lang, field, p.problem)),
    }
}

/// The error line under a field's label.
fn field_error(field: &str, state: &FieldState) -> Markup {
    html! {
        @if let Some(error) = &state.error {
            p.error id={ "f-" (field) "-error" } {
                span aria-hidden="true" { "✖ " } (error)
            }
        }
    }
}

/// What was typed in the new campaign form (kept when it is refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignForm {
    pub code: String,
    pub name: String,
    pub template: String,
    /// yyyy-mm-dd, as `<input type=date>` sends it.
    pub starts_on: String,
    pub ends_on: String,
    /// `0.90`, `0.95` or `0.99`.
    pub confidence: String,
    /// Percentage points: `5` for ±5 %.
    pub margin: String,
    pub quota_method: String,
    pub par_scheme: String,
    pub count_unverified: bool,
    pub min_fill_seconds: String,
    pub receipt_valid_days: String,
}

impl Default for CampaignForm {
    fn default() -> Self {
        Self {
            code: String::new(),
            name: String::new(),
            template: "SIPAS-2023".into(),
            starts_on: String::new(),
            ends_on: String::new(),
            confidence: "0.95".into(),
            margin: "5".into(),
            quota_method: "cochran".into(),
            par_scheme: String::new(),
            count_unverified: true,
            min_fill_seconds: "8".into(),
            receipt_valid_days: "30".into(),
        }
    }
}

/// The confidence levels the form offers.
pub const CONFIDENCE_CHOICES: [(&str, &str); 3] =
    [("0.90", "90 %"), ("0.95", "95 %"), ("0.99", "99 %")];

#[derive(Debug, Clone, Default)]
pub struct NewCampaignView {
    pub lang: Lang,
    pub nav: StaffNav,
    pub form: CampaignForm,
    /// The questionnaire templates (codes).
    pub templates: Vec<String>,
    /// The PAR schemes: code and name, the newest last.
    pub schemes: Vec<Choice>,
    pub errors: Vec<FieldProblem>,
}

pub const NEW_PATH: &str = "/manage/campaigns/new";

/// The form that creates a campaign (as a draft, opened from its set-up page).
pub fn new_campaign_page(view: &NewCampaignView) -> Markup {
    let lang = view.lang;
    let vi = lang == Lang::Vi;
    let f = &view.form;
    let errors = &view.errors;
    let st = |field: &str, hint: bool| field_state(lang, errors, field, hint);
    let text_field = |field: &str, value: &str, hint: Option<&str>, extra: Markup| {
        let s = st(field, hint.is_some());
        html! {
            div.field {
                label for={ "f-" (field) } { (label(lang, field)) }
                @if let Some(hint) = hint { p.note id={ "f-" (field) "-hint" } { (hint) } }
                (field_error(field, &s))
                input id={ "f-" (field) } name=(field) type="text" value=(value)
                    aria-invalid=[s.invalid] aria-describedby=[(!s.described_by.is_empty()).then_some(&s.described_by)];
                (extra)
            }
        }
    };
    let number_field = |field: &str,
                        value: &str,
                        hint: &str,
                        (min, max, step): (&str, &str, &str)| {
        let s = st(field, true);
        html! {
            div.field {
                label for={ "f-" (field) } { (label(lang, field)) }
                p.note id={ "f-" (field) "-hint" } { (hint) }
                (field_error(field, &s))
                input id={ "f-" (field) } name=(field) type="number" inputmode="decimal" value=(value)
                    min=(min) max=(max) step=(step)
                    aria-invalid=[s.invalid] aria-describedby=(s.described_by);
            }
        }
    };
    let date_field = |field: &str, value: &str| {
        let s = st(field, false);
        html! {
            div.field {
                label for={ "f-" (field) } { (label(lang, field)) }
                (field_error(field, &s))
                input id={ "f-" (field) } name=(field) type="date" value=(value)
                    aria-invalid=[s.invalid] aria-describedby=[(!s.described_by.is_empty()).then_some(&s.described_by)];
            }
        }
    };
    let select_field = |field: &str,
                        hint: Option<&str>,
                        options: Vec<(String, String)>,
                        chosen: &str| {
        let s = st(field, hint.is_some());
        html! {
            div.field {
                label for={ "f-" (field) } { (label(lang, field)) }
                @if let Some(hint) = hint { p.note id={ "f-" (field) "-hint" } { (hint) } }
                (field_error(field, &s))
                select id={ "f-" (field) } name=(field)
                    aria-invalid=[s.invalid] aria-describedby=[(!s.described_by.is_empty()).then_some(&s.described_by)] {
                    @for (value, text) in &options {
                        option value=(value) selected[value == chosen] { (text) }
                    }
                }
            }
        }
    };
    let title = if vi {
        "Tạo đợt khảo sát mới"
    } else {
        "New campaign"
    };
    let body = html! {
        (Card::new(html! {
            h1 { (title) }
            p.note {
                (if vi {
                    "Đợt khảo sát được tạo ở trạng thái bản nháp: người dân chưa trả lời được. Sau khi tải khung mẫu lên, hãy mở đợt ở trang thiết lập."
                } else {
                    "The campaign is created as a draft: citizens cannot answer yet. Upload its frame, then open it from its set-up page."
                })
            }
        }))
        (error_summary(lang, errors))
        form method="post" action=(NEW_PATH) novalidate {
            input type="hidden" name="csrf" value=(view.nav.csrf);
            input type="hidden" name="lang" value=(lang.code());
            (Card::new(html! {
                h2 { (if vi { "Đợt khảo sát" } else { "The campaign" }) }
                (text_field("code", &f.code, Some(if vi {
                    "Dùng trong đường dẫn và mã QR; không đổi được sau khi tạo. Ví dụ: SIPAS-2026."
                } else {
                    "Used in links and QR codes; it cannot change later. For example SIPAS-2026."
                }), html! {}))
                (text_field("name", &f.name, None, html! {}))
                (select_field("template", None, view.templates.iter().map(|t| (t.clone(), t.clone())).collect(), &f.template))
                (date_field("starts_on", &f.starts_on))
                (date_field("ends_on", &f.ends_on))
                p.note {
                    (if vi {
                        "Đợt khảo sát dùng danh sách đơn vị có hiệu lực vào ngày bắt đầu."
                    } else {
                        "The campaign runs on the units valid on its first day."
                    })
                }
            }))
            (Card::new(html! {
                h2 { (if vi { "Cỡ mẫu" } else { "Sample size" }) }
                (select_field("confidence", None, CONFIDENCE_CHOICES.iter().map(|(v, t)| ((*v).to_owned(), (*t).to_owned())).collect(), &f.confidence))
                (number_field("margin", &f.margin, if vi { "Ví dụ 5 nghĩa là ±5 điểm phần trăm." } else { "For example 5 means ±5 percentage points." }, ("0.1", "50", "0.1")))
                (select_field("quota_method", Some(if vi {
                    "Cochran (có hiệu chỉnh tổng thể hữu hạn) hoặc Yamane, công thức trong hướng dẫn của Bộ Nội vụ."
                } else {
                    "Cochran (with finite-population correction) or Yamane, the formula of the ministry's guidance."
                }), vec![
                    ("cochran".into(), "Cochran".into()),
                    ("yamane".into(), "Yamane".into()),
                ], &f.quota_method))
                (select_field("par_scheme", None, view.schemes.iter().map(|c| (c.value.clone(), c.label.clone())).collect(), &f.par_scheme))
            }))
            (Card::new(html! {
                h2 { (if vi { "Phiếu được tính" } else { "Which responses count" }) }
                label.check for="f-count_unverified" {
                    input #f-count_unverified type="checkbox" name="count_unverified" value="1" checked[f.count_unverified] aria-describedby="f-count_unverified-hint";
                    span { (label(lang, "count_unverified")) }
                }
                p.note #f-count_unverified-hint {
                    (if vi {
                        "Phiếu qua mã QR biên nhận, phiếu giấy và phiếu phỏng vấn luôn được tính. Bỏ chọn để điểm chính thức chỉ tính phiếu đã xác minh."
                    } else {
                        "Receipt QR, paper and interviewer responses always count. Untick to score only verified responses officially."
                    })
                }
                (number_field("min_fill_seconds", &f.min_fill_seconds, if vi { "Phiếu gửi nhanh hơn vẫn được lưu nhưng bị đánh dấu." } else { "Faster responses are kept but flagged." }, ("0", "600", "1")))
                (number_field("receipt_valid_days", &f.receipt_valid_days, if vi { "Số ngày mã QR biên nhận còn dùng được sau ngày trả kết quả." } else { "Days a receipt QR works after the result is returned." }, ("1", "366", "1")))
            }))
            p { button.btn-main type="submit" { (if vi { "Tạo đợt khảo sát (bản nháp)" } else { "Create the campaign (draft)" }) } }
        }
    };
    super::page(
        Shell {
            lang,
            title: &format!("{title} — SIPAS"),
            path: Some(NEW_PATH),
            demo: false,
            kind: Kind::Wide,
            css: Some(css()),
        },
        &view.nav,
        body,
    )
}

/// A campaign's settings, read-only.
#[derive(Debug, Clone, Default)]
pub struct CampaignSettings {
    pub template: String,
    pub units_on: Option<chrono::NaiveDate>,
    pub confidence: f64,
    pub margin: f64,
    pub quota_method: String,
    /// The scheme's name and code.
    pub par_scheme: String,
    pub count_unverified: bool,
    pub min_fill_seconds: u32,
    pub receipt_valid_days: u32,
}

/// What was just done on the set-up page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupNotice {
    Created,
    Opened,
    Closed,
    Published,
    /// A published campaign closed again for a correction.
    Correcting,
}

/// A published snapshot of the campaign, as the set-up page lists it.
#[derive(Debug, Clone, Default)]
pub struct SnapshotRow {
    pub version: u32,
    /// When, already formatted (Vietnam time).
    pub published_at: String,
    pub published_by: String,
    pub sha256: String,
}

#[derive(Debug, Clone)]
pub struct SetupView {
    pub lang: Lang,
    pub nav: StaffNav,
    pub campaign: CampaignHead,
    pub settings: CampaignSettings,
    /// They may open and close it (province-wide managers).
    pub may_change: bool,
    /// They may publish it and close it again for a correction (administrators).
    pub is_admin: bool,
    /// Its published snapshots, oldest first.
    pub snapshots: Vec<SnapshotRow>,
    /// Units in its frame; 0: no frame yet.
    pub frame_units: usize,
    pub notice: Option<SetupNotice>,
    /// A refused move, said in the page's language.
    pub problem: Option<String>,
}

/// The path of a campaign's set-up page.
pub fn setup_path(code: &str) -> String {
    format!("/manage/campaigns/{code}/setup")
}

/// A campaign's set-up page: its settings, its status and the buttons that move it.
pub fn setup_page(view: &SetupView) -> Markup {
    let lang = view.lang;
    let vi = lang == Lang::Vi;
    let c = &view.campaign;
    let s = &view.settings;
    let q = lang_query(lang);
    let status = c.status.as_str();
    let can_open = matches!(status, "draft" | "closed");
    let can_close = status == "open";
    let title = if vi {
        "Thiết lập đợt khảo sát"
    } else {
        "Round set-up"
    };
    let yes_no = |b: bool| match (b, vi) {
        (true, true) => "Có",
        (false, true) => "Không",
        (true, false) => "Yes",
        (false, false) => "No",
    };
    let notice = view.notice.map(|n| match (n, vi) {
        (SetupNotice::Created, true) => {
            "Đã tạo đợt khảo sát (bản nháp). Bước tiếp theo: tải khung mẫu lên, rồi mở đợt."
        }
        (SetupNotice::Created, false) => {
            "The campaign is created (a draft). Next: upload its frame, then open it."
        }
        (SetupNotice::Opened, true) => "Đã mở đợt khảo sát: người dân có thể trả lời.",
        (SetupNotice::Opened, false) => "The campaign is open: citizens can answer.",
        (SetupNotice::Closed, true) => "Đã kết thúc đợt khảo sát: không nhận thêm phiếu.",
        (SetupNotice::Closed, false) => "The campaign is closed: no more answers are taken.",
        (SetupNotice::Published, true) => "Đã công bố kết quả: số liệu đã được cố định thành một bản công bố.",
        (SetupNotice::Published, false) => "The results are published: the figures are frozen as a snapshot.",
        (SetupNotice::Correcting, true) => {
            "Đã đưa đợt khảo sát về trạng thái kết thúc để đính chính. Các bản đã công bố vẫn giữ nguyên; lần công bố sau là bản mới."
        }
        (SetupNotice::Correcting, false) => {
            "The campaign is closed again for a correction. Published snapshots stay as they are; the next publication is a new one."
        }
    });
    let latest = view.snapshots.last().map(|s| s.version);
    let body = html! {
        (campaign_heading(lang, c, title))
        @if let Some(notice) = notice {
            (Card::toned(Tone::Ok, html! { p.cap role="status" { (notice) } }))
        }
        @if let Some(problem) = &view.problem {
            (Card::toned(Tone::Err, html! { p.cap role="alert" { span aria-hidden="true" { "✖ " } (problem) } }))
        }
        (Card::new(html! {
            h2 { (if vi { "Trạng thái" } else { "Status" }) }
            p {
                strong { (crate::i18n::campaign_status(lang, status)) } ". "
                (match (status, vi) {
                    ("draft", true) => "Đang chuẩn bị: người dân chưa trả lời được; khung mẫu và chỉ tiêu có thể thay đổi.",
                    ("draft", false) => "Being prepared: citizens cannot answer yet; its frame and quotas may change.",
                    ("open", true) => "Đang nhận phiếu qua mọi kênh.",
                    ("open", false) => "Taking answers by every channel.",
                    ("closed", true) => "Không nhận thêm phiếu; có thể mở lại hoặc công bố kết quả.",
                    ("closed", false) => "No more answers; it may be re-opened, or its results published.",
                    ("published", true) => "Kết quả đã công bố là chính thức; số liệu không thay đổi. Quản trị viên có thể đưa về trạng thái kết thúc để đính chính, rồi công bố bản mới.",
                    ("published", false) => "Its results are published and official; the figures do not change. An administrator may close it again for a correction, then publish a new snapshot.",
                    _ => "",
                })
            }
            @if view.frame_units == 0 {
                p.note {
                    span aria-hidden="true" { "▲ " }
                    (if vi {
                        "Chưa có khung mẫu: các đơn vị chưa có chỉ tiêu. Hãy tải khung mẫu lên trước khi mở đợt."
                    } else {
                        "No frame yet: the units have no quota. Upload the frame before opening the campaign."
                    })
                    " "
                    a href={ "/manage/campaigns/" (c.code) "/frame" (q) } { (if vi { "Tải khung mẫu" } else { "Upload the frame" }) }
                }
            } @else {
                p.note {
                    (if vi { "Khung mẫu có " } else { "The frame has " })
                    (count(lang, view.frame_units as u64))
                    (if vi { " đơn vị." } else { " units." })
                }
            }
            @if view.may_change && (can_open || can_close) {
                div.actions {
                    @if can_open {
                        form method="post" action={ "/manage/campaigns/" (c.code) "/open" } {
                            input type="hidden" name="csrf" value=(view.nav.csrf);
                            input type="hidden" name="lang" value=(lang.code());
                            p #open-effect {
                                (if vi {
                                    "Khi mở, người dân bắt đầu trả lời được qua mã QR tại quầy, mã QR biên nhận và phiếu giấy."
                                } else {
                                    "Once open, citizens can answer by desk QR, receipt QR and paper forms."
                                })
                            }
                            button.btn-main type="submit" aria-describedby="open-effect" {
                                (match (status, vi) {
                                    ("closed", true) => "Mở lại đợt khảo sát",
                                    ("closed", false) => "Re-open the campaign",
                                    (_, true) => "Mở đợt khảo sát",
                                    (_, false) => "Open the campaign",
                                })
                            }
                        }
                    }
                    @if can_close {
                        form method="post" action={ "/manage/campaigns/" (c.code) "/close" } {
                            input type="hidden" name="csrf" value=(view.nav.csrf);
                            input type="hidden" name="lang" value=(lang.code());
                            p #close-effect {
                                (if vi {
                                    "Khi kết thúc, không nhận thêm phiếu qua bất kỳ kênh nào (có thể mở lại sau)."
                                } else {
                                    "Once closed, no more answers are taken by any channel (it can be re-opened later)."
                                })
                            }
                            button type="submit" aria-describedby="close-effect" {
                                (if vi { "Kết thúc nhận phiếu" } else { "Close the campaign" })
                            }
                        }
                    }
                }
            }
            @if view.is_admin && status == "closed" {
                div.actions {
                    p #publish-effect {
                        (if vi {
                            "Công bố cố định số liệu chính thức của mọi đơn vị thành một bản công bố không thể sửa, kèm mã SHA-256; hệ thống tính Chỉ số CCHC được thông báo."
                        } else {
                            "Publishing freezes every unit's official figures as a snapshot that cannot change, with its SHA-256; the PAR Index engine is notified."
                        })
                    }
                    a.btn.btn-main href={ "/manage/campaigns/" (c.code) "/publish" (q) } aria-describedby="publish-effect" {
                        (if vi { "Công bố kết quả…" } else { "Publish the results…" })
                    }
                }
            }
            @if view.is_admin && status == "published" {
                div.actions {
                    form method="post" action={ "/manage/campaigns/" (c.code) "/close" } {
                        input type="hidden" name="csrf" value=(view.nav.csrf);
                        input type="hidden" name="lang" value=(lang.code());
                        p #correct-effect {
                            (if vi {
                                "Đưa về trạng thái kết thúc để đính chính (khung mẫu, chỉ tiêu). Bản công bố hiện tại vẫn được phục vụ cho đến khi công bố bản mới."
                            } else {
                                "Closes it again for a correction (frame, quotas). The current snapshot is still served until a new one is published."
                            })
                        }
                        button type="submit" aria-describedby="correct-effect" {
                            (if vi { "Đưa về trạng thái kết thúc để đính chính" } else { "Close for a correction" })
                        }
                    }
                }
            }
            @if !view.may_change && status != "published" {
                p.note {
                    (if vi {
                        "Chỉ quản trị cấp tỉnh và cán bộ quản lý cấp tỉnh mới mở hoặc kết thúc được đợt khảo sát."
                    } else {
                        "Only provincial administrators and province-wide managers open or close a campaign."
                    })
                }
            }
        }))
        @if !view.snapshots.is_empty() {
            (Card::new(html! {
                h2 #snapshots { (if vi { "Các bản công bố" } else { "Published snapshots" }) }
                @if let Some(k) = latest {
                    p.note {
                        (if vi { "Số liệu chính thức hiện hành: bản số " } else { "The official figures now: snapshot " })
                        strong { (k) } "."
                    }
                }
                ul.snaps {
                    @for snap in view.snapshots.iter().rev() {
                        li {
                            h3 { (if vi { "Bản số " } else { "Snapshot " }) (snap.version) }
                            dl.settings {
                                dt { (if vi { "Thời điểm" } else { "When" }) } dd { (snap.published_at) }
                                dt { (if vi { "Người công bố" } else { "Published by" }) } dd { (snap.published_by) }
                                dt { "SHA-256" } dd { code.hash { (snap.sha256) } }
                                dt { (if vi { "Tải về" } else { "Download" }) }
                                dd {
                                    a href={ "/manage/campaigns/" (c.code) "/snapshots/" (snap.version) } { "JSON" }
                                    " · "
                                    a href={ "/manage/campaigns/" (c.code) "/exports/scores.csv?snapshot=" (snap.version) (if vi { "" } else { "&lang=en" }) } { "CSV" }
                                    " · "
                                    a href={ "/manage/campaigns/" (c.code) "/exports/scores.xlsx?snapshot=" (snap.version) (if vi { "" } else { "&lang=en" }) } { "XLSX" }
                                }
                            }
                        }
                    }
                }
            }))
        }
        (Card::new(html! {
            h2 { (if vi { "Thông số" } else { "Settings" }) }
            dl.settings {
                dt { (label(lang, "template")) } dd { (s.template) }
                dt { (if vi { "Thời gian" } else { "Period" }) } dd { (date(c.starts_on)) " – " (date(c.ends_on)) }
                @if let Some(on) = s.units_on {
                    dt { (if vi { "Danh sách đơn vị theo ngày" } else { "Units as of" }) } dd { (date(on)) }
                }
                dt { (label(lang, "confidence")) } dd { (decimal(lang, s.confidence * 100.0, 0)) " %" }
                dt { (if vi { "Sai số cho phép" } else { "Margin of error" }) } dd { "±" (decimal(lang, s.margin * 100.0, 1)) (if vi { " điểm %" } else { " points" }) }
                dt { (label(lang, "quota_method")) } dd { (match s.quota_method.as_str() { "cochran" => "Cochran", "yamane" => "Yamane", other => other }) }
                dt { (label(lang, "par_scheme")) } dd { (s.par_scheme) }
                dt { (label(lang, "count_unverified")) } dd { (yes_no(s.count_unverified)) }
                dt { (label(lang, "min_fill_seconds")) } dd { (s.min_fill_seconds) }
                dt { (label(lang, "receipt_valid_days")) } dd { (s.receipt_valid_days) }
            }
            p.note {
                (if status == "published" {
                    if vi { "Đợt khảo sát đã công bố: không sửa được thông số." } else { "A published campaign's settings cannot be edited." }
                } else if vi {
                    "Thông số chỉ để xem ở đây. Khung mẫu và chỉ tiêu từng đơn vị thay đổi được cho đến khi công bố."
                } else {
                    "The settings are shown read-only here. The frame and each unit's quota may change until the results are published."
                })
            }
        }))
        (Card::new(html! {
            h2 { (if vi { "Các bước của đợt khảo sát" } else { "Running the round" }) }
            ul.links {
                li { a href={ "/manage/campaigns/" (c.code) "/frame" (q) } { (if vi { "Khung mẫu và chỉ tiêu" } else { "Frame and quotas" }) } }
                li { a href={ "/manage/campaigns/" (c.code) "/posters" (q) } { (if vi { "In áp phích mã QR tại quầy" } else { "Print the desks' QR posters" }) } }
                li { a href={ "/manage/campaigns/" (c.code) "/paper" (q) } { (if vi { "Nhập phiếu giấy" } else { "Enter paper forms" }) } }
                li { a href={ "/manage/campaigns/" (c.code) (q) } { (if vi { "Tiến độ và điều chỉnh chỉ tiêu" } else { "Overview and quota overrides" }) } }
            }
        }))
    };
    super::page(
        Shell {
            lang,
            title: &format!("{title} — {}", c.name),
            path: Some(&setup_path(&c.code)),
            demo: c.is_demo,
            kind: Kind::Wide,
            css: Some(css()),
        },
        &view.nav,
        body,
    )
}

/// A manager's override of a quota.
#[derive(Debug, Clone)]
pub struct OverrideInfo {
    pub reason: String,
    pub by: String,
    /// Vietnam's time.
    pub at: Option<NaiveDateTime>,
}

/// What was just done on the quota page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaNotice {
    Set,
    Undone,
}

#[derive(Debug, Clone)]
pub struct QuotaView {
    pub lang: Lang,
    pub nav: StaffNav,
    pub campaign: CampaignHead,
    pub unit_code: String,
    pub unit_name: String,
    /// What the frame gives; `None`: the unit is not in the frame.
    pub computed: Option<u64>,
    /// The quota in force.
    pub target: Option<u64>,
    pub overridden: Option<OverrideInfo>,
    /// The campaign is not published: its quotas may change.
    pub editable: bool,
    /// What was typed (kept when refused).
    pub target_input: String,
    pub reason_input: String,
    pub errors: Vec<FieldProblem>,
    pub notice: Option<QuotaNotice>,
    /// A refused change, said in the page's language.
    pub problem: Option<String>,
}

/// The path of a unit's quota page.
pub fn quota_path(campaign: &str, unit: &str) -> String {
    format!("/manage/campaigns/{campaign}/quotas/{unit}")
}

/// The marker of an overridden quota: a badge that opens to its reason (a keyboard
/// and a touch open it; no hover needed).
pub fn override_marker(lang: Lang, reason: &str) -> Markup {
    html! {
        details.ovr {
            summary {
                span.badge { span aria-hidden="true" { "✎ " } (if lang == Lang::Vi { "điều chỉnh" } else { "overridden" }) }
            }
            small { (if lang == Lang::Vi { "Lý do: " } else { "Reason: " }) (reason) }
        }
    }
}

/// One unit's quota: what the frame gives, what is in force, and the forms that
/// override it or undo the override.
pub fn quota_page(view: &QuotaView) -> Markup {
    let lang = view.lang;
    let vi = lang == Lang::Vi;
    let c = &view.campaign;
    let q = lang_query(lang);
    let path = quota_path(&c.code, &view.unit_code);
    let title = if vi {
        "Điều chỉnh chỉ tiêu"
    } else {
        "Quota override"
    };
    let number = |n: Option<u64>| n.map_or_else(|| "–".to_owned(), |n| count(lang, n));
    let errors = &view.errors;
    let target = field_state(lang, errors, "target", true);
    let reason = field_state(lang, errors, "reason", true);
    let notice = view.notice.map(|n| match (n, vi) {
        (QuotaNotice::Set, true) => "Đã lưu chỉ tiêu mới. Trang tiến độ đã cập nhật.",
        (QuotaNotice::Set, false) => "The new quota is saved. The overview shows it now.",
        (QuotaNotice::Undone, true) => "Đã hủy điều chỉnh: chỉ tiêu trở lại theo khung mẫu.",
        (QuotaNotice::Undone, false) => "The override is undone: the quota is the frame's again.",
    });
    let body = html! {
        (campaign_heading(lang, c, title))
        p.cap { strong { (view.unit_name) } " " code { (view.unit_code) } }
        @if let Some(notice) = notice {
            (Card::toned(Tone::Ok, html! { p.cap role="status" { (notice) } }))
        }
        @if let Some(problem) = &view.problem {
            (Card::toned(Tone::Err, html! { p.cap role="alert" { span aria-hidden="true" { "✖ " } (problem) } }))
        }
        (error_summary(lang, errors))
        (Card::new(html! {
            h2 { (if vi { "Chỉ tiêu hiện nay" } else { "Current quota" }) }
            dl.settings {
                dt { (if vi { "Theo khung mẫu" } else { "From the frame" }) }
                dd { (number(view.computed)) }
                dt { (if vi { "Đang áp dụng" } else { "In force" }) }
                dd {
                    (number(view.target))
                    @if view.overridden.is_some() {
                        " " span.badge { span aria-hidden="true" { "✎ " } (if vi { "điều chỉnh" } else { "overridden" }) }
                    }
                }
                @if let Some(o) = &view.overridden {
                    dt { (label(lang, "reason")) } dd { (o.reason) }
                    dt { (if vi { "Người điều chỉnh" } else { "Overridden by" }) }
                    dd {
                        (o.by)
                        @if let Some(at) = o.at { " · " (at.format("%d/%m/%Y %H:%M")) }
                    }
                }
            }
            @if view.computed.is_none() && view.overridden.is_none() {
                p.note {
                    (if vi {
                        "Đơn vị này chưa có trong khung mẫu nên chưa có chỉ tiêu để điều chỉnh."
                    } else {
                        "This unit is not in the frame, so it has no quota to override."
                    })
                    " "
                    a href={ "/manage/campaigns/" (c.code) "/frame" (q) } { (if vi { "Khung mẫu" } else { "Frame" }) }
                }
            }
        }))
        @if !view.editable {
            (Card::new(html! {
                p.cap {
                    (if vi {
                        "Đợt khảo sát đã công bố: chỉ tiêu không thay đổi được nữa."
                    } else {
                        "The campaign is published: its quotas cannot change any more."
                    })
                }
            }))
        } @else if view.computed.is_some() || view.overridden.is_some() {
            (Card::new(html! {
                h2 { (if vi { "Đặt chỉ tiêu mới" } else { "Set a new quota" }) }
                form method="post" action=(path) novalidate {
                    input type="hidden" name="csrf" value=(view.nav.csrf);
                    input type="hidden" name="lang" value=(lang.code());
                    div.field {
                        label for="f-target" { (label(lang, "target")) }
                        p.note #f-target-hint {
                            (if vi {
                                "Số nguyên dương. Chỉ tiêu này giữ nguyên cả khi khung mẫu được tải lại, cho đến khi hủy điều chỉnh."
                            } else {
                                "A positive whole number. It stays when the frame is replaced, until the override is undone."
                            })
                        }
                        (field_error("target", &target))
                        input #f-target name="target" type="number" inputmode="numeric" min="1" max="1000000" step="1"
                            value=(view.target_input) aria-invalid=[target.invalid] aria-describedby=(target.described_by);
                    }
                    div.field {
                        label for="f-reason" { (label(lang, "reason")) }
                        p.note #f-reason-hint {
                            (if vi {
                                "Bắt buộc, tối đa 500 ký tự; hiện trên trang tiến độ và trong nhật ký thay đổi."
                            } else {
                                "Required, at most 500 characters; shown on the overview and in the audit log."
                            })
                        }
                        (field_error("reason", &reason))
                        textarea #f-reason name="reason" maxlength="500" rows="4"
                            aria-invalid=[reason.invalid] aria-describedby=(reason.described_by) { (view.reason_input) }
                    }
                    p { button.btn-main type="submit" { (if vi { "Lưu chỉ tiêu" } else { "Save the quota" }) } }
                }
            }))
            @if view.overridden.is_some() {
                (Card::new(html! {
                    h2 { (if vi { "Hủy điều chỉnh" } else { "Undo the override" }) }
                    form method="post" action={ (path) "/undo" } {
                        input type="hidden" name="csrf" value=(view.nav.csrf);
                        input type="hidden" name="lang" value=(lang.code());
                        p #undo-effect {
                            (if vi { "Chỉ tiêu sẽ trở lại theo khung mẫu: " } else { "The quota goes back to the frame's: " })
                            strong { (number(view.computed)) }
                            "."
                        }
                        button type="submit" aria-describedby="undo-effect" { (if vi { "Hủy điều chỉnh" } else { "Undo the override" }) }
                    }
                }))
            }
        }
        p {
            a href={ "/manage/campaigns/" (c.code) (q) } { (if vi { "← Về trang tiến độ" } else { "← Back to the overview" }) }
            " · "
            a href={ "/manage/campaigns/" (c.code) "/units/" (view.unit_code) (q) } { (if vi { "Trang đơn vị" } else { "Unit page" }) }
        }
    };
    super::page(
        Shell {
            lang,
            title: &format!("{title} — {} — {}", view.unit_name, c.name),
            path: Some(&path),
            demo: c.is_demo,
            kind: Kind::Wide,
            css: Some(css()),
        },
        &view.nav,
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn head(status: &str) -> CampaignHead {
        CampaignHead {
            code: "HT-2026".into(),
            name: "Khảo sát 2026".into(),
            status: status.into(),
            starts_on: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            ends_on: NaiveDate::from_ymd_opt(2026, 9, 30).unwrap(),
            is_demo: false,
        }
    }

    #[test]
    fn a_refused_form_shows_each_problem_next_to_its_field_and_keeps_the_values() {
        let view = NewCampaignView {
            lang: Lang::Vi,
            form: CampaignForm {
                code: "a b".into(),
                name: "Khảo sát <2026>".into(),
                ..Default::default()
            },
            templates: vec!["SIPAS-2017".into(), "SIPAS-2023".into()],
            schemes: vec![Choice {
                value: "QD-1".into(),
                label: "Quyết định 1".into(),
            }],
            errors: vec![
                FieldProblem {
                    field: "code".into(),
                    problem: Problem::Rule,
                },
                FieldProblem {
                    field: "ends_on".into(),
                    problem: Problem::Missing,
                },
            ],
            ..Default::default()
        };
        let html = new_campaign_page(&view).into_string();
        assert!(html.contains(r##"<a href="#f-code">Mã đợt khảo sát: Mã gồm 1–32 ký tự"##));
        assert!(html.contains(r#"<p class="error" id="f-code-error">"#));
        assert!(html.contains(
            r#"id="f-code" name="code" type="text" value="a b" aria-invalid="true" aria-describedby="f-code-hint f-code-error""#
        ));
        assert!(html.contains(r#"id="f-ends_on-error""#));
        assert!(!html.contains(r#"id="f-name-error""#));
        assert!(html.contains(r#"value="Khảo sát &lt;2026&gt;""#));
        assert!(html.contains(r#"<option value="SIPAS-2023" selected>"#));
        assert!(html.contains("Chưa lưu được: hãy sửa 2 lỗi"));
        let english = new_campaign_page(&NewCampaignView {
            lang: Lang::En,
            ..view
        })
        .into_string();
        assert!(english.contains("The code is 1–32 letters") && !english.contains("Mã gồm"));
    }

    #[test]
    fn the_setup_page_offers_the_moves_the_lifecycle_allows() {
        let view = |status: &str, may_change: bool| SetupView {
            lang: Lang::Vi,
            nav: StaffNav::default(),
            campaign: head(status),
            settings: CampaignSettings::default(),
            may_change,
            is_admin: false,
            snapshots: vec![],
            frame_units: 0,
            notice: None,
            problem: None,
        };
        let draft = setup_page(&view("draft", true)).into_string();
        assert!(draft.contains(r#"action="/manage/campaigns/HT-2026/open""#));
        assert!(!draft.contains("/close\""));
        assert!(draft.contains("Chưa có khung mẫu"));
        let open = setup_page(&view("open", true)).into_string();
        assert!(open.contains(r#"action="/manage/campaigns/HT-2026/close""#));
        assert!(!open.contains("/open\""));
        let closed = setup_page(&view("closed", true)).into_string();
        assert!(closed.contains("Mở lại đợt khảo sát"));
        let viewer = setup_page(&view("open", false)).into_string();
        assert!(!viewer.contains("/close\""));
        let published = setup_page(&view("published", true)).into_string();
        assert!(!published.contains("<form method=\"post\" action=\"/manage/campaigns/HT-2026/"));
        assert!(published.contains("không sửa được thông số"));
        let admin = |status: &str| {
            setup_page(&SetupView {
                is_admin: true,
                snapshots: vec![SnapshotRow {
                    version: 1,
                    published_at: "03/12/2026 19:00".into(),
                    published_by: "admin".into(),
                    sha256: "ab".repeat(32),
                }],
                ..view(status, true)
            })
            .into_string()
        };
        let closed = admin("closed");
        assert!(closed.contains(r#"href="/manage/campaigns/HT-2026/publish""#));
        assert!(closed.contains("<h3>Bản số 1</h3>"));
        assert!(closed.contains("/exports/scores.xlsx?snapshot=1"));
        let published = admin("published");
        assert!(published.contains(r#"action="/manage/campaigns/HT-2026/close""#));
        assert!(published.contains("để đính chính"));
        assert!(!published.contains("/publish\""));
    }

    #[test]
    fn an_overridden_quota_shows_its_reason_and_the_undo_button() {
        let html = quota_page(&QuotaView {
            lang: Lang::Vi,
            nav: StaffNav::default(),
            campaign: head("open"),
            unit_code: "18100".into(),
            unit_name: "Xã Một".into(),
            computed: Some(278),
            target: Some(150),
            overridden: Some(OverrideInfo {
                reason: "Xã <mới> sáp nhập".into(),
                by: "admin".into(),
                at: None,
            }),
            editable: true,
            target_input: "150".into(),
            reason_input: String::new(),
            errors: vec![],
            notice: Some(QuotaNotice::Set),
            problem: None,
        })
        .into_string();
        assert!(html.contains("Xã &lt;mới&gt; sáp nhập"));
        assert!(html.contains(r#"action="/manage/campaigns/HT-2026/quotas/18100/undo""#));
        assert!(html.contains(">278<") && html.contains(">150 "));
        assert!(html.contains("Đã lưu chỉ tiêu mới"));
        let marker = override_marker(Lang::En, "a reason").into_string();
        assert!(
            marker.contains("<details")
                && marker.contains("overridden")
                && marker.contains("a reason")
        );
    }
}
