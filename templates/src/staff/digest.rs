//! The daily digest (`/manage/campaigns/{c}/digest?day=dd/mm/yyyy`): one day of a
//! campaign for the reader's units — the responses received that day, each unit's total
//! at the end of the day and its status at the end of the day before and of that day,
//! the units whose status changed (worst first), and the day's totals.

use chrono::NaiveDate;
use maud::{Markup, html};

use super::StaffNav;
use super::StatusBadge;
use super::overview::{CampaignHead, campaign_heading, change_line, css};
use crate::Lang;
use crate::format::{count, date, percent};
use crate::layout::{Card, Kind, Shell, Tone};

/// One unit on the day.
#[derive(Debug, Clone)]
pub struct DigestLine {
    pub code: String,
    pub name: String,
    pub quota: u64,
    pub received: u64,
    pub total: u64,
    /// The status at the end of the day before.
    pub before: String,
    /// The status at the end of the day.
    pub after: String,
}

/// What the page shows.
#[derive(Debug, Clone)]
pub enum DigestBody {
    /// The campaign has not started: no day to show.
    NotStarted,
    Day {
        day: NaiveDate,
        /// Every unit, worst status at the end of the day first.
        rows: Vec<DigestLine>,
        /// Indexes into `rows` of the units whose status changed, worst first.
        changed: Vec<usize>,
        received: u64,
        total: u64,
        quota: u64,
        previous_day: Option<NaiveDate>,
        next_day: Option<NaiveDate>,
        /// The first and last days with a digest (for the date field).
        first_day: NaiveDate,
        last_day: NaiveDate,
    },
}

#[derive(Debug, Clone)]
pub struct DigestView {
    pub lang: Lang,
    pub nav: StaffNav,
    pub campaign: CampaignHead,
    pub body: DigestBody,
}

