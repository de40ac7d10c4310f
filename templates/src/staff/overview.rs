//! The dashboard's campaign list (`/manage`) and a campaign's overview
//! (`/manage/campaigns/{c}`): every unit the reader may read with its quota, responses
//! and pace, the counts per status, filters, sortable columns, and the units whose
//! status changed since the reader's last visit.

use std::sync::LazyLock;

use chrono::{NaiveDate, NaiveDateTime};
use maud::{Markup, html};

use super::{CSS, StaffNav, StatusBadge, status_label};
use crate::Lang;
use crate::format::{count, date, percent};
use crate::layout::{Card, Kind, Shell, Tone};

/// The statuses from worst to best: the order of the counts and of the default sort.
pub const STATUSES: [&str; 4] = ["at_risk", "behind", "on_track", "met"];

/// The overview's own CSS after the staff pages'.
static OVERVIEW_CSS: LazyLock<String> = LazyLock::new(|| {
    [
        CSS,
        ".counts{display:flex;flex-wrap:wrap;gap:.5rem;list-style:none;margin:0;padding:0}",
        ".counts a{display:inline-block;min-height:44px;padding:.5rem .75rem;background:#fff;border:1px solid #d5d8dc;border-radius:6px;text-decoration:none}",
        ".counts a[aria-current]{border:3px solid #0b3a6e}",
        ".counts strong{font-size:1.25rem;margin-left:.25rem;color:#1b1b1b}",
        ".filters{display:flex;flex-wrap:wrap;gap:0 1rem;align-items:flex-end}",
        ".filters div{flex:1 1 9rem}.filters select{width:100%}",
        // Headers and figures wrap between words only; a unit's name or code anywhere.
        ".ov th,.ov td{overflow-wrap:normal}.ov td.unit{overflow-wrap:anywhere}.ov td.num{white-space:nowrap}",
        ".filters p{margin:.75rem 0 0}",
        ".t th a{color:#0b3a6e;display:inline-block;min-height:24px}",
        "progress{display:block;width:100%;max-width:8rem;height:.75rem;margin:.25rem 0 0}",
        ".short{font-weight:700;color:#b3261e}",
        ".alerts{margin:0;padding-left:1.25rem}.alerts li{margin:.25rem 0}",
        ".t td.unit small{display:block;color:#4a4f57}",
        ".totals{display:flex;flex-wrap:wrap;gap:.5rem 2rem;margin:0}.totals dt{color:#4a4f57;font-size:.9375rem}.totals dd{margin:0;font-size:1.25rem;font-weight:700}",
        "details.ovr{text-align:left;white-space:normal;font-size:.875rem}details.ovr summary{cursor:pointer;min-height:24px}details.ovr small{display:block;color:#4a4f57;max-width:16rem}",
        "a.btn{display:inline-block;text-decoration:none}",
        ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
        "@media (max-width:40rem){progress{display:inline-block;width:6rem;margin:0 0 0 .5rem}.t td.unit small{display:inline}}",
    ]
    .concat()
});

/// The page's CSS: the staff pages' and the overview's (also the digest's).
pub fn css() -> &'static str {
    OVERVIEW_CSS.as_str()
}

/// A value and its label, for a select.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// A campaign in the dashboard's list, with what its reader may read of it.
#[derive(Debug, Clone)]
pub struct CampaignLine {
    pub code: String,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// `draft`, `open`, `closed` or `published`.
    pub status: String,
    pub is_demo: bool,
    /// Counted responses of the reader's units.
    pub responses: u64,
    /// The reader's units with a quota, and those at risk.
    pub units: usize,
    pub at_risk: usize,
}

#[derive(Debug, Clone)]
pub struct CampaignsView {
    pub lang: Lang,
    pub nav: StaffNav,
    pub campaigns: Vec<CampaignLine>,
    /// The reader may create a campaign (a province-wide manager).
    pub may_create: bool,
    /// `Some(url)` when the public URL is loopback or private: posters would not work.
    pub public_url_warning: Option<String>,
}

