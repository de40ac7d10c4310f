//! The confirmation before a campaign's results are published
//! (`/manage/campaigns/{c}/publish`): what will be frozen, and the button that does it.

use maud::{Markup, html};

use super::StaffNav;
use super::overview::{CampaignHead, campaign_heading};
use crate::Lang;
use crate::format::{count, decimal};
use crate::layout::{Card, Kind, Shell, Tone};

/// What a publication would freeze now.
#[derive(Debug, Clone)]
pub struct PublishView {
    pub lang: Lang,
    pub nav: StaffNav,
    pub campaign: CampaignHead,
    /// The version the publication will get.
    pub next_version: u32,
    /// Units listed in the official figures (a frame or responses).
    pub units: usize,
    /// Of those, units with a SIPAS estimate.
    pub units_with_figures: usize,
    /// Counted responses in the official figures.
    pub responses: u64,
    /// The questionnaire's code and version.
    pub questionnaire: String,
    pub confidence: f64,
    /// `D_ref` of the SIPAS index, and of each element by code.
    pub d_ref_sipas: f64,
    pub d_ref_elements: Vec<(String, f64)>,
    pub statistics_digest: String,
    /// Why the campaign cannot be published now (not closed), in the page's language.
    pub problem: Option<String>,
}

pub fn publish_path(code: &str) -> String {
    format!("/manage/campaigns/{code}/publish")
}

pub fn publish_page(view: &PublishView) -> Markup {
    let lang = view.lang;
    let vi = lang == Lang::Vi;
    let c = &view.campaign;
    let title = if vi {
        "Công bố kết quả"
    } else {
        "Publish the results"
    };
    let back = format!(
        "/manage/campaigns/{}/setup{}",
        c.code,
        if vi { "" } else { "?lang=en" }
    );
    let body = html! {
        (campaign_heading(lang, c, title))
        @if let Some(problem) = &view.problem {
            (Card::toned(Tone::Err, html! { p.cap role="alert" { span aria-hidden="true" { "✖ " } (problem) } }))
        }
        (Card::new(html! {
            h2 { (if vi { "Những gì sẽ được cố định" } else { "What will be frozen" }) }
            dl.settings {
                dt { (if vi { "Bản công bố số" } else { "Snapshot version" }) } dd { (view.next_version) }
                dt { (if vi { "Đơn vị có trong kết quả" } else { "Units in the figures" }) } dd { (count(lang, view.units as u64)) }
                dt { (if vi { "Đơn vị có chỉ số SIPAS" } else { "Units with a SIPAS index" }) } dd { (count(lang, view.units_with_figures as u64)) }
                dt { (if vi { "Số phiếu được tính" } else { "Counted responses" }) } dd { (count(lang, view.responses)) }
                dt { (if vi { "Bộ câu hỏi" } else { "Questionnaire" }) } dd { (view.questionnaire) }
                dt { (if vi { "Độ tin cậy" } else { "Confidence level" }) } dd { (decimal(lang, view.confidence * 100.0, 0)) " %" }
                dt { (if vi { "Hệ số thiết kế tham chiếu (D_ref) của SIPAS" } else { "Reference design effect (D_ref) of SIPAS" }) } dd { (decimal(lang, view.d_ref_sipas, 3)) }
                dt { (if vi { "Mã số liệu thống kê" } else { "Statistics digest" }) } dd { code.hash { (view.statistics_digest) } }
            }
            @if !view.d_ref_elements.is_empty() {
                div.scroll {
                    table.grid {
                        caption { (if vi { "D_ref của từng lĩnh vực" } else { "D_ref of each element" }) }
                        thead { tr {
                            th scope="col" { (if vi { "Lĩnh vực" } else { "Element" }) }
                            th scope="col" { "D_ref" }
                        } }
                        tbody {
                            @for (code, value) in &view.d_ref_elements {
                                tr { th scope="row" { (code) } td { (decimal(lang, *value, 3)) } }
                            }
                        }
                    }
                }
            }
            p.note {
                (if vi {
                    "Khung mẫu, chỉ tiêu và số liệu của từng đơn vị được lưu kèm. Bản công bố không sửa hay xoá được; một lần đính chính sau này tạo bản mới."
                } else {
                    "Each unit's frame, quota and figures are stored with it. A snapshot can be neither changed nor deleted; a later correction makes a new one."
                })
            }
        }))
        @if view.problem.is_none() {
            (Card::new(html! {
                form method="post" action=(publish_path(&c.code)) {
                    input type="hidden" name="csrf" value=(view.nav.csrf);
                    input type="hidden" name="lang" value=(lang.code());
                    button.btn-main type="submit" {
                        (if vi { "Công bố bản số " } else { "Publish snapshot " }) (view.next_version)
                    }
                }
                p { a href=(back) { (if vi { "Quay lại, chưa công bố" } else { "Back, without publishing" }) } }
            }))
        } @else {
            p { a href=(back) { (if vi { "Quay lại trang thiết lập" } else { "Back to the set-up page" }) } }
        }
    };
    super::page(
        Shell {
            lang,
            title: &format!("{title} — {}", c.name),
            path: Some(&publish_path(&c.code)),
            demo: c.is_demo,
            kind: Kind::Wide,
            css: Some(super::round::css()),
        },
        &view.nav,
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_confirmation_shows_what_is_frozen_and_posts_with_its_token() {
        let view = PublishView {
            lang: Lang::Vi,
            nav: StaffNav {
                csrf: "tok".into(),
                ..Default::default()
            },
            campaign: CampaignHead {
                code: "HT-2026".into(),
                name: "Khảo sát 2026".into(),
                status: "closed".into(),
                starts_on: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
                ends_on: chrono::NaiveDate::from_ymd_opt(2026, 9, 30).unwrap(),
                is_demo: false,
            },
            next_version: 2,
            units: 12,
            units_with_figures: 10,
            responses: 3456,
            questionnaire: "SIPAS-2023 v1".into(),
            confidence: 0.95,
            d_ref_sipas: 1.234,
            d_ref_elements: vec![("TT".into(), 1.5)],
            statistics_digest: "abc".into(),
            problem: None,
        };
        let html = publish_page(&view).into_string();
        assert!(html.contains(r#"action="/manage/campaigns/HT-2026/publish""#));
        assert!(html.contains(r#"name="csrf" value="tok""#));
        assert!(html.contains("Công bố bản số 2"));
        assert!(html.contains("SIPAS-2023 v1") && html.contains(r#"<th scope="row">TT</th>"#));
        let refused = publish_page(&PublishView {
            problem: Some("không".into()),
            ..view
        })
        .into_string();
        assert!(
            !refused.contains("<form method=\"post\" action=\"/manage/campaigns/HT-2026/publish")
        );
    }
}
