//! Every page is built by the one layout: doctype, language, viewport, the shared header,
//! no script, no outside resource; and the generic 404.

use sipas_templates::api_docs::{self, ApiDocsView, Endpoint, Group};
use sipas_templates::home::{self, CampaignSummary, HomeView};
use sipas_templates::*;

fn home_view() -> HomeView {
    HomeView {
        campaigns: vec![CampaignSummary {
            code: "DEMO-2021".into(),
            name: "Demo".into(),
            status: "open".into(),
            starts_on: "2021-01-01".into(),
            ends_on: "2021-12-31".into(),
            responses: 3,
            is_demo: true,
        }],
        citizen_demo_url: Some("/s/abc".into()),
    }
}

fn api_view() -> ApiDocsView {
    ApiDocsView {
        title: "SIPAS API".into(),
        version: "0.1.0".into(),
        groups: vec![Group {
            tag: "scores".into(),
            endpoints: vec![Endpoint {
                method: "GET",
                path: "/api/v1/campaigns/{campaign}/scores".into(),
                summary: "Scores".into(),
                params: vec![sipas_templates::api_docs::Param {
                    name: "campaign".into(),
                    location: "path".into(),
                    required: true,
                    kind: "string".into(),
                    description: String::new(),
                }],
                ..Endpoint::default()
            }],
        }],
    }
}

fn poster(demo: bool) -> String {
    poster_page(&PosterPage {
        campaign_name: "Khảo sát 2021".into(),
        unit_name: "UBND phường Nam Hà".into(),
        service_point_name: "Quầy 2".into(),
        url: "https://sipas.example.vn/s/EQFoBeR6x0aZm3_-Qk8".into(),
        demo,
    })
    .unwrap()
    .into_string()
}

/// Every page the crate renders, with its name and language.
fn all_pages() -> Vec<(&'static str, &'static str, String)> {
    let form = SurveyForm {
        path: "/s/T".into(),
        unit_name: "UBND".into(),
        elements: vec![ElementView {
            code: "E1".into(),
            name: "E".into(),
            criteria: vec![CriterionView {
                code: "C1".into(),
                text: "C".into(),
            }],
        }],
        ..Default::default()
    };
    vec![
        ("survey", "vi", survey_form(&form).into_string()),
        (
            "thanks",
            "vi",
            thanks_page(&ThanksPage::default()).into_string(),
        ),
        (
            "already",
            "vi",
            already_answered_page(&AlreadyAnsweredPage::default()).into_string(),
        ),
        (
            "not found",
            "vi",
            not_found_page(&NotFoundPage::default()).into_string(),
        ),
        (
            "error",
            "vi",
            error_page(&ErrorPage::default()).into_string(),
        ),
        (
            "404",
            "vi",
            page_not_found(Lang::Vi, Some("/x")).into_string(),
        ),
        ("404 en", "en", page_not_found(Lang::En, None).into_string()),
        ("home", "vi", home::page(&home_view()).into_string()),
        (
            "home en",
            "en",
            home::page_in(Lang::En, Some(home::PATH), &home_view()).into_string(),
        ),
        ("api docs", "vi", api_docs::page(&api_view()).into_string()),
        (
            "api docs en",
            "en",
            api_docs::page_in(Lang::En, Some(api_docs::PATH), &api_view()).into_string(),
        ),
        ("poster", "vi", poster(false)),
        ("poster demo", "vi", poster(true)),
    ]
}

/// The values of every `name="…"` attribute.
fn attr_values<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let needle = format!(" {name}=\"");
    html.match_indices(&needle)
        .map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect()
}

