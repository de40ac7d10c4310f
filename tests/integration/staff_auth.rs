//! Logging in to the dashboard: sessions every node knows (Redis with PostgreSQL here,
//! the database on SQLite), CSRF tokens on every form, throttled attempts, logout and
//! password change.

use crate::backend_tests;
use crate::common::{AppOptions, Backend, TestApp, field_value, spawn_app_with};

backend_tests!(
    a_session_opened_on_one_node_works_on_another,
    forms_without_their_token_are_refused,
    wrong_passwords_are_refused_then_throttled,
    logout_ends_the_session_everywhere,
    a_password_change_ends_the_other_sessions,
);

async fn app(backend: Backend) -> Option<TestApp> {
    let options = AppOptions {
        redis: backend == Backend::Postgres,
        ..Default::default()
    };
    spawn_app_with(backend, options).await
}

/// A protected page every staff member may open.
const PAGE: &str = "/account/password";

async fn status(client: &reqwest::Client, url: &str) -> u16 {
    client.get(url).send().await.unwrap().status().as_u16()
}

fn browser() -> reqwest::Client {
    crate::common::client_builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The login form's token, with its cookie now in `client`'s jar.
async fn login_token(app: &TestApp, client: &reqwest::Client) -> String {
    let page = client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    field_value(&page, "csrf").expect("csrf field")
}

async fn post_login(
    app: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf),
            ("next", "/account/password?lang=en"),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

async fn a_session_opened_on_one_node_works_on_another(backend: Backend) {
    let Some(a) = app(backend).await else {
        return;
    };
    let b = a.spawn_node().await;
    // Not logged in: to the login page, and back here afterwards.
    let anonymous = browser();
    let response = anonymous
        .get(a.url("/account/password?lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "/login?next=%2Faccount%2Fpassword%3Flang%3Den"
    );

    let password = a.create_user("lan.nt", "manager", Some("18073")).await;
    let client = browser();
    let csrf = login_token(&a, &client).await;
    let response = post_login(&a, &client, &csrf, " Lan.NT ", &password).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/account/password?lang=en");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("sipas_staff="))
        .expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain HTTP here: {cookie}");

    let page = client.get(a.url(PAGE)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("lan.nt") && html.contains("Phường Thành Sen"),
        "{html}"
    );
    // The same cookie on the other node: the session is shared, not node-local.
    let value = cookie.split(';').next().unwrap();
    let on_b = crate::common::client_builder()
        .build()
        .unwrap()
        .get(b.url(PAGE))
        .header("cookie", value)
        .send()
        .await
        .unwrap();
    assert_eq!(on_b.status(), 200);
    // A forged cookie (a different signature) opens nothing.
    let forged = format!("{}x", value.trim_end_matches(|c: char| c != '.'));
    let response = crate::common::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(b.url(PAGE))
        .header("cookie", forged)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    if backend == Backend::Postgres {
        // With Redis configured, sessions live there.
        let mut redis = redis::Client::open(crate::common::redis_url().await.unwrap())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}session:*", a.settings.redis_prefix))
            .query_async(&mut redis)
            .await
            .unwrap();
        assert_eq!(keys.len(), 1, "{keys:?}");
    }
}

async fn forms_without_their_token_are_refused(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let password = app.create_user("officer", "manager", Some("18073")).await;
    // A login form posted from elsewhere: no token, a forged one, or a real token
    // without the cookie that pairs it with this browser.
    let client = browser();
    for csrf in ["", "forged-token"] {
        let response = post_login(&app, &client, csrf, "officer", &password).await;
        assert_eq!(response.status(), 403, "csrf {csrf:?}");
    }
    let token = login_token(&app, &browser()).await;
    let response = post_login(&app, &client, &token, "officer", &password).await;
    assert_eq!(response.status(), 403, "a token from another browser");
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Biểu mẫu đã hết hạn"),
        "the form explains itself"
    );
    // Logged in, a form posted without the session's token changes nothing.
    let client = app.log_in("officer", &password).await;
    let change = [
        ("current", password.as_str()),
        ("password", "một mật khẩu mới"),
        ("confirmation", "một mật khẩu mới"),
    ];
    let response = client
        .post(app.url(PAGE))
        .form(&change)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = client.post(app.url("/logout")).send().await.unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        status(&client, &app.url(PAGE)).await,
        200,
        "still logged in"
    );
    // The old password still works: nothing was changed.
    app.log_in("officer", &password).await;
}

