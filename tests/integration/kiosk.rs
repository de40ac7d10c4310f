//! Kiosk mode: a manager makes a desk's tablet link; the tablet answers one citizen
//! after another, each answer stored with the channel `kiosk`, limited per desk and per
//! tablet rather than per device; a regenerated or withdrawn link says so; a viewer
//! cannot make one.

use std::collections::HashMap;

use sea_orm::EntityTrait;

use crate::backend_tests;
use crate::citizen::full_answers;
use crate::common::{AppOptions, Backend, TestApp, field_value, spawn_app_with};
use crate::desks_staff::{CAMPAIGN, OTHER, OWN, csrf, desks_path};

backend_tests!(kiosk_a_tablet_answers_one_citizen_after_another);

async fn app(backend: Backend, options: AppOptions) -> Option<TestApp> {
    let app = spawn_app_with(backend, options).await?;
    crate::citizen::open_campaign(&app, CAMPAIGN, 0).await;
    Some(app)
}

/// Enables (or renews) a desk's kiosk link as this member: the response.
async fn enable(app: &TestApp, client: &reqwest::Client, desk: &str) -> reqwest::Response {
    let token = csrf(app, client).await;
    client
        .post(app.url(&format!("{}/{desk}/kiosk", desks_path(OWN))))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap()
}

/// The kiosk link shown (once) on the page after enabling.
async fn new_link(app: &TestApp, client: &reqwest::Client) -> String {
    let response = enable(app, client, "MC").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    let at = html
        .find(&format!("href=\"{}/k/", app.address))
        .expect("the link");
    let link = &html[at + 6..];
    link[..link.find('"').unwrap()].to_owned()
}

/// A tablet: a browser that keeps its cookies.
fn tablet() -> reqwest::Client {
    crate::common::client_builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// One citizen at the tablet: the form, the answers, the thank-you page. The status of
/// the post.
async fn answer_at(tablet: &reqwest::Client, link: &str) -> reqwest::Response {
    let html = tablet.get(link).send().await.unwrap().text().await.unwrap();
    let mut fields: HashMap<String, String> = full_answers("5").into_iter().collect();
    for hidden in ["_nonce", "_issued"] {
        fields.insert(hidden.into(), field_value(&html, hidden).expect(hidden));
    }
    fields.insert("website".into(), String::new());
    tablet.post(link).form(&fields).send().await.unwrap()
}

async fn kiosk_a_tablet_answers_one_citizen_after_another(backend: Backend) {
    let Some(app) = app(backend, AppOptions::default()).await else {
        return;
    };
    let manager = app.login_as("manager", Some(OWN)).await;
    let link = new_link(&app, &manager).await;
    let path = link.trim_start_matches(&app.address).to_owned();
    let tablet = tablet();
    let first = tablet.get(&link).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let cookie = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("sipas_tablet=") && cookie.contains("Path=/k/"),
        "{cookie}"
    );
    // Thirty people in a row, far past a phone's limit of 10.
    for person in 0..30 {
        let posted = answer_at(&tablet, &link).await;
        assert_eq!(posted.status(), 303, "person {person}");
        let thanks = posted.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(thanks, format!("{path}/thanks?lang=vi"));
        let page = tablet.get(app.url(&thanks)).send().await.unwrap();
        assert_eq!(page.status(), 200);
        // Back to a fresh form, in the same language, by itself, without JavaScript.
        let next = format!("{path}?lang=vi");
        assert_eq!(page.headers()["refresh"], format!("5; url={next}").as_str());
        let html = page.text().await.unwrap();
        assert!(html.contains("Cảm ơn") && html.contains(&format!("href=\"{next}\"")));
    }
    let stored = entity::response::Entity::find()
        .all(app.storage.db())
        .await
        .unwrap();
    assert_eq!(stored.len(), 30);
    assert!(stored.iter().all(|r| r.channel == "kiosk"), "channel kiosk");
    // The unit's page counts them under their own channel.
    app.settle().await;
    let unit_page = manager
        .get(app.url(&format!("/manage/campaigns/{CAMPAIGN}/units/{OWN}")))
        .send()
        .await
        .unwrap();
    assert_eq!(unit_page.status(), 200);
    assert!(
        unit_page
            .text()
            .await
            .unwrap()
            .contains("Máy tính bảng tại quầy")
    );
}

