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
    ("/v1/network/sim-changes", &["post"]),
    ("/v1/network/imports/{kind}", &["post"]),
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
            .replace("{purpose}", "dpv:ServiceProvision")
            .replace("{kind}", "subscribers");
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

#[tokio::test]
async fn openapi_describes_the_network_uploads() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app
        .http
        .get(format!("http://{}/v1/openapi.json", app.addr))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let op = &doc["paths"]["/v1/network/imports/{kind}"]["post"];
    let content = op["requestBody"]["content"].as_object().unwrap();
    assert!(content.contains_key("text/csv"), "{op}");
    assert!(content.contains_key("application/x-ndjson"), "{op}");
    for status in ["200", "422", "415"] {
        assert!(op["responses"][status].is_object(), "{status}: {op}");
    }
    let kind = op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "kind")
        .unwrap();
    assert_eq!(kind["in"], "path");
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["ImportKind"]["enum"],
        serde_json::json!(["subscribers", "sim-changes", "ip-sessions"])
    );
    assert!(schemas["ImportReport"]["properties"]["errorCount"].is_object());
    assert!(schemas["SimChangeIn"]["properties"]["phoneNumber"].is_object());
    assert!(
        doc["paths"]["/v1/network/sim-changes"]["post"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "tenant" && p["in"] == "query")
    );
    assert!(schemas["ApplicationView"]["properties"]["dpopBoundAccessTokens"].is_object());
}
