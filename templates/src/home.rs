//! The service's front page: what it is and where to go next.

use maud::{Markup, html};

use crate::i18n::Lang;
use crate::layout::{self, Card, Column, Kind, Shell, Table};

/// The front page's path (the target of its language switch).
pub const PATH: &str = "/";

pub struct CampaignSummary {
    pub code: String,
    pub name: String,
    pub status: String,
    pub starts_on: String,
    pub ends_on: String,
    pub responses: u64,
    pub is_demo: bool,
}

pub struct HomeView {
    pub campaigns: Vec<CampaignSummary>,
    /// A survey link of the demo campaign, for trying the citizen's path.
    pub citizen_demo_url: Option<String>,
}

/// The front page's own CSS: the demo link drawn as a button, the demo mark in the table.
const CSS: &str = concat!(
    ".btn{display:inline-block;margin:1rem 0 0;padding:.75rem 1.25rem;border-radius:6px;background:#00703c;color:#fff;font-weight:700;text-decoration:none}",
    ".tag{color:#8a1c00;font-size:.8125rem}",
);

struct Text {
    title: &'static str,
    heading: &'static str,
    lead: &'static str,
    try_demo: &'static str,
    campaigns: &'static str,
    columns: [&'static str; 5],
    demo_tag: &'static str,
    no_campaign: &'static str,
    api_docs: &'static str,
    status: &'static str,
    dashboard: &'static str,
    dashboard_lead: &'static str,
}

const VI: Text = Text {
    title: "SIPAS — Khảo sát sự hài lòng",
    heading: "SIPAS — Chỉ số hài lòng về sự phục vụ hành chính",
    lead: "Khảo sát sự hài lòng của người dân, tổ chức đối với sự phục vụ của cơ quan hành chính nhà nước, phục vụ Chỉ số cải cách hành chính (PAR Index).",
    try_demo: "Thử khảo sát như người dân (demo)",
    campaigns: "Đợt khảo sát",
    columns: ["Mã", "Tên", "Thời gian", "Trạng thái", "Phiếu hợp lệ"],
    demo_tag: "DỮ LIỆU MINH HOẠ",
    no_campaign: "Chưa có đợt khảo sát nào. Tạo bằng API: ",
    api_docs: "Tài liệu API",
    status: "Trạng thái",
    dashboard: "Đăng nhập trang quản lý",
    dashboard_lead: "Cán bộ theo dõi tiến độ, điểm số và xuất dữ liệu của đơn vị mình.",
};

const EN: Text = Text {
    title: "SIPAS — Satisfaction survey",
    heading: "SIPAS — Satisfaction with public administrative services",
    lead: "Citizen satisfaction with public administrative services, for the PAR Index.",
    try_demo: "Try the survey as a citizen (demo)",
    campaigns: "Campaigns",
    columns: ["Code", "Name", "Period", "Status", "Valid responses"],
    demo_tag: "DEMO DATA",
    no_campaign: "No campaign yet. Create one with the API: ",
    api_docs: "API documentation",
    status: "Status",
    dashboard: "Log in to the dashboard",
    dashboard_lead: "Survey managers follow their units' progress, read the scores and export the data.",
};

/// The front page in Vietnamese, without a language switch.
pub fn page(view: &HomeView) -> Markup {
    page_in(Lang::Vi, None, view)
}

/// The front page in `lang`; `path` (normally [`PATH`]) shows the language switch, for a
/// handler that reads `?lang=`.
pub fn page_in(lang: Lang, path: Option<&str>, view: &HomeView) -> Markup {
    let t = match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    };
    let [code, name, period, status, valid] = t.columns;
    let columns = [
        Column::text(code),
        Column::text(name),
        Column::text(period),
        Column::text(status),
        Column::num(valid),
    ];
    let rows = view
        .campaigns
        .iter()
        .map(|c| {
            vec![
                html! { code { (c.code) } },
                html! { (c.name) @if c.is_demo { " " strong.tag { (t.demo_tag) } } },
                html! { (c.starts_on) " – " (c.ends_on) },
                html! { (crate::i18n::campaign_status(lang, &c.status)) },
                html! { (c.responses) },
            ]
        })
        .collect();
    let body = html! {
        (Card::new(html! {
            h1 { (t.heading) }
            p.note { (t.lead) }
            @if lang == Lang::Vi {
                p.note lang="en" { (EN.lead) }
            }
            @if let Some(url) = &view.citizen_demo_url {
                a.btn href=(url) { (t.try_demo) }
            }
        }))
        (Card::new(html! {
            p.cap {
                @if lang == Lang::Vi {
                    a href="/login" { (t.dashboard) }
                } @else {
                    a href={ "/login?lang=" (lang.code()) } { (t.dashboard) }
                }
            }
            p.note { (t.dashboard_lead) }
        }))
        h2 { (t.campaigns) }
        @if view.campaigns.is_empty() {
            p { (t.no_campaign) code { "POST /api/v1/campaigns" } }
        } @else {
            (Table { columns: &columns, rows })
        }
        h2 { "API" }
        p {
            a href="/api/docs" { (t.api_docs) } " · "
            a href="/api/v1/openapi.json" { "OpenAPI" } " · "
            a href="/readyz" { (t.status) }
        }
    };
    layout::page(
        Shell {
            lang,
            title: t.title,
            path,
            kind: Kind::Wide,
            css: Some(CSS),
            ..Shell::default()
        },
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_demo_campaigns_and_links_the_citizen_path() {
        let html = page(&HomeView {
            campaigns: vec![CampaignSummary {
                code: "DEMO-2021".into(),
                name: "Demo".into(),
                status: "open".into(),
                starts_on: "2021-01-01".into(),
                ends_on: "2021-12-31".into(),
                responses: 12,
                is_demo: true,
            }],
            citizen_demo_url: Some("/s/abc".into()),
        })
        .into_string();
        assert!(html.contains("DỮ LIỆU MINH HOẠ"));
        assert!(html.contains("href=\"/s/abc\""));
        assert!(html.contains("DEMO-2021"));
        assert!(html.contains("Đang nhận phiếu"), "the status in Vietnamese");
        assert!(!html.contains(">open<"));
        assert!(html.contains(r#"<html lang="vi">"#));
        assert!(!html.contains("?lang="), "no switch unless asked for");
        assert!(html.contains(r#"href="/login""#), "the dashboard's way in");
    }

    #[test]
    fn english_with_a_switch() {
        let html = page_in(
            Lang::En,
            Some(PATH),
            &HomeView {
                campaigns: vec![],
                citizen_demo_url: None,
            },
        )
        .into_string();
        assert!(html.contains(r#"<html lang="en">"#));
        assert!(html.contains("No campaign yet"));
        assert!(html.contains(r#"href="/?lang=vi""#));
    }
}