async fn wrong_passwords_are_refused_then_throttled(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let password = app.create_user("guessed", "viewer", None).await;
    let client = browser();
    let csrf = login_token(&app, &client).await;
    for attempt in 1..=10 {
        let response = post_login(&app, &client, &csrf, "guessed", "wrong password").await;
        assert_eq!(response.status(), 401, "attempt {attempt}");
        let html = response.text().await.unwrap();
        assert!(html.contains("Tên đăng nhập hoặc mật khẩu không đúng"));
        assert!(
            !html.contains("wrong password"),
            "the password is never echoed"
        );
    }
    // An unknown account answers as a wrong password does.
    let response = post_login(&app, &client, &csrf, "nobody", "x").await;
    assert_eq!(response.status(), 401);
    // The eleventh attempt on the account is refused, even with the right password.
    let response = post_login(&app, &client, &csrf, "guessed", &password).await;
    assert_eq!(response.status(), 429);
    assert!(response.text().await.unwrap().contains("15 phút"));
    // Other accounts are not locked out by it.
    let other = app.create_user("colleague", "viewer", None).await;
    app.log_in("colleague", &other).await;
}

async fn logout_ends_the_session_everywhere(backend: Backend) {
    let Some(a) = app(backend).await else {
        return;
    };
    let b = a.spawn_node().await;
    let password = a.create_user("leaving", "admin", None).await;
    let client = a.log_in("leaving", &password).await;
    let page = client
        .get(a.url(PAGE))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = field_value(&page, "csrf").unwrap();
    let response = client
        .post(b.url("/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "logged out through node B");
    assert_eq!(response.headers()["location"], "/login?out=1");
    assert_eq!(status(&client, &a.url(PAGE)).await, 303, "node A knows it");
    let page = client
        .get(a.url("/login?out=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Bạn đã đăng xuất"));
}

async fn a_password_change_ends_the_other_sessions(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let old = app
        .create_user("thu.nguyen", "manager", Some("18196"))
        .await;
    let laptop = app.log_in("thu.nguyen", &old).await;
    let phone = app.log_in("thu.nguyen", &old).await;
    let page = laptop
        .get(app.url(PAGE))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = field_value(&page, "csrf").unwrap();
    let new = "Sơn Kim 1 — mật khẩu mới";
    // A wrong current password, a short one and a mismatch are all said at once.
    let response = laptop
        .post(app.url(PAGE))
        .form(&[
            ("csrf", csrf.as_str()),
            ("current", "not it"),
            ("password", "short"),
            ("confirmation", "other"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    for message in [
        "Mật khẩu hiện tại không đúng",
        "ít nhất 10 ký tự",
        "không khớp",
    ] {
        assert!(html.contains(message), "{message}: {html}");
    }
    let response = laptop
        .post(app.url(PAGE))
        .form(&[
            ("csrf", csrf.as_str()),
            ("current", old.as_str()),
            ("password", new),
            ("confirmation", new),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("Đã đổi mật khẩu"));
    assert_eq!(
        status(&laptop, &app.url(PAGE)).await,
        200,
        "this session goes on"
    );
    assert_eq!(
        status(&phone, &app.url(PAGE)).await,
        303,
        "the other one ended"
    );
    app.log_in("thu.nguyen", new).await;
    let client = browser();
    let csrf = login_token(&app, &client).await;
    let response = post_login(&app, &client, &csrf, "thu.nguyen", &old).await;
    assert_eq!(response.status(), 401, "the old password is gone");
}