pub const CAMPAIGNS_PATH: &str = "/manage";

/// `?lang=en` in English, nothing in Vietnamese (the default).
fn lang_query(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "",
        Lang::En => "?lang=en",
    }
}

/// The campaigns, each with links to its overview and digest.
pub fn campaigns_page(view: &CampaignsView) -> Markup {
    let lang = view.lang;
    let vi = lang == Lang::Vi;
    let q = lang_query(lang);
    let heads: [&str; 6] = if vi {
        [
            "Đợt khảo sát",
            "Thời gian",
            "Trạng thái",
            "Phiếu được tính",
            "Đơn vị nguy cơ không đạt",
            "Xem",
        ]
    } else {
        [
            "Campaign",
            "Period",
            "Status",
            "Counted responses",
            "Units at risk",
            "Open",
        ]
    };
    let body = html! {
        h1 { (if vi { "Các đợt khảo sát" } else { "Campaigns" }) }
        @if let Some(url) = &view.public_url_warning {
            (super::posters::PublicUrlWarning { lang, public_url: url })
        }
        @if view.may_create {
            p { a.btn.btn-main href={ (super::round::NEW_PATH) (q) } { (if vi { "Tạo đợt khảo sát mới" } else { "New campaign" }) } }
        }
        p.cap {
            (if vi {
                "Số liệu của các đơn vị bạn được xem; tiến độ tính theo ngày giờ Việt Nam (UTC+7)."
            } else {
                "Figures of the units you may read; the pace follows Vietnam's days (UTC+7)."
            })
        }
        @if view.campaigns.is_empty() {
            (Card::new(html! { p.cap { (if vi { "Chưa có đợt khảo sát nào." } else { "No campaign yet." }) } }))
        } @else {
            table.t.ov {
                thead { tr { @for h in heads { th scope="col" { (h) } } } }
                tbody {
                    @for c in &view.campaigns {
                        tr {
                            td data-label=(heads[0]) {
                                a href={ "/manage/campaigns/" (c.code) (q) } { (c.name) }
                                small { " " code { (c.code) } }
                                @if c.is_demo { " " strong { "(demo)" } }
                            }
                            td data-label=(heads[1]) { (date(c.starts_on)) " – " (date(c.ends_on)) }
                            td data-label=(heads[2]) { (crate::i18n::campaign_status(lang, &c.status)) }
                            td.num data-label=(heads[3]) { (count(lang, c.responses)) }
                            td.num data-label=(heads[4]) {
                                (count(lang, c.at_risk as u64)) " / " (count(lang, c.units as u64))
                            }
                            td data-label=(heads[5]) {
                                a href={ "/manage/campaigns/" (c.code) (q) } { (if vi { "Tiến độ" } else { "Overview" }) }
                                " · "
                                a href={ "/manage/campaigns/" (c.code) "/digest" (q) } { (if vi { "Bản tin ngày" } else { "Daily digest" }) }
                            }
                        }
                    }
                }
            }
        }
    };
    super::page(
        Shell {
            lang,
            title: if vi {
                "Các đợt khảo sát — SIPAS"
            } else {
                "Campaigns — SIPAS"
            },
            path: Some(CAMPAIGNS_PATH),
            kind: Kind::Wide,
            css: Some(css()),
            ..Shell::default()
        },
        &view.nav,
        body,
    )
}

/// The campaign a page is about.
#[derive(Debug, Clone)]
pub struct CampaignHead {
    pub code: String,
    pub name: String,
    pub status: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub is_demo: bool,
}

/// A unit whose status changed.
#[derive(Debug, Clone)]
pub struct AlertLine {
    pub code: String,
    pub name: String,
    pub from: String,
    pub to: String,
}

