//! The one page layout of every HTML page (citizen pages, the front page, the API index,
//! the poster, the 404): a [`page`] function around the page's own markup, and the small
//! [`Render`] components pages share ([`TopBar`], [`LangSwitch`], [`DemoBanner`], [`Card`],
//! [`Table`]).
//!
//! Every page is one HTML document with its CSS inline (no external request), system fonts
//! with Vietnamese glyphs, no JavaScript. A page differs from another only by its [`Kind`]
//! (column width, what the shell does in print) and by the CSS rules it adds
//! ([`Shell::css`]).

use maud::{DOCTYPE, Markup, PreEscaped, Render, html};

use crate::i18n::Lang;

/// The shell's CSS, shared by every page.
///
/// Colours (all pass WCAG AA on their backgrounds):
/// ink #1b1b1b, secondary #4a4f57, brand navy #0b3a6e, link #0b57a4, error #b3261e,
/// button green #00703c, focus #ffbf47.
const CSS: &str = concat!(
    "*,::before,::after{box-sizing:border-box}",
    "html{-webkit-text-size-adjust:100%;text-size-adjust:100%}",
    "body{margin:0;background:#f3f4f6;color:#1b1b1b;font:1.0625rem/1.5 system-ui,-apple-system,Segoe UI,Roboto,Noto Sans,Helvetica Neue,Arial,sans-serif}",
    "a{color:#0b57a4;text-underline-offset:.15em}",
    "a:focus,textarea:focus,button:focus{outline:3px solid #ffbf47;outline-offset:0;box-shadow:0 0 0 5px #1b1b1b}",
    "a:focus{background:#ffbf47;color:#1b1b1b;box-shadow:none;text-decoration:none}",
    ".top{background:#0b3a6e;color:#fff;border-bottom:4px solid #c8102e}",
    ".top div{max-width:42rem;margin:0 auto;padding:.5rem 1rem;display:flex;align-items:center;gap:1rem}",
    ".top p{flex:1 1 auto;min-width:0;margin:0;font-weight:700;line-height:1.25}.top small{display:block;font-weight:400;font-size:.8125rem}",
    ".top a{color:#fff;display:inline-block;white-space:nowrap;padding:.625rem 0;min-height:44px;font-weight:600}",
    ".demo{background:#fff4ce;border-bottom:2px solid #8a6d00;margin:0;padding:.5rem 1rem;text-align:center;font-weight:700;font-size:.9375rem}",
    "main{max-width:42rem;margin:0 auto;padding:1rem .75rem 2rem}",
    "h1{font-size:1.5rem;line-height:1.25;margin:0}",
    "h2{font-size:1.25rem;line-height:1.3;margin:2rem 0 .75rem}h2 small{display:block}",
    ".card{background:#fff;border-radius:8px;padding:1rem;margin:0 0 1rem;border:1px solid #d5d8dc}",
    ".cap,.note{color:#4a4f57;font-size:.9375rem}.cap{margin:0}",
    ".note{margin:.75rem 0 0}",
    ".ok{border-left:8px solid #00703c}.warn{border-left:8px solid #8a6d00}.err{border-left:8px solid #b3261e}",
    ".foot{max-width:42rem;margin:0 auto;padding:0 1rem 2rem;color:#4a4f57;font-size:.8125rem}",
    "@media (min-width:40rem){main{padding-top:1.5rem}h1{font-size:1.875rem}}",
);

/// Added for [`Kind::Wide`]: the wider column and the [`Table`] component, whose rows
/// stack into labelled blocks on a phone.
const WIDE_CSS: &str = concat!(
    ".top div,main,.foot{max-width:64rem}",
    ".t{width:100%;border-collapse:collapse;background:#fff;border:1px solid #d5d8dc}",
    ".t th,.t td{text-align:left;vertical-align:top;padding:.5rem .75rem;border-bottom:1px solid #d5d8dc;overflow-wrap:anywhere}",
    ".t th{background:#e6eef8}.t .num{text-align:right}",
    "@media (max-width:40rem){",
    ".t thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}",
    ".t tr,.t td{display:block}.t tr{padding:.5rem 0;border-bottom:1px solid #d5d8dc}",
    ".t td{border:0;padding:.125rem .75rem}.t .num{text-align:left}",
    ".t td::before{content:attr(data-label) \": \";color:#4a4f57;font-size:.875rem}",
    "}",
);

