//! The frame page (current frame, upload, preview of a file's changes) and the paper
//! forms pages (upload, keying one form at a time). Errors of a file are listed line by
//! line with their column; a keyed form's errors sit next to their field and are
//! summarised at the top with links.

use maud::{Markup, html};

use super::StaffNav;
use super::form::{ErrorSummary, FieldProblem};
use crate::Lang;
use crate::layout::{Card, Kind, Shell, Tone};

/// CSS of these pages (constants only): the staff pages' and their own.
static CSS: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| [super::CSS, super::form::FORM_CSS, OWN_CSS].concat());

const OWN_CSS: &str = concat!(
    ".t td.num,.t th.num{font-variant-numeric:tabular-nums}",
    ".check{display:flex;gap:.5rem;align-items:center;font-weight:600;min-height:44px}",
    ".check input{width:1.5rem;height:1.5rem;min-height:0}",
    ".answers{display:flex;flex-wrap:wrap;gap:.25rem .5rem;border:0;padding:0;margin:.75rem 0}",
    ".answers legend{font-weight:600;padding:0}",
    ".answers div{width:4.5rem}.answers label{margin:.25rem 0 0;font-size:.875rem}",
    ".answers input{width:3rem;text-align:center;font-size:1.25rem}",
    "textarea{font:inherit;width:100%;max-width:32rem;border:2px solid #4a4f57;border-radius:4px}",
    ".actions{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}",
    ".actions a{display:inline-block;min-height:44px;padding:.5rem 0}",
);

/// One problem of a file: its line (Excel row for a workbook) and column.
#[derive(Debug, Clone, Default)]
pub struct LineProblem {
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

/// Every problem of a refused file.
#[derive(Debug, Clone, Default)]
pub struct Refusal {
    /// The file could not be read at all (not CSV or a workbook, empty).
    pub unreadable: Option<String>,
    pub lines: Vec<LineProblem>,
    /// Problems beyond those listed.
    pub more: usize,
}

pub(crate) fn refusal(lang: Lang, r: &Refusal) -> Markup {
    let vi = lang == Lang::Vi;
    let total = r.lines.len() + r.more;
    html! {
        (Card::toned(Tone::Err, html! {
            div role="alert" #problems tabindex="-1" {
                h2 { (if vi { "Tệp không được áp dụng: không có gì thay đổi" } else { "The file was not applied: nothing changed" }) }
                @if let Some(why) = &r.unreadable {
                    p.error { (why) }
                } @else {
                    p {
                        (if vi { format!("{total} lỗi. Sửa các dòng sau rồi tải tệp lên lại.") }
                         else { format!("{total} problem{}. Fix these lines and upload the file again.", if total == 1 { "" } else { "s" }) })
                    }
                    table.t {
                        thead { tr {
                            th.num scope="col" { (if vi { "Dòng" } else { "Line" }) }
                            th scope="col" { (if vi { "Cột" } else { "Column" }) }
                            th scope="col" { (if vi { "Lỗi" } else { "Problem" }) }
                        } }
                        tbody {
                            @for p in &r.lines {
                                tr {
                                    td.num data-label=(if vi { "Dòng" } else { "Line" }) { (p.line) }
                                    td data-label=(if vi { "Cột" } else { "Column" }) { (p.column.as_deref().unwrap_or("—")) }
                                    td data-label=(if vi { "Lỗi" } else { "Problem" }) { (p.message) }
                                }
                            }
                        }
                    }
                    @if r.more > 0 {
                        p { (if vi { format!("… và {} lỗi khác.", r.more) } else { format!("… and {} more.", r.more) }) }
                    }
                }
            }
        }))
    }
}

/// A unit of the current frame.
#[derive(Debug, Clone, Default)]
pub struct FrameRow {
    pub code: String,
    pub name: String,
    /// Service points with their own lines: `(code, population)`.
    pub desks: Vec<(String, u64)>,
    pub population: u64,
    pub quota: Option<u64>,
    pub overridden: bool,
}

/// A unit a file changes.
#[derive(Debug, Clone, Default)]
pub struct ChangeRow {
    pub code: String,
    pub name: String,
    pub population_before: Option<u64>,
    pub population_after: Option<u64>,
    pub quota_before: Option<u64>,
    pub quota_after: Option<u64>,
    pub overridden: bool,
}

