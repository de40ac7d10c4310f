//! A plain index of the HTTP API, built from the OpenAPI description.

use maud::{Markup, html};

use crate::i18n::Lang;
use crate::layout::{self, Card, Column, Kind, Shell, Table};

/// The API index's path (the target of its language switch).
pub const PATH: &str = "/api/docs";

pub struct Endpoint {
    pub method: &'static str,
    pub path: String,
    pub summary: String,
}

pub struct ApiDocsView {
    pub title: String,
    pub version: String,
    pub endpoints: Vec<Endpoint>,
}

/// The index in Vietnamese, without a language switch. The endpoints' summaries come
/// from the OpenAPI description, in English, and are marked so.
pub fn page(view: &ApiDocsView) -> Markup {
    page_in(Lang::Vi, None, view)
}

/// The index in `lang`; `path` (normally [`PATH`]) shows the language switch, for a
/// handler that reads `?lang=`.
pub fn page_in(lang: Lang, path: Option<&str>, view: &ApiDocsView) -> Markup {
    let title = format!("{} {}", view.title, view.version);
    let (columns, summary_lang) = match lang {
        Lang::Vi => (["Phương thức", "Đường dẫn", "Chức năng"], Some("en")),
        Lang::En => (["Method", "Path", "What"], None),
    };
    let columns = columns.map(Column::text);
    let rows = view
        .endpoints
        .iter()
        .map(|e| {
            vec![
                html! { code { (e.method) } },
                // Kept whole (people and tests search for it); the table's CSS wraps it.
                html! { code { (e.path) } },
                html! { span lang=[summary_lang] { (e.summary) } },
            ]
        })
        .collect();
    let openapi = html! { a href="/api/v1/openapi.json" { "/api/v1/openapi.json" } };
    let auth = html! { code { "Authorization: Bearer <token>" } };
    let create = html! { code { "sipas token create --name NAME --scope read" } };
    let body = html! {
        (Card::new(html! {
            h1 { (view.title) " " span.cap { (view.version) } }
            @match lang {
                Lang::Vi => {
                    p.note { "Mô tả cho máy đọc: " (openapi) "." }
                    p.note { "Mọi yêu cầu gửi kèm " (auth) " (tạo token bằng " (create) ")." }
                }
                Lang::En => {
                    p.note { "Machine-readable description: " (openapi) "." }
                    p.note { "Every endpoint takes " (auth) " (create a token with " (create) ")." }
                }
            }
        }))
        (Table { columns: &columns, rows })
    };
    layout::page(
        Shell {
            lang,
            title: &title,
            path,
            kind: Kind::Wide,
            ..Shell::default()
        },
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_endpoints_escaped() {
        let html = page(&ApiDocsView {
            title: "SIPAS API".into(),
            version: "0.1.0".into(),
            endpoints: vec![Endpoint {
                method: "GET",
                path: "/api/v1/units".into(),
                summary: "Units <all>".into(),
            }],
        })
        .into_string();
        assert!(html.contains("<code>/api/v1/units</code>"));
        assert!(html.contains(r#"<span lang="en">Units &lt;all&gt;</span>"#));
        assert!(html.contains(r#"<html lang="vi">"#));
        assert!(html.contains("Bearer &lt;token&gt;"));
    }
}
