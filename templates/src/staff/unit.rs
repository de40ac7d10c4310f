//! The unit page: what a manager reads about one unit in one campaign. The SIPAS index
//! with its interval and PAR points; elements and criteria as bars with whiskers;
//! responses per day and the index week by week; channels and flagged responses;
//! comments (for roles that read them), searchable; the change since an earlier round;
//! the desks with their posters and QR files; the exports.
//!
//! Each chart is built by one function here ([`chart`]), which the page inlines and
//! the chart's own URL serves as an SVG file, so both are the same drawing.

use chrono::{NaiveDate, NaiveDateTime};
use maud::{Markup, html};

use super::StaffNav;
use crate::Lang;
use crate::charts::{BandPoint, Bar, BarChart, Column, ColumnChart, LineChart, Scale};
use crate::format;
use crate::layout::{self, Kind, Shell, Table};

/// The page's CSS (constants only), after the staff CSS.
pub const CSS: &str = concat!(
    ".crumbs{margin:0 0 .5rem;font-size:.9375rem}",
    ".toc{margin:1rem 0 0;font-size:.9375rem}.toc ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}",
    ".toc a{display:inline-block;padding:.375rem 0;min-height:44px}",
    ".kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(13rem,1fr));gap:.75rem 1.5rem;margin:0}",
    ".kpis div{margin:0}.kpis dt{color:#4a4f57;font-size:.9375rem}.kpis dd{margin:0;font-size:1.125rem;font-weight:600}",
    ".kpis .big{font-size:2rem;line-height:1.2}",
    ".flags{margin:.75rem 0 0;padding-left:1.25rem}",
    ".fig{margin:0 0 1rem;background:#fff;border:1px solid #d5d8dc;border-radius:8px;padding:.5rem .75rem}",
    ".card>p:first-child{margin-top:0}",
    ".fig svg{display:block;width:100%;height:auto;max-width:34rem}",
    ".fig details{margin:.5rem 0 0}.fig summary{cursor:pointer;min-height:44px;padding:.5rem 0;color:#0b57a4;text-decoration:underline}",
    ".fig .t{font-size:.9375rem}",
    ".links{margin:.5rem 0 0;font-size:.9375rem}.links a{display:inline-block;padding:.375rem 0;min-height:44px}",
    ".search{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end;margin:0 0 1rem}.search label{margin:0 0 .25rem}.search div{flex:1 1 14rem}.search input{width:100%}",
    ".comments{list-style:none;margin:0;padding:0}.comments li{background:#fff;border:1px solid #d5d8dc;border-radius:8px;padding:.75rem 1rem;margin:0 0 .75rem}",
    ".comments blockquote{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}",
    ".pages{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;margin:1rem 0}",
    ".pages a{display:inline-block;padding:.5rem 0;min-height:44px}",
    ".up{color:#00703c;font-weight:600}.down{color:#b3261e;font-weight:600}",
    "@media print{.toc,.search,.pages,.snav,.links{display:none}.fig{break-inside:avoid}details>*{display:block}}",
);

/// A figure with its interval; `None` where undefined.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Figure {
    pub estimate: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// The campaign the page is about.
#[derive(Debug, Clone, Default)]
pub struct CampaignHead {
    pub code: String,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub demo: bool,
    /// Draft or open: its desks' posters are worth printing.
    pub posters: bool,
}

/// The unit the page is about.
#[derive(Debug, Clone, Default)]
pub struct UnitHead {
    pub code: String,
    pub name: String,
    /// The parent's name and code.
    pub parent: Option<(String, String)>,
}

/// An element's figures.
#[derive(Debug, Clone, Default)]
pub struct ElementFigure {
    pub code: String,
    pub name: String,
    pub index: Figure,
    pub mean_score: Figure,
}

/// A criterion's figures.
#[derive(Debug, Clone, Default)]
pub struct CriterionFigure {
    pub code: String,
    /// The criterion's text in the page's language.
    pub text: String,
    pub element: String,
    pub answered: u64,
    pub satisfied: u64,
    pub index: Figure,
}

/// PAR Index points from the survey.
#[derive(Debug, Clone, Copy, Default)]
pub struct ParFigure {
    pub max: f64,
    pub points: Figure,
}

/// The unit's scores, from the official figures.
#[derive(Debug, Clone, Default)]
pub struct UnitFigures {
    /// The confidence level of every interval (0.95).
    pub confidence: f64,
    pub n: u64,
    pub quota: Option<u64>,
    /// Why a manager overrode the quota; `None`: it is the frame's.
    pub quota_override: Option<String>,
    /// The page that overrides the quota, for a reader who may change it.
    pub quota_href: Option<String>,
    pub population: Option<u64>,
    pub sipas: Figure,
    pub mean_score: Figure,
    pub par: Option<ParFigure>,
    /// `no_frame`, `below_quota`, `small_sample`, `few_dissatisfied`,
    /// `stratum_merged`, `no_variance`.
    pub flags: Vec<String>,
    pub elements: Vec<ElementFigure>,
    pub criteria: Vec<CriterionFigure>,
}

/// Counted responses on one day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayCount {
    pub day: NaiveDate,
    pub count: u64,
}

/// The index at the end of a week, over every response until then.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeekPoint {
    /// 1 for the campaign's first week.
    pub number: i64,
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// Responses counted until the end of the week.
    pub n: u64,
    pub sipas: Figure,
}

/// One channel's responses.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelRow {
    /// `desk_qr`, `receipt_qr`, `paper`, `interviewer`, `kiosk`.
    pub channel: String,
    /// Counted (not flagged).
    pub counted: u64,
    pub flagged: u64,
    /// The campaign's official figures count this channel.
    pub official: bool,
}

/// Flagged responses of one reason.
#[derive(Debug, Clone, PartialEq)]
pub struct ReasonRow {
    /// `honeypot`, `too_fast`, or another stored reason.
    pub reason: String,
    pub count: u64,
}

/// What the unit's responses show over time and by channel.
#[derive(Debug, Clone, Default)]
pub struct UnitActivity {
    pub confidence: f64,
    /// Every day from the campaign's first to its last or today, whichever is earlier
    /// (and any day with responses outside).
    pub days: Vec<DayCount>,
    pub weeks: Vec<WeekPoint>,
    pub channels: Vec<ChannelRow>,
    pub flagged: Vec<ReasonRow>,
}

