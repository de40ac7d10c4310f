//! A campaign's posters for printing: the chooser (the whole province, a district or
//! another parent unit, or one unit, within the member's scope), the print page (one A4
//! poster per printed page, drawn by [`crate::poster::PosterSheet`]) and the warning
//! shown when the service's public URL cannot be reached from a citizen's phone.

use std::sync::LazyLock;

use maud::{Markup, Render, html};

use super::{CSS, StaffNav};
use crate::Lang;
use crate::layout::{Card, Kind, Shell, Tone};
use crate::poster::{PosterPage, PosterSheet, SHEET_CSS, print_tip};
use crate::qr::QrError;

/// The warning about a public URL that citizens' phones cannot open.
#[derive(Debug, Clone, Copy)]
pub struct PublicUrlWarning<'a> {
    pub lang: Lang,
    pub public_url: &'a str,
}

impl Render for PublicUrlWarning<'_> {
    fn render(&self) -> Markup {
        let vi = self.lang == Lang::Vi;
        let (vi_text, en_text) = (
            "Áp phích in với địa chỉ này sẽ không dùng được: điện thoại của người dân không mở được địa chỉ nội bộ hoặc máy cục bộ. Hãy đặt SIPAS_PUBLIC_URL là địa chỉ công khai của dịch vụ rồi khởi động lại trước khi in.",
            "Posters printed with this address will not work: citizens' phones cannot open a local or private address. Set SIPAS_PUBLIC_URL to the service's public address and restart before printing.",
        );
        html! {
            (Card::toned(Tone::Err, html! {
                div.urlwarn role="alert" {
                    p {
                        strong { span aria-hidden="true" { "⚠ " } (if vi { "Cảnh báo: " } else { "Warning: " }) }
                        (if vi { "địa chỉ công khai là " } else { "the public address is " })
                        code { (self.public_url) }
                    }
                    p lang="vi" { (vi_text) }
                    p lang="en" { (en_text) }
                }
            }))
        }
    }
}

/// A unit or parent unit the member may print, with its number of open desks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosterChoice {
    pub code: String,
    pub name: String,
    pub desks: usize,
}

#[derive(Debug, Clone, Default)]
pub struct PostersView {
    pub lang: Lang,
    pub nav: StaffNav,
    pub campaign_code: String,
    pub campaign_name: String,
    /// `Some(url)` when the public URL is loopback or private.
    pub warning: Option<String>,
    /// Draft or open: posters are worth printing.
    pub posters: bool,
    /// Every readable desk's count; the whole province when the member reads it all.
    pub all_desks: usize,
    pub whole_province: bool,
    /// Units with units under them (districts, the province, …).
    pub parents: Vec<PosterChoice>,
    pub units: Vec<PosterChoice>,
    pub demo: bool,
}

static POSTERS_CSS: LazyLock<String> = LazyLock::new(|| {
    [
        CSS,
        ".urlwarn p{margin:.25rem 0}.urlwarn code{overflow-wrap:anywhere}",
        ".choose select{width:100%;max-width:36rem}",
        ".choose .act{display:flex;flex-wrap:wrap;gap:.5rem;margin:1rem 0 0}",
        ".choose .btn{display:inline-block;text-decoration:none}",
    ]
    .concat()
});

/// The chooser's path.
pub fn path(campaign: &str) -> String {
    format!("/manage/campaigns/{campaign}/posters")
}

fn choice_label(lang: Lang, c: &PosterChoice) -> String {
    match lang {
        Lang::Vi => format!("{} ({}) – {} quầy", c.name, c.code, c.desks),
        Lang::En => format!("{} ({}) – {} desks", c.name, c.code, c.desks),
    }
}

