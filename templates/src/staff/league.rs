//! The PAR Index assembly pages: the league of a unit type (rank with its interval
//! drawn as a bar, total, survey points with their interval, flags), and the appraised
//! points (upload, template, current points).

use maud::{Markup, html};

use super::StaffNav;
use super::unit::flag_label;
use super::uploads::{Refusal, refusal};
use crate::Lang;
use crate::format;
use crate::layout::{Card, Kind, Shell, Tone};

static CSS: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| [super::CSS, super::form::FORM_CSS, OWN_CSS].concat());

const OWN_CSS: &str = concat!(
    ".t td.num,.t th.num{font-variant-numeric:tabular-nums}",
    ".rbar{position:relative;display:block;height:.75rem;min-width:5rem;background:#e6e8eb;border-radius:2px;margin-top:.25rem}",
    ".rbar span{position:absolute;top:0;bottom:0;background:#1d4f91;border-radius:2px}",
    ".rbar b{position:absolute;top:-.125rem;bottom:-.125rem;width:3px;background:#111}",
    ".types{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;padding:0;margin:.5rem 0}",
    ".types a{display:inline-block;min-height:44px;padding:.5rem 0}",
    ".actions{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}",
    ".actions a{display:inline-block;min-height:44px;padding:.5rem 0}",
    ".flags{margin:0;padding-left:1rem}",
);

/// A ranked unit as the page shows it.
#[derive(Debug, Clone, Default)]
pub struct LeagueRow {
    pub rank: usize,
    pub rank_low: usize,
    pub rank_high: usize,
    pub code: String,
    pub name: String,
    pub appraised: Option<f64>,
    pub survey: f64,
    pub survey_low: Option<f64>,
    pub survey_high: Option<f64>,
    pub total: f64,
    pub index_percent: f64,
    pub flags: Vec<String>,
}

