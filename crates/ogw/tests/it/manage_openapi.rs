//! `/v1/openapi.json`: generated from the handlers, so it lists exactly what is served.
use crate::common::*;

const PATHS: &[(&str, &[&str])] = &[
    ("/v1/tenants", &["get", "post"]),
    ("/v1/tenants/{tenant}", &["get", "patch", "delete"]),
    ("/v1/tenants/{tenant}/applications", &["get", "post"]),
    (
        "/v1/tenants/{tenant}/applications/{clientId}",
        &["get", "patch", "delete"],
    ),
    (
        "/v1/tenants/{tenant}/applications/{clientId}/secret",
        &["post"],
    ),
    ("/v1/tenants/{tenant}/capabilities", &["get", "post"]),
    (
        "/v1/tenants/{tenant}/capabilities/{id}",
        &["get", "put", "delete"],
    ),
    ("/v1/tenants/{tenant}/consents", &["get", "post"]),
    ("/v1/tenants/{tenant}/consents/check", &["post"]),
    ("/v1/tenants/{tenant}/consents/history", &["get"]),
    (
        "/v1/tenants/{tenant}/consents/{phoneNumber}/{clientId}/{purpose}",
        &["get"],
    ),
    ("/v1/tenants/{tenant}/subscribers", &["get"]),
    (
        "/v1/tenants/{tenant}/subscribers/{phoneNumber}",
        &["get", "put"],
    ),
    (
        "/v1/tenants/{tenant}/subscribers/{phoneNumber}/sim-changes",
        &["post"],
    ),
    ("/v1/tenants/{tenant}/ip-sessions", &["get"]),
    ("/v1/tenants/{tenant}/views", &["get"]),
    ("/v1/tenants/{tenant}/views/{id}", &["get", "put", "delete"]),
    ("/v1/views", &["get"]),
    ("/v1/views/{id}", &["get", "put", "delete"]),
    ("/v1/tenants/{tenant}/audit", &["get"]),
];

#[tokio::test]
async fn openapi_document_lists_every_management_operation() {
    let app = spawn_app().await;
    // Public: it holds no data.
    let res = app
        .http
        .get(format!("http://{}/v1/openapi.json", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc: serde_json::Value = res.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "ogw management API");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let paths = doc["paths"].as_object().unwrap();
    let mut listed: Vec<_> = paths.keys().map(String::as_str).collect();
    listed.sort();
    let mut expected: Vec<_> = PATHS.iter().map(|(p, _)| *p).collect();
    expected.sort();
    assert_eq!(listed, expected);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (path, methods) in PATHS {
        let item = paths[*path].as_object().unwrap();
        let mut have: Vec<_> = item
            .keys()
            .filter(|k| *k != "parameters")
            .map(String::as_str)
            .collect();
        have.sort();
        let mut want = methods.to_vec();
        want.sort();
        assert_eq!(have, want, "{path}");
        for m in *methods {
            let op = &item[*m];
            assert!(op["operationId"].is_string(), "{m} {path}");
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{m} {path}"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("401"), "{m} {path}: no 401");
            // Every referenced schema is defined.
            let text = op.to_string();
            for part in text.split("#/components/schemas/").skip(1) {
                let name = part.split('"').next().unwrap();
                assert!(schemas.contains_key(name), "{m} {path}: {name} undefined");
            }
        }
    }
    // Each documented path is served (a request without a token gets 401, not 404/405).
    for (path, methods) in PATHS {
        let concrete = path
            .replace("{tenant}", "demo")
            .replace("{clientId}", "demo-client")
            .replace("{id}", "sim-swap-v2")
            .replace("{phoneNumber}", "+34629255833")
            .replace("{purpose}", "dpv:ServiceProvision");
        for m in *methods {
            let method = reqwest::Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
            let res = app
                .http
                .request(method, format!("http://{}{concrete}", app.addr))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 401, "{m} {concrete}");
        }
    }
}
