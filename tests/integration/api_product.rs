//! The API as a product: every documented route answers, errors are the contract's JSON
//! body with the right headers (`WWW-Authenticate`, `Allow`), entity tags compare
//! weakly, long lists page, `HEAD` answers wherever `GET` does, and `/api/docs` lists
//! each route's parameters and fields. Routes are read from `openapi.json` at run time,
//! so routes added later are covered without touching these tests.

use std::collections::{BTreeMap, HashSet};

use crate::backend_tests;
use crate::common::{Backend, TestApp, spawn_app};
use chrono::{Duration, Utc};
use reqwest::{Method, header};
use serde_json::{Value, json};

backend_tests!(every_route_answers, long_lists_page_exactly_once);

/// What the API's default service says: a 404 with this message was not routed.
const UNROUTED: &str = "no such API endpoint; see /api/v1/openapi.json";
const CAMPAIGN: &str = "AP-2026";

/// A campaign with a frame of a dozen communes (and two more campaigns, for the
/// campaign list); returns the communes' codes.
async fn set_up(app: &TestApp) -> Vec<String> {
    let today = Utc::now().date_naive();
    for (code, starts) in [("AP-2024", -700), ("AP-2025", -300), (CAMPAIGN, -5)] {
        let created = app
            .post_json(
                "/api/v1/campaigns",
                &json!({
                    "code": code, "name": format!("Vòng {code}"), "template": "SIPAS-2023",
                    "starts_on": (today + Duration::days(starts)).to_string(),
                    "ends_on": (today + Duration::days(starts + 60)).to_string(),
                }),
            )
            .await;
        assert_eq!(created.status(), 201, "{code}");
    }
    let units = app
        .read_json(&format!("/api/v1/units?type=commune&campaign={CAMPAIGN}"))
        .await;
    let communes: Vec<String> = units
        .as_array()
        .unwrap()
        .iter()
        .take(12)
        .map(|u| u["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(communes.len(), 12);
    let mut csv = String::from("unit_code,service_point_code,population\n");
    for (i, code) in communes.iter().enumerate() {
        csv.push_str(&format!("{code},,{}\n", 100 + i));
    }
    let frame = app
        .send_csv(
            Method::PUT,
            &format!("/api/v1/campaigns/{CAMPAIGN}/frame"),
            &csv,
        )
        .await;
    assert_eq!(frame.status(), 200, "{}", frame.text().await.unwrap());
    communes
}

async fn openapi(app: &TestApp) -> Value {
    let response = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Every operation of the document as (method, path template).
fn operations(doc: &Value) -> Vec<(Method, String)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method = match method.as_str() {
                "get" => Method::GET,
                "post" => Method::POST,
                "put" => Method::PUT,
                "patch" => Method::PATCH,
                "delete" => Method::DELETE,
                _ => continue,
            };
            all.push((method, path.clone()));
        }
    }
    all
}