/// Added for [`Kind::Print`]: an A4-wide column on screen; in print only the page's own
/// content (the sheet laid out by the page's CSS) is printed.
const PRINT_CSS: &str = concat!(
    ".top div,main,.foot{max-width:210mm}",
    "@media print{body{background:#fff}.top,.demo,.foot{display:none}main{max-width:none;padding:0}}",
);

/// What kind of page the shell holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    /// Citizen pages, read on a phone: a 42rem column.
    #[default]
    Narrow,
    /// Staff and API pages: a 64rem column, and the [`Table`] component's CSS.
    Wide,
    /// A printable sheet (the poster): an A4-wide column on screen; in print the header,
    /// demo banner and footer are hidden and main has no padding. The page's own CSS
    /// ([`Shell::css`]) brings its `@page` rule and print media rules.
    Print,
}

impl Kind {
    /// The CSS this kind adds to the shell's.
    pub fn css(self) -> &'static str {
        match self {
            Kind::Narrow => "",
            Kind::Wide => WIDE_CSS,
            Kind::Print => PRINT_CSS,
        }
    }
}

/// What the shell needs besides the body.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shell<'a> {
    pub lang: Lang,
    /// The document title (also what the browser tab and Zalo's title bar show).
    pub title: &'a str,
    /// The page's own path (no query), for the language switch; `None` hides the switch
    /// (and so does a path that is not a local absolute path, see [`is_local_path`]).
    /// [`OWN_URL`] links it to the document's own URL, whatever its path.
    pub path: Option<&'a str>,
    /// Show the demo-data banner.
    pub demo: bool,
    /// The column width and print behaviour.
    pub kind: Kind,
    /// The page's own CSS rules, written after the shell's (so they may override them).
    /// Written unescaped into `<style>`: constants only, never user data.
    pub css: Option<&'static str>,
}

/// A page's path that stands for the document's own URL: its language switch is then
/// `?lang=…`, and the page is the same at every path that serves it (a survey form kept
/// compressed for a desk's QR code, its receipts and its kiosk).
pub const OWN_URL: &str = "";

/// The href of the language switch: the same path with `?lang=` of the other language.
pub fn lang_href(path: &str, lang: Lang) -> String {
    format!("{path}?lang={}", lang.code())
}

/// A path of this site (`/…`), not a protocol-relative URL (`//host`, `/\host`) that a
/// browser would take to another site.
/// Browsers drop tabs and line breaks from a URL and read `\` as `/`, so `/<TAB>/host`
/// would become `//host`: a path with either anywhere is not local.
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.chars().any(|c| c.is_control() || c == '\\')
}

/// A complete page around `body` (the content of `<main>`, not including it).
pub fn page(shell: Shell<'_>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(shell.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                meta name="robots" content="noindex,nofollow";
                meta name="referrer" content="no-referrer";
                meta name="theme-color" content="#0b3a6e";
                title { (shell.title) }
                style {
                    (PreEscaped(CSS))
                    (PreEscaped(shell.kind.css()))
                    @if let Some(css) = shell.css { (PreEscaped(css)) }
                }
            }
            body {
                (TopBar { lang: shell.lang, path: shell.path })
                @if shell.demo {
                    (DemoBanner(shell.lang))
                }
                main { (body) }
                footer.foot { p { (shell.lang.text().footer) } }
            }
        }
    }
}

