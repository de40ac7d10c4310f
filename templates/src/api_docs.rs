//! A plain index of the HTTP API, built from the OpenAPI description.

use maud::{DOCTYPE, Markup, html};

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

pub fn page(view: &ApiDocsView) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (view.title) " " (view.version) }
                style { (maud::PreEscaped(STYLE)) }
            }
            body {
                main {
                    h1 { (view.title) " " small { (view.version) } }
                    p {
                        "Machine-readable description: "
                        a href="/api/v1/openapi.json" { "/api/v1/openapi.json" }
                        ". Every endpoint takes `Authorization: Bearer <token>` (create one with "
                        code { "sipas token create --name NAME --scope read" } ")."
                    }
                    table {
                        thead { tr { th scope="col" { "Method" } th scope="col" { "Path" } th scope="col" { "What" } } }
                        tbody {
                            @for e in &view.endpoints {
                                tr { td { code { (e.method) } } td { code { (e.path) } } td { (e.summary) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;margin:0;color:#1b1b1b;line-height:1.5}main{max-width:60rem;margin:0 auto;padding:1rem}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #ccc;vertical-align:top}small{color:#555;font-size:.6em}a{color:#0b4f9c}";

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
        assert!(html.contains("Units &lt;all&gt;"));
    }
}