/// What an uploaded file would do.
#[derive(Debug, Clone, Default)]
pub struct FramePreview {
    pub added: Vec<ChangeRow>,
    pub changed: Vec<ChangeRow>,
    /// Units of the frame that the file does not name: removed only if asked.
    pub missing: Vec<ChangeRow>,
    pub unchanged: usize,
    pub file_lines: usize,
    /// The file again, as CSV text, sent back with the confirmation and checked again.
    pub csv: String,
    /// The stored frame the preview was computed from.
    pub digest: String,
}

#[derive(Debug, Clone, Default)]
pub struct FrameView {
    pub lang: Lang,
    pub campaign_code: String,
    pub campaign_name: String,
    pub nav: StaffNav,
    /// May change the frame (province-wide writers).
    pub may_write: bool,
    /// The campaign is published: the frame no longer changes.
    pub published: bool,
    pub rows: Vec<FrameRow>,
    pub refusal: Option<Refusal>,
    pub preview: Option<FramePreview>,
    /// After an apply or a refused apply: a message.
    pub notice: Option<(Tone, String)>,
}

fn num(n: Option<u64>) -> String {
    n.map_or_else(|| "—".to_owned(), |n| n.to_string())
}

fn changes_table(lang: Lang, rows: &[ChangeRow], caption: &str) -> Markup {
    let vi = lang == Lang::Vi;
    let h = |vi_text: &'static str, en: &'static str| if vi { vi_text } else { en };
    html! {
        table.t {
            caption { (caption) }
            thead { tr {
                th scope="col" { (h("Đơn vị", "Unit")) }
                th.num scope="col" { (h("Hồ sơ (N) trước → sau", "Dossiers (N) before → after")) }
                th.num scope="col" { (h("Chỉ tiêu trước → sau", "Quota before → after")) }
            } }
            tbody {
                @for r in rows {
                    tr {
                        td data-label=(h("Đơn vị", "Unit")) { (r.code) " — " (r.name) }
                        td.num data-label=(h("Hồ sơ (N)", "Dossiers (N)")) { (num(r.population_before)) " → " (num(r.population_after)) }
                        td.num data-label=(h("Chỉ tiêu", "Quota")) {
                            (num(r.quota_before)) " → " (num(r.quota_after))
                            @if r.overridden {
                                br; small { (h("(chỉ tiêu do cán bộ đặt: giữ nguyên)", "(set by a manager: kept)")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn frame_upload_form(view: &FrameView) -> Markup {
    let vi = view.lang == Lang::Vi;
    let base = format!("/manage/campaigns/{}/frame", view.campaign_code);
    html! {
        (Card::new(html! {
            h2 { (if vi { "Tải lên khung mẫu" } else { "Upload a frame" }) }
            p.cap {
                (if vi { "Tệp CSV (UTF-8) hoặc Excel (.xlsx) với các cột " } else { "A CSV (UTF-8) or Excel (.xlsx) file with the columns " })
                code { "unit_code,service_point_code,population" }
                (if vi { ". Bạn sẽ xem trước các thay đổi trước khi áp dụng." } else { ". You will see the changes before they apply." })
            }
            p.actions {
                a href={ (base) "/template.xlsx" } { (if vi { "Tải mẫu Excel (.xlsx)" } else { "Download the Excel template (.xlsx)" }) }
                a href={ (base) "/template.csv" } { (if vi { "Tải mẫu CSV" } else { "Download the CSV template" }) }
            }
            form method="post" action={ (base) "?lang=" (view.lang.code()) } enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(view.nav.csrf);
                label for="file" { (if vi { "Tệp khung mẫu" } else { "Frame file" }) }
                input #file type="file" name="file" required accept=".csv,.xlsx,.xls,.ods,text/csv";
                p { button.btn-main type="submit" { (if vi { "Xem trước thay đổi" } else { "Preview the changes" }) } }
            }
        }))
    }
}

fn frame_preview(view: &FrameView, p: &FramePreview) -> Markup {
    let vi = view.lang == Lang::Vi;
    let base = format!("/manage/campaigns/{}/frame", view.campaign_code);
    let nothing = p.added.is_empty() && p.changed.is_empty();
    let n = p.missing.len();
    html! {
        (Card::toned(Tone::Warn, html! {
            h2 #preview tabindex="-1" { (if vi { "Xem trước: chưa có gì được áp dụng" } else { "Preview: nothing is applied yet" }) }
            p {
                (if vi {
                    format!("Tệp có {} dòng hợp lệ: {} đơn vị thêm mới, {} đơn vị thay đổi, {} đơn vị không đổi.", p.file_lines, p.added.len(), p.changed.len(), p.unchanged)
                } else {
                    format!("The file has {} good lines: {} units added, {} changed, {} unchanged.", p.file_lines, p.added.len(), p.changed.len(), p.unchanged)
                })
            }
            @if nothing {
                p { strong { (if vi { "Tệp không thêm và không thay đổi đơn vị nào." } else { "The file adds and changes no unit." }) } }
            }
            @if !p.added.is_empty() {
                (changes_table(view.lang, &p.added, if vi { "Đơn vị thêm vào khung mẫu" } else { "Units added to the frame" }))
            }
            @if !p.changed.is_empty() {
                (changes_table(view.lang, &p.changed, if vi { "Đơn vị thay đổi" } else { "Units changed" }))
            }
            @if n > 0 {
                (changes_table(view.lang, &p.missing, if vi { "Đơn vị có trong khung mẫu nhưng không có trong tệp" } else { "Units in the frame but not in the file" }))
                p.note {
                    (if vi { "Nếu không chọn xoá, các đơn vị này giữ nguyên số liệu hiện tại." } else { "Unless you choose to remove them, these units keep their current lines." })
                }
            }
            form method="post" action={ (base) "/apply?lang=" (view.lang.code()) } enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(view.nav.csrf);
                input type="hidden" name="digest" value=(p.digest);
                input type="hidden" name="csv" value=(p.csv);
                @if n > 0 {
                    label.check for="remove" {
                        input #remove type="checkbox" name="remove" value="1";
                        @if n == p.missing.len() && nothing && p.file_lines == 0 {
                            (if vi { format!("Xoá cả {n} đơn vị khỏi khung mẫu (khung mẫu sẽ trống: mọi đơn vị bị xoá)") } else { format!("Remove all {n} units from the frame (the frame will be empty: every unit is removed)") })
                        } @else {
                            (if vi { format!("Xoá cả {n} đơn vị không có trong tệp") } else { format!("Also remove the {n} units not in the file") })
                        }
                    }
                }
                p.actions {
                    button.btn-main type="submit" { (if vi { "Áp dụng thay đổi" } else { "Apply the changes" }) }
                    a href={ (base) "?lang=" (view.lang.code()) } { (if vi { "Huỷ" } else { "Cancel" }) }
                }
            }
        }))
    }
}

/// The frame page.
pub fn frame_page(view: &FrameView) -> Markup {
    let vi = view.lang == Lang::Vi;
    let path = format!("/manage/campaigns/{}/frame", view.campaign_code);
    let title = if vi {
        "Khung mẫu — SIPAS"
    } else {
        "Frame — SIPAS"
    };
    let total: u64 = view.rows.iter().map(|r| r.population).sum();
    let body = html! {
        (Card::new(html! {
            h1 { (if vi { "Khung mẫu" } else { "Frame" }) }
            p.cap { (view.campaign_name) " (" (view.campaign_code) ")" }
        }))
        @if let Some((tone, message)) = &view.notice {
            (Card::toned(*tone, html! { p role="status" { (message) } }))
        }
        @if let Some(r) = &view.refusal { (refusal(view.lang, r)) }
        @if let Some(p) = &view.preview { (frame_preview(view, p)) }
        @if view.published {
            (Card::toned(Tone::Warn, html! { p { (if vi { "Đợt khảo sát đã công bố: khung mẫu không thể thay đổi." } else { "The campaign is published: its frame can no longer change." }) } }))
        } @else if view.may_write && view.preview.is_none() {
            (frame_upload_form(view))
        } @else if !view.may_write {
            (Card::new(html! { p { (if vi { "Chỉ quản trị cấp tỉnh thay đổi khung mẫu; bạn chỉ xem." } else { "Only provincial administrators change the frame; you can read it." }) } }))
        }
        (Card::new(html! {
            h2 { (if vi { "Khung mẫu hiện tại" } else { "Current frame" }) }
            @if view.rows.is_empty() {
                p { (if vi { "Chưa có khung mẫu." } else { "No frame yet." }) }
            } @else {
                p.cap { (if vi { format!("{} đơn vị, tổng {} hồ sơ.", view.rows.len(), total) } else { format!("{} units, {} dossiers in all.", view.rows.len(), total) }) }
                table.t {
                    thead { tr {
                        th scope="col" { (if vi { "Đơn vị" } else { "Unit" }) }
                        th scope="col" { (if vi { "Điểm phục vụ" } else { "Service points" }) }
                        th.num scope="col" { (if vi { "Hồ sơ (N)" } else { "Dossiers (N)" }) }
                        th.num scope="col" { (if vi { "Chỉ tiêu" } else { "Quota" }) }
                    } }
                    tbody {
                        @for r in &view.rows {
                            tr {
                                td data-label=(if vi { "Đơn vị" } else { "Unit" }) { (r.code) " — " (r.name) }
                                td data-label=(if vi { "Điểm phục vụ" } else { "Service points" }) {
                                    @if r.desks.is_empty() { (if vi { "Cả đơn vị" } else { "Whole unit" }) }
                                    @for (i, (code, n)) in r.desks.iter().enumerate() {
                                        @if i > 0 { ", " } (code) ": " (n)
                                    }
                                }
                                td.num data-label=(if vi { "Hồ sơ (N)" } else { "Dossiers (N)" }) { (r.population) }
                                td.num data-label=(if vi { "Chỉ tiêu" } else { "Quota" }) {
                                    (num(r.quota))
                                    @if r.overridden { " " small { (if vi { "(do cán bộ đặt)" } else { "(set by a manager)" }) } }
                                }
                            }
                        }
                    }
                }
            }
        }))
    };
    super::page(
        Shell {
            lang: view.lang,
            title,
            path: Some(&path),
            demo: false,
            kind: Kind::Wide,
            css: Some(CSS.as_str()),
        },
        &view.nav,
        body,
    )
}

/// The paper forms page: upload a file of forms, or key them one by one.
#[derive(Debug, Clone, Default)]
pub struct PaperView {
    pub lang: Lang,
    pub campaign_code: String,
    pub campaign_name: String,
    pub nav: StaffNav,
    /// The header of the import format.
    pub header: String,
    pub refusal: Option<Refusal>,
    /// Forms just stored.
    pub stored: Option<usize>,
    /// The campaign takes no answers now.
    pub closed: bool,
}

pub fn paper_page(view: &PaperView) -> Markup {
    let vi = view.lang == Lang::Vi;
    let path = format!("/manage/campaigns/{}/paper", view.campaign_code);
    let q = format!("?lang={}", view.lang.code());
    let body = html! {
        (Card::new(html! {
            h1 { (if vi { "Phiếu giấy và phiếu phỏng vấn" } else { "Paper and interviewer forms" }) }
            p.cap { (view.campaign_name) " (" (view.campaign_code) ")" }
        }))
        @if let Some(n) = view.stored {
            (Card::toned(Tone::Ok, html! { p role="status" { (if vi { format!("Đã lưu {n} phiếu.") } else { format!("{n} forms stored.") }) } }))
        }
        @if let Some(r) = &view.refusal { (refusal(view.lang, r)) }
        @if view.closed {
            (Card::toned(Tone::Warn, html! { p { (if vi { "Đợt khảo sát không mở: không nhận phiếu." } else { "The campaign is not open: it takes no forms." }) } }))
        }
        (Card::new(html! {
            h2 { (if vi { "Nhập từng phiếu" } else { "Key forms one by one" }) }
            p { a href={ (path) "/entry" (q) } { (if vi { "Mở trang nhập phiếu" } else { "Open the keying page" }) } }
        }))
        (Card::new(html! {
            h2 { (if vi { "Tải lên tệp phiếu" } else { "Upload a file of forms" }) }
            p.cap {
                (if vi { "Tệp CSV (UTF-8) hoặc Excel (.xlsx), dòng đầu là tiêu đề: " } else { "A CSV (UTF-8) or Excel (.xlsx) file whose first line is the header: " })
                code { (view.header) }
                (if vi { ". Cột serial (số phiếu) là tuỳ chọn nhưng không được trùng. Kênh: paper hoặc interviewer; câu trả lời 1–5, 0 hoặc để trống là không trả lời. Có một dòng lỗi thì không phiếu nào được lưu." }
                 else { ". The serial column (form number) is optional but must not repeat. Channel: paper or interviewer; answers 1–5, 0 or empty for no answer. One bad line and no form is stored." })
            }
            p.actions { a href={ (path) "/template.csv" } { (if vi { "Tải mẫu CSV" } else { "Download the CSV template" }) } }
            form method="post" action={ (path) (q) } enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(view.nav.csrf);
                label for="file" { (if vi { "Tệp phiếu" } else { "Forms file" }) }
                input #file type="file" name="file" required accept=".csv,.xlsx,.xls,.ods,text/csv";
                p { button.btn-main type="submit" { (if vi { "Tải lên và lưu" } else { "Upload and store" }) } }
            }
        }))
    };
    super::page(
        Shell {
            lang: view.lang,
            title: if vi {
                "Phiếu giấy — SIPAS"
            } else {
                "Paper forms — SIPAS"
            },
            path: Some(&path),
            demo: false,
            kind: Kind::Wide,
            css: Some(CSS.as_str()),
        },
        &view.nav,
        body,
    )
}

/// One criterion's field on the keying page.
#[derive(Debug, Clone, Default)]
pub struct CriterionField {
    pub code: String,
    pub text: String,
    pub value: String,
}

/// The keying page.
#[derive(Debug, Clone, Default)]
pub struct EntryView {
    pub lang: Lang,
    pub campaign_code: String,
    pub campaign_name: String,
    pub nav: StaffNav,
    /// Units the member may write: `(code, name)`.
    pub units: Vec<(String, String)>,
    pub serial: String,
    pub unit: String,
    pub desk: String,
    pub channel: String,
    pub criteria: Vec<CriterionField>,
    pub comment: String,
    pub comment_max: usize,
    /// The serial of the form just stored.
    pub saved: Option<String>,
    /// `(field, message)`; field `None`: about the whole form.
    pub errors: Vec<(Option<String>, String)>,
}

pub fn entry_page(view: &EntryView) -> Markup {
    let vi = view.lang == Lang::Vi;
    let path = format!("/manage/campaigns/{}/paper/entry", view.campaign_code);
    let error_of = |field: &str| -> Vec<&str> {
        view.errors
            .iter()
            .filter(|(f, _)| f.as_deref() == Some(field))
            .map(|(_, m)| m.as_str())
            .collect()
    };
    let id_of = |field: &str| match field {
        "serial" => "serial".to_owned(),
        "unit_code" => "unit".to_owned(),
        "service_point_code" => "desk".to_owned(),
        "channel" => "channel".to_owned(),
        "comment" => "comment".to_owned(),
        code => format!("c-{code}"),
    };
    let named = [
        "serial",
        "unit_code",
        "service_point_code",
        "channel",
        "comment",
    ];
    let field_errors = |field: &str| {
        let errs = error_of(field);
        // A criterion's box is narrow: its message is short (the summary has it whole).
        let short = !named.contains(&field);
        html! { @for m in &errs { p.field-error id={ (id_of(field)) "-error" } {
            span aria-hidden="true" { "✖ " }
            @if short { (if vi { "Chỉ 0–5" } else { "0–5 only" }) } @else { (m) }
        } } }
    };
    let invalid = |field: &str| {
        if error_of(field).is_empty() {
            None
        } else {
            Some("true")
        }
    };
    let described =
        |field: &str| (!error_of(field).is_empty()).then(|| format!("{}-error", id_of(field)));
    let autofocus_serial = view.errors.is_empty();
    // A problem of the whole form links to its first field.
    let summary: Vec<FieldProblem> = view
        .errors
        .iter()
        .map(|(field, message)| FieldProblem {
            field: id_of(field.as_deref().unwrap_or("serial")),
            message: message.clone(),
        })
        .collect();
    let body = html! {
        (Card::new(html! {
            h1 { (if vi { "Nhập phiếu giấy" } else { "Key paper forms" }) }
            p.cap { (view.campaign_name) " (" (view.campaign_code) ") · "
                a href={ "/manage/campaigns/" (view.campaign_code) "/paper?lang=" (view.lang.code()) } { (if vi { "Tải lên tệp phiếu" } else { "Upload a file of forms" }) } }
        }))
        @if let Some(serial) = &view.saved {
            (Card::toned(Tone::Ok, html! { p role="status" { (if vi { format!("Phiếu số {serial} đã lưu.") } else { format!("Form {serial} saved.") }) } }))
        }
        (ErrorSummary { lang: view.lang, problems: &summary })
        (Card::new(html! {
            form method="post" action={ (path) "?lang=" (view.lang.code()) } autocomplete="off" {
                input type="hidden" name="csrf" value=(view.nav.csrf);
                label for="serial" { (if vi { "Số phiếu" } else { "Form number" }) }
                (field_errors("serial"))
                input #serial type="text" name="serial" value=(view.serial) required maxlength="40"
                    autofocus[autofocus_serial] aria-invalid=[invalid("serial")] aria-describedby=[described("serial")];
                label for="unit" { (if vi { "Đơn vị" } else { "Unit" }) }
                (field_errors("unit_code"))
                select #unit name="unit" required aria-invalid=[invalid("unit_code")] aria-describedby=[described("unit_code")] {
                    @if view.units.len() != 1 { option value="" { (if vi { "— Chọn đơn vị —" } else { "— Choose a unit —" }) } }
                    @for (code, name) in &view.units {
                        option value=(code) selected[*code == view.unit] { (code) " — " (name) }
                    }
                }
                label for="desk" { (if vi { "Mã điểm phục vụ (để trống: bộ phận một cửa của đơn vị)" } else { "Service point code (empty: the unit's one-stop desk)" }) }
                (field_errors("service_point_code"))
                input #desk type="text" name="desk" value=(view.desk) maxlength="40"
                    aria-invalid=[invalid("service_point_code")] aria-describedby=[described("service_point_code")];
                label for="channel" { (if vi { "Kênh" } else { "Channel" }) }
                (field_errors("channel"))
                select #channel name="channel" aria-invalid=[invalid("channel")] aria-describedby=[described("channel")] {
                    option value="paper" selected[view.channel != "interviewer"] { (if vi { "Phiếu giấy" } else { "Paper" }) }
                    option value="interviewer" selected[view.channel == "interviewer"] { (if vi { "Phỏng vấn" } else { "Interviewer" }) }
                }
                fieldset.answers {
                    legend { (if vi { "Câu trả lời: 1–5; 0 hoặc để trống là không trả lời" } else { "Answers: 1–5; 0 or empty for no answer" }) }
                    @for c in &view.criteria {
                        div {
                            label for={ "c-" (c.code) } title=(c.text) { (c.code) }
                            input id={ "c-" (c.code) } type="text" name=(c.code) value=(c.value)
                                inputmode="numeric" pattern="[0-5]?" maxlength="1" size="1"
                                aria-invalid=[invalid(&c.code)] aria-describedby=[described(&c.code)];
                            (field_errors(&c.code))
                        }
                    }
                }
                label for="comment" { (if vi { "Ý kiến khác (tuỳ chọn)" } else { "Comment (optional)" }) }
                (field_errors("comment"))
                input #comment type="text" name="comment" value=(view.comment) maxlength=(view.comment_max)
                    aria-invalid=[invalid("comment")] aria-describedby=[described("comment")];
                p { button.btn-main type="submit" { (if vi { "Lưu phiếu (Enter)" } else { "Save the form (Enter)" }) } }
            }
        }))
    };
    super::page(
        Shell {
            lang: view.lang,
            title: if vi {
                "Nhập phiếu giấy — SIPAS"
            } else {
                "Key paper forms — SIPAS"
            },
            path: Some(&path),
            demo: false,
            kind: Kind::Wide,
            css: Some(CSS.as_str()),
        },
        &view.nav,
        body,
    )
}
