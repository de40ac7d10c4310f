//! The API reference, built from the OpenAPI description: every route grouped by tag,
//! with its scope, parameters, request and response fields and errors. One page, no
//! script: readable on a phone (tables stack into labelled blocks below 40rem).

use maud::{Markup, html};

use crate::i18n::Lang;
use crate::layout::{self, Card, Column, Kind, Shell, Table};

/// The API index's path (the target of its language switch).
pub const PATH: &str = "/api/docs";

/// A route's operation, as the page shows it.
#[derive(Debug, Clone, Default)]
pub struct Endpoint {
    pub method: &'static str,
    pub path: String,
    pub summary: String,
    /// The rest of the description, after the summary.
    pub description: String,
    /// The token scope it needs (`read`, `write`); `None`: no token.
    pub scope: Option<String>,
    pub params: Vec<Param>,
    pub request: Option<Body>,
    /// Success answers (2xx, 3xx), each with its body's fields.
    pub responses: Vec<Answer>,
    /// Error answers (4xx, 5xx): the body is always the error body.
    pub errors: Vec<Answer>,
}

/// A path, query or header parameter.
#[derive(Debug, Clone, Default)]
pub struct Param {
    pub name: String,
    /// `path`, `query` or `header`.
    pub location: String,
    pub required: bool,
    pub kind: String,
    pub description: String,
}

/// A request or response body: its media type, its type and its fields (nested fields
/// with dotted names, list items with `[]`).
#[derive(Debug, Clone, Default)]
pub struct Body {
    pub content_type: String,
    pub kind: String,
    pub description: String,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Default)]
pub struct Field {
    pub name: String,
    pub kind: String,
    pub required: bool,
    pub description: String,
}

/// One status a route answers.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub status: String,
    pub description: String,
    pub body: Option<Body>,
    /// Headers it carries (`ETag`, `Link`, …).
    pub headers: Vec<String>,
}

/// The routes of one tag.
#[derive(Debug, Clone, Default)]
pub struct Group {
    pub tag: String,
    pub endpoints: Vec<Endpoint>,
}

pub struct ApiDocsView {
    pub title: String,
    pub version: String,
    pub groups: Vec<Group>,
}

/// The page's own CSS: a contents list and a card per route.
const CSS: &str = concat!(
    ".toc{margin:0;padding-left:1.25rem}.toc li{margin:.25rem 0}",
    ".toc a{display:inline-block;padding:.25rem 0;max-width:100%;overflow-wrap:anywhere}",
    ".route{background:#fff;border:1px solid #d5d8dc;border-radius:8px;padding:1rem;margin:0 0 1rem}",
    ".route h3{font-size:1.0625rem;margin:0;overflow-wrap:anywhere}",
    ".route h4{font-size:1rem;margin:1rem 0 .5rem}",
    ".m{display:inline-block;min-width:4.5em;margin-right:.5rem;padding:0 .375rem;border-radius:4px;background:#0b3a6e;color:#fff;text-align:center}",
    ".route p{margin:.5rem 0 0}",
    ".route code{overflow-wrap:anywhere}.route th{overflow-wrap:normal}",
);

/// A description from the OpenAPI document, whose `code` is in backticks (Markdown).
fn prose(text: &str) -> Markup {
    html! {
        @for (i, part) in text.split('`').enumerate() {
            @if i % 2 == 1 { code { (part) } } @else { (part) }
        }
    }
}

/// The reference in Vietnamese, without a language switch. The routes' descriptions
/// come from the OpenAPI description, in English, and are marked so.
pub fn page(view: &ApiDocsView) -> Markup {
    page_in(Lang::Vi, None, view)
}

struct Words {
    contents: &'static str,
    machine: &'static str,
    every: &'static str,
    create: &'static str,
    scope: &'static str,
    no_token: &'static str,
    params: &'static str,
    request: &'static str,
    responses: &'static str,
    errors: &'static str,
    name: &'static str,
    location: &'static str,
    required: &'static str,
    kind: &'static str,
    what: &'static str,
    field: &'static str,
    status: &'static str,
    yes: &'static str,
    no: &'static str,
    headers: &'static str,
    error_body: &'static str,
    paging: &'static str,
    always: &'static str,
}

