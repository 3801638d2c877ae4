//! /v1/tenants/{tenant}/applications over HTTP.
use ogw_core::domain::ClientId;
use serde_json::json;

use crate::common::*;
use crate::manage_kit::*;

async fn stored_hash(app: &TestApp, client_id: &str) -> Option<String> {
    app.state
        .store
        .find_application(&ClientId::parse(client_id).unwrap())
        .await
        .unwrap()
        .unwrap()
        .secret_hash
        .clone()
}

#[tokio::test]
async fn register_shows_the_secret_once_and_stores_it_hashed() {
    let app = spawn_app().await;
    let t = operator(&app).await;
    let r = post(
        &app,
        "/v1/tenants/demo/applications",
        &t,
        json!({
            "clientId": "bank-app",
            "name": "ACME Bank fraud check",
            "grantTypes": ["client_credentials", "urn:openid:params:grant-type:ciba"],
            "allowedCapabilities": ["sim-swap-v2"],
            "allowedScopes": ["openid"],
            "allowedPurposes": ["dpv:FraudPreventionAndDetection"],
        }),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some("/v1/tenants/demo/applications/bank-app")
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let secret = r.body["clientSecret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 43);
    assert_eq!(r.body["hasSecret"], true);
    assert_eq!(
        r.body["authMethods"],
        json!(["client_secret_basic", "client_secret_post"])
    );
    let mut scopes: Vec<_> = r.body["allowedScopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    scopes.sort();
    assert_eq!(
        scopes,
        [
            "openid",
            "sim-swap",
            "sim-swap:check",
            "sim-swap:retrieve-date"
        ]
    );

    // Stored as a keyed hash only.
    let hash = stored_hash(&app, "bank-app").await.unwrap();
    assert!(!hash.contains(&secret));
    assert!(app.state.pepper.verify(&secret, &hash));

    // Never shown again.
    let r2 = get(&app, "/v1/tenants/demo/applications/bank-app", &t).await;
    assert_eq!(r2.status, 200);
    assert!(r2.body.get("clientSecret").is_none());
    assert!(!r2.body.to_string().contains(&secret));
    assert_eq!(r2.etag(), r.etag());

    // Rotation: a new secret, the old one stops verifying.
    let rot = post(
        &app,
        "/v1/tenants/demo/applications/bank-app/secret",
        &t,
        json!({}),
    )
    .await;
    assert_eq!(rot.status, 200, "{}", rot.body);
    assert_eq!(rot.header("cache-control"), Some("no-store"));
    let new_secret = rot.body["clientSecret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    let hash = stored_hash(&app, "bank-app").await.unwrap();
    assert!(app.state.pepper.verify(new_secret, &hash));
    assert!(!app.state.pepper.verify(&secret, &hash));

    // Generated client ids.
    let r = post(
        &app,
        "/v1/tenants/demo/applications",
        &t,
        json!({"name": "anonymous"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.body["clientId"].as_str().unwrap().starts_with("app-"));
}

#[tokio::test]
async fn registration_is_validated() {
    let app = spawn_app().await;
    let t = operator(&app).await;
    let base = "/v1/tenants/demo/applications";
    // Client ids are global: demo-client exists.
    post(
        &app,
        base,
        &t,
        json!({"clientId": "demo-client", "name": "x"}),
    )
    .await
    .assert_error(409, "CONFLICT");
    post(
        &app,
        base,
        &t,
        json!({"name": "x", "allowedScopes": ["nope:read"]}),
    )
    .await
    .assert_error(422, "UNKNOWN_SCOPE");
    post(
        &app,
        base,
        &t,
        json!({"name": "x", "allowedPurposes": ["dpv:Marketing"]}),
    )
    .await
    .assert_error(422, "UNKNOWN_PURPOSE");
    post(
        &app,
        base,
        &t,
        json!({"name": "x", "allowedPurposes": ["Marketing"]}),
    )
    .await
    .assert_error(400, "INVALID_ARGUMENT");
    post(
        &app,
        base,
        &t,
        json!({"name": "x", "allowedCapabilities": ["nope"]}),
    )
    .await
    .assert_error(422, "UNKNOWN_CAPABILITY");
    post(
        &app,
        base,
        &t,
        json!({"name": "x", "authMethods": ["private_key_jwt"]}),
    )
    .await
    .assert_error(422, "MISSING_CLIENT_KEY");
    post(
        &app,
        base,
        &t,
        json!({"name": "x", "authMethods": ["private_key_jwt"], "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"}),
    )
    .await
    .assert_error(422, "INVALID_PUBLIC_KEY");
    post(
        &app,
        base,
        &t,
        json!({"name": "x", "authMethods": ["private_key_jwt"], "jwks": {"keys": []}}),
    )
    .await
    .assert_error(422, "INVALID_JWKS");
    post(
        &app,
        base,
        &t,
        json!({"name": "x", "grantTypes": ["authorization_code"]}),
    )
    .await
    .assert_error(422, "MISSING_REDIRECT_URI");
    post(
        &app,
        base,
        &t,
        json!({"name": "x", "grantTypes": ["password"]}),
    )
    .await
    .assert_error(400, "INVALID_ARGUMENT");
    post(
        &app,
        "/v1/tenants/nope/applications",
        &t,
        json!({"name": "x"}),
    )
    .await
    .assert_error(404, "NOT_FOUND");

    // A key-based application: no secret.
    let r = post(
        &app,
        base,
        &t,
        json!({"clientId": "keyed", "name": "keyed", "authMethods": ["app_jwt", "private_key_jwt"],
               "publicKeyPem": ogw::demo::APP_PUBLIC_KEY_PEM}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.body.get("clientSecret").is_none());
    assert_eq!(r.body["hasSecret"], false);
    assert!(stored_hash(&app, "keyed").await.is_none());
}

#[tokio::test]
async fn update_disable_and_delete() {
    let app = spawn_app().await;
    let t = operator(&app).await;
    let path = "/v1/tenants/demo/applications/demo-client";
    let r = get(&app, path, &t).await;
    let tag = r.etag();

    let stale = reqwest::Method::PATCH;
    call(
        &app,
        stale,
        path,
        Some(&t),
        Some(json!({"name": "renamed"})),
        &[("if-match", "\"0000\"")],
    )
    .await
    .assert_error(412, "PRECONDITION_FAILED");
    let r = call(
        &app,
        reqwest::Method::PATCH,
        path,
        Some(&t),
        Some(json!({"name": "renamed", "redirectUris": ["https://app.example/cb"]})),
        &[("if-match", &tag)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["name"], "renamed");
    assert_eq!(r.body["redirectUris"], json!(["https://app.example/cb"]));
    patch(&app, path, &t, json!({"allowedScopes": ["bogus:scope"]}))
        .await
        .assert_error(422, "UNKNOWN_SCOPE");
    patch(&app, path, &t, json!({"redirectUris": []}))
        .await
        .assert_error(422, "MISSING_REDIRECT_URI");

    let r = patch(&app, path, &t, json!({"status": "disabled"})).await;
    assert_eq!(r.body["status"], "disabled");
    let audit = get(&app, "/v1/tenants/demo/audit?action=application.", &t).await;
    let actions: Vec<_> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["application.disable", "application.update"]);
    assert_eq!(
        audit.body["items"][0]["detail"]["before"]["status"],
        "active"
    );
    assert_eq!(
        audit.body["items"][0]["detail"]["after"]["status"],
        "disabled"
    );

    let r = delete(&app, path, &t).await;
    assert_eq!(r.status, 204);
    get(&app, path, &t).await.assert_error(404, "NOT_FOUND");
    delete(&app, path, &t).await.assert_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn applications_are_paginated() {
    let app = spawn_app().await;
    let t = operator(&app).await;
    for i in 0..4 {
        let r = post(
            &app,
            "/v1/tenants/demo/applications",
            &t,
            json!({"clientId": format!("p{i}"), "name": format!("p{i}")}),
        )
        .await;
        assert_eq!(r.status, 201);
    }
    let all = all_pages(&app, "/v1/tenants/demo/applications", &t, 3).await;
    let ids: Vec<_> = all
        .iter()
        .map(|a| a["clientId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["demo-app-id", "demo-client", "p0", "p1", "p2", "p3"]);
}