/// One comment.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentItem {
    /// When it was sent, in Vietnam.
    pub at: NaiveDateTime,
    pub channel: String,
    pub desk: String,
    pub text: String,
}

/// A page of comments, newest first.
#[derive(Debug, Clone, Default)]
pub struct CommentsPage {
    /// The search, as typed.
    pub query: String,
    /// 1-based.
    pub page: usize,
    pub pages: usize,
    /// Comments matching the search (all comments without one).
    pub matching: u64,
    pub items: Vec<CommentItem>,
}

/// A change between two rounds' figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Delta {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
    pub significant: bool,
}

/// An element's change.
#[derive(Debug, Clone, PartialEq)]
pub struct ElementChangeRow {
    pub name: String,
    pub from: Figure,
    pub to: Figure,
    pub change: Option<Delta>,
}

/// The change since an earlier round.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeFigures {
    pub from_code: String,
    pub from_name: String,
    /// The unit itself in that round (`true`), or the units it came from.
    pub same_unit: bool,
    /// The units compared with (code, name), each linked to its page in that round.
    pub from_units: Vec<(String, String)>,
    pub from_n: u64,
    pub from: Figure,
    pub to: Figure,
    pub change: Option<Delta>,
    /// `approximate_predecessor`, `different_questionnaires`, `predecessors_left_out`,
    /// `no_interval`.
    pub flags: Vec<String>,
    pub elements: Vec<ElementChangeRow>,
}

/// What the page says about an earlier round.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ChangeSection {
    /// No earlier round has figures for the unit or the units it came from.
    #[default]
    None,
    Figures(Box<ChangeFigures>),
}

/// One desk of the unit.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskRow {
    pub code: String,
    pub name: String,
    /// Closed desks keep their history but have no poster.
    pub open: bool,
}

/// The whole page.
#[derive(Debug, Clone, Default)]
pub struct UnitPage {
    pub lang: Lang,
    pub campaign: CampaignHead,
    pub unit: UnitHead,
    /// `None`: no figures yet (neither a frame nor a counted response).
    pub figures: Option<UnitFigures>,
    pub activity: UnitActivity,
    /// `None`: the reader's role does not read comments.
    pub comments: Option<CommentsPage>,
    pub change: ChangeSection,
    pub desks: Vec<DeskRow>,
    /// The reader may add, rename and close the unit's desks: link their page.
    pub manage_desks: bool,
}

/// The page's own path.
pub fn path(campaign: &str, unit: &str) -> String {
    format!("/manage/campaigns/{campaign}/units/{unit}")
}

/// The charts of the unit page, each also served at `charts/{name}.svg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Elements,
    Criteria,
    Daily,
    Weekly,
    Channels,
}

impl ChartKind {
    pub const ALL: [ChartKind; 5] = [
        ChartKind::Elements,
        ChartKind::Criteria,
        ChartKind::Daily,
        ChartKind::Weekly,
        ChartKind::Channels,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ChartKind::Elements => "elements",
            ChartKind::Criteria => "criteria",
            ChartKind::Daily => "daily",
            ChartKind::Weekly => "weekly",
            ChartKind::Channels => "channels",
        }
    }

    /// From a file name such as `daily.svg`.
    pub fn from_file(file: &str) -> Option<ChartKind> {
        let name = file.strip_suffix(".svg")?;
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Built from the scores (elements, criteria) rather than the responses.
    pub fn from_figures(self) -> bool {
        matches!(self, ChartKind::Elements | ChartKind::Criteria)
    }

    fn title(self, lang: Lang) -> &'static str {
        let vi = lang == Lang::Vi;
        match self {
            ChartKind::Elements => {
                if vi {
                    "Chỉ số hài lòng theo yếu tố"
                } else {
                    "Satisfaction index by element"
                }
            }
            ChartKind::Criteria => {
                if vi {
                    "Tỉ lệ hài lòng theo tiêu chí"
                } else {
                    "Share satisfied by criterion"
                }
            }
            ChartKind::Daily => {
                if vi {
                    "Số phiếu được tính mỗi ngày"
                } else {
                    "Counted responses per day"
                }
            }
            ChartKind::Weekly => {
                if vi {
                    "Chỉ số SIPAS cộng dồn đến cuối mỗi tuần"
                } else {
                    "SIPAS index to the end of each week"
                }
            }
            ChartKind::Channels => {
                if vi {
                    "Số phiếu theo kênh"
                } else {
                    "Responses by channel"
                }
            }
        }
    }
}

/// A channel's name.
pub fn channel_label(lang: Lang, channel: &str) -> &str {
    match (lang, channel) {
        (Lang::Vi, "desk_qr") => "Quét mã QR tại quầy",
        (Lang::Vi, "receipt_qr") => "Mã QR trên giấy tiếp nhận",
        (Lang::Vi, "paper") => "Phiếu giấy",
        (Lang::Vi, "interviewer") => "Phỏng vấn trực tiếp",
        (Lang::Vi, "kiosk") => "Máy tính bảng tại quầy",
        (Lang::En, "desk_qr") => "Desk QR code",
        (Lang::En, "receipt_qr") => "Receipt QR code",
        (Lang::En, "paper") => "Paper form",
        (Lang::En, "interviewer") => "Interviewer",
        (Lang::En, "kiosk") => "Desk tablet (kiosk)",
        (_, other) => other,
    }
}

/// Why a response was flagged (kept out of the figures).
pub fn reason_label(lang: Lang, reason: &str) -> &str {
    match (lang, reason) {
        (Lang::Vi, "honeypot") => "Điền vào ô ẩn mà người thật không thấy (máy tự động)",
        (Lang::Vi, "too_fast") => "Gửi quá nhanh sau khi mở phiếu",
        (Lang::En, "honeypot") => "Filled in the hidden field people never see (a bot)",
        (Lang::En, "too_fast") => "Sent too soon after the form was opened",
        (_, other) => other,
    }
}