const VI: Words = Words {
    contents: "Mục lục",
    machine: "Mô tả cho máy đọc: ",
    every: "Mọi yêu cầu gửi kèm ",
    create: " (tạo token bằng ",
    scope: "Quyền của token: ",
    no_token: "Không cần token",
    params: "Tham số",
    request: "Nội dung gửi",
    responses: "Kết quả",
    errors: "Lỗi",
    name: "Tên",
    location: "Vị trí",
    required: "Bắt buộc",
    kind: "Kiểu",
    what: "Mô tả",
    field: "Trường",
    status: "Mã trạng thái",
    yes: "có",
    no: "không",
    headers: "Tiêu đề: ",
    error_body: "Mọi lỗi có nội dung ",
    paging: "Danh sách dài có thể chia trang: ",
    always: "Với mọi đường dẫn: 401 khi thiếu token hợp lệ, 403 khi token thiếu quyền (kèm WWW-Authenticate), 405 khi sai phương thức (kèm Allow); HEAD trả lời như GET, không có nội dung.",
};

const EN: Words = Words {
    contents: "Contents",
    machine: "Machine-readable description: ",
    every: "Every request takes ",
    create: " (create a token with ",
    scope: "Token scope: ",
    no_token: "No token needed",
    params: "Parameters",
    request: "Request body",
    responses: "Responses",
    errors: "Errors",
    name: "Name",
    location: "In",
    required: "Required",
    kind: "Type",
    what: "Description",
    field: "Field",
    status: "Status",
    yes: "yes",
    no: "no",
    headers: "Headers: ",
    error_body: "Every error has the body ",
    paging: "Long lists can be paged: ",
    always: "On every path: 401 without a valid token, 403 when the token lacks the scope (with WWW-Authenticate), 405 for a method the path does not take (with Allow); HEAD answers as GET does, without a body.",
};

/// An anchor for a route, from its method and path (unique: one operation per pair).
pub fn anchor(method: &str, path: &str) -> String {
    let mut id = method.to_ascii_lowercase();
    for c in path.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.ends_with('-') {
            id.push('-');
        }
    }
    id.trim_end_matches('-').to_owned()
}

