//! End to end in a real headless Chromium (Debian's `chromium` + `chromium-driver`,
//! over WebDriver): a citizen opens the desk link, answers, submits and sees the
//! thank-you page; with JavaScript on and off; and the validation path keeps answers.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use super::citizen::{desk_url, open_campaign};
use crate::common::{Backend, TestApp, spawn_app};

pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A chromedriver of this test's own, stopped when dropped.
pub(crate) struct Driver {
    process: Child,
    pub(crate) port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

pub(crate) fn start_driver() -> Option<Driver> {
    let missing = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .find(|p| !std::path::Path::new(p).exists());
    if let Some(path) = missing {
        if std::env::var("SIPAS_TEST_REQUIRE_SERVICES").is_ok_and(|v| v == "1") {
            panic!(
                "{path} is required for browser tests (apt-get install chromium chromium-driver)"
            );
        }
        eprintln!("SKIPPED: {path} not installed; browser test ran nothing");
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let process = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Driver { process, port })
}

/// A headless Chromium session of `width`×`height` pixels, with Chrome `prefs` if any.
pub(crate) async fn session(
    driver: &Driver,
    (width, height): (u32, u32),
    prefs: Option<serde_json::Value>,
) -> Client {
    let mut chrome = json!({
        "binary": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage", "--no-first-run", format!("--window-size={width},{height}")],
    });
    if let Some(prefs) = prefs {
        chrome["prefs"] = prefs;
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("goog:chromeOptions".into(), chrome);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session")
}

/// The dashboard's size: a desktop screen.
pub(crate) const DESKTOP: (u32, u32) = (1280, 900);

/// A phone's session, with or without JavaScript.
async fn browser(driver: &Driver, javascript: bool) -> Client {
    let prefs =
        (!javascript).then(|| json!({"profile.managed_default_content_settings.javascript": 2}));
    session(driver, (360, 800), prefs).await
}

/// Ticks `value` for every criterion whose code is in `codes`, by clicking its label
/// as a person would.
async fn choose(client: &Client, codes: &[String], value: &str) {
    for code in codes {
        let selector = format!("input[name='{code}'][value='{value}']");
        let input = client.find(Locator::Css(&selector)).await.unwrap();
        let label = input.find(Locator::XPath("..")).await.unwrap();
        label.click().await.unwrap();
    }
}

async fn wait_for_thanks(client: &Client) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let url = client.current_url().await.unwrap();
        if url.path().ends_with("/thanks") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never reached the thank-you page: {url}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn criterion_codes() -> Vec<String> {
    sipas_domain::reference::questionnaires()[0]
        .criteria()
        .map(|(_, c)| c.code.clone())
        .collect()
}

async fn responses(app: &TestApp) -> Vec<entity::response::Model> {
    use sea_orm::EntityTrait;
    entity::response::Entity::find()
        .all(app.storage.db())
        .await
        .unwrap()
}

/// A browser, the app with an open campaign, and the desk survey's URL; `None` (after
/// saying so) where Chromium is not installed and not required.
async fn citizen_at_a_desk(javascript: bool) -> Option<(Driver, TestApp, Client, String)> {
    let driver = start_driver()?;
    let app = spawn_app(Backend::Sqlite).await?;
    open_campaign(&app, "HT-2026", 0).await;
    let url = desk_url(&app, "HT-2026", "18073").await;
    let client = browser(&driver, javascript).await;
    Some((driver, app, client, url))
}

async fn answer_in_browser(javascript: bool) {
    let Some((_driver, app, client, url)) = citizen_at_a_desk(javascript).await else {
        return;
    };

    client.goto(&url).await.unwrap();
    let heading = client
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(heading, "Phường Thành Sen");
    choose(&client, &criterion_codes(), "4").await;
    client
        .find(Locator::Css("textarea[name='comment']"))
        .await
        .unwrap()
        .send_keys("Nhanh gọn")
        .await
        .unwrap();
    client
        .find(Locator::Css("button[type='submit']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_thanks(&client).await;
    let body = client
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("Cảm ơn"), "{body}");
    client.close().await.unwrap();

    let stored = responses(&app).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].answers, "4".repeat(22));
    assert_eq!(stored[0].comment.as_deref(), Some("Nhanh gọn"));
}

#[tokio::test]
async fn citizen_answers_in_chromium_with_javascript() {
    answer_in_browser(true).await;
}

#[tokio::test]
async fn citizen_answers_in_chromium_without_javascript() {
    answer_in_browser(false).await;
}

#[tokio::test]
async fn validation_in_chromium_keeps_every_answer() {
    let Some((_driver, app, client, url)) = citizen_at_a_desk(false).await else {
        return;
    };
    client.goto(&url).await.unwrap();

    let codes = criterion_codes();
    let (skipped, answered) = (&codes[..2], &codes[2..]);
    choose(&client, answered, "5").await;
    client
        .find(Locator::Css("button[type='submit']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let summary = client
        .wait()
        .for_element(Locator::Css("[role='alert']"))
        .await
        .unwrap();
    let text = summary.text().await.unwrap();
    assert!(text.contains("2"), "{text}");
    for code in answered {
        let selector = format!("input[name='{code}'][value='5']");
        let input = client.find(Locator::Css(&selector)).await.unwrap();
        assert!(input.is_selected().await.unwrap(), "{code} kept");
    }
    assert!(responses(&app).await.is_empty());

    // Completing the two missing answers on the re-shown form stores the response.
    choose(&client, skipped, "3").await;
    client
        .find(Locator::Css("button[type='submit']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_thanks(&client).await;
    client.close().await.unwrap();
    let stored = responses(&app).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].answers, format!("33{}", "5".repeat(20)));
}
