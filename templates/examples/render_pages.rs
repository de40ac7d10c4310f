//! Writes every page (citizen pages, front page, API index, 404), the poster and the QR
//! images into a directory, with the real
//! SIPAS-2017 texts read from `domain/reference/sipas-2017.csv`, to look at them in a
//! browser or run accessibility checks on them:
//!
//! ```sh
//! cargo run -p sipas-templates --example render_pages -- /tmp/sipas-pages
//! python3 -m http.server -d /tmp/sipas-pages -b 127.0.0.1 8765
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sipas_templates::*;

/// Splits one CSV record (RFC 4180 quoting, no embedded newlines in these files).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

/// element_code,element_vi,element_en,criterion_code,text_vi,text_en
fn load_questionnaire(path: &Path, lang: Lang) -> Vec<ElementView> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut elements: Vec<ElementView> = Vec::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f = csv_fields(line);
        assert_eq!(f.len(), 6, "bad line {line}");
        let (name, crit) = match lang {
            Lang::Vi => (&f[1], &f[4]),
            Lang::En => (&f[2], &f[5]),
        };
        if elements.last().map(|e| &e.code) != Some(&f[0]) {
            elements.push(ElementView {
                code: f[0].clone(),
                name: name.clone(),
                criteria: Vec::new(),
            });
        }
        elements.last_mut().unwrap().criteria.push(CriterionView {
            code: f[3].clone(),
            text: crit.clone(),
        });
    }
    elements
}