/// The header bar: the service's name and, when the page has a path, the language switch.
#[derive(Debug, Clone, Copy)]
pub struct TopBar<'a> {
    pub lang: Lang,
    pub path: Option<&'a str>,
}

impl Render for TopBar<'_> {
    fn render(&self) -> Markup {
        let t = self.lang.text();
        html! {
            header.top {
                div {
                    p { (t.service_name) small { (t.service_sub) } }
                    @if let Some(path) = self.path {
                        (LangSwitch { lang: self.lang, path })
                    }
                }
            }
        }
    }
}

/// The link to the same page in the other language (nothing for a non-local path).
#[derive(Debug, Clone, Copy)]
pub struct LangSwitch<'a> {
    /// The page's current language.
    pub lang: Lang,
    /// The page's path, without query.
    pub path: &'a str,
}

impl Render for LangSwitch<'_> {
    fn render(&self) -> Markup {
        let other = self.lang.other();
        html! {
            @if self.path == OWN_URL || is_local_path(self.path) {
                nav aria-label=(self.lang.text().switch_label) {
                    a href=(lang_href(self.path, other)) lang=(other.code()) hreflang=(other.code()) {
                        (other.native_name())
                    }
                }
            }
        }
    }
}

/// The banner saying the data is a demo, under the header bar.
#[derive(Debug, Clone, Copy)]
pub struct DemoBanner(pub Lang);

impl Render for DemoBanner {
    fn render(&self) -> Markup {
        html! { p.demo { (self.0.text().demo) } }
    }
}

/// The accent of a [`Card`]: a coloured left border.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    #[default]
    Plain,
    /// Green: done.
    Ok,
    /// Amber: nothing happened, nothing wrong.
    Warn,
    /// Red: something is wrong.
    Err,
}

/// A white box with a border, optionally accented.
#[derive(Debug, Clone)]
pub struct Card {
    pub tone: Tone,
    pub body: Markup,
}

impl Card {
    pub fn new(body: Markup) -> Card {
        Card::toned(Tone::Plain, body)
    }

    pub fn toned(tone: Tone, body: Markup) -> Card {
        Card { tone, body }
    }
}

impl Render for Card {
    fn render(&self) -> Markup {
        let class = match self.tone {
            Tone::Plain => "card",
            Tone::Ok => "card ok",
            Tone::Warn => "card warn",
            Tone::Err => "card err",
        };
        html! { div class=(class) { (self.body) } }
    }
}

/// A column of a [`Table`].
#[derive(Debug, Clone, Copy)]
pub struct Column<'a> {
    /// The header, also the label of each cell when rows stack on a phone.
    pub label: &'a str,
    /// A number: right-aligned.
    pub num: bool,
}

impl<'a> Column<'a> {
    pub fn text(label: &'a str) -> Column<'a> {
        Column { label, num: false }
    }

    pub fn num(label: &'a str) -> Column<'a> {
        Column { label, num: true }
    }
}

/// A data table for [`Kind::Wide`] pages. Long words (paths, codes) wrap; below 40rem
/// each row becomes a block whose cells are labelled with their column's header, so
/// nothing overflows a 360 px phone.
#[derive(Debug, Clone)]
pub struct Table<'a> {
    pub columns: &'a [Column<'a>],
    /// One cell per column.
    pub rows: Vec<Vec<Markup>>,
}