/// A unit's flag in words.
pub fn flag_label(lang: Lang, flag: &str) -> &str {
    match (lang, flag) {
        (Lang::Vi, "no_frame") => {
            "Chưa có khung mẫu (tổng số hồ sơ): không hiệu chỉnh quần thể hữu hạn"
        }
        (Lang::Vi, "below_quota") => "Chưa đủ số phiếu tối thiểu",
        (Lang::Vi, "small_sample") => "Dưới 30 phiếu: chưa nên xếp hạng",
        (Lang::Vi, "few_dissatisfied") => {
            "Rất ít người không hài lòng (hoặc hài lòng): đánh giá theo khoảng tin cậy"
        }
        (Lang::Vi, "stratum_merged") => "Có quầy chỉ một phiếu: các quầy được tính gộp",
        (Lang::Vi, "no_variance") => "Dưới 2 phiếu: chưa có khoảng tin cậy",
        (Lang::Vi, "approximate_predecessor") => {
            "Một đơn vị cũ được chia cho nhiều đơn vị mới: nhóm so sánh rộng hơn đơn vị này"
        }
        (Lang::Vi, "different_questionnaires") => {
            "Hai đợt dùng bộ câu hỏi khác nhau: chỉ so sánh chỉ số SIPAS và các yếu tố"
        }
        (Lang::Vi, "predecessors_left_out") => "Có đơn vị cũ không có số liệu, không được tính",
        (Lang::Vi, "no_interval") => "Thiếu khoảng tin cậy ở một đợt: không kết luận được",
        (Lang::En, "no_frame") => {
            "No sampling frame (number of dossiers): no finite-population correction"
        }
        (Lang::En, "below_quota") => "Below its quota",
        (Lang::En, "small_sample") => "Fewer than 30 responses: do not rank",
        (Lang::En, "few_dissatisfied") => {
            "Very few dissatisfied (or satisfied): judge on the interval"
        }
        (Lang::En, "stratum_merged") => "A desk with a single response: desks pooled",
        (Lang::En, "no_variance") => "Fewer than 2 responses: no interval",
        (Lang::En, "approximate_predecessor") => {
            "An old unit was split between new ones: the comparison group is wider than this unit"
        }
        (Lang::En, "different_questionnaires") => {
            "The rounds used different questionnaires: only the SIPAS index and elements compare"
        }
        (Lang::En, "predecessors_left_out") => {
            "Some earlier units have no figures and are left out"
        }
        (Lang::En, "no_interval") => "One round has no interval: no conclusion",
        (_, other) => other,
    }
}

fn percent_interval(lang: Lang, f: &Figure) -> String {
    match (f.low, f.high) {
        (Some(l), Some(h)) => format!(
            "{} – {}",
            format::percent(lang, l),
            format::percent(lang, h)
        ),
        _ => "–".to_owned(),
    }
}

fn decimal_or_dash(lang: Lang, x: Option<f64>, places: usize) -> String {
    x.map_or_else(|| "–".to_owned(), |x| format::decimal(lang, x, places))
}

/// A change in percentage points, signed: +3,20 / −1,05.
fn points_change(lang: Lang, delta: f64) -> String {
    let sign = if delta > 0.0 {
        "+"
    } else if delta < 0.0 {
        "−"
    } else {
        ""
    };
    format!("{sign}{}", format::decimal(lang, delta.abs() * 100.0, 2))
}

fn short_date(day: NaiveDate) -> String {
    day.format("%d/%m").to_string()
}

fn week_label(lang: Lang, w: &WeekPoint) -> String {
    let span = format!("{} – {}", short_date(w.first), format::date(w.last));
    match lang {
        Lang::Vi => format!("Tuần {} ({span})", w.number),
        Lang::En => format!("Week {} ({span})", w.number),
    }
}

fn elements_bars(figures: &UnitFigures) -> Vec<Bar> {
    figures
        .elements
        .iter()
        .map(|e| Bar {
            label: e.name.clone(),
            value: e.index.estimate,
            low: e.index.low,
            high: e.index.high,
            hatched: false,
        })
        .collect()
}

fn criteria_bars(figures: &UnitFigures) -> Vec<Bar> {
    figures
        .criteria
        .iter()
        .map(|c| Bar {
            label: format!("{} {}", c.code, c.text),
            value: c.index.estimate,
            low: c.index.low,
            high: c.index.high,
            hatched: false,
        })
        .collect()
}

fn day_columns(activity: &UnitActivity) -> Vec<Column> {
    activity
        .days
        .iter()
        .map(|d| Column {
            label: format::date(d.day),
            short: short_date(d.day),
            value: d.count,
        })
        .collect()
}

fn week_points(lang: Lang, activity: &UnitActivity) -> Vec<BandPoint> {
    activity
        .weeks
        .iter()
        .map(|w| BandPoint {
            label: week_label(lang, w),
            short: short_date(w.last),
            value: w.sipas.estimate,
            low: w.sipas.low,
            high: w.sipas.high,
        })
        .collect()
}

fn channel_bars(lang: Lang, activity: &UnitActivity) -> Vec<Bar> {
    activity
        .channels
        .iter()
        .map(|c| Bar {
            label: channel_label(lang, &c.channel).to_owned(),
            value: Some(c.counted as f64),
            hatched: !c.official,
            ..Bar::default()
        })
        .collect()
}

fn confidence_words(lang: Lang, confidence: f64) -> String {
    let level = format!("{}\u{a0}%", format::decimal(lang, confidence * 100.0, 0));
    match lang {
        Lang::Vi => format!("khoảng tin cậy {level}"),
        Lang::En => format!("{level} interval"),
    }
}

