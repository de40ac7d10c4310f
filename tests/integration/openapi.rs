use crate::common::{Backend, spawn_app};
use serde_json::Value;

/// The description is public, lists every implemented route, and each route it lists
/// answers (401 without a token rather than 404).
#[tokio::test]
async fn openapi_describes_the_implemented_routes() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let response = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/units",
        "/api/v1/units/{unit}/service-points",
        "/api/v1/campaigns",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    for (path, item) in paths {
        let concrete = path.replace("{unit}", "18073").replace("{id}", "1");
        for method in item.as_object().unwrap().keys() {
            let request = match method.as_str() {
                "get" => app.client.get(app.url(&concrete)),
                "post" => app.client.post(app.url(&concrete)),
                "put" => app.client.put(app.url(&concrete)),
                "patch" => app.client.patch(app.url(&concrete)),
                "delete" => app.client.delete(app.url(&concrete)),
                other => panic!("unexpected method {other}"),
            };
            let status = request.send().await.unwrap().status();
            assert_eq!(status, 401, "{method} {path} should exist and want a token");
        }
    }
    let docs = app.client.get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("/api/v1/campaigns"));
}