/// A unit listed after the league.
#[derive(Debug, Clone, Default)]
pub struct UnrankedRow {
    pub code: String,
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct LeaguePageView {
    pub lang: Lang,
    pub campaign_code: String,
    pub campaign_name: String,
    pub nav: StaffNav,
    /// The unit types with a league (the PAR scheme's).
    pub unit_types: Vec<String>,
    pub unit_type: String,
    pub par_scheme: String,
    pub max_total: f64,
    pub survey_max_points: f64,
    /// The campaign's confidence (survey points' intervals).
    pub points_confidence: f64,
    pub survey_only: bool,
    /// The snapshot the figures come from; `None`: provisional.
    pub snapshot: Option<u32>,
    pub rows: Vec<LeagueRow>,
    pub unranked: Vec<UnrankedRow>,
}

/// Why a unit is not ranked, in words.
pub fn reason_label(lang: Lang, reason: &str) -> &str {
    match (lang, reason) {
        (Lang::Vi, "no_survey") => "Chưa có phiếu khảo sát",
        (Lang::Vi, "no_appraisal") => "Chưa có điểm thẩm định",
        (Lang::Vi, "no_variance") => "Dưới 2 phiếu: chưa có khoảng tin cậy",
        (_, "no_survey") => "No survey responses",
        (_, "no_appraisal") => "No appraised points",
        (_, "no_variance") => "Fewer than 2 responses: no interval",
        (_, other) => other,
    }
}

fn points(lang: Lang, x: f64) -> String {
    format::decimal(lang, x, 2)
}

fn rank_text(r: &LeagueRow) -> String {
    if r.rank_low == r.rank_high {
        r.rank_low.to_string()
    } else {
        format!("{}–{}", r.rank_low, r.rank_high)
    }
}

/// The rank interval as a bar over the `k` places (the text says the same).
fn rank_bar(r: &LeagueRow, k: usize) -> Markup {
    let k = k.max(1) as f64;
    let left = 100.0 * (r.rank_low as f64 - 1.0) / k;
    let width = 100.0 * (r.rank_high as f64 - r.rank_low as f64 + 1.0) / k;
    let at = 100.0 * (r.rank as f64 - 0.5) / k;
    html! {
        span.rbar aria-hidden="true" {
            span style=(format!("left:{left:.2}%;width:{width:.2}%")) {}
            b style=(format!("left:calc({at:.2}% - 1px)")) {}
        }
    }
}

pub fn league_page(view: &LeaguePageView) -> Markup {
    let vi = view.lang == Lang::Vi;
    let lang = view.lang;
    let base = format!("/manage/campaigns/{}/league", view.campaign_code);
    let q = format!("lang={}", lang.code());
    let k = view.rows.len();
    let only = if view.survey_only {
        "&survey_only=true"
    } else {
        ""
    };
    // A survey-only league ranks the index itself: shown as a percentage.
    let fig = |x: f64| {
        if view.survey_only {
            format::percent(lang, x)
        } else {
            points(lang, x)
        }
    };
    let body = html! {
        (Card::new(html! {
            h1 { (if vi { "Bảng xếp hạng chỉ số PAR" } else { "PAR Index league" }) }
            p.cap { (view.campaign_name) " (" (view.campaign_code) ")" }
            nav aria-label=(if vi { "Loại đơn vị" } else { "Unit type" }) {
                ul.types {
                    @for t in &view.unit_types {
                        li {
                            @if *t == view.unit_type {
                                a href={ (base) "?unit_type=" (t) "&" (q) } aria-current="page" { strong { (t) } }
                            } @else {
                                a href={ (base) "?unit_type=" (t) "&" (q) } { (t) }
                            }
                        }
                    }
                }
            }
        }))
        @if view.unit_type.is_empty() {
            (Card::new(html! { p { (if vi { "Chọn một loại đơn vị." } else { "Choose a unit type." }) } }))
        } @else {
            (Card::toned(if view.snapshot.is_some() { Tone::Ok } else { Tone::Warn }, html! {
                p role="status" {
                    @match view.snapshot {
                        Some(k) => (if vi { format!("Số liệu đã công bố: bản chốt số {k}.") } else { format!("Published figures: snapshot {k}.") }),
                        None => (if vi { "Số liệu tạm thời: chưa công bố, còn thay đổi khi có thêm phiếu." } else { "Provisional figures: not published, they change as responses arrive." }),
                    }
                }
            }))
            (Card::new(html! {
                h2 { (if vi { format!("Loại đơn vị {}", view.unit_type) } else { format!("Unit type {}", view.unit_type) }) }
                p.cap {
                    @if view.survey_only {
                        (if vi { "Chỉ xếp hạng theo chỉ số SIPAS (không có điểm thẩm định)." } else { "Ranked on the SIPAS index alone (no appraised points)." })
                    } @else {
                        (if vi {
                            format!("Tổng điểm = điểm thẩm định + điểm khảo sát (tối đa {} điểm, trong đó khảo sát {} điểm; {}).", points(lang, view.max_total), points(lang, view.survey_max_points), view.par_scheme)
                        } else {
                            format!("Total = appraised points + survey points (out of {}, of which the survey {}; {}).", points(lang, view.max_total), points(lang, view.survey_max_points), view.par_scheme)
                        })
                    }
                    " "
                    (if vi {
                        format!("Khoảng hạng ở độ tin cậy 90 %: những đơn vị có khoảng hạng chồng lên nhau chưa phân biệt được bằng số liệu. Khoảng điểm khảo sát ở độ tin cậy {}.", format::percent(lang, view.points_confidence))
                    } else {
                        format!("Rank intervals at 90 % confidence: units whose rank intervals overlap cannot be told apart by the data. Survey points' intervals at {} confidence.", format::percent(lang, view.points_confidence))
                    })
                }
                p.actions {
                    a href={ "/manage/campaigns/" (view.campaign_code) "/league.xlsx?unit_type=" (view.unit_type) (only) "&" (q) } { (if vi { "Tải bảng Excel (.xlsx)" } else { "Download as Excel (.xlsx)" }) }
                    a href={ "/manage/campaigns/" (view.campaign_code) "/appraisals?" (q) } { (if vi { "Điểm thẩm định" } else { "Appraised points" }) }
                    @if view.survey_only {
                        a href={ (base) "?unit_type=" (view.unit_type) "&" (q) } { (if vi { "Xếp hạng theo tổng điểm" } else { "Rank on the total" }) }
                    } @else {
                        a href={ (base) "?unit_type=" (view.unit_type) "&survey_only=true&" (q) } { (if vi { "Chỉ xếp hạng theo khảo sát" } else { "Rank on the survey alone" }) }
                    }
                }
                @if view.rows.is_empty() {
                    p { (if vi { "Chưa có đơn vị nào đủ điều kiện xếp hạng." } else { "No unit can be ranked yet." }) }
                } @else {
                    table.t {
                        caption.cap { (if vi { format!("{k} đơn vị được xếp hạng") } else { format!("{k} units ranked") }) }
                        thead { tr {
                            th.num scope="col" { (if vi { "Hạng" } else { "Rank" }) }
                            th scope="col" { (if vi { "Khoảng hạng" } else { "Rank interval" }) }
                            th scope="col" { (if vi { "Đơn vị" } else { "Unit" }) }
                            th.num scope="col" { (if vi { "Điểm thẩm định" } else { "Appraised" }) }
                            th.num scope="col" { (if vi { "Điểm khảo sát (khoảng)" } else { "Survey points (interval)" }) }
                            th.num scope="col" { (if vi { "Tổng điểm" } else { "Total" }) }
                            th.num scope="col" { (if vi { "Chỉ số" } else { "Index" }) }
                            th scope="col" { (if vi { "Cảnh báo" } else { "Flags" }) }
                        } }
                        tbody {
                            @for r in &view.rows {
                                tr {
                                    td.num data-label=(if vi { "Hạng" } else { "Rank" }) { (r.rank) }
                                    td data-label=(if vi { "Khoảng hạng" } else { "Rank interval" }) {
                                        span.ri { (rank_text(r)) }
                                        (rank_bar(r, k))
                                    }
                                    th scope="row" data-label=(if vi { "Đơn vị" } else { "Unit" }) { (r.code) " — " (r.name) }
                                    td.num data-label=(if vi { "Điểm thẩm định" } else { "Appraised" }) {
                                        (r.appraised.map_or_else(|| "–".to_owned(), |a| points(lang, a)))
                                    }
                                    td.num data-label=(if vi { "Điểm khảo sát (khoảng)" } else { "Survey points (interval)" }) {
                                        (fig(r.survey))
                                        @if let (Some(l), Some(h)) = (r.survey_low, r.survey_high) {
                                            " (" (fig(l)) "–" (fig(h)) ")"
                                        }
                                    }
                                    td.num data-label=(if vi { "Tổng điểm" } else { "Total" }) { (fig(r.total)) }
                                    td.num data-label=(if vi { "Chỉ số" } else { "Index" }) { (format::percent(lang, r.index_percent / 100.0)) }
                                    td data-label=(if vi { "Cảnh báo" } else { "Flags" }) {
                                        @if r.flags.is_empty() { "–" } @else {
                                            ul.flags { @for f in &r.flags { li { (flag_label(lang, f)) } } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }))
            @if !view.unranked.is_empty() {
                (Card::new(html! {
                    h2 { (if vi { "Đơn vị chưa xếp hạng" } else { "Units not ranked" }) }
                    table.t {
                        thead { tr {
                            th scope="col" { (if vi { "Đơn vị" } else { "Unit" }) }
                            th scope="col" { (if vi { "Lý do" } else { "Reason" }) }
                        } }
                        tbody {
                            @for u in &view.unranked {
                                tr {
                                    th scope="row" data-label=(if vi { "Đơn vị" } else { "Unit" }) { (u.code) " — " (u.name) }
                                    td data-label=(if vi { "Lý do" } else { "Reason" }) { (reason_label(lang, &u.reason)) }
                                }
                            }
                        }
                    }
                }))
            }
        }
    };
    super::page(
        Shell {
            lang,
            title: if vi {
                "Bảng xếp hạng — SIPAS"
            } else {
                "League — SIPAS"
            },
            path: Some(&base),
            demo: false,
            kind: Kind::Wide,
            css: Some(CSS.as_str()),
        },
        &view.nav,
        body,
    )
}

/// A unit's current appraised points.
#[derive(Debug, Clone, Default)]
pub struct AppraisalRow {
    pub code: String,
    pub name: String,
    pub unit_type: String,
    pub points: f64,
    pub version: i32,
    pub imported_by: String,
}

#[derive(Debug, Clone, Default)]
pub struct AppraisalsView {
    pub lang: Lang,
    pub campaign_code: String,
    pub campaign_name: String,
    pub nav: StaffNav,
    pub may_write: bool,
    pub refusal: Option<Refusal>,
    /// The version and the number of units a file just stored.
    pub stored: Option<(i32, usize)>,
    /// `(unit type, appraised maximum)` of the campaign's PAR scheme.
    pub maxima: Vec<(String, f64)>,
    pub rows: Vec<AppraisalRow>,
}

pub fn appraisals_page(view: &AppraisalsView) -> Markup {
    let vi = view.lang == Lang::Vi;
    let lang = view.lang;
    let path = format!("/manage/campaigns/{}/appraisals", view.campaign_code);
    let q = format!("?lang={}", lang.code());
    let body = html! {
        (Card::new(html! {
            h1 { (if vi { "Điểm thẩm định" } else { "Appraised points" }) }
            p.cap { (view.campaign_name) " (" (view.campaign_code) ")" }
            p.actions { a href={ "/manage/campaigns/" (view.campaign_code) "/league" (q) } { (if vi { "Xem bảng xếp hạng" } else { "See the league" }) } }
        }))
        @if let Some((version, units)) = view.stored {
            (Card::toned(Tone::Ok, html! { p role="status" {
                (if vi { format!("Đã lưu điểm của {units} đơn vị (phiên bản {version}).") } else { format!("Points of {units} units stored (version {version}).") })
            } }))
        }
        @if let Some(r) = &view.refusal { (refusal(lang, r)) }
        @if view.may_write {
            (Card::new(html! {
                h2 { (if vi { "Tải lên tệp điểm thẩm định" } else { "Upload appraised points" }) }
                p.cap {
                    (if vi { "Tệp CSV (UTF-8) hoặc Excel (.xlsx), dòng đầu là tiêu đề " } else { "A CSV (UTF-8) or Excel (.xlsx) file whose header is " })
                    code { "unit_code,points" }
                    (if vi { "; có thể thêm một cột cho mỗi tiêu chí (số ≥ 0, tổng bằng points). Mỗi lần tải lên là một phiên bản mới; đơn vị không có trong tệp giữ điểm cũ. Có một dòng lỗi thì không điểm nào được lưu." }
                     else { "; one further column per criterion may follow (numbers ≥ 0 adding up to points). Each upload is a new version; units not in the file keep their points. One bad line and nothing is stored." })
                }
                @if !view.maxima.is_empty() {
                    p.cap {
                        (if vi { "Điểm thẩm định tối đa: " } else { "Appraised maximum: " })
                        @for (i, (t, m)) in view.maxima.iter().enumerate() {
                            @if i > 0 { ", " }
                            (t) " " (format::decimal(lang, *m, 2))
                        }
                    }
                }
                p.actions { a href={ (path) "/template.csv" } { (if vi { "Tải mẫu CSV" } else { "Download the CSV template" }) } }
                form method="post" action={ (path) (q) } enctype="multipart/form-data" {
                    input type="hidden" name="csrf" value=(view.nav.csrf);
                    label for="file" { (if vi { "Tệp điểm thẩm định" } else { "Appraisal file" }) }
                    input #file type="file" name="file" required accept=".csv,.xlsx,.xls,.ods,text/csv";
                    p { button.btn-main type="submit" { (if vi { "Tải lên và lưu" } else { "Upload and store" }) } }
                }
            }))
        } @else {
            (Card::new(html! { p { (if vi { "Chỉ cán bộ quản lý cấp tỉnh nhập điểm thẩm định; bạn chỉ xem." } else { "Only provincial managers import appraised points; you can read them." }) } }))
        }
        (Card::new(html! {
            h2 { (if vi { "Điểm hiện tại" } else { "Current points" }) }
            @if view.rows.is_empty() {
                p { (if vi { "Chưa có điểm thẩm định." } else { "No appraised points yet." }) }
            } @else {
                table.t {
                    thead { tr {
                        th scope="col" { (if vi { "Đơn vị" } else { "Unit" }) }
                        th scope="col" { (if vi { "Loại" } else { "Type" }) }
                        th.num scope="col" { (if vi { "Điểm" } else { "Points" }) }
                        th.num scope="col" { (if vi { "Phiên bản" } else { "Version" }) }
                        th scope="col" { (if vi { "Người nhập" } else { "Imported by" }) }
                    } }
                    tbody {
                        @for r in &view.rows {
                            tr {
                                th scope="row" data-label=(if vi { "Đơn vị" } else { "Unit" }) { (r.code) " — " (r.name) }
                                td data-label=(if vi { "Loại" } else { "Type" }) { (r.unit_type) }
                                td.num data-label=(if vi { "Điểm" } else { "Points" }) { (format::decimal(lang, r.points, 2)) }
                                td.num data-label=(if vi { "Phiên bản" } else { "Version" }) { (r.version) }
                                td data-label=(if vi { "Người nhập" } else { "Imported by" }) { (r.imported_by) }
                            }
                        }
                    }
                }
            }
        }))
    };
    super::page(
        Shell {
            lang,
            title: if vi {
                "Điểm thẩm định — SIPAS"
            } else {
                "Appraised points — SIPAS"
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