/// The text with its first letter in capitals (a label's first word).
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Which data a chart is drawn from.
pub enum ChartData<'a> {
    Figures(&'a UnitFigures),
    Activity(&'a UnitActivity),
}

/// One chart of the unit page; `None` when the data given is not the chart's.
pub fn chart(lang: Lang, kind: ChartKind, data: ChartData<'_>) -> Option<Markup> {
    let id = format!("chart-{}", kind.name());
    let title = kind.title(lang);
    let not_official = match lang {
        Lang::Vi => "không tính vào số liệu chính thức",
        Lang::En => "not counted in the official figures",
    };
    let percent = |bars: Vec<Bar>| {
        maud::Render::render(&BarChart {
            id: &id,
            lang,
            title,
            bars: &bars,
            scale: Scale::Percent,
            hatched_means: None,
        })
    };
    Some(match (kind, data) {
        (ChartKind::Elements, ChartData::Figures(f)) => percent(elements_bars(f)),
        (ChartKind::Criteria, ChartData::Figures(f)) => percent(criteria_bars(f)),
        (ChartKind::Daily, ChartData::Activity(a)) => maud::Render::render(&ColumnChart {
            id: &id,
            lang,
            title,
            columns: &day_columns(a),
            unit_name: match lang {
                Lang::Vi => "phiếu",
                Lang::En => "responses",
            },
        }),
        (ChartKind::Weekly, ChartData::Activity(a)) => maud::Render::render(&LineChart {
            id: &id,
            lang,
            title,
            points: &week_points(lang, a),
            band_means: &confidence_words(lang, a.confidence),
        }),
        (ChartKind::Channels, ChartData::Activity(a)) => maud::Render::render(&BarChart {
            id: &id,
            lang,
            title,
            bars: &channel_bars(lang, a),
            scale: Scale::Count,
            hatched_means: Some(not_official),
        }),
        _ => return None,
    })
}

/// A chart with its data table in a `<details>` and a link to its SVG file.
fn figure(lang: Lang, base: &str, kind: ChartKind, svg: Option<Markup>, table: Markup) -> Markup {
    let vi = lang == Lang::Vi;
    html! {
        div.fig {
            @if let Some(svg) = svg { (svg) }
            details {
                summary { (if vi { "Bảng số liệu" } else { "Data table" }) }
                (table)
            }
            p.links {
                a href={ (base) "/charts/" (kind.name()) ".svg?lang=" (lang.code()) } download {
                    (if vi { "Tải biểu đồ (SVG)" } else { "Download the chart (SVG)" })
                }
            }
        }
    }
}

/// A query string value, encoded.
fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The unit page.
pub fn page(view: &UnitPage, nav: &StaffNav) -> Markup {
    let lang = view.lang;
    let vi = lang == Lang::Vi;
    let tr = |v: &'static str, e: &'static str| if vi { v } else { e };
    let c = &view.campaign;
    let u = &view.unit;
    let base = path(&c.code, &u.code);
    let q = format!("?lang={}", lang.code());
    let title = format!("{} – {}", u.name, c.code);
    let body = html! {
        p.crumbs {
            a href={ "/manage/campaigns/" (c.code) (q) } {
                "← " (tr("Tiến độ đợt ", "Overview of ")) (c.code)
            }
        }
        h1 { (u.name) }
        p.cap {
            (tr("Mã đơn vị ", "Unit code ")) (u.code)
            @if let Some((name, _)) = &u.parent { " · " (tr("thuộc ", "part of ")) (name) }
            " · " (c.name) " (" (format::date(c.starts_on)) " – " (format::date(c.ends_on)) ")"
        }
        nav.toc aria-label=(tr("Mục trên trang", "On this page")) {
            ul {
                li { a href="#index" { (tr("Chỉ số", "Index")) } }
                li { a href="#elements" { (tr("Yếu tố", "Elements")) } }
                li { a href="#criteria" { (tr("Tiêu chí", "Criteria")) } }
                li { a href="#daily" { (tr("Theo ngày", "By day")) } }
                li { a href="#weekly" { (tr("Theo tuần", "By week")) } }
                li { a href="#channels" { (tr("Kênh", "Channels")) } }
                @if view.comments.is_some() { li { a href="#comments" { (tr("Góp ý", "Comments")) } } }
                li { a href="#change" { (tr("So với đợt trước", "Change")) } }
                li { a href="#desks" { (tr("Quầy", "Desks")) } }
                li { a href="#exports" { (tr("Tải xuống", "Downloads")) } }
            }
        }
        (headline(lang, view.figures.as_ref()))
        (elements_section(lang, &base, view.figures.as_ref()))
        (criteria_section(lang, &base, view.figures.as_ref()))
        (daily_section(lang, &base, &view.activity))
        (weekly_section(lang, &base, &view.activity))
        (channels_section(lang, &base, &view.activity))
        @if let Some(comments) = &view.comments {
            (comments_section(lang, &base, comments))
        }
        (change_section(lang, view))
        (desks_section(lang, view))
        (exports_section(lang, view))
    };
    super::page(
        Shell {
            lang,
            title: &title,
            path: Some(&base),
            demo: c.demo,
            kind: Kind::Wide,
            css: Some(UNIT_CSS.as_str()),
        },
        nav,
        body,
    )
}

/// The staff CSS and this page's, joined once.
static UNIT_CSS: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| [super::CSS, CSS].concat());

