//! Change between rounds through the API: a unit against itself, and a commune of the
//! two-tier structure against the group of old communes that merged into it (the
//! crosswalk), with the MOVER interval of the change.

use std::collections::HashMap;

use crate::backend_tests;
use crate::common::{Backend, TestApp, spawn_app};
use serde_json::{Value, json};
use sipas_domain::reference::{ha_tinh_successions, questionnaires};
use sipas_domain::unit::Relation;

backend_tests!(a_merged_commune_is_compared_with_its_predecessors);

async fn campaign(app: &TestApp, code: &str, template: &str, starts: &str, ends: &str) {
    let response = app
        .post_json(
            "/api/v1/campaigns",
            &json!({"code": code, "name": code, "template": template,
                    "starts_on": starts, "ends_on": ends}),
        )
        .await;
    assert_eq!(response.status(), 201);
}

async fn upload(app: &TestApp, method: reqwest::Method, path: &str, csv: String) {
    let response = app.send_csv(method, path, &csv).await;
    let status = response.status();
    assert!(
        status.is_success(),
        "{path}: {}",
        response.text().await.unwrap()
    );
}

/// `forms` paper forms per unit: the i-th form of unit u answers every criterion with
/// a value that varies with both, so units differ and have variance.
fn forms(template: usize, units: &[(&str, usize)]) -> String {
    let codes: Vec<String> = questionnaires()[template]
        .criteria()
        .map(|(_, c)| c.code.clone())
        .collect();
    let mut csv = format!("unit_code,service_point_code,channel,{}\n", codes.join(","));
    for (u, (unit, count)) in units.iter().enumerate() {
        for i in 0..*count {
            let answers: Vec<String> = (0..codes.len())
                .map(|k| (1 + (i * 7 + k * 3 + u * 5) % 5).to_string())
                .collect();
            csv.push_str(&format!("{unit},,paper,{}\n", answers.join(",")));
        }
    }
    csv
}

fn frame(units: &[(&str, u64)]) -> String {
    let mut csv = "unit_code,service_point_code,population\n".to_owned();
    for (unit, n) in units {
        csv.push_str(&format!("{unit},,{n}\n"));
    }
    csv
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"))
}

/// The interval of the change, recomputed from the two figures the response serves.
fn mover(from: &Value, to: &Value) -> (f64, f64, f64) {
    let (i1, l1, u1) = (
        f(&from["estimate"]),
        f(&from["ci_low"]),
        f(&from["ci_high"]),
    );
    let (i2, l2, u2) = (f(&to["estimate"]), f(&to["ci_low"]), f(&to["ci_high"]));
    let d = i2 - i1;
    (
        d,
        d - ((i2 - l2).powi(2) + (u1 - i1).powi(2)).sqrt(),
        d + ((u2 - i2).powi(2) + (i1 - l1).powi(2)).sqrt(),
    )
}