/// A renewed link retires the old one, a withdrawn link stops: the tablet is told so
/// (410), unlike a link that never was (404). Each change is audited under the unit.
#[tokio::test]
async fn kiosk_a_renewed_or_withdrawn_link_says_so() {
    let Some(app) = app(Backend::Sqlite, AppOptions::default()).await else {
        return;
    };
    let manager = app.login_as("manager", Some(OWN)).await;
    let old = new_link(&app, &manager).await;
    let renewed = new_link(&app, &manager).await;
    assert_ne!(old, renewed);
    let gone = tablet().get(&old).send().await.unwrap();
    assert_eq!(gone.status(), 410);
    assert!(gone.text().await.unwrap().contains("đã bị thu hồi"));
    assert_eq!(answer_at(&tablet(), &renewed).await.status(), 303);

    let page = manager
        .get(app.url(&desks_path(OWN)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("/desks/MC/kiosk/revoke"), "a withdraw button");
    assert!(!page.contains("/k/"), "the link is not shown again");
    let token = csrf(&app, &manager).await;
    let withdrawn = manager
        .post(app.url(&format!("{}/MC/kiosk/revoke", desks_path(OWN))))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(withdrawn.status(), 303);
    let gone = tablet().get(&renewed).send().await.unwrap();
    assert_eq!(gone.status(), 410);
    let posted = tablet()
        .post(&renewed)
        .form(&full_answers("4"))
        .send()
        .await;
    assert_eq!(posted.unwrap().status(), 410);
    let never = format!("{}/k/{}", app.address, "A".repeat(43));
    assert_eq!(tablet().get(&never).send().await.unwrap().status(), 404);
    assert_eq!(
        tablet()
            .get(app.url("/k/short"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let actions: Vec<(String, Option<i32>)> = sipas::storage::audit::entries(app.storage.db())
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("kiosk."))
        .map(|e| (e.action, e.unit_id))
        .collect();
    let unit = Some(crate::desks_staff::unit_id(&app, OWN).await);
    assert_eq!(
        actions,
        [
            ("kiosk.enable".to_owned(), unit),
            ("kiosk.regenerate".to_owned(), unit),
            ("kiosk.revoke".to_owned(), unit),
        ]
    );
}

/// A viewer of the unit cannot make its kiosk link (403), nor a manager of another
/// unit (404); nothing is stored.
#[tokio::test]
async fn kiosk_only_a_manager_of_the_unit_can_enable() {
    let Some(app) = app(Backend::Sqlite, AppOptions::default()).await else {
        return;
    };
    let viewer = app.login_as("viewer", Some(OWN)).await;
    assert_eq!(enable(&app, &viewer, "MC").await.status(), 403);
    let other = app.login_as("manager", Some(OTHER)).await;
    assert_eq!(enable(&app, &other, "MC").await.status(), 404);
    let kiosks = entity::kiosk::Entity::find()
        .all(app.storage.db())
        .await
        .unwrap();
    assert!(kiosks.is_empty());
    let events = sipas::storage::audit::entries(app.storage.db())
        .await
        .unwrap();
    assert!(!events.iter().any(|e| e.action.starts_with("kiosk.")));
}

/// The tablet's own limit holds, and another tablet at the same desk is not affected.
#[tokio::test]
async fn kiosk_limits_are_per_tablet() {
    let limits = sipas::rate_limit::RateLimits {
        per_tablet: sipas::rate_limit::Limit {
            max: 3,
            window: std::time::Duration::from_secs(600),
        },
        ..Default::default()
    };
    let options = AppOptions {
        rate_limits: Some(limits),
        ..Default::default()
    };
    let Some(app) = app(Backend::Sqlite, options).await else {
        return;
    };
    let manager = app.login_as("manager", Some(OWN)).await;
    let link = new_link(&app, &manager).await;
    let first = tablet();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(answer_at(&first, &link).await.status().as_u16());
    }
    assert_eq!(statuses, [303, 303, 303, 429]);
    assert_eq!(answer_at(&tablet(), &link).await.status(), 303);
}