fn headline(lang: Lang, figures: Option<&UnitFigures>) -> Markup {
    let vi = lang == Lang::Vi;
    let tr = |v: &'static str, e: &'static str| if vi { v } else { e };
    html! {
        section aria-labelledby="index" {
            h2 id="index" { (tr("Chỉ số hài lòng (SIPAS)", "Satisfaction index (SIPAS)")) }
            @match figures {
                None => {
                    p.card { (tr("Đơn vị chưa có khung mẫu và chưa có phiếu nào được tính trong đợt này.", "The unit has neither a frame nor a counted response in this campaign yet.")) }
                }
                Some(f) => {
                    div.card {
                        dl.kpis {
                            div {
                                dt { (tr("Chỉ số SIPAS", "SIPAS index")) }
                                dd.big { (format::percent_or_dash(lang, f.sipas.estimate)) }
                            }
                            div {
                                dt { (capitalized(&confidence_words(lang, f.confidence))) }
                                dd { (percent_interval(lang, &f.sipas)) }
                            }
                            div {
                                dt { (tr("Số phiếu được tính / tối thiểu", "Responses counted / quota")) }
                                dd {
                                    (format::count(lang, f.n)) " / "
                                    (f.quota.map_or_else(|| "–".to_owned(), |q| format::count(lang, q)))
                                    @if let Some(reason) = &f.quota_override {
                                        (crate::staff::round::override_marker(lang, reason))
                                    }
                                    @if let Some(href) = &f.quota_href {
                                        br;
                                        a href=(href) { (tr("Điều chỉnh chỉ tiêu", "Change the quota")) }
                                    }
                                }
                            }
                            @if let Some(par) = &f.par {
                                div {
                                    dt { (tr("Điểm PAR Index từ khảo sát", "PAR Index points from the survey")) }
                                    dd {
                                        (decimal_or_dash(lang, par.points.estimate, 2)) " / " (format::decimal(lang, par.max, 2))
                                        @if let (Some(l), Some(h)) = (par.points.low, par.points.high) {
                                            " (" (format::decimal(lang, l, 2)) " – " (format::decimal(lang, h, 2)) ")"
                                        }
                                    }
                                }
                            }
                            div {
                                dt { (tr("Điểm trung bình (1–5)", "Mean score (1–5)")) }
                                dd {
                                    (decimal_or_dash(lang, f.mean_score.estimate, 2))
                                    @if let (Some(l), Some(h)) = (f.mean_score.low, f.mean_score.high) {
                                        " (" (format::decimal(lang, l, 2)) " – " (format::decimal(lang, h, 2)) ")"
                                    }
                                }
                            }
                            @if let Some(population) = f.population {
                                div {
                                    dt { (tr("Số hồ sơ trong khung mẫu", "Dossiers in the frame")) }
                                    dd { (format::count(lang, population)) }
                                }
                            }
                        }
                        @if !f.flags.is_empty() {
                            ul.flags {
                                @for flag in &f.flags { li { (flag_label(lang, flag)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn percent_table(
    lang: Lang,
    first: &str,
    rows: Vec<(String, &Figure, Option<String>)>,
    extra: Option<&str>,
) -> Markup {
    let vi = lang == Lang::Vi;
    let mut columns = vec![
        layout::Column::text(first),
        layout::Column::num(if vi { "Tỉ lệ" } else { "Share" }),
        layout::Column::num(if vi { "Khoảng tin cậy" } else { "Interval" }),
    ];
    if let Some(extra) = extra {
        columns.push(layout::Column::num(extra));
    }
    let rows = rows
        .into_iter()
        .map(|(label, f, more)| {
            let mut cells = vec![
                html! { (label) },
                html! { (format::percent_or_dash(lang, f.estimate)) },
                html! { (percent_interval(lang, f)) },
            ];
            if extra.is_some() {
                cells.push(html! { (more.unwrap_or_default()) });
            }
            cells
        })
        .collect();
    maud::Render::render(&Table {
        columns: &columns,
        rows,
    })
}

fn elements_section(lang: Lang, base: &str, figures: Option<&UnitFigures>) -> Markup {
    let vi = lang == Lang::Vi;
    html! {
        section aria-labelledby="elements" {
            h2 id="elements" { (ChartKind::Elements.title(lang)) }
            @if let Some(f) = figures {
                @let rows = f.elements.iter().map(|e| (e.name.clone(), &e.index, Some(decimal_or_dash(lang, e.mean_score.estimate, 2)))).collect();
                (figure(lang, base, ChartKind::Elements, chart(lang, ChartKind::Elements, ChartData::Figures(f)),
                    percent_table(lang, if vi { "Yếu tố" } else { "Element" }, rows, Some(if vi { "Điểm trung bình" } else { "Mean score" }))))
            } @else {
                p { (if vi { "Chưa có số liệu." } else { "No figures yet." }) }
            }
        }
    }
}

fn criteria_section(lang: Lang, base: &str, figures: Option<&UnitFigures>) -> Markup {
    let vi = lang == Lang::Vi;
    html! {
        section aria-labelledby="criteria" {
            h2 id="criteria" { (ChartKind::Criteria.title(lang)) }
            @if let Some(f) = figures {
                p.cap { (if vi { "Tỉ lệ người trả lời hài lòng hoặc rất hài lòng (mức 4–5) với từng tiêu chí." } else { "The share of those who answered that were satisfied or very satisfied (4–5) with each criterion." }) }
                @let rows = f.criteria.iter().map(|c| (format!("{} {}", c.code, c.text), &c.index, Some(format!("{} / {}", format::count(lang, c.satisfied), format::count(lang, c.answered))))).collect();
                (figure(lang, base, ChartKind::Criteria, chart(lang, ChartKind::Criteria, ChartData::Figures(f)),
                    percent_table(lang, if vi { "Tiêu chí" } else { "Criterion" }, rows, Some(if vi { "Hài lòng / trả lời" } else { "Satisfied / answered" }))))
            } @else {
                p { (if vi { "Chưa có số liệu." } else { "No figures yet." }) }
            }
        }
    }
}

fn daily_section(lang: Lang, base: &str, activity: &UnitActivity) -> Markup {
    let vi = lang == Lang::Vi;
    let columns = [
        layout::Column::text(if vi { "Ngày" } else { "Day" }),
        layout::Column::num(if vi { "Số phiếu" } else { "Responses" }),
    ];
    let rows = activity
        .days
        .iter()
        .map(|d| {
            vec![
                html! { (format::date(d.day)) },
                html! { (format::count(lang, d.count)) },
            ]
        })
        .collect();
    html! {
        section aria-labelledby="daily" {
            h2 id="daily" { (ChartKind::Daily.title(lang)) }
            p.cap { (if vi { "Phiếu của các kênh được tính chính thức, không kể phiếu bị gắn cờ; ngày theo giờ Việt Nam." } else { "Responses of the channels the official figures count, without flagged ones; days in Vietnam time." }) }
            (figure(lang, base, ChartKind::Daily, chart(lang, ChartKind::Daily, ChartData::Activity(activity)), maud::Render::render(&Table { columns: &columns, rows })))
        }
    }
}

fn weekly_section(lang: Lang, base: &str, activity: &UnitActivity) -> Markup {
    let vi = lang == Lang::Vi;
    let columns = [
        layout::Column::text(if vi { "Tuần" } else { "Week" }),
        layout::Column::num(if vi {
            "Số phiếu cộng dồn"
        } else {
            "Responses so far"
        }),
        layout::Column::num(if vi {
            "Chỉ số SIPAS"
        } else {
            "SIPAS index"
        }),
        layout::Column::num(if vi { "Khoảng tin cậy" } else { "Interval" }),
    ];
    let rows = activity
        .weeks
        .iter()
        .map(|w| {
            vec![
                html! { (week_label(lang, w)) },
                html! { (format::count(lang, w.n)) },
                html! { (format::percent_or_dash(lang, w.sipas.estimate)) },
                html! { (percent_interval(lang, &w.sipas)) },
            ]
        })
        .collect();
    html! {
        section aria-labelledby="weekly" {
            h2 id="weekly" { (ChartKind::Weekly.title(lang)) }
            p.cap { (if vi { "Mỗi điểm là chỉ số tính trên mọi phiếu được tính đến hết tuần đó, với khoảng tin cậy của nó; tuần cuối là số liệu hiện tại." } else { "Each point is the index over every counted response until the end of that week, with its interval; the last week is today's figure." }) }
            (figure(lang, base, ChartKind::Weekly, chart(lang, ChartKind::Weekly, ChartData::Activity(activity)), maud::Render::render(&Table { columns: &columns, rows })))
        }
    }
}

fn channels_section(lang: Lang, base: &str, activity: &UnitActivity) -> Markup {
    let vi = lang == Lang::Vi;
    let yes_no = |b: bool| {
        if b {
            if vi { "Có" } else { "Yes" }
        } else if vi {
            "Không"
        } else {
            "No"
        }
    };
    let columns = [
        layout::Column::text(if vi { "Kênh" } else { "Channel" }),
        layout::Column::num(if vi {
            "Phiếu hợp lệ"
        } else {
            "Valid responses"
        }),
        layout::Column::num(if vi { "Bị gắn cờ" } else { "Flagged" }),
        layout::Column::text(if vi {
            "Tính chính thức"
        } else {
            "In the official figures"
        }),
    ];
    let rows = activity
        .channels
        .iter()
        .map(|c| {
            vec![
                html! { (channel_label(lang, &c.channel)) },
                html! { (format::count(lang, c.counted)) },
                html! { (format::count(lang, c.flagged)) },
                html! { (yes_no(c.official)) },
            ]
        })
        .collect();
    let reason_columns = [
        layout::Column::text(if vi { "Lý do" } else { "Reason" }),
        layout::Column::num(if vi { "Số phiếu" } else { "Responses" }),
    ];
    let reason_rows = activity
        .flagged
        .iter()
        .map(|r| {
            vec![
                html! { (reason_label(lang, &r.reason)) },
                html! { (format::count(lang, r.count)) },
            ]
        })
        .collect();
    html! {
        section aria-labelledby="channels" {
            h2 id="channels" { (ChartKind::Channels.title(lang)) }
            (figure(lang, base, ChartKind::Channels, chart(lang, ChartKind::Channels, ChartData::Activity(activity)), maud::Render::render(&Table { columns: &columns, rows })))
            h3 { (if vi { "Phiếu bị gắn cờ" } else { "Flagged responses" }) }
            @if activity.flagged.is_empty() {
                p { (if vi { "Không có phiếu nào bị gắn cờ." } else { "No response was flagged." }) }
            } @else {
                p.cap { (if vi { "Phiếu bị gắn cờ được lưu lại nhưng không tính vào số liệu." } else { "Flagged responses are kept but not counted." }) }
                (maud::Render::render(&Table { columns: &reason_columns, rows: reason_rows }))
            }
        }
    }
}

fn comments_section(lang: Lang, base: &str, comments: &CommentsPage) -> Markup {
    let vi = lang == Lang::Vi;
    let page_href = |page: usize| {
        let mut href = format!("{base}?lang={}", lang.code());
        if !comments.query.is_empty() {
            href.push_str(&format!("&q={}", encode(&comments.query)));
        }
        href.push_str(&format!("&page={page}#comments"));
        href
    };
    html! {
        section aria-labelledby="comments" {
            h2 id="comments" { (if vi { "Góp ý của người dân" } else { "Citizens' comments" }) }
            form.search method="get" action={ (base) "#comments" } role="search" {
                input type="hidden" name="lang" value=(lang.code());
                div {
                    label for="q" { (if vi { "Tìm trong góp ý" } else { "Search the comments" }) }
                    input type="search" id="q" name="q" value=(comments.query) maxlength="200";
                }
                button type="submit" { (if vi { "Tìm" } else { "Search" }) }
            }
            p aria-live="polite" {
                @if comments.query.is_empty() {
                    (format::count(lang, comments.matching)) (if vi { " góp ý, mới nhất trước." } else { " comments, newest first." })
                } @else {
                    (format::count(lang, comments.matching)) (if vi { " góp ý có \u{201c}" } else { " comments contain \u{201c}" }) (comments.query) "\u{201d}."
                    " " a href={ (base) "?lang=" (lang.code()) "#comments" } { (if vi { "Xem tất cả" } else { "Show all" }) }
                }
            }
            @if !comments.items.is_empty() {
                ol.comments {
                    @for item in &comments.items {
                        li {
                            blockquote { (item.text) }
                            p.cap {
                                (item.at.format("%d/%m/%Y %H:%M").to_string()) " · " (channel_label(lang, &item.channel)) " · " (item.desk)
                            }
                        }
                    }
                }
            }
            @if comments.pages > 1 {
                nav.pages aria-label=(if vi { "Các trang góp ý" } else { "Comment pages" }) {
                    @if comments.page > 1 {
                        a href=(page_href(comments.page - 1)) rel="prev" { "← " (if vi { "Mới hơn" } else { "Newer" }) }
                    }
                    span { (if vi { "Trang " } else { "Page " }) (comments.page) " / " (comments.pages) }
                    @if comments.page < comments.pages {
                        a href=(page_href(comments.page + 1)) rel="next" { (if vi { "Cũ hơn" } else { "Older" }) " →" }
                    }
                }
            }
        }
    }
}

fn delta_text(lang: Lang, d: &Delta) -> Markup {
    let vi = lang == Lang::Vi;
    let class = match (d.significant, d.estimate > 0.0) {
        (true, true) => Some("up"),
        (true, false) => Some("down"),
        _ => None,
    };
    html! {
        span class=[class] { (points_change(lang, d.estimate)) (if vi { " điểm %" } else { " points" }) }
        " (" (points_change(lang, d.low)) " – " (points_change(lang, d.high)) "); "
        @if d.significant {
            @if d.estimate > 0.0 {
                (if vi { "tăng rõ rệt" } else { "a clear rise" })
            } @else {
                (if vi { "giảm rõ rệt" } else { "a clear fall" })
            }
        } @else {
            (if vi { "chưa có thay đổi rõ rệt" } else { "no clear change" })
        }
    }
}

fn change_section(lang: Lang, view: &UnitPage) -> Markup {
    let vi = lang == Lang::Vi;
    html! {
        section aria-labelledby="change" {
            h2 id="change" { (if vi { "So với đợt trước" } else { "Change since the previous round" }) }
            @match &view.change {
                ChangeSection::None => {
                    p { (if vi { "Chưa có đợt khảo sát trước có số liệu của đơn vị này (hoặc của các đơn vị hợp nhất thành nó)." } else { "No earlier round has figures for this unit (or for the units that merged into it)." }) }
                }
                ChangeSection::Figures(ch) => {
                    div.card {
                        p {
                            (if vi { "So với đợt " } else { "Against " }) strong { (ch.from_name) } " (" (ch.from_code) ")"
                            @if ch.same_unit {
                                (if vi { ", cùng đơn vị." } else { ", the same unit." })
                            } @else {
                                (if vi { ", nhóm các đơn vị cũ hợp nhất thành đơn vị này: " } else { ", the group of earlier units that merged into this one: " })
                                @for (i, (code, name)) in ch.from_units.iter().enumerate() {
                                    @if i > 0 { ", " }
                                    a href={ (path(&ch.from_code, code)) "?lang=" (lang.code()) } { (name) }
                                }
                                "."
                            }
                        }
                        dl.kpis {
                            div { dt { (ch.from_code) " (" (format::count(lang, ch.from_n)) (if vi { " phiếu)" } else { " responses)" }) } dd { (format::percent_or_dash(lang, ch.from.estimate)) } }
                            div { dt { (view.campaign.code) } dd { (format::percent_or_dash(lang, ch.to.estimate)) } }
                            div {
                                dt { (if vi { "Thay đổi (khoảng tin cậy)" } else { "Change (interval)" }) }
                                dd { @if let Some(d) = &ch.change { (delta_text(lang, d)) } @else { "–" } }
                            }
                        }
                        @if !ch.flags.is_empty() {
                            ul.flags { @for flag in &ch.flags { li { (flag_label(lang, flag)) } } }
                        }
                    }
                    @if !ch.elements.is_empty() {
                        @let columns = [
                            layout::Column::text(if vi { "Yếu tố" } else { "Element" }),
                            layout::Column::num(&ch.from_code),
                            layout::Column::num(&view.campaign.code),
                            layout::Column::text(if vi { "Thay đổi" } else { "Change" }),
                        ];
                        @let rows = ch.elements.iter().map(|e| vec![
                            html! { (e.name) },
                            html! { (format::percent_or_dash(lang, e.from.estimate)) },
                            html! { (format::percent_or_dash(lang, e.to.estimate)) },
                            html! { @if let Some(d) = &e.change { (delta_text(lang, d)) } @else { "–" } },
                        ]).collect();
                        (maud::Render::render(&Table { columns: &columns, rows }))
                    }
                }
            }
        }
    }
}

fn desks_section(lang: Lang, view: &UnitPage) -> Markup {
    let vi = lang == Lang::Vi;
    let c = &view.campaign.code;
    let u = &view.unit.code;
    let columns = [
        layout::Column::text(if vi { "Quầy" } else { "Desk" }),
        layout::Column::text(if vi {
            "Áp phích và mã QR"
        } else {
            "Poster and QR code"
        }),
    ];
    let rows = view
        .desks
        .iter()
        .map(|d| {
            vec![
                html! { (d.name) " (" (d.code) ")" @if !d.open { " – " (if vi { "đã đóng" } else { "closed" }) } },
                html! {
                    @if d.open && view.campaign.posters {
                        a href={ "/posters/" (c) "/" (u) "/" (d.code) } { (if vi { "Áp phích A4" } else { "A4 poster" }) } " · "
                        a href={ (path(c, u)) "/service-points/" (d.code) "/qr.svg" } download { "QR (SVG)" } " · "
                        a href={ (path(c, u)) "/service-points/" (d.code) "/qr.png" } download { "QR (PNG)" }
                    } @else if d.open {
                        (if vi { "Đợt khảo sát đã kết thúc: không cần in áp phích." } else { "The campaign has ended: no poster to print." })
                    } @else { "–" }
                },
            ]
        })
        .collect();
    html! {
        section aria-labelledby="desks" {
            h2 id="desks" { (if vi { "Các quầy (Bộ phận Một cửa)" } else { "Desks (one-stop desks)" }) }
            (maud::Render::render(&Table { columns: &columns, rows }))
            @if view.manage_desks {
                p { a href={ (path(c, u)) "/desks?lang=" (lang.code()) } { (if vi { "Thêm, đổi tên hoặc đóng quầy" } else { "Add, rename or close desks" }) } }
            }
        }
    }
}

fn exports_section(lang: Lang, view: &UnitPage) -> Markup {
    let vi = lang == Lang::Vi;
    let c = &view.campaign.code;
    let u = &view.unit.code;
    html! {
        section aria-labelledby="exports" {
            h2 id="exports" { (if vi { "Tải xuống" } else { "Downloads" }) }
            ul {
                li {
                    (if vi { "Các phiếu của đơn vị: " } else { "The unit's responses: " })
                    a href={ "/manage/campaigns/" (c) "/exports/responses.csv?unit=" (u) } { "CSV" } " · "
                    a href={ "/manage/campaigns/" (c) "/exports/responses.xlsx?unit=" (u) } { "Excel (XLSX)" }
                }
                li {
                    (if vi { "Chỉ số của đơn vị: " } else { "The unit's scores: " })
                    a href={ "/manage/campaigns/" (c) "/exports/scores.csv?unit=" (u) } { "CSV" } " · "
                    a href={ "/manage/campaigns/" (c) "/exports/scores.xlsx?unit=" (u) } { "Excel (XLSX)" }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn figure(estimate: f64) -> Figure {
        Figure {
            estimate: Some(estimate),
            low: Some(estimate - 0.03),
            high: Some(estimate + 0.02),
        }
    }

    fn view(lang: Lang) -> UnitPage {
        UnitPage {
            lang,
            campaign: CampaignHead {
                code: "HT-2026".into(),
                name: "Khảo sát 2026".into(),
                starts_on: day(2),
                ends_on: day(31),
                demo: false,
                posters: true,
            },
            unit: UnitHead {
                code: "18073".into(),
                name: "Phường Thành Sen".into(),
                parent: None,
            },
            figures: Some(UnitFigures {
                confidence: 0.95,
                n: 1234,
                quota: Some(222),
                quota_override: None,
                quota_href: None,
                population: Some(5000),
                sipas: figure(0.911_66),
                mean_score: figure(4.3),
                par: Some(ParFigure {
                    max: 30.0,
                    points: figure(27.35),
                }),
                flags: vec!["few_dissatisfied".into()],
                elements: vec![ElementFigure {
                    code: "E1".into(),
                    name: "Tiếp cận dịch vụ".into(),
                    index: figure(0.9),
                    mean_score: figure(4.2),
                }],
                criteria: vec![CriterionFigure {
                    code: "A1".into(),
                    text: "Biển hiệu <rõ ràng>".into(),
                    element: "E1".into(),
                    answered: 10,
                    satisfied: 9,
                    index: figure(0.9),
                }],
            }),
            activity: UnitActivity {
                confidence: 0.95,
                days: (2..=8)
                    .map(|d| DayCount {
                        day: day(d),
                        count: u64::from(d),
                    })
                    .collect(),
                weeks: vec![WeekPoint {
                    number: 1,
                    first: day(2),
                    last: day(8),
                    n: 35,
                    sipas: figure(0.9),
                }],
                channels: vec![ChannelRow {
                    channel: "paper".into(),
                    counted: 35,
                    flagged: 1,
                    official: true,
                }],
                flagged: vec![ReasonRow {
                    reason: "too_fast".into(),
                    count: 1,
                }],
            },
            comments: Some(CommentsPage {
                query: "thái độ & <b>".into(),
                page: 2,
                pages: 3,
                matching: 45,
                items: vec![CommentItem {
                    at: day(5).and_hms_opt(14, 5, 0).unwrap(),
                    channel: "desk_qr".into(),
                    desk: "Bộ phận Một cửa".into(),
                    text: "<script>alert('x')</script> & <img src=x onerror=alert(1)>".into(),
                }],
            }),
            change: ChangeSection::None,
            desks: vec![DeskRow {
                code: "MC".into(),
                name: "Bộ phận Một cửa".into(),
                open: true,
            }],
            manage_desks: true,
        }
    }

    fn render(view: &UnitPage) -> String {
        page(view, &StaffNav::default()).into_string()
    }

    #[test]
    fn hostile_comments_are_text_and_the_search_is_kept_across_pages() {
        let html = render(&view(Lang::Vi));
        assert!(!html.contains("<script>alert") && !html.contains("<img src=x"));
        assert!(html.contains(
            "<blockquote>&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;</blockquote>"
        ));
        assert!(html.contains("05/03/2026 14:05 · Quét mã QR tại quầy · Bộ phận Một cửa"));
        // The search box keeps the query, escaped; the page links carry it encoded.
        assert!(html.contains(r#"value="thái độ &amp; &lt;b&gt;""#));
        let q = "q=th%C3%A1i+%C4%91%E1%BB%99+%26+%3Cb%3E";
        assert!(
            html.contains(&format!(
                "?lang=vi&amp;{q}&amp;page=1#comments\" rel=\"prev\""
            )),
            "{html}"
        );
        assert!(html.contains(&format!(
            "?lang=vi&amp;{q}&amp;page=3#comments\" rel=\"next\""
        )));
        assert!(html.contains("45 góp ý có \u{201c}thái độ &amp; &lt;b&gt;\u{201d}."));
        // A criterion's text is text too, on the page and in its chart.
        assert!(html.contains("A1 Biển hiệu &lt;rõ ràng&gt;") && !html.contains("<rõ ràng>"));
    }

    #[test]
    fn figures_are_written_as_the_reader_writes_them() {
        let vi = render(&view(Lang::Vi));
        assert!(vi.contains("<dd class=\"big\">91,17\u{a0}%</dd>"));
        assert!(vi.contains("Khoảng tin cậy 95\u{a0}%</dt><dd>88,17\u{a0}% – 93,17\u{a0}%</dd>"));
        assert!(vi.contains("<dd>1.234 / 222</dd>"));
        assert!(vi.contains("27,35 / 30,00 (27,32 – 27,37)"));
        assert!(vi.contains("Rất ít người không hài lòng"));
        let en = render(&view(Lang::En));
        assert!(en.contains("<html lang=\"en\">"));
        assert!(en.contains("<dd class=\"big\">91.17\u{a0}%</dd>"));
        assert!(en.contains("<dd>1,234 / 222</dd>"));
        assert!(en.contains("Satisfaction index (SIPAS)") && en.contains("Citizens' comments"));
        for vietnamese in [
            "Chỉ số hài lòng",
            "Góp ý của người dân",
            "Bảng số liệu",
            "Tải xuống",
        ] {
            assert!(!en.contains(vietnamese), "{vietnamese}");
        }
        // Every chart is inline, with its table and its own file.
        assert_eq!(vi.matches("role=\"img\"").count(), 5);
        assert_eq!(vi.matches("<details>").count(), 5);
        assert!(
            vi.contains("href=\"/manage/campaigns/HT-2026/units/18073/charts/weekly.svg?lang=vi\"")
        );
        assert!(
            vi.contains("href=\"/manage/campaigns/HT-2026/exports/responses.xlsx?unit=18073\"")
        );
        assert!(vi.contains("href=\"/posters/HT-2026/18073/MC\""));
        assert!(vi.contains("href=\"/manage/campaigns/HT-2026/units/18073/desks?lang=vi\""));
    }

    #[test]
    fn without_comments_figures_or_posters() {
        let mut v = view(Lang::Vi);
        v.comments = None;
        v.figures = None;
        v.campaign.posters = false;
        let html = render(&v);
        assert!(!html.contains("id=\"comments\"") && !html.contains("href=\"#comments\""));
        assert!(!html.contains("alert"));
        assert!(html.contains("Đơn vị chưa có khung mẫu và chưa có phiếu nào"));
        // Only the charts of the responses are drawn.
        assert_eq!(html.matches("role=\"img\"").count(), 3);
        assert!(!html.contains("/posters/") && html.contains("không cần in áp phích"));
    }

    #[test]
    fn chart_files_are_named() {
        for kind in ChartKind::ALL {
            assert_eq!(
                ChartKind::from_file(&format!("{}.svg", kind.name())),
                Some(kind)
            );
        }
        assert_eq!(ChartKind::from_file("daily"), None);
        assert_eq!(ChartKind::from_file("x.svg"), None);
        let activity = view(Lang::En).activity;
        assert!(
            chart(
                Lang::En,
                ChartKind::Elements,
                ChartData::Activity(&activity)
            )
            .is_none()
        );
        let svg = chart(Lang::En, ChartKind::Daily, ChartData::Activity(&activity))
            .unwrap()
            .into_string();
        assert!(svg.contains("<title id=\"chart-daily-title\">Counted responses per day</title>"));
        assert!(svg.contains(
            "35 responses in 7 days, from 02/03/2026 to 08/03/2026; the most, 8, on 08/03/2026."
        ));
    }
}