/// A template with real values: the campaign and a commune of its frame, the unit's own
/// desk, the shipped PAR scheme, an SVG; `1` for anything else (a version, an id).
fn concrete(template: &str, unit: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').unwrap() + open;
        let value = match &rest[open + 1..close] {
            "campaign" | "c" => CAMPAIGN,
            "unit" => unit,
            "service_point" | "sp" => "MC",
            "scheme" | "code" => "HT-52-2019",
            "format" => "svg",
            _ => "1",
        };
        out.push_str(value);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

fn assert_error_body(body: &Value, context: &str) {
    assert!(body["error"]["code"].is_string(), "{context}: {body}");
    assert!(body["error"]["message"].is_string(), "{context}: {body}");
    assert!(body["error"]["details"].is_array(), "{context}: {body}");
}

/// Each operation of the OpenAPI document, sent with a token of both scopes and real
/// path parameters, is routed: never 405, never the default service's 404; every
/// error it answers is the JSON error body. Then each GET is asked as HEAD: the same
/// status and headers, no body.
async fn every_route_answers(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let communes = set_up(&app).await;
    let doc = openapi(&app).await;
    let operations = operations(&doc);
    assert!(operations.len() >= 20, "{operations:?}");
    // Reads first, while everything is as set up; then the writes.
    let (reads, writes): (Vec<_>, Vec<_>) =
        operations.into_iter().partition(|(m, _)| m == Method::GET);
    for (method, template) in reads.iter().chain(&writes) {
        let path = concrete(template, &communes[0]);
        let mut request = app
            .client
            .request(method.clone(), app.url(&path))
            .bearer_auth(&app.both_token);
        if method != Method::GET {
            request = request.json(&json!({}));
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let text = response.text().await.unwrap();
        let context = format!("{method} {path} → {status}");
        assert_ne!(status, 405, "{context}: {text}");
        if status.is_client_error() || status.is_server_error() {
            assert!(
                content_type.starts_with("application/json"),
                "{context}: {content_type}"
            );
            let body: Value = serde_json::from_str(&text).unwrap();
            assert_error_body(&body, &context);
            assert_ne!(
                body["error"]["message"], UNROUTED,
                "{context} is not routed"
            );
        }
        assert!(status.as_u16() < 500, "{context}: {text}");
    }
    for (_, template) in &reads {
        let path = concrete(template, &communes[0]);
        assert_head_like_get(&app, &path, Some(&app.both_token)).await;
    }
}

/// A HEAD answers as the GET does, without a body.
async fn assert_head_like_get(app: &TestApp, path: &str, token: Option<&str>) {
    let send = |method: Method| {
        let mut request = app.client.request(method, app.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let get = send(Method::GET).await.unwrap();
    let head = send(Method::HEAD).await.unwrap();
    assert_eq!(head.status(), get.status(), "HEAD {path}");
    for name in [
        header::CONTENT_TYPE,
        header::CONTENT_LENGTH,
        header::ETAG,
        header::LOCATION,
        header::WWW_AUTHENTICATE,
    ] {
        assert_eq!(
            head.headers().get(&name),
            get.headers().get(&name),
            "HEAD {path}: {name}"
        );
    }
    let length = get.headers().get(header::CONTENT_LENGTH).cloned();
    let get_body = get.bytes().await.unwrap();
    if let Some(length) = length {
        assert_eq!(length.to_str().unwrap(), get_body.len().to_string());
    }
    assert!(
        head.bytes().await.unwrap().is_empty(),
        "HEAD {path} has a body"
    );
}

/// HEAD on pages of every audience: the front page, the API reference, the staff
/// login and a redirect, the citizen 404, health.
#[tokio::test]
async fn head_answers_wherever_get_does() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    for path in [
        "/",
        "/healthz",
        "/readyz",
        "/api/docs",
        "/api/docs?lang=en",
        "/api/v1/openapi.json",
        "/login",
        "/manage",
        "/s/not-a-token",
        "/nowhere",
        "/api/v1/units",
    ] {
        assert_head_like_get(&app, path, None).await;
    }
    assert_head_like_get(&app, "/api/v1/units", Some(&app.read_token)).await;
    let head = app
        .client
        .head(app.url("/api/v1/units"))
        .bearer_auth(&app.read_token)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
}

/// The rows of docs/api.md's route table and the routes its "What this implementation
/// adds" section names, as (method, path without query).
fn documented_routes() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/api.md"))
        .expect("docs/api.md");
    let api = &text[text.find("## HTTP API").expect("the API section")..];
    let methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    let mut routes = Vec::new();
    for line in api.lines() {
        let in_table = line.starts_with("| `");
        let cell = if in_table {
            line.split(" | ").next().unwrap_or_default()
        } else {
            line
        };
        let spans: Vec<&str> = cell.split('`').skip(1).step_by(2).collect();
        let mut previous: Option<String> = None;
        // `GET`/`PUT /x`: methods before their path; `· POST` `{body}`: a method for the
        // previous path.
        let mut pending: Vec<String> = Vec::new();
        for span in spans {
            let (head, path) = span.split_once(' ').unwrap_or((span, ""));
            let span_methods: Vec<String> = head.split('/').map(str::to_owned).collect();
            let is_methods =
                !head.is_empty() && span_methods.iter().all(|m| methods.contains(&m.as_str()));
            let path = path.split('?').next().unwrap_or_default().trim();
            let path = path.strip_prefix("/api/v1").unwrap_or(path);
            if is_methods && path.starts_with('/') {
                for m in span_methods.into_iter().chain(pending.drain(..)) {
                    routes.push((m, path.to_owned()));
                }
                previous = Some(path.to_owned());
                continue;
            }
            if is_methods && path.is_empty() && in_table {
                pending.extend(span_methods);
                continue;
            }
            if let Some(p) = &previous {
                for m in pending.drain(..) {
                    routes.push((m, p.clone()));
                }
            }
            if is_methods && path.starts_with('…') {
                // `POST …/{sp}/close`: the previous path up to the segment named.
                let tail = path.trim_start_matches('…');
                if let Some(p) = &previous {
                    let first = tail.trim_start_matches('/').split('/').next().unwrap();
                    let base = &p[..p.find(first).unwrap_or(p.len())];
                    let full = format!("{}{}", base.trim_end_matches('/'), tail);
                    for m in &span_methods {
                        routes.push((m.clone(), full.clone()));
                    }
                }
            } else if in_table
                && !span.contains(' ')
                && !span.starts_with('{')
                && span.contains('.')
                && let Some(p) = &previous
                && let Some((dir, last)) = p.rsplit_once('/')
                && last.contains('.')
            {
                // `qr.svg` · `qr.png`: another file beside the previous one.
                routes.push(("GET".to_owned(), format!("{dir}/{span}")));
            }
        }
        if let Some(p) = &previous {
            for m in pending.drain(..) {
                routes.push((m, p.clone()));
            }
        }
    }
    routes
}

/// Whether a documented path (`{c}`, examples like `42`) is the OpenAPI template
/// (`{campaign}`, `qr.{format}`) relative to `/api/v1`.
fn same_route(documented: &str, template: &str) -> bool {
    let template = template.strip_prefix("/api/v1").unwrap_or(template);
    let a: Vec<&str> = documented.split('/').collect();
    let b: Vec<&str> = template.split('/').collect();
    a.len() == b.len()
        && a.iter().zip(&b).all(|(d, t)| {
            if d == t || (d.starts_with('{') && t.starts_with('{')) {
                return true;
            }
            match (t.find('{'), t.rfind('}')) {
                (Some(open), Some(close)) => {
                    d.starts_with(&t[..open]) && d.ends_with(&t[close + 1..])
                }
                _ => false,
            }
        })
}

/// Every route docs/api.md promises is in the OpenAPI document (so, with
/// `every_route_answers`, it answers); every documented path is under `/api/v1`.
#[tokio::test]
async fn documented_routes_are_in_the_openapi_document() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let doc = openapi(&app).await;
    let operations = operations(&doc);
    for (_, path) in &operations {
        assert!(path.starts_with("/api/v1/"), "{path} is outside /api/v1");
    }
    // The document itself is served beside the API it describes, not described in it.
    let documented: Vec<(String, String)> = documented_routes()
        .into_iter()
        .filter(|(_, path)| path != "/openapi.json")
        .collect();
    // The parser reads the table (a sanity check that it still does).
    for expected in [
        ("GET", "/units"),
        ("POST", "/units/{unit}/close"),
        ("POST", "/units/{unit}/service-points"),
        ("POST", "/units/{unit}/service-points/{sp}/close"),
        ("PUT", "/par-schemes/{code}"),
        ("GET", "/par-schemes/{code}"),
        (
            "GET",
            "/campaigns/{c}/units/{unit}/service-points/{sp}/qr.png",
        ),
        ("POST", "/campaigns/{c}/open"),
    ] {
        assert!(
            documented
                .iter()
                .any(|(m, p)| m == expected.0 && p == expected.1),
            "{expected:?} not parsed from {documented:?}"
        );
    }
    let missing: Vec<&(String, String)> = documented
        .iter()
        .filter(|(method, path)| {
            !operations
                .iter()
                .any(|(m, t)| m.as_str() == method && same_route(path, t))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "documented but not in openapi.json: {missing:?}"
    );
}

/// Fetches a list whole, then page by page (following `Link: rel="next"`), and checks
/// the pages hold every item exactly once; returns how many pages there were.
async fn page_through(app: &TestApp, path: &str, list: &str, key: &str, limit: usize) -> usize {
    let whole = app.read_json(path).await;
    let items = |v: &Value| -> Vec<String> {
        v.pointer(list)
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i[key].as_str().unwrap().to_owned())
            .collect()
    };
    let all = items(&whole);
    assert!(all.len() > limit, "{path}: {} items", all.len());
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut next = Some(format!("{path}{separator}limit={limit}"));
    let mut seen: Vec<String> = Vec::new();
    let mut pages = 0;
    while let Some(url) = next.take() {
        let response = app.get(&url, &app.read_token).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let total = response.headers()["x-total-count"].to_str().unwrap();
        assert_eq!(total, all.len().to_string(), "{url}");
        next = response.headers().get(header::LINK).map(|link| {
            let link = link.to_str().unwrap();
            assert!(link.ends_with(r#">; rel="next""#), "{link}");
            link[1..link.find('>').unwrap()].to_owned()
        });
        let page: Value = response.json().await.unwrap();
        let got = items(&page);
        assert!(got.len() <= limit && !got.is_empty(), "{url}: {got:?}");
        seen.extend(got);
        pages += 1;
        assert!(pages <= all.len(), "{path}: the pages do not end");
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "{path}: an item twice: {seen:?}");
    let mut sorted_all = all.clone();
    sorted_all.sort();
    let mut sorted_seen = seen.clone();
    sorted_seen.sort();
    assert_eq!(sorted_seen, sorted_all, "{path}");
    pages
}

/// Units, campaigns, quotas and scores page with `limit` and `cursor`, each item
/// once; without `limit` the list is whole; a bad limit or cursor is 422.
async fn long_lists_page_exactly_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    set_up(&app).await;
    assert_eq!(
        page_through(&app, "/api/v1/units?type=commune", "", "code", 10).await,
        7,
        "69 communes by 10"
    );
    page_through(&app, "/api/v1/units", "", "code", 50).await;
    page_through(&app, "/api/v1/campaigns", "", "code", 1).await;
    page_through(&app, "/api/v1/campaigns", "", "code", 2).await;
    let quotas = format!("/api/v1/campaigns/{CAMPAIGN}/quotas");
    assert_eq!(page_through(&app, &quotas, "", "unit_code", 5).await, 3);
    let scores = format!("/api/v1/campaigns/{CAMPAIGN}/scores?unit_type=commune");
    page_through(&app, &scores, "/units", "unit_code", 4).await;
    // A page of scores keeps the rest of the document: the aggregate of every unit.
    let whole = app.read_json(&scores).await;
    let page = app.read_json(&format!("{scores}&limit=4")).await;
    assert_eq!(page["aggregate"], whole["aggregate"]);
    assert_eq!(page["campaign"], CAMPAIGN);
    assert!(whole["units"].as_array().unwrap().len() > 4);
    // Without limit: no paging headers.
    let plain = app
        .get("/api/v1/units", &app.read_token)
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get(header::LINK).is_none());
    for bad in [
        "limit=0",
        "limit=1001",
        "limit=ten",
        "limit=-1",
        "limit=5&cursor=not-a-cursor",
        "limit=5&cursor=",
        "cursor=azE6MTgwNzM",
    ] {
        for path in ["/api/v1/units", "/api/v1/campaigns", &quotas, &scores] {
            let separator = if path.contains('?') { '&' } else { '?' };
            let url = format!("{path}{separator}{bad}");
            let response = app.get(&url, &app.read_token).send().await.unwrap();
            assert_eq!(response.status(), 422, "{url}");
            assert_error_body(&response.json().await.unwrap(), &url);
        }
    }
}

/// `If-None-Match` compares weakly (RFC 9110 §13.1.2): the strong and weak forms, a
/// list, `*`, and the gzip variant's tag give 304; another tag the document.
#[tokio::test]
async fn entity_tags_compare_weakly() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    set_up(&app).await;
    for path in [
        format!("/api/v1/campaigns/{CAMPAIGN}/quotas"),
        format!("/api/v1/campaigns/{CAMPAIGN}/scores"),
    ] {
        let first = app.get(&path, &app.read_token).send().await.unwrap();
        assert_eq!(first.status(), 200);
        let tag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
        assert!(tag.starts_with('"') && tag.ends_with('"'), "{tag}");
        let opaque = tag.trim_matches('"');
        let gzip_tag = format!("\"{opaque}-gzip\"");
        let cases: BTreeMap<String, u16> = [
            (tag.clone(), 304),
            (format!("W/{tag}"), 304),
            (format!("\"other\", W/{tag}"), 304),
            (format!("W/\"other\",{tag}"), 304),
            ("*".to_owned(), 304),
            (gzip_tag.clone(), 304),
            (format!("W/{gzip_tag}"), 304),
            ("\"other\"".to_owned(), 200),
            (format!("W/\"{opaque}x\""), 200),
        ]
        .into_iter()
        .collect();
        for (if_none_match, expected) in &cases {
            let response = app
                .get(&path, &app.read_token)
                .header(header::IF_NONE_MATCH, if_none_match)
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                *expected,
                "{path} If-None-Match: {if_none_match}"
            );
            assert!(response.headers().contains_key(header::ETAG));
            let body = response.bytes().await.unwrap();
            assert_eq!(body.is_empty(), *expected == 304, "{path} {if_none_match}");
        }
        // The gzip variant names its own tag, and is matched by the plain one too.
        let gzipped = app
            .get(&path, &app.read_token)
            .header(header::ACCEPT_ENCODING, "gzip")
            .header(header::IF_NONE_MATCH, format!("W/{tag}"))
            .send()
            .await
            .unwrap();
        assert_eq!(gzipped.status(), 304);
        assert_eq!(gzipped.headers()[header::ETAG], gzip_tag.as_str());
        // HEAD honours it as GET does.
        let head = app
            .client
            .head(app.url(&path))
            .bearer_auth(&app.read_token)
            .header(header::IF_NONE_MATCH, format!("W/{tag}"))
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 304);
    }
}

