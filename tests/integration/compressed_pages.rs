//! The survey form as phones get it: compressed as the client accepts (gzip, br, or
//! not at all), decoded by independent decoders to the same page, and kept per desk
//! and campaign revision so that a desk renamed on one node shows on every node.

use std::io::Read;

use reqwest::header;

use crate::backend_tests;
use crate::common::{Backend, field_value};
use crate::desks_staff::{CAMPAIGN, OWN, app_with_campaign, csrf, desks_path};

backend_tests!(the_form_is_served_compressed_and_renamed_desks_show_on_every_node);

/// A phone's request without the client's own decoding: the raw body and its coding.
async fn fetch(client: &reqwest::Client, url: &str, accept: &str) -> (Option<String>, String) {
    let response = client
        .get(url)
        .header(header::ACCEPT_ENCODING, accept)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[header::VARY], "Accept-Encoding");
    assert_eq!(
        response.headers()[header::CACHE_CONTROL],
        "private, no-cache"
    );
    let coding = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap().to_owned());
    let length: usize = response.headers()[header::CONTENT_LENGTH]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let policy = response.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    let raw = response.bytes().await.unwrap();
    assert_eq!(raw.len(), length);
    let mut html = String::new();
    match coding.as_deref() {
        Some("gzip") => {
            assert!(raw.len() < 6_000, "{} bytes of gzip", raw.len());
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_string(&mut html)
                .unwrap();
        }
        Some("br") => {
            assert!(raw.len() < 6_000, "{} bytes of br", raw.len());
            brotli::Decompressor::new(&raw[..], 4096)
                .read_to_string(&mut html)
                .unwrap();
        }
        None => html = String::from_utf8(raw.to_vec()).unwrap(),
        Some(other) => panic!("unexpected coding {other}"),
    }
    // The page's styles are allowed by their hashes whatever the coding (a compressed
    // page once got `style-src 'none'`: the policy was made from the compressed bytes).
    let hashes = sipas_templates::layout::style_hashes(&html);
    assert!(!hashes.is_empty());
    for hash in &hashes {
        assert!(policy.contains(hash.as_str()), "{hash} not in {policy}");
    }
    (coding, html)
}

async fn the_form_is_served_compressed_and_renamed_desks_show_on_every_node(backend: Backend) {
    let Some(app) = app_with_campaign(backend).await else {
        return;
    };
    let staff = app.login_as("admin", None).await;
    let token = csrf(&app, &staff).await;
    let added = staff
        .post(app.url(&format!("{}/add", desks_path(OWN))))
        .form(&[
            ("csrf", token.as_str()),
            ("name", "Quầy BHXH"),
            ("code", "BHXH"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 303);
    let url = crate::citizen::desk_url_at(&app, CAMPAIGN, OWN, "BHXH").await;
    let other = app.spawn_node().await;
    let other_url = url.replacen(&app.address, &other.address, 1);
    let phone = crate::common::client_builder().build().unwrap();

    // Each coding as the client ranks them; every one the same page but its nonce.
    let (gzip, page) = fetch(&phone, &other_url, "gzip, deflate").await;
    assert_eq!(gzip.as_deref(), Some("gzip"));
    let (br, br_page) = fetch(&phone, &other_url, "gzip;q=0.5, br").await;
    assert_eq!(br.as_deref(), Some("br"));
    let (plain, plain_page) = fetch(&phone, &other_url, "br;q=0, gzip;q=0").await;
    assert_eq!(plain, None);
    let (_, english) = fetch(&phone, &format!("{other_url}?lang=en"), "gzip").await;
    assert!(english.contains(r#"<html lang="en">"#));
    let nonces: Vec<String> = [&page, &br_page, &plain_page]
        .iter()
        .map(|html| field_value(html, "_nonce").expect("a nonce"))
        .collect();
    assert!(nonces[0] != nonces[1] && nonces[1] != nonces[2]);
    assert_eq!(
        br_page.replace(&nonces[1], &nonces[0]).len(),
        page.len(),
        "the same page but its nonce"
    );
    assert!(page.contains("Quầy BHXH") && page.ends_with("</html>"));
    assert!(
        !page.contains("action="),
        "posts to the URL it was read from"
    );

    // Renamed on the first node: the second shows the new name at once.
    let renamed = staff
        .post(app.url(&format!("{}/BHXH/rename", desks_path(OWN))))
        .form(&[("csrf", token.as_str()), ("name", "Quầy Bảo hiểm xã hội")])
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 303);
    // The second node's follower has read the change (as it does within moments).
    other.scores.catch_up().await;
    let (_, renamed_page) = fetch(&phone, &other_url, "gzip").await;
    assert!(
        renamed_page.contains("Quầy Bảo hiểm xã hội") && !renamed_page.contains("Quầy BHXH"),
        "the second node shows the new name"
    );
}
