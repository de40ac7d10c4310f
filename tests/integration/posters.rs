//! Posters and receipt QR codes on the dashboard: the ZIP holds one SVG and one PNG per
//! open desk, named by unit and desk, each PNG decoding to the desk's own survey link;
//! the print page has one poster per desk; a scope limits both (404 outside it); the
//! service warns about a public URL phones cannot reach; a desk officer issues a receipt
//! QR by hand, through the API's service and audited like it, whose code opens the
//! survey, and cannot issue one for another unit.

use std::io::Read;

use sipas::storage::{audit, campaigns};

use crate::backend_tests;
use crate::common::{Backend, TestApp};
use crate::desks_staff::{CAMPAIGN, OTHER, OWN, app_with_campaign, csrf, desks, unit_id};

fn decode_png(png: &[u8]) -> String {
    let image = image::load_from_memory(png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().unwrap().1
}

async fn zip_of(
    app: &TestApp,
    client: &reqwest::Client,
    query: &str,
) -> zip::ZipArchive<std::io::Cursor<Vec<u8>>> {
    let response = client
        .get(app.url(&format!("/manage/campaigns/{CAMPAIGN}/posters.zip{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{query}");
    assert_eq!(response.headers()["content-type"], "application/zip");
    let bytes = response.bytes().await.unwrap().to_vec();
    zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap()
}

fn names(archive: &zip::ZipArchive<std::io::Cursor<Vec<u8>>>) -> Vec<String> {
    let mut names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    names.sort();
    names
}

async fn the_zip_has_each_open_desk_named_and_decodable(backend: Backend) {
    let Some(app) = app_with_campaign(backend).await else {
        return;
    };
    for (code, name) in [("Q1", "Quầy số 2 – Đất đai"), ("Q2", "Quầy cũ")] {
        let made = app
            .post_json(
                &format!("/api/v1/units/{OWN}/service-points"),
                &serde_json::json!({"code": code, "name": name}),
            )
            .await;
        assert_eq!(made.status(), 201);
    }
    // Q2 is closed from today: no poster, no QR code.
    let today = sipas_domain::campaign::vietnam_day(chrono::Utc::now());
    let closed = app
        .post_json(
            &format!("/api/v1/units/{OWN}/service-points/Q2/close"),
            &serde_json::json!({"on": today.min(chrono::Utc::now().date_naive())}),
        )
        .await;
    assert_eq!(closed.status(), 200);

    let client = app.login_as("admin", None).await;
    let mut archive = zip_of(&app, &client, &format!("?unit={OWN}")).await;
    assert_eq!(
        names(&archive),
        [
            "18073-phuong-thanh-sen/MC-bo-phan-mot-cua.png",
            "18073-phuong-thanh-sen/MC-bo-phan-mot-cua.svg",
            "18073-phuong-thanh-sen/Q1-quay-so-2-dat-dai.png",
            "18073-phuong-thanh-sen/Q1-quay-so-2-dat-dai.svg",
        ]
    );
    for desk in ["MC", "Q1"] {
        let slug = if desk == "MC" {
            "MC-bo-phan-mot-cua"
        } else {
            "Q1-quay-so-2-dat-dai"
        };
        let mut png = Vec::new();
        archive
            .by_name(&format!("18073-phuong-thanh-sen/{slug}.png"))
            .unwrap()
            .read_to_end(&mut png)
            .unwrap();
        let decoded = decode_png(&png);
        // The same link as the API's QR code of the desk, decoded independently.
        let expected = crate::citizen::desk_url_at(&app, CAMPAIGN, OWN, desk).await;
        assert_eq!(decoded, expected, "{desk}");
        let survey = app.client.get(&decoded).send().await.unwrap();
        assert_eq!(survey.status(), 200, "the link opens the survey");
        let mut svg = String::new();
        archive
            .by_name(&format!("18073-phuong-thanh-sen/{slug}.svg"))
            .unwrap()
            .read_to_string(&mut svg)
            .unwrap();
        assert!(svg.contains("<svg") && svg.contains("viewBox"));
    }

    // The whole province: one pair per open desk of every unit of the campaign.
    let whole = zip_of(&app, &client, "").await;
    let open_desks = {
        let db = app.storage.db();
        let campaign = campaigns::by_code(db, CAMPAIGN).await.unwrap();
        let listed = sipas::storage::units::list(
            db,
            &sipas::storage::UnitFilter {
                on: Some(campaign.units_on),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let ids: std::collections::HashSet<i32> = listed.iter().map(|u| u.id).collect();
        sipas::storage::units::all_service_points(db)
            .await
            .unwrap()
            .into_iter()
            .filter(|d| ids.contains(&d.unit_id) && d.is_open_on(today))
            .count()
    };
    assert!(open_desks > 70, "{open_desks}");
    assert_eq!(whole.len(), 2 * open_desks);
}

async fn a_scope_limits_posters_and_zips(backend: Backend) {
    let Some(app) = app_with_campaign(backend).await else {
        return;
    };
    let officer = app.login_as("manager", Some(OWN)).await;
    // Another unit, as a unit or as a parent: not found.
    for path in [
        format!("/manage/campaigns/{CAMPAIGN}/posters.zip?unit={OTHER}"),
        format!("/manage/campaigns/{CAMPAIGN}/posters/print?unit={OTHER}"),
        format!("/manage/campaigns/{CAMPAIGN}/posters/print?parent=42"),
        format!("/manage/campaigns/{CAMPAIGN}/posters/print?unit=NOPE"),
    ] {
        let response = officer.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    // Everything they may read is their own unit.
    let archive = zip_of(&app, &officer, "").await;
    assert_eq!(archive.len(), 2);
    assert!(names(&archive)[0].starts_with("18073-phuong-thanh-sen/"));
    let chooser = officer
        .get(app.url(&format!("/manage/campaigns/{CAMPAIGN}/posters")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(chooser.contains("Phường Thành Sen (18073)"));
    assert!(!chooser.contains("(18100)") && !chooser.contains("Toàn tỉnh"));

    // The print page: one poster per desk, with the desk's link written out.
    let made = app
        .post_json(
            &format!("/api/v1/units/{OWN}/service-points"),
            &serde_json::json!({"code": "Q1", "name": "Quầy 1"}),
        )
        .await;
    assert_eq!(made.status(), 201);
    let html = officer
        .get(app.url(&format!(
            "/manage/campaigns/{CAMPAIGN}/posters/print?unit={OWN}"
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches(r#"<div class="sheet">"#).count(), 2);
    for desk in ["MC", "Q1"] {
        let url = crate::citizen::desk_url_at(&app, CAMPAIGN, OWN, desk).await;
        assert!(html.contains(&format!("Mã QR: {url}")), "{desk}");
    }
    assert!(html.contains("break-after:page"));
    // Both filters at once is a mistake, said so.
    let both = officer
        .get(app.url(&format!(
            "/manage/campaigns/{CAMPAIGN}/posters/print?unit={OWN}&parent={OWN}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), 400);
}

#[tokio::test]
async fn a_private_public_url_is_warned_about() {
    let Some(app) = app_with_campaign(Backend::Sqlite).await else {
        return;
    };
    // The test server's public URL is http://127.0.0.1:port.
    let client = app.login_as("admin", None).await;
    for path in [
        "/manage".to_owned(),
        format!("/manage/campaigns/{CAMPAIGN}/posters"),
        format!("/manage/campaigns/{CAMPAIGN}/posters/print?unit={OWN}"),
        "/manage/receipts".to_owned(),
    ] {
        let html = client
            .get(app.url(&path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("Áp phích in với địa chỉ này sẽ không dùng được")
                && html.contains("Posters printed with this address will not work"),
            "{path}"
        );
        assert!(
            html.contains(&format!("<code>{}</code>", app.address)),
            "{path}"
        );
    }
}

fn slip_url(html: &str) -> String {
    let needle = "aria-label=\"Mã QR: ";
    let at = html.find(needle).expect("the slip's QR code") + needle.len();
    html[at..at + html[at..].find('"').unwrap()].to_owned()
}

async fn receipts_of(app: &TestApp) -> usize {
    use sea_orm::{EntityTrait, PaginatorTrait};
    entity::receipt::Entity::find()
        .count(app.storage.db())
        .await
        .unwrap() as usize
}

async fn a_desk_officer_makes_a_receipt_qr(backend: Backend) {
    let Some(app) = app_with_campaign(backend).await else {
        return;
    };
    let officer = app.login_as("manager", Some(OWN)).await;
    let page = officer
        .get(app.url("/manage/receipts"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Only their own desks are offered; the API example uses this service's URL.
    assert!(page.contains(r#"value="18073/MC""#));
    assert!(!page.contains(r#"value="18100/MC""#));
    assert!(page.contains(&format!(
        "{}/api/v1/campaigns/{CAMPAIGN}/receipts",
        app.address
    )));
    assert!(page.contains("&quot;dossier_code&quot;") || page.contains("\"dossier_code\""));
    let token = csrf(&app, &officer).await;
    let today = sipas_domain::campaign::vietnam_day(chrono::Utc::now())
        .format("%Y-%m-%d")
        .to_string();
    let form = |place: &'static str, dossier: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("campaign", CAMPAIGN.to_owned()),
            ("place", place.to_owned()),
            ("dossier_code", dossier.to_owned()),
            ("returned_on", today.clone()),
        ]
    };

    // Another unit's desk: refused, nothing issued.
    let refused = officer
        .post(app.url("/manage/receipts"))
        .form(&form("18100/MC", "HS-2026-0001"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    // Without the form's token: refused, nothing issued.
    let mut forged = form("18073/MC", "HS-2026-0001");
    forged[0].1 = String::new();
    let forged = officer
        .post(app.url("/manage/receipts"))
        .form(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    // A missing dossier code: the error by its field.
    let empty = officer
        .post(app.url("/manage/receipts"))
        .form(&form("18073/MC", "  "))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 422);
    assert!(empty.text().await.unwrap().contains(r##"href="#dossier""##));
    assert_eq!(receipts_of(&app).await, 0);

    let issued = officer
        .post(app.url("/manage/receipts"))
        .form(&form("18073/MC", "HS-2026-0001"))
        .send()
        .await
        .unwrap();
    assert_eq!(issued.status(), 201);
    let slip = issued.text().await.unwrap();
    assert!(slip.contains("Quét để đánh giá") && slip.contains("HS-2026-0001"));
    assert!(slip.contains("@page{size:80mm"));
    let url = slip_url(&slip);
    assert!(url.starts_with(&format!("{}/s/", app.address)), "{url}");
    // The receipt's QR code decodes to the link, and the link opens the survey.
    let png = app
        .client
        .get(format!("{url}/qr.png"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(decode_png(&png), url);
    let survey = app.client.get(&url).send().await.unwrap();
    assert_eq!(survey.status(), 200);
    assert_eq!(receipts_of(&app).await, 1);

    // The same dossier again: the same receipt.
    let again = officer
        .post(app.url("/manage/receipts"))
        .form(&form("18073/MC", "HS-2026-0001"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(slip_url(&again.text().await.unwrap()), url);
    assert_eq!(receipts_of(&app).await, 1);

    // The API's receipts go through the same service: audited too.
    let api = app
        .post_json(
            &format!("/api/v1/campaigns/{CAMPAIGN}/receipts"),
            &serde_json::json!({"dossier_code": "HS-2026-0002", "unit_code": OWN, "returned_on": today}),
        )
        .await;
    assert_eq!(api.status(), 201);
    let api_token = api.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let unit = unit_id(&app, OWN).await;
    let events = audit::entries(app.storage.db()).await.unwrap();
    let issues: Vec<_> = events
        .iter()
        .filter(|e| e.action == "receipt.issue")
        .collect();
    assert_eq!(issues.len(), 2, "one per receipt issued, none for a repeat");
    let token_of_slip = url.rsplit('/').next().unwrap();
    for event in &issues {
        assert_eq!(event.unit_id, Some(unit));
        for secret in [
            "HS-2026-0001",
            "HS-2026-0002",
            token_of_slip,
            api_token.as_str(),
        ] {
            assert!(
                !event.detail.contains(secret) && !event.subject.contains(secret),
                "the audit holds no dossier code or token: {event:?}"
            );
        }
    }
    assert!(issues[0].actor.starts_with("manager-"));
    assert_eq!(desks(&app, OWN).await.len(), 1);
}

backend_tests!(
    the_zip_has_each_open_desk_named_and_decodable,
    a_scope_limits_posters_and_zips,
    a_desk_officer_makes_a_receipt_qr,
);