/// Every 401 carries a bearer challenge (with `invalid_token` when a token was sent); a
/// token without the needed scope gets 403 with `insufficient_scope` and the scope.
#[tokio::test]
async fn unauthenticated_and_forbidden_answers_carry_a_challenge() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let challenge = |r: &reqwest::Response| {
        r.headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let none = app
        .client
        .get(app.url("/api/v1/units"))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(challenge(&none).as_deref(), Some(r#"Bearer realm="sipas""#));
    let basic = app
        .client
        .get(app.url("/api/v1/units"))
        .header(header::AUTHORIZATION, "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
    assert_eq!(
        challenge(&basic).as_deref(),
        Some(r#"Bearer realm="sipas""#)
    );
    let unknown = app
        .get("/api/v1/units", "sipas_notarealtoken")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401);
    assert_eq!(
        challenge(&unknown).as_deref(),
        Some(r#"Bearer realm="sipas", error="invalid_token""#)
    );
    // Also for a write to a path that does not exist: the token is checked first.
    let unknown_write = app
        .client
        .post(app.url("/api/v1/campaigns/X/publish-nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_write.status(), 401);
    assert!(challenge(&unknown_write).is_some());
    let read_only_write = app
        .post("/api/v1/campaigns", &app.read_token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(read_only_write.status(), 403);
    assert_eq!(
        challenge(&read_only_write).as_deref(),
        Some(r#"Bearer realm="sipas", error="insufficient_scope", scope="write""#)
    );
    let write_only_read = app
        .get("/api/v1/units", &app.write_token)
        .send()
        .await
        .unwrap();
    assert_eq!(write_only_read.status(), 403);
    assert_eq!(
        challenge(&write_only_read).as_deref(),
        Some(r#"Bearer realm="sipas", error="insufficient_scope", scope="read""#)
    );
    assert_error_body(&write_only_read.json().await.unwrap(), "403");
    // A success carries none.
    let ok = app
        .get("/api/v1/units", &app.read_token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert!(challenge(&ok).is_none());
}

/// Errors actix or the router would answer in plain text are the JSON error body: an
/// unknown path (404), a known path with another method (405 with `Allow`), a JSON
/// body sent as something else (415), a body over the limit (413).
#[tokio::test]
async fn every_api_error_is_the_json_error_body() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    async fn json_error(response: reqwest::Response, status: u16, code: &str) -> Value {
        assert_eq!(response.status(), status);
        assert!(
            response.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{body}");
        assert_error_body(&body, code);
        body
    }
    let unknown = app
        .get("/api/v1/nowhere", &app.read_token)
        .send()
        .await
        .unwrap();
    let body = json_error(unknown, 404, "not_found").await;
    assert_eq!(body["error"]["message"], UNROUTED);
    let unknown_outside = app
        .client
        .get(app.url("/api/v2/units"))
        .send()
        .await
        .unwrap();
    json_error(unknown_outside, 404, "not_found").await;

    let wrong_method = app
        .client
        .delete(app.url("/api/v1/campaigns"))
        .bearer_auth(&app.both_token)
        .send()
        .await
        .unwrap();
    let allow = wrong_method.headers()[header::ALLOW]
        .to_str()
        .unwrap()
        .to_owned();
    for method in ["GET", "POST", "HEAD"] {
        assert!(allow.contains(method), "{allow}");
    }
    json_error(wrong_method, 405, "method_not_allowed").await;
    let templated = app
        .client
        .put(app.url("/api/v1/units/18073/close"))
        .bearer_auth(&app.both_token)
        .send()
        .await
        .unwrap();
    assert_eq!(templated.headers()[header::ALLOW], "POST");
    json_error(templated, 405, "method_not_allowed").await;

    let wrong_type = app
        .post("/api/v1/campaigns", &app.write_token)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(r#"{"code": "X"}"#)
        .send()
        .await
        .unwrap();
    json_error(wrong_type, 415, "unsupported_media_type").await;

    let huge = format!(r#"{{"code": "{}"}}"#, "x".repeat(1100 * 1024));
    let too_large = app
        .post("/api/v1/campaigns", &app.write_token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    json_error(too_large, 413, "payload_too_large").await;
}

/// `/api/docs` lists every operation of the document with its parameters and its
/// success body's top-level fields, in Vietnamese by default and in English.
#[tokio::test]
async fn api_docs_list_every_route_with_its_parameters_and_fields() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let doc = openapi(&app).await;
    let vi = app.page(&app.url("/api/docs")).await;
    let en = app.page(&app.url("/api/docs?lang=en")).await;
    assert!(vi.contains(r#"<html lang="vi">"#) && vi.contains("Tham số"));
    assert!(en.contains(r#"<html lang="en">"#) && en.contains("Parameters"));
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let anchor = anchor(method, path);
            let start = vi
                .find(&format!(
                    r#"<article class="route" aria-labelledby="{anchor}""#
                ))
                .unwrap_or_else(|| panic!("{method} {path} is not on the page"));
            let end = vi[start..].find("</article>").unwrap() + start;
            let section = &vi[start..end];
            assert!(section.contains(&format!("<code>{path}</code>")), "{path}");
            for param in op["parameters"].as_array().into_iter().flatten() {
                let name = param["name"].as_str().unwrap();
                assert!(
                    section.contains(&format!("<code>{name}</code>")),
                    "{method} {path}: parameter {name}"
                );
            }
            let schema = &op["responses"]["200"]["content"]["application/json"]["schema"];
            let schema = match schema["$ref"].as_str() {
                Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap(),
                None => schema,
            };
            for field in schema["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k)
            {
                assert!(
                    section.contains(&format!("<code>{field}</code>")),
                    "{method} {path}: field {field}"
                );
            }
        }
    }
    // Nested fields are resolved through `$ref`s.
    assert!(vi.contains("<code>units[].sipas.estimate</code>"));
}

fn anchor(method: &str, path: &str) -> String {
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