/// What changed since the reader's last visit.
#[derive(Debug, Clone)]
pub enum Alerts {
    /// Their first visit to this campaign: nothing to compare with.
    FirstVisit,
    /// The changes since what they saw at `seen_at` (local time), worst first.
    Since {
        seen_at: NaiveDateTime,
        changes: Vec<AlertLine>,
    },
}

/// One unit of the overview.
#[derive(Debug, Clone)]
pub struct UnitLine {
    pub code: String,
    pub name: String,
    /// The unit type's name in the page's language.
    pub unit_type: String,
    pub quota: u64,
    pub responses: u64,
    /// `responses / quota`.
    pub progress: f64,
    pub expected_by_today: f64,
    pub projected_at_end: f64,
    /// `quota − projected`, rounded up, at least 0.
    pub short_by: u64,
    pub status: String,
    /// Why a manager overrode the quota; `None`: it is the frame's.
    pub quota_override: Option<String>,
    /// The page that overrides the quota, for a reader who may change it.
    pub quota_href: Option<String>,
}

/// What the reader asked for: the page's filters and order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverviewFilter {
    pub unit_type: Option<String>,
    pub parent: Option<String>,
    pub status: Option<String>,
    /// A sort key (`unit`, `type`, `quota`, `responses`, `progress`, `expected`,
    /// `projected`, `short_by`, `status`); `None`: the default (status, worst first).
    pub sort: Option<String>,
    /// `asc` or `desc`.
    pub desc: bool,
}

impl OverviewFilter {
    /// The overview's URL with these filters, in `lang`.
    pub fn href(&self, campaign: &str, lang: Lang) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("unit_type", &self.unit_type),
            ("parent", &self.parent),
            ("status", &self.status),
            ("sort", &self.sort),
        ] {
            if let Some(value) = value {
                query.append_pair(key, value);
            }
        }
        if self.sort.is_some() && self.desc {
            query.append_pair("dir", "desc");
        }
        if lang == Lang::En {
            query.append_pair("lang", "en");
        }
        let query = query.finish();
        let path = format!("/manage/campaigns/{campaign}");
        if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        }
    }

    /// The same filters with another status (`None`: every status).
    fn with_status(&self, status: Option<&str>) -> OverviewFilter {
        OverviewFilter {
            status: status.map(str::to_owned),
            ..self.clone()
        }
    }

    /// The key the rows are sorted by.
    fn sort_key(&self) -> &str {
        self.sort.as_deref().unwrap_or("status")
    }

    /// The link of a column's header: sorted by it, ascending, or the other way when it
    /// already is.
    fn sorted_by(&self, key: &str) -> OverviewFilter {
        let current = self.sort_key() == key;
        OverviewFilter {
            sort: Some(key.to_owned()),
            desc: current && !self.desc,
            ..self.clone()
        }
    }
}

#[derive(Debug, Clone)]
pub struct OverviewView {
    pub lang: Lang,
    pub nav: StaffNav,
    pub campaign: CampaignHead,
    /// The day the pace is as of.
    pub today: NaiveDate,
    pub alerts: Alerts,
    /// Units per status of the type and parent filters, in [`STATUSES`] order.
    pub counts: [usize; 4],
    /// The reader's units with a quota, whatever the filters.
    pub readable_units: usize,
    pub filter: OverviewFilter,
    pub unit_types: Vec<Choice>,
    pub parents: Vec<Choice>,
    pub rows: Vec<UnitLine>,
}