#[test]
fn every_page_has_the_shared_shell() {
    for (name, lang, html) in all_pages() {
        assert!(html.starts_with("<!DOCTYPE html>"), "{name}");
        assert!(
            html.contains(&format!(
                r#"<html lang="{lang}"><head><meta charset="utf-8">"#
            )),
            "{name}"
        );
        assert!(
            html.contains(r#"<meta name="viewport" content="width=device-width,initial-scale=1">"#),
            "{name}"
        );
        assert_eq!(
            html.matches("<style>").count(),
            1,
            "{name}: one inline style"
        );
        assert!(
            html.contains(r#"<header class="top"><div><p>"#),
            "{name}: the shared header bar"
        );
        assert!(html.contains("SIPAS"), "{name}");
        assert!(html.contains(r#"<footer class="foot">"#), "{name}");
        assert_eq!(html.matches("<main>").count(), 1, "{name}");
        assert_eq!(html.matches("<h1").count(), 1, "{name}: one h1");
    }
}

#[test]
fn no_script_and_no_outside_resource() {
    for (name, _, html) in all_pages() {
        assert!(!html.to_ascii_lowercase().contains("<script"), "{name}");
        assert!(!html.contains("<link"), "{name}: CSS is inline");
        assert!(
            !html.contains("url(") && !html.contains("@import"),
            "{name}"
        );
        for attr in ["src", "href", "action"] {
            for v in attr_values(&html, attr) {
                assert!(
                    (v.starts_with('/') && !v.starts_with("//")) || v.starts_with('#'),
                    "{name}: {attr}={v}"
                );
            }
        }
    }
}

#[test]
fn widths_by_kind() {
    let pages = all_pages();
    let get = |n: &str| &pages.iter().find(|p| p.0 == n).unwrap().2;
    for n in ["survey", "thanks", "404"] {
        assert!(!get(n).contains("64rem"), "{n} is narrow");
    }
    for n in ["home", "api docs"] {
        assert!(get(n).contains("max-width:64rem"), "{n} is wide");
        assert!(get(n).contains(r#"<table class="t">"#), "{n}");
        assert!(
            get(n).contains("@media (max-width:40rem)"),
            "{n} stacks on phones"
        );
    }
    assert!(get("poster").contains("max-width:210mm"));
}

#[test]
fn generic_404_page() {
    let vi = page_not_found(Lang::Vi, Some("/nowhere")).into_string();
    assert!(vi.contains("<title>Không tìm thấy trang này</title>"));
    assert!(vi.contains("<h1>Không tìm thấy trang này</h1>"));
    assert!(vi.contains(r#"<a href="/">Về trang chủ</a>"#));
    assert!(vi.contains(r#"<p class="note" lang="en">This page does not exist."#));
    assert!(vi.contains(r#"href="/nowhere?lang=en""#));
    assert!(vi.len() < 6_000, "{}", vi.len());

    let en = page_not_found(Lang::En, None).into_string();
    assert!(en.contains(r#"<html lang="en">"#));
    assert!(en.contains(r#"<a href="/">Go to the home page</a>"#));
    assert!(en.contains(r#"lang="vi">Không tìm thấy trang này."#));
    assert!(!en.contains("?lang="));

    // A path a browser would resolve to another site gets no switch.
    let odd = page_not_found(Lang::Vi, Some("//evil.example/x")).into_string();
    assert!(!odd.contains("evil.example"));
    let escaped = page_not_found(Lang::Vi, Some("/\"><b>")).into_string();
    assert!(!escaped.contains("<b>"));
}

#[test]
fn home_and_api_docs_languages() {
    let vi = home::page(&home_view()).into_string();
    assert!(vi.contains("<h2>Đợt khảo sát</h2>"));
    assert!(vi.contains(r#"data-label="Phiếu hợp lệ">3</td>"#));
    let en = home::page_in(Lang::En, Some("/"), &home_view()).into_string();
    assert!(en.contains("<h2>Campaigns</h2>"));
    assert!(en.contains("DEMO DATA"));
    assert!(en.contains(r#"href="/?lang=vi""#));

    let api = api_docs::page(&api_view()).into_string();
    assert!(api.contains(r#"<code>/api/v1/campaigns/{campaign}/scores</code>"#));
    assert!(api.contains(r#"<p lang="en">Scores</p>"#));
    assert!(api.contains("<h2 id=\"tag-scores\">scores</h2>"));
    let api_en = api_docs::page_in(Lang::En, None, &api_view()).into_string();
    assert!(api_en.contains("<h2 id=\"toc\">Contents</h2>"));
    assert!(api_en.contains("<p>Scores</p>"));
}

#[test]
fn poster_prints_the_sheet_only() {
    let html = poster(true);
    assert!(html.contains("@media print{body{background:#fff}.top,.demo,.foot{display:none}"));
    assert!(html.contains("@page{size:A4 portrait"));
    assert!(html.contains("height:270mm"));
    assert!(!html.contains("<button"));
    assert!(!html.contains(r#"<p class="demo">"#), "no screen banner");
    assert!(
        html.contains(r#"<p class="sample">DỮ LIỆU THỬ NGHIỆM"#),
        "printed mark"
    );
    assert!(!html.contains("?lang="), "no language switch");
}
