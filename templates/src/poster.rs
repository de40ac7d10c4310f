//! The printable A4 poster with a desk's QR code, for staff to print and put on the desk.
//! Bilingual (Vietnamese first, English second), one A4 page, no buttons in print.

use maud::{Markup, PreEscaped, html};

use crate::i18n::Lang;
use crate::layout::{Kind, Shell, page};
use crate::qr::{QrError, qr_svg};

/// The sheet's CSS, its A4 `@page` rule and its print rules, added to the shell's
/// ([`Kind::Print`] hides the header bar and footer in print). Consecutive sheets are
/// printed one per page.
pub const SHEET_CSS: &str = concat!(
    "@page{size:A4 portrait;margin:12mm}",
    "body{background:#e5e7eb}",
    ".tip{margin:0 0 .75rem;font-size:.9375rem}",
    ".sheet{display:flex;flex-direction:column;align-items:center;text-align:center;background:#fff;padding:8mm 10mm;border-top:10px solid #0b3a6e;font-size:1rem;line-height:1.4}",
    ".camp{margin:0;color:#4a4f57;font-size:1rem;text-transform:uppercase;letter-spacing:.04em}",
    ".sheet h1{font-size:2rem;line-height:1.2;margin:.5rem 0 0;color:#0b3a6e;text-wrap:balance}",
    ".en{margin:.25rem 0 0;font-size:1.25rem;color:#4a4f57}",
    ".unit{font-size:1.5rem;font-weight:700;margin:1.25rem 0 0;line-height:1.25;text-wrap:balance}",
    ".desk{font-size:1.25rem;font-weight:600;margin:.25rem 0 0}",
    ".qr{width:min(120mm,100%);margin:1rem auto .5rem}",
    ".qr svg{display:block;width:100%;height:auto}",
    ".url{font:700 1.125rem/1.3 ui-monospace,Cascadia Mono,Roboto Mono,Menlo,Consolas,monospace;word-break:break-all;margin:.25rem 0 0}",
    ".or{margin:.5rem 0 0;color:#4a4f57}",
    ".sheet ul{list-style:none;padding:0;margin:1rem 0 0;font-size:1.0625rem}",
    ".sheet li{margin:.125rem 0}",
    ".sample{border:3px dashed #8a6d00;padding:.25rem .75rem;font-weight:700;margin:.75rem 0 0}",
    ".sheet+.sheet{margin-top:1rem}",
    "@media print{",
    "body{background:#fff}",
    ".sheet+.sheet{margin-top:0}",
    ".sheet{break-after:page;page-break-after:always}",
    ".sheet:last-child{break-after:auto;page-break-after:auto}",
    ".tip{display:none}",
    ".sheet{padding:0;height:270mm;overflow:hidden;border-top-width:6mm;justify-content:center;break-inside:avoid;page-break-inside:avoid}",
    ".camp{font-size:12pt}.sheet h1{font-size:32pt}.en{font-size:18pt}.unit{font-size:24pt}.desk{font-size:20pt}",
    ".qr{width:130mm}.url{font-size:16pt}.sheet ul{font-size:14pt}",
    "}",
);

/// The poster of one desk's QR code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PosterPage {
    pub campaign_name: String,
    pub unit_name: String,
    pub service_point_name: String,
    /// The full URL the QR code encodes, `{PUBLIC_URL}/s/{token}`.
    pub url: String,
    pub demo: bool,
}

/// The URL as printed for people who type it: without `https://` (browsers add it).
pub fn display_url(url: &str) -> &str {
    url.strip_prefix("https://").unwrap_or(url)
}

/// One desk's A4 sheet: the campaign, the call to scan, the unit and desk names, the QR
/// code (SVG with its quiet zone), the URL written out and what to expect, in
/// Vietnamese then English. Needs [`SHEET_CSS`]; several sheets in a row are printed one
/// per page.
pub struct PosterSheet<'a> {
    pub poster: &'a PosterPage,
    /// The QR code of `poster.url`, from [`qr_svg`].
    pub svg: &'a str,
}

impl PosterSheet<'_> {
    /// The sheet of a poster, with its QR code drawn; fails only if the URL is too long
    /// for a QR code.
    pub fn draw(poster: &PosterPage) -> Result<Markup, QrError> {
        let svg = qr_svg(&poster.url)?;
        Ok(maud::Render::render(&PosterSheet { poster, svg: &svg }))
    }
}

impl maud::Render for PosterSheet<'_> {
    fn render(&self) -> Markup {
        let v = self.poster;
        html! {
            div.sheet {
                p.camp { (v.campaign_name) }
                h1 { "Quét mã để đánh giá mức độ hài lòng" }
                p.en lang="en" { "Scan the code to rate our service" }
                p.unit { (v.unit_name) }
                p.desk { (v.service_point_name) }
                div.qr role="img" aria-label={ "Mã QR: " (v.url) } {
                    (PreEscaped(self.svg))
                }
                p.or { "Hoặc mở trang " span lang="en" { "/ Or open" } ":" }
                p.url { (display_url(&v.url)) }
                ul {
                    li { "Ẩn danh · khoảng 3 phút · không cần cài ứng dụng" }
                    li lang="en" { "Anonymous · about 3 minutes · no app needed" }
                }
                @if v.demo {
                    p.sample { "DỮ LIỆU THỬ NGHIỆM " span lang="en" { "/ DEMO DATA" } }
                }
            }
        }
    }
}

/// The printing tip shown on screen above the sheets (hidden in print).
pub fn print_tip() -> Markup {
    html! {
        p.tip {
            "Để in: bấm Ctrl+P (hoặc chọn In trong menu), khổ A4, tỉ lệ 100 %. "
            span lang="en" { "To print: Ctrl+P (or Print in the menu), A4, 100 % scale." }
        }
    }
}

/// Renders the poster; fails only if the URL is too long for a QR code.
pub fn poster_page(v: &PosterPage) -> Result<Markup, QrError> {
    let title = format!("{} – {}", v.unit_name, v.service_point_name);
    let body = html! {
        (print_tip())
        (PosterSheet::draw(v)?)
    };
    Ok(page(
        Shell {
            lang: Lang::Vi,
            title: &format!("Mã QR khảo sát – {title}"),
            path: None,
            // The sample mark is on the sheet itself, so that it is printed.
            demo: false,
            kind: Kind::Print,
            css: Some(SHEET_CSS),
        },
        body,
    ))
}