struct Text {
    columns: [&'static str; 9],
    sort_keys: [&'static str; 9],
    alerts_title: &'static str,
    first_visit: &'static str,
    no_change: &'static str,
    since: &'static str,
    by_status: &'static str,
    all: &'static str,
    filters: &'static str,
    unit_type: &'static str,
    parent: &'static str,
    status: &'static str,
    sort: &'static str,
    direction: &'static str,
    ascending: &'static str,
    descending: &'static str,
    any_type: &'static str,
    any_parent: &'static str,
    any_status: &'static str,
    apply: &'static str,
    clear: &'static str,
    units: &'static str,
    none: &'static str,
    nothing_readable: &'static str,
    as_of: &'static str,
    pace_note: &'static str,
    default_order: &'static str,
    digest: &'static str,
    league: &'static str,
    change_quota: &'static str,
}

const VI: Text = Text {
    columns: [
        "Đơn vị",
        "Loại",
        "Chỉ tiêu",
        "Phiếu",
        "Tiến độ",
        "Cần có đến hôm nay",
        "Dự kiến cuối đợt",
        "Còn thiếu",
        "Trạng thái",
    ],
    sort_keys: [
        "unit",
        "type",
        "quota",
        "responses",
        "progress",
        "expected",
        "projected",
        "short_by",
        "status",
    ],
    alerts_title: "Thay đổi từ lần xem trước",
    first_visit: "Đây là lần đầu bạn xem đợt khảo sát này: chưa có gì để so sánh. Lần sau, các đơn vị đổi trạng thái sẽ hiện ở đây.",
    no_change: "Không có đơn vị nào đổi trạng thái từ lần xem trước của bạn",
    since: "Từ lần xem trước của bạn",
    by_status: "Số đơn vị theo trạng thái",
    all: "Tất cả",
    filters: "Lọc và sắp xếp",
    unit_type: "Loại đơn vị",
    parent: "Thuộc đơn vị",
    status: "Trạng thái",
    sort: "Sắp xếp theo",
    direction: "Chiều sắp xếp",
    ascending: "Tăng dần",
    descending: "Giảm dần",
    any_type: "Tất cả các loại",
    any_parent: "Tất cả đơn vị",
    any_status: "Tất cả trạng thái",
    apply: "Áp dụng",
    clear: "Bỏ lọc",
    units: "đơn vị",
    none: "Không có đơn vị nào khớp với bộ lọc.",
    nothing_readable: "Bạn không được xem đơn vị nào có chỉ tiêu trong đợt khảo sát này.",
    as_of: "Tiến độ tính đến hết ngày",
    pace_note: "“Cần có đến hôm nay”: chỉ tiêu chia đều theo số ngày của đợt. “Dự kiến cuối đợt”: số phiếu đến cuối đợt nếu giữ nhịp độ hiện nay. “Còn thiếu”: chỉ tiêu trừ dự kiến.",
    default_order: "Mặc định: đơn vị có nguy cơ trước, thiếu nhiều trước.",
    digest: "Bản tin ngày",
    league: "Bảng xếp hạng PAR",
    change_quota: "điều chỉnh chỉ tiêu của",
};

const EN: Text = Text {
    columns: [
        "Unit",
        "Type",
        "Quota",
        "Responses",
        "Progress",
        "Expected by today",
        "Projected at the end",
        "Short by",
        "Status",
    ],
    sort_keys: VI.sort_keys,
    alerts_title: "Changes since your last visit",
    first_visit: "This is your first visit to this campaign: there is nothing to compare with yet. Next time, the units whose status changed will be listed here.",
    no_change: "No unit changed status since your last visit",
    since: "Since your last visit",
    by_status: "Units by status",
    all: "All",
    filters: "Filter and sort",
    unit_type: "Unit type",
    parent: "Under unit",
    status: "Status",
    sort: "Sort by",
    direction: "Order",
    ascending: "Ascending",
    descending: "Descending",
    any_type: "Every type",
    any_parent: "Every unit",
    any_status: "Every status",
    apply: "Apply",
    clear: "Clear filters",
    units: "units",
    none: "No unit matches the filters.",
    nothing_readable: "You may read no unit with a quota in this campaign.",
    as_of: "Pace as of the end of",
    pace_note: "“Expected by today”: the quota spread evenly over the campaign's days. “Projected at the end”: the responses at the end if the pace so far goes on. “Short by”: the quota minus the projection.",
    default_order: "Default: units at risk first, the furthest behind first.",
    digest: "Daily digest",
    league: "PAR league",
    change_quota: "change the quota of",
};

fn text(lang: Lang) -> &'static Text {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

/// The campaign's heading: the page's title, then the campaign's name (unless it is the
/// title), code, dates and status.
pub(crate) fn campaign_heading(lang: Lang, campaign: &CampaignHead, title: &str) -> Markup {
    html! {
        h1 { (title) }
        p.cap {
            @if title != campaign.name { (campaign.name) " · " }
            code { (campaign.code) } " · "
            (date(campaign.starts_on)) " – " (date(campaign.ends_on)) " · "
            (crate::i18n::campaign_status(lang, &campaign.status))
        }
    }
}

/// A status change: "Xã X: Đúng tiến độ → Nguy cơ không đạt".
pub(crate) fn change_line(lang: Lang, href: &str, name: &str, from: &str, to: &str) -> Markup {
    let arrow = if lang == Lang::Vi {
        "chuyển thành"
    } else {
        "became"
    };
    html! {
        a href=(href) { (name) } ": "
        (StatusBadge { lang, status: from })
        " " span aria-hidden="true" { "→" } span.sr { " " (arrow) " " } " "
        (StatusBadge { lang, status: to })
    }
}

/// A whole number as the reader writes it, from a rounded share or count.
fn whole(lang: Lang, x: f64) -> String {
    count(lang, x.round().max(0.0) as u64)
}

/// A campaign's overview.
pub fn overview_page(view: &OverviewView) -> Markup {
    let lang = view.lang;
    let t = text(lang);
    let c = &view.campaign;
    let q = lang_query(lang);
    let unit_href = |code: &str| format!("/manage/campaigns/{}/units/{code}{q}", c.code);
    let total: usize = view.counts.iter().sum();
    let alerts = match &view.alerts {
        Alerts::FirstVisit => Card::new(html! {
            h2 { (t.alerts_title) }
            p.cap { (t.first_visit) }
        }),
        Alerts::Since { seen_at, changes } if changes.is_empty() => Card::toned(
            Tone::Ok,
            html! {
                h2 { (t.alerts_title) }
                p.cap { (t.no_change) " (" (seen_at.format("%d/%m/%Y %H:%M")) ")." }
            },
        ),
        Alerts::Since { seen_at, changes } => Card::toned(
            Tone::Warn,
            html! {
                h2 { (t.alerts_title) }
                p.cap { (t.since) " (" (seen_at.format("%d/%m/%Y %H:%M")) "):" }
                ul.alerts {
                    @for a in changes {
                        li { (change_line(lang, &unit_href(&a.code), &a.name, &a.from, &a.to)) }
                    }
                }
            },
        ),
    };
    let sort_key = view.filter.sort_key();
    let header = |i: usize| {
        let key = t.sort_keys[i];
        let sorted = sort_key == key;
        let aria = sorted.then_some(if view.filter.desc {
            "descending"
        } else {
            "ascending"
        });
        let arrow = match (sorted, view.filter.desc) {
            (false, _) => "",
            (true, false) => " ▲",
            (true, true) => " ▼",
        };
        let num = (2..=7).contains(&i);
        html! {
            th scope="col" class=[num.then_some("num")] aria-sort=[aria] {
                a href=(view.filter.sorted_by(key).href(&c.code, lang)) {
                    (t.columns[i]) span aria-hidden="true" { (arrow) }
                }
            }
        }
    };
    let body = html! {
        (campaign_heading(lang, c, &c.name))
        p.cap {
            (t.as_of) " " (date(view.today)) " · "
            a href={ "/manage/campaigns/" (c.code) "/digest" (q) } { (t.digest) }
            " · "
            a href={ "/manage/campaigns/" (c.code) "/league" (q) } { (t.league) }
        }
        (alerts)
        h2 #by-status { (t.by_status) }
        ul.counts aria-labelledby="by-status" {
            li {
                a href=(view.filter.with_status(None).href(&c.code, lang))
                    aria-current=[view.filter.status.is_none().then_some("true")] {
                    (t.all) strong { (count(lang, total as u64)) }
                }
            }
            @for (status, n) in STATUSES.iter().zip(view.counts) {
                li {
                    a href=(view.filter.with_status(Some(status)).href(&c.code, lang))
                        aria-current=[(view.filter.status.as_deref() == Some(*status)).then_some("true")] {
                        (StatusBadge { lang, status }) strong { (count(lang, n as u64)) }
                    }
                }
            }
        }
        h2 { (t.filters) }
        form.filters method="get" action={ "/manage/campaigns/" (c.code) } {
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            div {
                label for="f-type" { (t.unit_type) }
                select #f-type name="unit_type" {
                    option value="" { (t.any_type) }
                    @for choice in &view.unit_types {
                        option value=(choice.value) selected[view.filter.unit_type.as_ref() == Some(&choice.value)] { (choice.label) }
                    }
                }
            }
            @if !view.parents.is_empty() {
                div {
                    label for="f-parent" { (t.parent) }
                    select #f-parent name="parent" {
                        option value="" { (t.any_parent) }
                        @for choice in &view.parents {
                            option value=(choice.value) selected[view.filter.parent.as_ref() == Some(&choice.value)] { (choice.label) }
                        }
                    }
                }
            }
            div {
                label for="f-status" { (t.status) }
                select #f-status name="status" {
                    option value="" { (t.any_status) }
                    @for status in STATUSES {
                        option value=(status) selected[view.filter.status.as_deref() == Some(status)] { (status_label(lang, status)) }
                    }
                }
            }
            div {
                label for="f-sort" { (t.sort) }
                select #f-sort name="sort" {
                    @for (key, label) in t.sort_keys.iter().zip(t.columns) {
                        option value=(key) selected[sort_key == *key] { (label) }
                    }
                }
            }
            div {
                label for="f-dir" { (t.direction) }
                select #f-dir name="dir" {
                    option value="asc" selected[!view.filter.desc] { (t.ascending) }
                    option value="desc" selected[view.filter.desc] { (t.descending) }
                }
            }
            p {
                button.btn-main type="submit" { (t.apply) } " "
                a href={ "/manage/campaigns/" (c.code) (q) } { (t.clear) }
            }
        }
        p.note { (t.default_order) " " (t.pace_note) }
        @if view.readable_units == 0 {
            (Card::new(html! { p.cap { (t.nothing_readable) } }))
        } @else if view.rows.is_empty() {
            (Card::new(html! { p.cap { (t.none) } }))
        } @else {
            table.t.ov {
                caption.sr { (c.name) ": " (count(lang, view.rows.len() as u64)) " " (t.units) }
                thead { tr { @for i in 0..9 { (header(i)) } } }
                tbody {
                    @for r in &view.rows {
                        tr {
                            td.unit data-label=(t.columns[0]) {
                                a href=(unit_href(&r.code)) { (r.name) }
                                " " small { (r.code) }
                            }
                            td data-label=(t.columns[1]) { (r.unit_type) }
                            td.num data-label=(t.columns[2]) {
                                @if let Some(href) = &r.quota_href {
                                    a href=(href) aria-label={ (count(lang, r.quota)) " — " (t.change_quota) " " (r.name) } {
                                        (count(lang, r.quota))
                                    }
                                } @else {
                                    (count(lang, r.quota))
                                }
                                @if let Some(reason) = &r.quota_override {
                                    (super::round::override_marker(lang, reason))
                                }
                            }
                            td.num data-label=(t.columns[3]) { (count(lang, r.responses)) }
                            td.num data-label=(t.columns[4]) {
                                (percent(lang, r.progress))
                                progress max="1" value=(r.progress.clamp(0.0, 1.0)) aria-hidden="true" {}
                            }
                            td.num data-label=(t.columns[5]) { (whole(lang, r.expected_by_today)) }
                            td.num data-label=(t.columns[6]) { (whole(lang, r.projected_at_end)) }
                            td.num data-label=(t.columns[7]) {
                                @if r.short_by > 0 {
                                    span.short { (count(lang, r.short_by)) }
                                } @else { "0" }
                            }
                            td data-label=(t.columns[8]) { (StatusBadge { lang, status: &r.status }) }
                        }
                    }
                }
            }
        }
    };
    super::page(
        Shell {
            lang,
            title: &format!(
                "{} — {}",
                if lang == Lang::Vi {
                    "Tiến độ"
                } else {
                    "Overview"
                },
                c.name
            ),
            path: Some(&format!("/manage/campaigns/{}", c.code)),
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

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn view(lang: Lang, filter: OverviewFilter) -> OverviewView {
        OverviewView {
            lang,
            nav: StaffNav::default(),
            campaign: CampaignHead {
                code: "HT-2026".into(),
                name: "Khảo sát 2026".into(),
                status: "open".into(),
                starts_on: day(1),
                ends_on: day(31),
                is_demo: false,
            },
            today: day(9),
            alerts: Alerts::Since {
                seen_at: day(8).and_hms_opt(7, 45, 0).unwrap(),
                changes: vec![AlertLine {
                    code: "18100".into(),
                    name: "Xã <b>Một</b>".into(),
                    from: "on_track".into(),
                    to: "at_risk".into(),
                }],
            },
            counts: [2, 1, 0, 3],
            readable_units: 6,
            filter,
            unit_types: vec![Choice {
                value: "commune".into(),
                label: "Cấp xã".into(),
            }],
            parents: vec![],
            rows: vec![UnitLine {
                code: "18100".into(),
                name: "Xã <b>Một</b>".into(),
                unit_type: "Cấp xã".into(),
                quota: 1234,
                responses: 300,
                progress: 0.243_11,
                expected_by_today: 358.06,
                projected_at_end: 1033.3,
                short_by: 201,
                status: "at_risk".into(),
                quota_override: Some("Xã mới <sáp nhập>".into()),
                quota_href: Some("/manage/campaigns/HT-2026/quotas/18100".into()),
            }],
        }
    }

    #[test]
    fn links_keep_the_filters_and_the_language() {
        let filter = OverviewFilter {
            unit_type: Some("commune".into()),
            status: Some("at_risk".into()),
            sort: Some("responses".into()),
            desc: true,
            ..Default::default()
        };
        assert_eq!(
            filter.href("HT-2026", Lang::En),
            "/manage/campaigns/HT-2026?unit_type=commune&status=at_risk&sort=responses&dir=desc&lang=en"
        );
        assert_eq!(
            OverviewFilter::default().href("HT-2026", Lang::Vi),
            "/manage/campaigns/HT-2026"
        );
        let html = overview_page(&view(Lang::En, filter)).into_string();
        // The sorted column says so and its link turns the order around; another
        // column's link sorts by it, ascending, keeping the filters.
        assert!(html.contains(r#"aria-sort="descending"><a href="/manage/campaigns/HT-2026?unit_type=commune&amp;status=at_risk&amp;sort=responses&amp;lang=en">"#), "{html}");
        assert!(html.contains(r#"<th scope="col" class="num"><a href="/manage/campaigns/HT-2026?unit_type=commune&amp;status=at_risk&amp;sort=quota&amp;lang=en">"#));
        assert_eq!(html.matches("aria-sort=").count(), 1);
        // Counts link to their status, the current one marked.
        assert!(html.contains(r#"href="/manage/campaigns/HT-2026?unit_type=commune&amp;status=met&amp;sort=responses&amp;dir=desc&amp;lang=en""#));
        assert!(html.contains(
            r#"status=at_risk&amp;sort=responses&amp;dir=desc&amp;lang=en" aria-current="true""#
        ));
        assert!(html.contains(r#"<option value="commune" selected>Cấp xã</option>"#));
        assert!(html.contains(r#"<input type="hidden" name="lang" value="en">"#));
    }

    #[test]
    fn figures_in_the_readers_form_and_names_escaped() {
        let html = overview_page(&view(Lang::Vi, OverviewFilter::default())).into_string();
        assert!(html.contains("24,31\u{a0}%"), "progress as a percentage");
        assert!(html.contains(">1.234<") && html.contains(">358<") && html.contains(">1.033<"));
        assert!(html.contains(r#"<span class="short">201</span>"#));
        assert!(html.contains(
            r#"<a href="/manage/campaigns/HT-2026/quotas/18100" aria-label="1.234 — điều chỉnh chỉ tiêu của Xã &lt;b&gt;Một&lt;/b&gt;">1.234</a>"#
        ));
        assert!(html.contains("✎ </span>điều chỉnh") && html.contains("Xã mới &lt;sáp nhập&gt;"));
        assert!(html.contains("Xã &lt;b&gt;Một&lt;/b&gt;") && !html.contains("<b>Một"));
        assert!(
            html.contains("08/03/2026 07:45"),
            "when the baseline was seen"
        );
        assert!(html.contains("Đúng tiến độ") && html.contains("Nguy cơ không đạt"));
        // The default order is the status column's, ascending.
        assert!(html.contains(
            r#"aria-sort="ascending"><a href="/manage/campaigns/HT-2026?sort=status&amp;dir=desc">"#
        ));
        assert!(html.contains(r#"<progress max="1" value="0.24311" aria-hidden="true">"#));
        assert!(html.contains("Tất cả<strong>6</strong>"));
        let english = overview_page(&view(Lang::En, OverviewFilter::default())).into_string();
        assert!(english.contains("24.31\u{a0}%") && english.contains(">1,234<"));
        assert!(english.contains("Projected at the end") && english.contains("At risk"));
        assert!(!english.contains("Nguy cơ"));
    }

    #[test]
    fn a_first_visit_says_so() {
        let mut v = view(Lang::En, OverviewFilter::default());
        v.alerts = Alerts::FirstVisit;
        let html = overview_page(&v).into_string();
        assert!(html.contains("your first visit"));
        v.alerts = Alerts::Since {
            seen_at: day(8).and_hms_opt(7, 45, 0).unwrap(),
            changes: vec![],
        };
        let html = overview_page(&v).into_string();
        assert!(html.contains("No unit changed status since your last visit (08/03/2026 07:45)"));
        v.rows.clear();
        assert!(
            overview_page(&v)
                .into_string()
                .contains("No unit matches the filters.")
        );
        v.readable_units = 0;
        assert!(
            overview_page(&v)
                .into_string()
                .contains("You may read no unit with a quota in this campaign.")
        );
    }

    #[test]
    fn the_campaign_list_links_each_campaign() {
        let html = campaigns_page(&CampaignsView {
            lang: Lang::En,
            nav: StaffNav::default(),
            may_create: true,
            campaigns: vec![CampaignLine {
                code: "DEMO-2021".into(),
                name: "Khảo sát 2021".into(),
                starts_on: day(1),
                ends_on: day(31),
                status: "closed".into(),
                is_demo: true,
                responses: 59_329,
                units: 244,
                at_risk: 114,
            }],
            public_url_warning: None,
        })
        .into_string();
        assert!(html.contains(r#"href="/manage/campaigns/DEMO-2021?lang=en""#));
        assert!(html.contains(r#"href="/manage/campaigns/DEMO-2021/digest?lang=en""#));
        assert!(html.contains(r#"href="/manage/campaigns/new?lang=en">New campaign<"#));
        assert!(html.contains("01/03/2026 – 31/03/2026") && html.contains(">Closed<"));
        assert!(html.contains(">59,329<") && html.contains("114 / 244"));
        assert!(!html.contains("SIPAS_PUBLIC_URL"));
    }
}