struct Text {
    title: &'static str,
    not_started: &'static str,
    received: &'static str,
    total: &'static str,
    changed: &'static str,
    no_change: &'static str,
    changed_title: &'static str,
    units_title: &'static str,
    columns: [&'static str; 6],
    previous: &'static str,
    next: &'static str,
    pick: &'static str,
    show: &'static str,
    days: &'static str,
    of_quota: &'static str,
    overview: &'static str,
    that_day: &'static str,
    none: &'static str,
}

const VI: Text = Text {
    title: "Bản tin ngày",
    not_started: "Đợt khảo sát chưa bắt đầu: chưa có bản tin nào.",
    received: "Phiếu nhận trong ngày",
    total: "Tổng số phiếu cuối ngày",
    changed: "Đơn vị đổi trạng thái",
    no_change: "Không có đơn vị nào đổi trạng thái trong ngày.",
    changed_title: "Đơn vị đổi trạng thái trong ngày",
    units_title: "Từng đơn vị",
    columns: [
        "Đơn vị",
        "Chỉ tiêu",
        "Nhận trong ngày",
        "Tổng cuối ngày",
        "Cuối ngày trước",
        "Cuối ngày",
    ],
    previous: "Ngày trước",
    next: "Ngày sau",
    pick: "Chọn ngày",
    show: "Xem",
    days: "Ngày tính theo giờ Việt Nam (UTC+7), từ 00:00 đến 24:00. Trạng thái cuối ngày tính theo nhịp độ đến hết ngày đó; chỉ tính phiếu hợp lệ như trong điểm số (không tính phiếu bị loại).",
    of_quota: "chỉ tiêu",
    overview: "Tiến độ hiện nay",
    that_day: "phiếu trong ngày",
    none: "Bạn chưa được xem đơn vị nào có chỉ tiêu trong đợt này.",
};

const EN: Text = Text {
    title: "Daily digest",
    not_started: "The campaign has not started: there is no digest yet.",
    received: "Responses received that day",
    total: "Responses at the end of the day",
    changed: "Units that changed status",
    no_change: "No unit changed status that day.",
    changed_title: "Units that changed status that day",
    units_title: "Every unit",
    columns: [
        "Unit",
        "Quota",
        "Received that day",
        "Total at the end of the day",
        "End of the day before",
        "End of the day",
    ],
    previous: "Previous day",
    next: "Next day",
    pick: "Pick a day",
    show: "Show",
    days: "Days are Vietnam's (UTC+7), from 00:00 to 24:00. A status at the end of a day is the pace as of that day; only responses the scores count (not excluded ones) are counted.",
    of_quota: "of the quota",
    overview: "Overview now",
    that_day: "that day",
    none: "You may read no unit with a quota in this campaign.",
};

/// The digest's URL for a day.
pub fn href(campaign: &str, day: NaiveDate, lang: Lang) -> String {
    let lang = match lang {
        Lang::Vi => "",
        Lang::En => "&lang=en",
    };
    format!(
        "/manage/campaigns/{campaign}/digest?day={}{lang}",
        date(day)
    )
}

pub fn digest_page(view: &DigestView) -> Markup {
    let lang = view.lang;
    let t = match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    };
    let c = &view.campaign;
    let q = match lang {
        Lang::Vi => "",
        Lang::En => "?lang=en",
    };
    let unit_href = |code: &str| format!("/manage/campaigns/{}/units/{code}{q}", c.code);
    let content = match &view.body {
        DigestBody::NotStarted => html! {
            (campaign_heading(lang, c, t.title))
            (Card::new(html! { p.cap { (t.not_started) } }))
        },
        DigestBody::Day {
            day,
            rows,
            changed,
            received,
            total,
            quota,
            previous_day,
            next_day,
            first_day,
            last_day,
        } => html! {
            (campaign_heading(lang, c, &format!("{} {}", t.title, date(*day))))
            nav aria-label=(t.pick) {
                p {
                    @if let Some(d) = previous_day {
                        a href=(href(&c.code, *d, lang)) { "← " (t.previous) " (" (date(*d)) ")" }
                    }
                    @if previous_day.is_some() && next_day.is_some() { " · " }
                    @if let Some(d) = next_day {
                        a href=(href(&c.code, *d, lang)) { (t.next) " (" (date(*d)) ") →" }
                    }
                    " · " a href={ "/manage/campaigns/" (c.code) (q) } { (t.overview) }
                }
                form.filters method="get" action={ "/manage/campaigns/" (c.code) "/digest" } {
                    @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                    div {
                        label for="d-day" { (t.pick) " (dd/mm/yyyy)" }
                        input #d-day type="text" name="day" value=(date(*day)) inputmode="numeric"
                            pattern="[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}" aria-describedby="d-range" autocomplete="off";
                        p.note #d-range { (date(*first_day)) " – " (date(*last_day)) }
                    }
                    p { button.btn-main type="submit" { (t.show) } }
                }
            }
            (Card::toned(if changed.is_empty() { Tone::Plain } else { Tone::Warn }, html! {
                dl.totals {
                    div { dt { (t.received) } dd { (count(lang, *received)) } }
                    div {
                        dt { (t.total) }
                        dd {
                            (count(lang, *total)) " / " (count(lang, *quota)) " " (t.of_quota)
                            @if *quota > 0 { " (" (percent(lang, *total as f64 / *quota as f64)) ")" }
                        }
                    }
                    div { dt { (t.changed) } dd { (count(lang, changed.len() as u64)) } }
                }
            }))
            h2 { (t.changed_title) }
            @if changed.is_empty() {
                p.cap { (t.no_change) }
            } @else {
                ul.alerts {
                    @for &i in changed {
                        @let r = &rows[i];
                        li {
                            (change_line(lang, &unit_href(&r.code), &r.name, &r.before, &r.after))
                            " (+" (count(lang, r.received)) " " (t.that_day) ")"
                        }
                    }
                }
            }
            h2 { (t.units_title) }
            @if rows.is_empty() {
                p.cap { (t.none) }
            } @else {
                table.t.ov {
                    thead { tr {
                        @for (i, h) in t.columns.iter().enumerate() {
                            th scope="col" class=[(1..=3).contains(&i).then_some("num")] { (h) }
                        }
                    } }
                    tbody {
                        @for r in rows {
                            tr {
                                td.unit data-label=(t.columns[0]) {
                                    a href=(unit_href(&r.code)) { (r.name) } " " small { (r.code) }
                                }
                                td.num data-label=(t.columns[1]) { (count(lang, r.quota)) }
                                td.num data-label=(t.columns[2]) { (count(lang, r.received)) }
                                td.num data-label=(t.columns[3]) { (count(lang, r.total)) }
                                td data-label=(t.columns[4]) { (StatusBadge { lang, status: &r.before }) }
                                td data-label=(t.columns[5]) { (StatusBadge { lang, status: &r.after }) }
                            }
                        }
                    }
                }
            }
            p.note { (t.days) }
        },
    };
    super::page(
        Shell {
            lang,
            title: &format!("{} — {}", t.title, c.name),
            path: Some(&format!("/manage/campaigns/{}/digest", c.code)),
            demo: c.is_demo,
            kind: Kind::Wide,
            css: Some(css()),
        },
        &view.nav,
        content,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn view(lang: Lang, body: DigestBody) -> DigestView {
        DigestView {
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
            body,
        }
    }

    fn line(code: &str, received: u64, before: &str, after: &str) -> DigestLine {
        DigestLine {
            code: code.into(),
            name: format!("Xã {code}"),
            quota: 100,
            received,
            total: 40 + received,
            before: before.into(),
            after: after.into(),
        }
    }

    fn a_day() -> DigestBody {
        DigestBody::Day {
            day: day(5),
            rows: vec![
                line("18101", 0, "behind", "at_risk"),
                line("18100", 12, "on_track", "on_track"),
            ],
            changed: vec![0],
            received: 12,
            total: 92,
            quota: 200,
            previous_day: Some(day(4)),
            next_day: Some(day(6)),
            first_day: day(1),
            last_day: day(8),
        }
    }

    #[test]
    fn a_day_with_its_changes_totals_and_neighbours() {
        let html = digest_page(&view(Lang::Vi, a_day())).into_string();
        assert!(html.contains("<h1>Bản tin ngày 05/03/2026</h1>"));
        assert!(html.contains(r#"href="/manage/campaigns/HT-2026/digest?day=04/03/2026""#));
        assert!(html.contains(r#"href="/manage/campaigns/HT-2026/digest?day=06/03/2026""#));
        assert!(html.contains("92 / 200 chỉ tiêu (46,00\u{a0}%)"));
        let changes = html.split(r#"<ul class="alerts">"#).nth(1).unwrap();
        let changes = &changes[..changes.find("</ul>").unwrap()];
        assert!(changes.contains("Xã 18101") && !changes.contains("Xã 18100"));
        assert!(changes.find("s-behind").unwrap() < changes.find("s-at_risk").unwrap());
        assert!(html.contains(r#"value="05/03/2026""#));
        assert!(html.contains("UTC+7"));
        let english = digest_page(&view(Lang::En, a_day())).into_string();
        assert!(english.contains(r#"digest?day=04/03/2026&amp;lang=en""#));
        assert!(english.contains("Received that day") && english.contains("46.00\u{a0}%"));
    }

    #[test]
    fn first_and_last_days_and_a_campaign_not_started() {
        let mut body = a_day();
        if let DigestBody::Day {
            previous_day,
            next_day,
            changed,
            ..
        } = &mut body
        {
            *previous_day = None;
            *next_day = None;
            changed.clear();
        }
        let html = digest_page(&view(Lang::En, body)).into_string();
        assert!(!html.contains("Previous day") && !html.contains("Next day"));
        assert!(html.contains("No unit changed status that day."));
        let html = digest_page(&view(Lang::En, DigestBody::NotStarted)).into_string();
        assert!(html.contains("has not started"));
    }
}