pub fn posters_page(view: &PostersView) -> Markup {
    let lang = view.lang;
    let vi = lang == Lang::Vi;
    let tr = |a: &'static str, b: &'static str| if vi { a } else { b };
    let here = path(&view.campaign_code);
    let print = format!("{here}/print");
    let zip = format!("/manage/campaigns/{}/posters.zip", view.campaign_code);
    let chooser = |id: &str, name: &str, label: &str, choices: &[PosterChoice]| {
        html! {
            form.choose method="get" action=(print) {
                input type="hidden" name="lang" value=(lang.code());
                label for=(id) { (label) }
                select id=(id) name=(name) required {
                    @for c in choices { option value=(c.code) { (choice_label(lang, c)) } }
                }
                p.act {
                    button.btn-main type="submit" { (tr("Mở trang in áp phích", "Open the posters to print")) }
                    button type="submit" formaction=(zip) { (tr("Tải mã QR (ZIP: SVG và PNG)", "Download the QR codes (ZIP: SVG and PNG)")) }
                }
            }
        }
    };
    let title = format!(
        "{} — {}",
        tr("Áp phích QR", "QR posters"),
        view.campaign_name
    );
    let body = html! {
        h1 { (tr("Áp phích mã QR để in", "QR posters to print")) }
        p.cap { (view.campaign_name) }
        @if let Some(url) = &view.warning {
            (PublicUrlWarning { lang, public_url: url })
        }
        @if !view.posters {
            (Card::toned(Tone::Warn, html! {
                p.cap { (tr(
                    "Đợt khảo sát này đã kết thúc: mã QR của đợt không còn nhận phiếu.",
                    "This campaign has ended: its QR codes take no more answers.",
                )) }
            }))
        }
        p {
            (tr(
                "Mỗi quầy đang mở có một áp phích A4 (mỗi trang in một áp phích) với mã QR dẫn tới phiếu khảo sát của quầy trong đợt này. In khổ A4, tỉ lệ 100 %.",
                "Every open desk has one A4 poster (one poster per printed page) whose QR code leads to the desk's survey in this campaign. Print on A4 at 100 % scale.",
            ))
        }
        @if view.whole_province {
            section aria-labelledby="whole" {
                h2 #whole { (tr("Toàn tỉnh", "The whole province")) }
                (Card::new(html! {
                    p { (if vi { format!("{} quầy của mọi đơn vị.", view.all_desks) } else { format!("{} desks of every unit.", view.all_desks) }) }
                    p.act {
                        a.btn.btn-main href={ (print) "?lang=" (lang.code()) } { (tr("Mở trang in toàn tỉnh", "Open the whole province's posters")) }
                        " "
                        a.btn href={ (zip) "?lang=" (lang.code()) } download { (tr("Tải mã QR toàn tỉnh (ZIP)", "Download every QR code (ZIP)")) }
                    }
                }))
            }
        }
        @if !view.parents.is_empty() {
            section aria-labelledby="parent" {
                h2 #parent { (tr("Một huyện hoặc đơn vị cấp trên", "A district or parent unit")) }
                (Card::new(chooser("parent-code", "parent", tr("Đơn vị (gồm cả các đơn vị trực thuộc)", "Unit (with the units under it)"), &view.parents)))
            }
        }
        section aria-labelledby="one" {
            h2 #one { (tr("Một đơn vị", "One unit")) }
            @if view.units.is_empty() {
                p { (tr("Không có đơn vị nào trong phạm vi của bạn.", "No unit in your scope.")) }
            } @else {
                (Card::new(chooser("unit-code", "unit", tr("Đơn vị", "Unit"), &view.units)))
            }
        }
    };
    super::page(
        Shell {
            lang,
            title: &title,
            path: Some(&here),
            demo: view.demo,
            kind: Kind::Wide,
            css: Some(POSTERS_CSS.as_str()),
        },
        &view.nav,
        body,
    )
}

#[derive(Debug, Clone, Default)]
pub struct PrintView {
    pub lang: Lang,
    pub nav: StaffNav,
    pub campaign_code: String,
    /// What is printed: "Phường Thành Sen", "Huyện Đức Thọ và các đơn vị trực thuộc", …
    pub scope: String,
    pub warning: Option<String>,
    pub posters: Vec<PosterPage>,
}

