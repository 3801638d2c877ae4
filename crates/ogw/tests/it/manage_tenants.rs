//! /v1/tenants over HTTP: create, list, get, update with ETag/If-Match, suspend, delete.
use serde_json::json;

use crate::common::*;
use crate::manage_kit::*;

#[tokio::test]
async fn tenant_lifecycle() {
    let app = spawn_app().await;
    let t = operator(&app).await;

    let r = post(
        &app,
        "/v1/tenants",
        &t,
        json!({"id": "acme", "name": "ACME Mobile"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.header("location"), Some("/v1/tenants/acme"));
    assert_eq!(r.body["id"], "acme");
    assert_eq!(r.body["status"], "active");
    let created_tag = r.etag();

    let r = get(&app, "/v1/tenants/acme", &t).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.etag(), created_tag);
    assert_eq!(r.body["name"], "ACME Mobile");

    // Duplicates, bad ids, the reserved id, malformed bodies.
    post(
        &app,
        "/v1/tenants",
        &t,
        json!({"id": "acme", "name": "again"}),
    )
    .await
    .assert_error(409, "CONFLICT");
    post(&app, "/v1/tenants", &t, json!({"id": "a b", "name": "x"}))
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    post(
        &app,
        "/v1/tenants",
        &t,
        json!({"id": "system", "name": "x"}),
    )
    .await
    .assert_error(422, "RESERVED_TENANT");
    post(&app, "/v1/tenants", &t, json!({"id": "x", "nmae": "x"}))
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    post(&app, "/v1/tenants", &t, json!({"id": "x", "name": "   "}))
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    let raw = app
        .http
        .post(format!("http://{}/v1/tenants", app.addr))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    let body: serde_json::Value = raw.json().await.unwrap();
    assert_eq!(body["code"], "INVALID_ARGUMENT");
    get(&app, "/v1/tenants/nope", &t)
        .await
        .assert_error(404, "NOT_FOUND");

    // Updates: a stale If-Match is refused, the current one (or none) accepted.
    let r = call(
        &app,
        reqwest::Method::PATCH,
        "/v1/tenants/acme",
        Some(&t),
        Some(json!({"name": "ACME"})),
        &[("if-match", "\"stale\"")],
    )
    .await;
    r.assert_error(412, "PRECONDITION_FAILED");
    let r = call(
        &app,
        reqwest::Method::PATCH,
        "/v1/tenants/acme",
        Some(&t),
        Some(json!({"name": "ACME"})),
        &[("if-match", &created_tag)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["name"], "ACME");
    assert_ne!(r.etag(), created_tag);
    let r = patch(&app, "/v1/tenants/acme", &t, json!({"status": "suspended"})).await;
    assert_eq!(r.body["status"], "suspended");
    patch(&app, "/v1/tenants/acme", &t, json!({"status": "paused"}))
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    patch(&app, "/v1/tenants/nope", &t, json!({"name": "x"}))
        .await
        .assert_error(404, "NOT_FOUND");

    // The system tenant is protected.
    patch(
        &app,
        "/v1/tenants/system",
        &t,
        json!({"status": "suspended"}),
    )
    .await
    .assert_error(422, "PROTECTED_TENANT");
    delete(&app, "/v1/tenants/system", &t)
        .await
        .assert_error(422, "PROTECTED_TENANT");

    // An empty tenant deletes; a deleted one is gone.
    let r = delete(&app, "/v1/tenants/acme", &t).await;
    assert_eq!(r.status, 204, "{}", r.body);
    get(&app, "/v1/tenants/acme", &t)
        .await
        .assert_error(404, "NOT_FOUND");
    delete(&app, "/v1/tenants/acme", &t)
        .await
        .assert_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn delete_refuses_a_tenant_with_data_unless_cascade() {
    let app = spawn_app().await;
    let t = operator(&app).await;
    let r = delete(&app, "/v1/tenants/demo", &t).await;
    r.assert_error(409, "CONFLICT");
    assert!(r.body["message"].as_str().unwrap().contains("cascade=true"));
    let stale = call(
        &app,
        reqwest::Method::DELETE,
        "/v1/tenants/demo?cascade=true",
        Some(&t),
        None,
        &[("if-match", "\"stale\"")],
    )
    .await;
    stale.assert_error(412, "PRECONDITION_FAILED");

    let r = delete(&app, "/v1/tenants/demo?cascade=true", &t).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let demo = ogw_core::domain::TenantId::parse("demo").unwrap();
    let store = &app.state.store;
    assert!(store.get_tenant(&demo).await.unwrap().is_none());
    assert_eq!(store.count_subscribers(&demo).await.unwrap(), 0);
    assert!(store.list_applications(&demo).await.unwrap().is_empty());

    // The cascade is audited, and the trail outlives the tenant.
    let r = get(&app, "/v1/tenants/demo/audit?action=tenant.delete", &t).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let e = &r.body["items"][0];
    assert_eq!(e["actor"], "ops-admin");
    assert_eq!(e["reason"], "cascade");
    assert_eq!(e["detail"]["cascade"], true);
    assert_eq!(e["detail"]["removed"]["applications"], 2);
    assert_eq!(e["detail"]["removed"]["subscribers"], 4);
    assert_eq!(e["detail"]["before"]["id"], "demo");
    assert!(e["detail"]["after"].is_null());
}

#[tokio::test]
async fn tenants_are_paginated() {
    let app = spawn_app().await;
    let t = operator(&app).await;
    for i in 0..5 {
        let r = post(
            &app,
            "/v1/tenants",
            &t,
            json!({"id": format!("t{i}"), "name": format!("Tenant {i}")}),
        )
        .await;
        assert_eq!(r.status, 201);
    }
    let all = all_pages(&app, "/v1/tenants", &t, 2).await;
    let ids: Vec<_> = all.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["demo", "system", "t0", "t1", "t2", "t3", "t4"]);
    get(&app, "/v1/tenants?limit=0", &t)
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    get(&app, "/v1/tenants?limit=501", &t)
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    get(&app, "/v1/tenants?cursor=bogus", &t)
        .await
        .assert_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn a_suspended_tenant_locks_out_its_clients() {
    let app = spawn_app().await;
    let ops = operator(&app).await;
    let demo_admin = manager(&app, "demo", "demo-admin", "apps:read").await;
    assert_eq!(
        get(&app, "/v1/tenants/demo/applications", &demo_admin)
            .await
            .status,
        200
    );
    patch(
        &app,
        "/v1/tenants/demo",
        &ops,
        json!({"status": "suspended"}),
    )
    .await;
    get(&app, "/v1/tenants/demo/applications", &demo_admin)
        .await
        .assert_error(403, "PERMISSION_DENIED");
    // The operator still manages it.
    assert_eq!(
        get(&app, "/v1/tenants/demo/applications", &ops)
            .await
            .status,
        200
    );
    patch(&app, "/v1/tenants/demo", &ops, json!({"status": "active"})).await;
    assert_eq!(
        get(&app, "/v1/tenants/demo/applications", &demo_admin)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn management_stays_under_v1_whatever_the_base_path() {
    let app = spawn_app_with(|c| c.base_path = "/v1".into()).await;
    let t = operator(&app).await;
    let r = get(&app, "/v1/tenants/demo", &t).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        get(&app, "/v1/openapi.json", &t).await.body["openapi"],
        "3.1.0"
    );
}

#[tokio::test]
async fn management_runs_on_postgres_too() {
    let Some(url) = fresh_postgres_url().await else {
        return;
    };
    let app = spawn_app_with(|c| c.database_url = Some(url)).await;
    let t = operator(&app).await;
    let r = post(
        &app,
        "/v1/tenants",
        &t,
        json!({"id": "acme", "name": "ACME"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = post(
        &app,
        "/v1/tenants/demo/applications",
        &t,
        json!({"clientId": "pg-app", "name": "pg", "allowedCapabilities": ["qos-profiles-v1"],
               "allowedPurposes": ["dpv:ServiceProvision"]}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = post(
        &app,
        "/v1/tenants/demo/consents",
        &t,
        json!({"phoneNumber": "+34629255833", "clientId": "pg-app",
               "purpose": "dpv:ServiceProvision", "status": "granted"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = post(
        &app,
        "/v1/tenants/demo/consents/check",
        &t,
        json!({"phoneNumber": "+34629255833", "clientId": "pg-app",
               "purpose": "dpv:ServiceProvision", "scope": "qos-profiles:read"}),
    )
    .await;
    assert_eq!(r.body["granted"], true, "{}", r.body);
    let subs = all_pages(&app, "/v1/tenants/demo/subscribers", &t, 2).await;
    assert_eq!(subs.len(), 4);
    let r = delete(&app, "/v1/tenants/demo?cascade=true", &t).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = get(&app, "/v1/tenants/demo/audit?action=tenant.delete", &t).await;
    assert_eq!(r.body["items"][0]["detail"]["removed"]["applications"], 3);
}