async fn a_merged_commune_is_compared_with_its_predecessors(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // Phường Thành Sen (18073 from 1 July 2025) and the old wards that went into it,
    // read from the crosswalk file itself.
    let lines = ha_tinh_successions();
    let mut predecessors: Vec<&str> = lines
        .iter()
        .filter(|l| l.new_code == "18073")
        .map(|l| l.old_code.as_str())
        .collect();
    predecessors.sort_unstable();
    assert!(predecessors.len() > 2);
    assert!(
        lines
            .iter()
            .any(|l| l.new_code == "18073" && l.relation == Relation::Split)
    );

    campaign(&app, "R-2021", "SIPAS-2017", "2021-03-01", "2021-10-31").await;
    campaign(&app, "R-2026", "SIPAS-2023", "2026-01-01", "2026-12-31").await;
    let old: Vec<(&str, usize)> = predecessors
        .iter()
        .enumerate()
        .map(|(i, c)| (*c, 12 + 3 * i))
        .chain([("TW-CT", 30)])
        .collect();
    let old_frame: Vec<(&str, u64)> = old
        .iter()
        .enumerate()
        .map(|(i, (c, _))| (*c, 300 + 100 * i as u64))
        .collect();
    upload(
        &app,
        reqwest::Method::PUT,
        "/api/v1/campaigns/R-2021/frame",
        frame(&old_frame),
    )
    .await;
    upload(
        &app,
        reqwest::Method::POST,
        "/api/v1/campaigns/R-2021/responses",
        forms(0, &old),
    )
    .await;
    let new = [("18073", 40), ("TW-THUE", 25)];
    upload(
        &app,
        reqwest::Method::PUT,
        "/api/v1/campaigns/R-2026/frame",
        frame(&[("18073", 900), ("TW-THUE", 400)]),
    )
    .await;
    upload(
        &app,
        reqwest::Method::POST,
        "/api/v1/campaigns/R-2026/responses",
        forms(1, &new),
    )
    .await;
    app.settle().await;

    let change = app
        .read_json("/api/v1/campaigns/R-2026/units/18073/change?from=R-2021")
        .await;
    assert_eq!(change["comparison"], "predecessors");
    assert_eq!(change["from"]["units"], json!(predecessors));
    assert_eq!(change["from"]["left_out"], json!([]));
    let flags: Vec<&str> = change["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(flags.contains(&"approximate_predecessor"), "{flags:?}");
    assert!(flags.contains(&"different_questionnaires"), "{flags:?}");
    assert!(
        change["notes"]
            .to_string()
            .contains("never criterion by criterion")
    );
    let forms_before: usize = old
        .iter()
        .filter(|(c, _)| *c != "TW-CT")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(change["from"]["n"], forms_before);

    // The group's point estimate is the N-weighted mean of the old wards' own indices.
    let old_scores = app.read_json("/api/v1/campaigns/R-2021/scores").await;
    let by_code: HashMap<&str, &Value> = old_scores["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["unit_code"].as_str().unwrap(), u))
        .collect();
    let (mut weighted, mut total) = (0.0, 0.0);
    for code in &predecessors {
        let u = by_code[code];
        weighted += f(&u["population"]) * f(&u["sipas"]["estimate"]);
        total += f(&u["population"]);
    }
    assert!((f(&change["from"]["estimate"]) - weighted / total).abs() < 1e-12);

    // The later side is the unit's own published figure; the change is MOVER's.
    let now = app
        .read_json("/api/v1/campaigns/R-2026/units/18073/scores")
        .await;
    for key in ["estimate", "ci_low", "ci_high"] {
        assert_eq!(change["to"][key], now["sipas"][key], "{key}");
    }
    assert_eq!(change["to"]["unit_name"], "Phường Thành Sen");
    let (d, low, high) = mover(&change["from"], &change["to"]);
    assert!((f(&change["change"]["estimate"]) - d).abs() < 1e-12);
    assert!((f(&change["change"]["ci_low"]) - low).abs() < 1e-12);
    assert!((f(&change["change"]["ci_high"]) - high).abs() < 1e-12);
    assert_eq!(change["change"]["significant"], low > 0.0 || high < 0.0);
    // Both methods have five elements: compared by place, each with its own change.
    let elements = change["elements"].as_array().unwrap();
    assert_eq!(elements.len(), 5);
    for e in elements {
        let (d, low, high) = mover(&e["from"], &e["to"]);
        assert!((f(&e["change"]["estimate"]) - d).abs() < 1e-12);
        assert!((f(&e["change"]["ci_low"]) - low).abs() < 1e-12);
        assert!((f(&e["change"]["ci_high"]) - high).abs() < 1e-12);
    }

    // One whole predecessor: its own published figures, not a group's.
    let tax = app
        .read_json("/api/v1/campaigns/R-2026/units/TW-THUE/change?from=R-2021")
        .await;
    assert_eq!(tax["from"]["units"], json!(["TW-CT"]));
    let before = by_code["TW-CT"];
    for key in ["estimate", "ci_low", "ci_high"] {
        assert_eq!(tax["from"][key], before["sipas"][key], "{key}");
    }
    assert!(!tax["flags"].to_string().contains("approximate_predecessor"));

    // Within one structure a unit is compared with itself.
    campaign(&app, "R-2026B", "SIPAS-2023", "2026-06-01", "2026-12-31").await;
    upload(
        &app,
        reqwest::Method::PUT,
        "/api/v1/campaigns/R-2026B/frame",
        frame(&[("18073", 900)]),
    )
    .await;
    upload(
        &app,
        reqwest::Method::POST,
        "/api/v1/campaigns/R-2026B/responses",
        forms(1, &[("18073", 30)]),
    )
    .await;
    app.settle().await;
    let same = app
        .read_json("/api/v1/campaigns/R-2026B/units/18073/change?from=R-2026")
        .await;
    assert_eq!(same["comparison"], "same_unit");
    assert_eq!(same["from"]["units"], json!(["18073"]));
    assert!(
        !same["flags"]
            .to_string()
            .contains("different_questionnaires")
    );

    // A change is from an earlier campaign; an unknown campaign or unit is said.
    for (path, status) in [
        (
            "/api/v1/campaigns/R-2021/units/18073/change?from=R-2026",
            422,
        ),
        (
            "/api/v1/campaigns/R-2026/units/18073/change?from=R-2026",
            422,
        ),
        ("/api/v1/campaigns/R-2026/units/18073/change?from=NOPE", 404),
        (
            "/api/v1/campaigns/R-2026/units/18077/change?from=R-2021",
            404,
        ),
    ] {
        let response = app.get(path, &app.read_token).send().await.unwrap();
        assert_eq!(response.status(), status, "{path}");
    }
}