/// The reference in `lang`; `path` (normally [`PATH`]) shows the language switch, for a
/// handler that reads `?lang=`.
pub fn page_in(lang: Lang, path: Option<&str>, view: &ApiDocsView) -> Markup {
    let title = format!("{} {}", view.title, view.version);
    let w = match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    };
    // The descriptions are the OpenAPI document's, in English.
    let en = match lang {
        Lang::Vi => Some("en"),
        Lang::En => None,
    };
    let openapi = html! { a href="/api/v1/openapi.json" { "/api/v1/openapi.json" } };
    let body = html! {
        (Card::new(html! {
            h1 { (view.title) " " span.cap { (view.version) } }
            p.note { (w.machine) (openapi) "." }
            p.note {
                (w.every) code { "Authorization: Bearer <token>" }
                (w.create) code { "sipas token create --name NAME --scope read" } ")."
            }
            p.note { (w.error_body) code { r#"{"error": {"code", "message", "details"}}"# } "." }
            p.note { (w.always) }
            p.note { (w.paging) code { "?limit=&cursor=" } " → " code { "Link: <…>; rel=\"next\"" } ", " code { "X-Total-Count" } "." }
        }))
        nav aria-labelledby="toc" {
            h2 #toc { (w.contents) }
            ul.toc {
                @for group in &view.groups {
                    li {
                        a href={ "#tag-" (group.tag) } { (group.tag) }
                        ul.toc {
                            @for e in &group.endpoints {
                                li { a href={ "#" (anchor(e.method, &e.path)) } {
                                    code { (e.method) " " (e.path) }
                                } }
                            }
                        }
                    }
                }
            }
        }
        @for group in &view.groups {
            section aria-labelledby={ "tag-" (group.tag) } {
                h2 id={ "tag-" (group.tag) } { (group.tag) }
                @for e in &group.endpoints {
                    (endpoint(w, en, e))
                }
            }
        }
    };
    layout::page(
        Shell {
            lang,
            title: &title,
            path,
            kind: Kind::Wide,
            css: Some(CSS),
            ..Shell::default()
        },
        body,
    )
}

fn endpoint(w: &Words, en: Option<&str>, e: &Endpoint) -> Markup {
    let id = anchor(e.method, &e.path);
    html! {
        article.route aria-labelledby=(id) {
            h3 id=(id) { span.m { (e.method) } code { (e.path) } }
            @if !e.summary.is_empty() { p lang=[en] { (prose(&e.summary)) } }
            @if !e.description.is_empty() { p.cap lang=[en] { (prose(&e.description)) } }
            p.note {
                @match &e.scope {
                    Some(scope) => { (w.scope) code { (scope) } }
                    None => { (w.no_token) }
                }
            }
            @if !e.params.is_empty() {
                h4 { (w.params) }
                (params(w, en, &e.params))
            }
            @if let Some(body) = &e.request {
                h4 { (w.request) }
                (body_fields(w, en, body))
            }
            @if !e.responses.is_empty() {
                h4 { (w.responses) }
                @for answer in &e.responses {
                    p {
                        strong { (answer.status) }
                        @if !answer.description.is_empty() { " " span lang=[en] { (prose(&answer.description)) } }
                        @if !answer.headers.is_empty() {
                            " · " (w.headers)
                            @for (i, h) in answer.headers.iter().enumerate() {
                                @if i > 0 { ", " } code { (h) }
                            }
                        }
                    }
                    @if let Some(body) = &answer.body { (body_fields(w, en, body)) }
                }
            }
            @if !e.errors.is_empty() {
                h4 { (w.errors) }
                @let columns = [Column::text(w.status), Column::text(w.what)];
                (Table {
                    columns: &columns,
                    rows: e.errors.iter().map(|a| vec![
                        html! { strong { (a.status) } },
                        html! { span lang=[en] { (prose(&a.description)) } },
                    ]).collect(),
                })
            }
        }
    }
}

fn params(w: &Words, en: Option<&str>, params: &[Param]) -> Markup {
    let columns = [
        Column::text(w.name),
        Column::text(w.location),
        Column::text(w.required),
        Column::text(w.kind),
        Column::text(w.what),
    ];
    let rows = params
        .iter()
        .map(|p| {
            vec![
                html! { code { (p.name) } },
                html! { (p.location) },
                html! { (if p.required { w.yes } else { w.no }) },
                html! { code { (p.kind) } },
                html! { span lang=[en] { (prose(&p.description)) } },
            ]
        })
        .collect();
    html! { (Table { columns: &columns, rows }) }
}

fn body_fields(w: &Words, en: Option<&str>, body: &Body) -> Markup {
    let columns = [
        Column::text(w.field),
        Column::text(w.kind),
        Column::text(w.required),
        Column::text(w.what),
    ];
    html! {
        p.cap {
            code { (body.content_type) } " · " code { (body.kind) }
            @if !body.description.is_empty() { " · " span lang=[en] { (prose(&body.description)) } }
        }
        @if !body.fields.is_empty() {
            (Table {
                columns: &columns,
                rows: body.fields.iter().map(|f| vec![
                    html! { code { (f.name) } },
                    html! { code { (f.kind) } },
                    html! { (if f.required { w.yes } else { w.no }) },
                    html! { span lang=[en] { (prose(&f.description)) } },
                ]).collect(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_routes_with_parameters_and_fields_escaped() {
        let html = page(&ApiDocsView {
            title: "SIPAS API".into(),
            version: "0.1.0".into(),
            groups: vec![Group {
                tag: "units".into(),
                endpoints: vec![Endpoint {
                    method: "GET",
                    path: "/api/v1/units".into(),
                    summary: "Units <all>".into(),
                    scope: Some("read".into()),
                    params: vec![Param {
                        name: "type".into(),
                        location: "query".into(),
                        kind: "string".into(),
                        description: "Only units of `type`.".into(),
                        ..Param::default()
                    }],
                    responses: vec![Answer {
                        status: "200".into(),
                        body: Some(Body {
                            content_type: "application/json".into(),
                            kind: "array of Unit".into(),
                            fields: vec![Field {
                                name: "[].code".into(),
                                kind: "string".into(),
                                required: true,
                                description: String::new(),
                            }],
                            ..Body::default()
                        }),
                        ..Answer::default()
                    }],
                    errors: vec![Answer {
                        status: "401".into(),
                        description: "no token".into(),
                        ..Answer::default()
                    }],
                    ..Endpoint::default()
                }],
            }],
        })
        .into_string();
        assert!(html.contains("<code>/api/v1/units</code>"));
        assert!(html.contains(r#"<p lang="en">Units &lt;all&gt;</p>"#));
        assert!(html.contains(r#"<html lang="vi">"#));
        assert!(html.contains("Bearer &lt;token&gt;"));
        assert!(html.contains(r##"href="#get-api-v1-units""##));
        assert!(html.contains(r#"id="get-api-v1-units""#));
        assert!(html.contains("<code>[].code</code>"));
        assert!(html.contains("<h4>Lỗi</h4>"));
        assert!(html.contains("Only units of <code>type</code>."));
    }
}
