//! The service's front page: what it is and where to go next.

use maud::{DOCTYPE, Markup, html};

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

pub fn page(view: &HomeView) -> Markup {
    html! {
        (DOCTYPE)
        html lang="vi" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "SIPAS — Khảo sát sự hài lòng" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body {
                main {
                    h1 { "SIPAS — Chỉ số hài lòng về sự phục vụ hành chính" }
                    p lang="en" class="en" { "Citizen satisfaction with public administrative services, for the PAR Index." }
                    @if let Some(url) = &view.citizen_demo_url {
                        p { a class="button" href=(url) { "Thử khảo sát như người dân (demo)" } }
                    }
                    h2 { "Đợt khảo sát" span lang="en" class="en" { " · Campaigns" } }
                    @if view.campaigns.is_empty() {
                        p { "Chưa có đợt khảo sát nào. Tạo bằng API: " code { "POST /api/v1/campaigns" } }
                    } @else {
                        table {
                            thead { tr {
                                th scope="col" { "Mã" } th scope="col" { "Tên" } th scope="col" { "Thời gian" }
                                th scope="col" { "Trạng thái" } th scope="col" class="num" { "Phiếu hợp lệ" }
                            } }
                            tbody {
                                @for c in &view.campaigns {
                                    tr {
                                        td { code { (c.code) } }
                                        td { (c.name) @if c.is_demo { " " strong class="demo" { "DỮ LIỆU MINH HOẠ" } } }
                                        td { (c.starts_on) " – " (c.ends_on) }
                                        td { (c.status) }
                                        td class="num" { (c.responses) }
                                    }
                                }
                            }
                        }
                    }
                    h2 { "API" }
                    p {
                        a href="/api/docs" { "Tài liệu API" } " · "
                        a href="/api/v1/openapi.json" { "OpenAPI" } " · "
                        a href="/readyz" { "Trạng thái" }
                    }
                }
            }
        }
    }
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;margin:0;color:#1b1b1b;line-height:1.5}main{max-width:60rem;margin:0 auto;padding:1rem}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #ccc}.num{text-align:right}.en{color:#555}.demo{color:#8a1c00;font-size:.8em}a{color:#0b4f9c}.button{display:inline-block;background:#0b4f9c;color:#fff;padding:.75rem 1.25rem;border-radius:.3rem;text-decoration:none;font-weight:600}";

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
    }
}