static PRINT_CSS: LazyLock<String> = LazyLock::new(|| {
    [
        CSS,
        SHEET_CSS,
        ".urlwarn p{margin:.25rem 0}.urlwarn code{overflow-wrap:anywhere}",
        ".noprint{background:#f3f4f6}",
        "@media print{.snav,.noprint{display:none}}",
    ]
    .concat()
});

/// Every poster of the chosen units, one per printed page; the navigation and the
/// explanations are on screen only.
pub fn print_page(view: &PrintView) -> Result<Markup, QrError> {
    let lang = view.lang;
    let vi = lang == Lang::Vi;
    let tr = |a: &'static str, b: &'static str| if vi { a } else { b };
    let mut sheets = Vec::with_capacity(view.posters.len());
    for poster in &view.posters {
        sheets.push(PosterSheet::draw(poster)?);
    }
    let title = format!(
        "{} — {}",
        tr("In áp phích QR", "Print QR posters"),
        view.scope
    );
    let body = html! {
        div.noprint {
            p.cap { a href={ (path(&view.campaign_code)) "?lang=" (lang.code()) } { "← " (tr("Chọn áp phích khác", "Choose other posters")) } }
            h1 { (view.scope) }
            p { (if vi { format!("{} áp phích, mỗi trang in một áp phích.", view.posters.len()) } else { format!("{} posters, one per printed page.", view.posters.len()) }) }
            @if let Some(url) = &view.warning {
                (PublicUrlWarning { lang, public_url: url })
            }
            (print_tip())
        }
        @if view.posters.is_empty() {
            p { (tr("Không có quầy nào đang mở.", "No open desk.")) }
        }
        div.sheets {
            @for sheet in &sheets { (sheet) }
        }
    };
    Ok(super::page(
        Shell {
            lang,
            title: &title,
            path: None,
            demo: false,
            kind: Kind::Print,
            css: Some(PRINT_CSS.as_str()),
        },
        &view.nav,
        body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poster(desk: &str) -> PosterPage {
        PosterPage {
            campaign_name: "Khảo sát 2026".into(),
            unit_name: "Phường Thành Sen".into(),
            service_point_name: desk.into(),
            url: format!("https://ks.example.vn/s/{desk}"),
            demo: false,
        }
    }

    #[test]
    fn one_sheet_per_poster_with_page_breaks() {
        let html = print_page(&PrintView {
            campaign_code: "HT-2026".into(),
            scope: "Phường Thành Sen".into(),
            posters: vec![poster("A"), poster("B"), poster("C")],
            ..Default::default()
        })
        .unwrap()
        .into_string();
        assert_eq!(html.matches("<div class=\"sheet\">").count(), 3);
        assert_eq!(html.matches("<svg").count(), 3);
        assert!(html.contains("@page{size:A4 portrait"));
        assert!(html.contains("break-after:page"));
        assert!(html.contains("@media print{.snav,.noprint{display:none}}"));
        assert!(html.contains("ks.example.vn/s/B"));
        assert!(!html.contains("urlwarn\""));
    }

    #[test]
    fn the_warning_names_the_address() {
        let html = posters_page(&PostersView {
            campaign_code: "HT-2026".into(),
            warning: Some("http://127.0.0.1:8080".into()),
            units: vec![PosterChoice {
                code: "18073".into(),
                name: "Phường Thành Sen".into(),
                desks: 2,
            }],
            ..Default::default()
        })
        .into_string();
        assert!(html.contains("Áp phích in với địa chỉ này sẽ không dùng được"));
        assert!(html.contains("<code>http://127.0.0.1:8080</code>"));
        assert!(html.contains(r#"formaction="/manage/campaigns/HT-2026/posters.zip""#));
        assert!(html.contains("Phường Thành Sen (18073) – 2 quầy"));
    }
}
