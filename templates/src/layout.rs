//! The page shell shared by every citizen view: one HTML document with its CSS inline
//! (no external requests), system fonts with Vietnamese glyphs, no JavaScript.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::i18n::Lang;

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
    ".lead{margin:.75rem 0 0;font-size:.9375rem;font-weight:600}",
    ".who{font-size:1.125rem;font-weight:700;margin:.25rem 0 0}",
    ".note{margin:.75rem 0 0}",
    ".alert{border:4px solid #b3261e;background:#fff;padding:1rem;margin:0 0 1rem}",
    ".alert h2{margin:0 0 .5rem;font-size:1.125rem}",
    ".alert ul{margin:0;padding-left:1.25rem}",
    ".alert a{color:#b3261e;font-weight:700}",
    "fieldset{margin:0 0 1rem;padding:.75rem;border:1px solid #d5d8dc;border-radius:8px;background:#fff;min-width:0}",
    "legend{float:left;width:100%;padding:0;margin:0 0 .5rem;font-weight:600;line-height:1.4}",
    "legend small{display:block;color:#4a4f57;font-weight:400;font-size:.875rem}",
    ".bad{border:2px solid #b3261e;border-left-width:6px}",
    ".em{clear:both;color:#b3261e;font-weight:700;margin:0 0 .5rem}",
    "fieldset label{display:flex;align-items:center;position:relative;min-height:48px;margin-top:.375rem;padding:.5rem .75rem .5rem 2.75rem;border:2px solid #7a808a;border-radius:6px;line-height:1.3;background:#fff}",
    "fieldset input{position:absolute;left:.75rem;top:50%;width:1.375rem;height:1.375rem;margin:-.6875rem 0 0;accent-color:#0b3a6e}",
    "fieldset b{min-width:1.5rem;margin-right:.375rem;font-size:1.125rem}",
    "fieldset label:last-child{margin-top:.75rem;border-style:dashed;color:#4a4f57}",
    "fieldset label:has(:checked){background:#e6eef8;border-color:#0b3a6e;border-style:solid;box-shadow:inset 0 0 0 1px #0b3a6e;color:#1b1b1b}",
    "fieldset label:has(:focus-visible){outline:3px solid #ffbf47;box-shadow:0 0 0 5px #1b1b1b}",
    "textarea{display:block;width:100%;min-height:6rem;padding:.5rem;font:inherit;border:2px solid #7a808a;border-radius:6px}",
    ".hp{position:absolute;left:-9999px;width:1px;height:1px;overflow:hidden}",
    "button{display:block;width:100%;min-height:52px;margin:1.5rem 0 .5rem;padding:.75rem 1rem;border:0;border-radius:6px;background:#00703c;color:#fff;font:inherit;font-size:1.1875rem;font-weight:700;box-shadow:0 3px 0 #002d18}",
    "button:active{transform:translateY(2px);box-shadow:0 1px 0 #002d18}",
    ".ok{border-left:8px solid #00703c}.warn{border-left:8px solid #8a6d00}.err{border-left:8px solid #b3261e}",
    ".foot{max-width:42rem;margin:0 auto;padding:0 1rem 2rem;color:#4a4f57;font-size:.8125rem}",
    "@media (min-width:40rem){main{padding-top:1.5rem}h1{font-size:1.875rem}}",
);

/// What the shell needs besides the body.
#[derive(Debug, Clone, Copy)]
pub struct Shell<'a> {
    pub lang: Lang,
    /// The document title (also what the browser tab and Zalo's title bar show).
    pub title: &'a str,
    /// The page's own path (no query), for the language switch; `None` hides the switch.
    pub path: Option<&'a str>,
    /// Show the demo-data banner.
    pub demo: bool,
}

/// The href of the language switch: the same path with `?lang=` of the other language.
pub fn lang_href(path: &str, lang: Lang) -> String {
    format!("{path}?lang={}", lang.code())
}

/// A complete citizen page around `body` (which should start with `<main>` content, not
/// include it).
pub fn page(shell: Shell<'_>, body: Markup) -> Markup {
    let t = shell.lang.text();
    let other = shell.lang.other();
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
                style { (PreEscaped(CSS)) }
            }
            body {
                header.top {
                    div {
                        p { (t.service_name) small { (t.service_sub) } }
                        @if let Some(path) = shell.path {
                            nav aria-label=(t.switch_label) {
                                a href=(lang_href(path, other)) lang=(other.code()) hreflang=(other.code()) {
                                    (other.native_name())
                                }
                            }
                        }
                    }
                }
                @if shell.demo {
                    p.demo { (t.demo) }
                }
                main { (body) }
                footer.foot { p { (t.footer) } }
            }
        }
    }
}