impl Render for Table<'_> {
    fn render(&self) -> Markup {
        html! {
            table.t {
                thead { tr {
                    @for c in self.columns {
                        th scope="col" class=[c.num.then_some("num")] { (c.label) }
                    }
                } }
                tbody {
                    @for row in &self.rows {
                        tr {
                            @for (c, cell) in self.columns.iter().zip(row) {
                                td class=[c.num.then_some("num")] data-label=(c.label) { (cell) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The Content-Security-Policy sources (`'sha256-…'`) of every `<style>` block of a
/// rendered page, so a page's CSP can allow exactly its own inline CSS and no other
/// (`style-src` without `'unsafe-inline'`). The page stays one request.
pub fn style_hashes(html: &str) -> Vec<String> {
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find("<style") {
        let after_tag = &rest[open..];
        let Some(start) = after_tag.find('>') else {
            break;
        };
        let body = &after_tag[start + 1..];
        let Some(end) = body.find("</style>") else {
            break;
        };
        let digest = Sha256::digest(&body.as_bytes()[..end]);
        let source = format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        );
        if !hashes.contains(&source) {
            hashes.push(source);
        }
        rest = &body[end..];
    }
    hashes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(kind: Kind) -> Shell<'static> {
        Shell {
            title: "T",
            path: Some("/x"),
            kind,
            ..Shell::default()
        }
    }

    #[test]
    fn kinds_add_only_their_css() {
        let narrow = page(shell(Kind::Narrow), html! {}).into_string();
        let wide = page(shell(Kind::Wide), html! {}).into_string();
        let print = page(shell(Kind::Print), html! {}).into_string();
        assert!(!narrow.contains("64rem") && !narrow.contains("@media print"));
        assert!(wide.contains("max-width:64rem") && wide.contains(".t td::before"));
        assert!(print.contains("max-width:210mm") && print.contains("@media print"));
        for p in [&narrow, &wide, &print] {
            assert!(
                p.starts_with("<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\">")
            );
            assert!(p.contains(r#"<header class="top">"#));
            assert!(p.contains(r#"href="/x?lang=en""#));
        }
    }

    #[test]
    fn page_css_comes_last() {
        let p = page(
            Shell {
                css: Some(".mine{color:red}"),
                ..shell(Kind::Wide)
            },
            html! {},
        )
        .into_string();
        assert!(p.contains("}.mine{color:red}</style>"));
    }

    #[test]
    fn no_switch_to_another_site() {
        for bad in ["//evil.example", "/\\evil.example", "evil", "?lang=en"] {
            let p = page(
                Shell {
                    path: Some(bad),
                    ..shell(Kind::Narrow)
                },
                html! {},
            )
            .into_string();
            assert!(!p.contains("?lang="), "{bad}: {p}");
        }
        let own = page(
            Shell {
                path: Some(OWN_URL),
                ..shell(Kind::Narrow)
            },
            html! {},
        )
        .into_string();
        assert!(own.contains(r#"href="?lang=en""#), "{own}");
    }

    #[test]
    fn components() {
        assert_eq!(
            Card::toned(Tone::Warn, html! { p { "x" } })
                .render()
                .into_string(),
            r#"<div class="card warn"><p>x</p></div>"#
        );
        let cols = [Column::text("A"), Column::num("N")];
        let t = Table {
            columns: &cols,
            rows: vec![vec![html! { "a<" }, html! { "1" }]],
        }
        .render()
        .into_string();
        assert!(t.contains(r#"<th scope="col" class="num">N</th>"#));
        assert!(
            t.contains(r#"<td data-label="A">a&lt;</td><td class="num" data-label="N">1</td>"#)
        );
        assert!(
            DemoBanner(Lang::En)
                .render()
                .into_string()
                .starts_with(r#"<p class="demo">DEMO DATA"#)
        );
    }

    #[test]
    fn style_hashes_name_each_style_block() {
        let html =
            "<html><style>a{b:c}</style><p>x</p><style media=\"print\">d{e:f}</style></html>";
        let hashes = super::style_hashes(html);
        assert_eq!(hashes.len(), 2);
        // echo -n 'a{b:c}' | openssl dgst -sha256 -binary | base64
        assert_eq!(
            hashes[0],
            "'sha256-0cRUVYRKwNwnl1hkfkPGjkht16b039TjFdJzmXfFK2o='"
        );
        assert_ne!(hashes[0], hashes[1]);
        assert!(super::style_hashes("<p>no style</p>").is_empty());
    }
}
