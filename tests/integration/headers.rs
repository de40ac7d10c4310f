//! Security headers on every response: each route family (API, home, API docs, staff
//! pages, citizen pages, health, the default 404s), HSTS and `Secure` cookies behind
//! https, and citizen pages whose CSP allows their own CSS by hash, not inline at large.

use crate::citizen::{desk_url, open_campaign};
use crate::common::{Backend, TestApp, spawn_app};

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_else(|| panic!("{} has no {name}", response.url()))
}

async fn survey_url(app: &TestApp) -> String {
    open_campaign(app, "HDR-2026", 0).await;
    desk_url(app, "HDR-2026", "18073").await
}

#[tokio::test]
async fn every_route_family_sends_the_security_headers() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let survey = survey_url(&app).await;
    let mut urls: Vec<(String, bool)> = [
        "/api/v1/units",
        "/api/v1/no-such-endpoint",
        "/api/v1/openapi.json",
        "/",
        "/api/docs",
        "/no-such-page",
        "/posters/%00/x",
        "/healthz",
        "/readyz",
        "/login",
    ]
    .iter()
    .map(|p| (app.url(p), false))
    .collect();
    urls.push((survey.clone(), true));
    urls.push((app.url("/s/not-a-token"), true));
    for (url, citizen) in urls {
        let response = app
            .client
            .get(&url)
            .bearer_auth(&app.read_token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            header(&response, "x-content-type-options"),
            "nosniff",
            "{url}"
        );
        assert_eq!(header(&response, "referrer-policy"), "no-referrer", "{url}");
        let csp = header(&response, "content-security-policy").to_owned();
        assert!(csp.contains("default-src 'none'"), "{url}: {csp}");
        assert!(
            response
                .headers()
                .get("strict-transport-security")
                .is_none(),
            "{url}: HSTS over plain http"
        );
        if citizen {
            // Exactly the page's own style blocks, nothing inline at large.
            assert!(!csp.contains("unsafe-inline"), "{url}: {csp}");
            let body = response.text().await.unwrap();
            let hashes = sipas_templates::layout::style_hashes(&body);
            assert!(!hashes.is_empty(), "{url}");
            for hash in hashes {
                assert!(csp.contains(&hash), "{url}: {hash} not in {csp}");
            }
        }
    }
}

#[tokio::test]
async fn behind_https_responses_ask_for_hsts_and_cookies_are_secure() {
    let Some(database) = crate::common::TestDatabase::create(Backend::Sqlite).await else {
        return;
    };
    let mut settings = crate::common::settings(&database.url, None);
    settings.public_url = Some("https://ks.hatinh.gov.vn".to_owned());
    let app = sipas::startup::Application::build(&settings, true)
        .await
        .unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    let survey = sipas::demo::citizen_demo_url(&app.storage, &app.keys, &address)
        .await
        .unwrap()
        .expect("the demo has a desk");
    tokio::spawn(app.run_until_stopped());
    let client = crate::common::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (path, cookie) in [("/login", true), ("/api/v1/units", false), ("/", false)] {
        let response = client.get(format!("{address}{path}")).send().await.unwrap();
        assert!(
            header(&response, "strict-transport-security").contains("max-age="),
            "{path}"
        );
        if cookie {
            let set = header(&response, "set-cookie");
            assert!(set.contains("Secure"), "{path}: {set}");
        }
    }
    let response = client.get(&survey).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let set = header(&response, "set-cookie");
    assert!(set.contains("Secure"), "the device cookie: {set}");
}