fn write(dir: &Path, name: &str, html: &str) {
    let p = dir.join(name);
    std::fs::write(&p, html).unwrap();
    println!("{:>7} B  {}", html.len(), p.display());
}

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/sipas-pages".into()),
    );
    std::fs::create_dir_all(&dir).unwrap();
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("../domain/reference");
    let token = "EQFoBeR6x0aZm3_-Qk8";
    let path = format!("/s/{token}");
    let url = format!("https://sipas.hatinh.gov.vn{path}");

    let form = |lang: Lang, file: &str| SurveyForm {
        lang,
        path: path.clone(),
        campaign_name: match lang {
            Lang::Vi => "Khảo sát sự hài lòng năm 2021 – tỉnh Hà Tĩnh".into(),
            Lang::En => "2021 satisfaction survey – Hà Tĩnh province".into(),
        },
        unit_name: "UBND phường Nam Hà, thành phố Hà Tĩnh".into(),
        service_point_name: Some("Bộ phận Một cửa – quầy số 2".into()),
        demo: false,
        elements: load_questionnaire(&reference.join(file), lang),
        answers: BTreeMap::new(),
        missing: BTreeSet::new(),
        comment: String::new(),
        nonce: "AQq8AAAAAGVTfEBhYmNkZWZnaIu3nHh1yQ4".into(),
        issued_at: 1_700_000_000,
        notice: None,
    };

    write(
        &dir,
        "survey.html",
        &survey_form(&form(Lang::Vi, "sipas-2017.csv")).into_string(),
    );
    write(
        &dir,
        "survey-en.html",
        &survey_form(&form(Lang::En, "sipas-2017.csv")).into_string(),
    );
    write(
        &dir,
        "survey-2023.html",
        &survey_form(&form(Lang::Vi, "sipas-2023.csv")).into_string(),
    );

    // A re-render: some answers given, three questions missed, a comment typed, demo data.
    let mut again = form(Lang::Vi, "sipas-2017.csv");
    again.demo = true;
    for (i, c) in again.elements.iter().flat_map(|e| &e.criteria).enumerate() {
        if [2, 9, 17].contains(&i) {
            again.missing.insert(c.code.clone());
        } else {
            again.answers.insert(c.code.clone(), (i % 6) as u8);
        }
    }
    again.comment = "Cán bộ nhiệt tình. <b>Cảm ơn</b> & chúc sức khỏe!".into();
    write(
        &dir,
        "survey-errors.html",
        &survey_form(&again).into_string(),
    );

    write(
        &dir,
        "thanks.html",
        &thanks_page(&ThanksPage {
            lang: Lang::Vi,
            path: Some("/s/thanks".into()),
            unit_name: Some("UBND phường Nam Hà".into()),
            service_point_name: Some("Bộ phận Một cửa – quầy số 2".into()),
            demo: false,
            next_form: None,
        })
        .into_string(),
    );
    write(
        &dir,
        "already.html",
        &already_answered_page(&AlreadyAnsweredPage {
            lang: Lang::Vi,
            path: Some(path.clone()),
            unit_name: Some("UBND phường Nam Hà".into()),
            demo: false,
        })
        .into_string(),
    );
    write(
        &dir,
        "not-found.html",
        &not_found_page(&NotFoundPage {
            lang: Lang::Vi,
            path: Some("/s/xxxx".into()),
        })
        .into_string(),
    );
    write(
        &dir,
        "not-found-en.html",
        &not_found_page(&NotFoundPage {
            lang: Lang::En,
            path: Some("/s/xxxx".into()),
        })
        .into_string(),
    );
    write(
        &dir,
        "error.html",
        &error_page(&ErrorPage {
            lang: Lang::Vi,
            path: None,
            message: None,
            retry_href: Some(path.clone()),
            reference: Some("req-7f3a2c".into()),
            resend: Vec::new(),
        })
        .into_string(),
    );
    write(
        &dir,
        "poster.html",
        &poster_page(&PosterPage {
            campaign_name: "Khảo sát sự hài lòng năm 2021 – tỉnh Hà Tĩnh".into(),
            unit_name: "UBND phường Nam Hà, thành phố Hà Tĩnh".into(),
            service_point_name: "Bộ phận Một cửa – quầy số 2".into(),
            url: url.clone(),
            demo: false,
        })
        .unwrap()
        .into_string(),
    );
    write(
        &dir,
        "poster-demo.html",
        &poster_page(&PosterPage {
            campaign_name: "Khảo sát minh hoạ (DEMO-2021)".into(),
            unit_name: "Sở Tư pháp tỉnh Hà Tĩnh".into(),
            service_point_name: "Bộ phận Một cửa".into(),
            url: url.clone(),
            demo: true,
        })
        .unwrap()
        .into_string(),
    );
    write(
        &dir,
        "page-not-found.html",
        &page_not_found(Lang::Vi, Some("/khong-co")).into_string(),
    );
    write(
        &dir,
        "page-not-found-en.html",
        &page_not_found(Lang::En, Some("/khong-co")).into_string(),
    );

    let campaign = |code: &str, name: &str, status: &str, responses: u64, is_demo: bool| {
        home::CampaignSummary {
            code: code.into(),
            name: name.into(),
            status: status.into(),
            starts_on: "2021-03-01".into(),
            ends_on: "2021-11-30".into(),
            responses,
            is_demo,
        }
    };
    let home_view = || home::HomeView {
        campaigns: vec![
            campaign("DEMO-2021", "Khảo sát minh hoạ 2021", "open", 1_284, true),
            campaign(
                "HT-2023",
                "Khảo sát sự hài lòng năm 2023 – tỉnh Hà Tĩnh",
                "draft",
                0,
                false,
            ),
        ],
        citizen_demo_url: Some(path.clone()),
    };
    write(&dir, "home.html", &home::page(&home_view()).into_string());
    write(
        &dir,
        "home-en.html",
        &home::page_in(Lang::En, Some(home::PATH), &home_view()).into_string(),
    );

    let endpoint = |method: &'static str, path: &str, summary: &str| api_docs::Endpoint {
        method,
        path: path.into(),
        summary: summary.into(),
        scope: Some(if method == "GET" { "read" } else { "write" }.into()),
        params: vec![api_docs::Param {
            name: "campaign".into(),
            location: "path".into(),
            required: true,
            kind: "string".into(),
            description: String::new(),
        }],
        ..api_docs::Endpoint::default()
    };
    let api_view = || api_docs::ApiDocsView {
        title: "SIPAS API".into(),
        version: "0.1.0".into(),
        groups: vec![api_docs::Group {
            tag: "api".into(),
            endpoints: vec![
                endpoint("GET", "/api/v1/units", "List the administrative units"),
                endpoint("POST", "/api/v1/campaigns", "Create a campaign"),
                endpoint(
                    "POST",
                    "/api/v1/campaigns/{campaign}/receipts",
                    "Issue a single-use survey token for a dossier receipt",
                ),
                endpoint(
                    "GET",
                    "/api/v1/campaigns/{campaign}/scores",
                    "Scores per unit with confidence intervals and PAR points",
                ),
                endpoint(
                    "GET",
                    "/api/v1/campaigns/{campaign}/units/{unit}/service-points/{service_point}/qr.{format}",
                    "The QR code of a desk, as SVG or PNG",
                ),
            ],
        }],
    };
    write(
        &dir,
        "api-docs.html",
        &api_docs::page(&api_view()).into_string(),
    );
    write(
        &dir,
        "api-docs-en.html",
        &api_docs::page_in(Lang::En, Some(api_docs::PATH), &api_view()).into_string(),
    );

    write(&dir, "qr.svg", &qr_svg(&url).unwrap());
    let png = qr_png(&url, 8).unwrap();
    std::fs::write(dir.join("qr.png"), &png).unwrap();
    println!("{:>7} B  {}", png.len(), dir.join("qr.png").display());
}
