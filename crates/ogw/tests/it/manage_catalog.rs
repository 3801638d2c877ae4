//! /v1/tenants/{tenant}/capabilities over HTTP.
use ogw_core::domain::TenantId;
use ogw_core::manage::gate;
use serde_json::json;

use crate::common::*;
use crate::manage_kit::*;

fn entry(id: &str) -> serde_json::Value {
    json!({
        "id": id,
        "apiName": "device-location",
        "version": "0.3.0",
        "basePath": "/location-verification/v1",
        "scopes": ["location-verification:verify"],
        "purposes": [{"purpose": "dpv:FraudPreventionAndDetection", "legalBasis": "legitimate_interest"}],
    })
}

#[tokio::test]
async fn demo_catalog_is_listed() {
    let app = spawn_app().await;
    let t = operator(&app).await;
    let all = all_pages(&app, "/v1/tenants/demo/capabilities", &t, 3).await;
    let names: Vec<_> = all.iter().map(|c| c["apiName"].as_str().unwrap()).collect();
    assert_eq!(all.len(), 4, "{names:?}");
    for api in [
        "sim-swap",
        "number-verification",
        "qos-profiles",
        "consent-info",
    ] {
        assert!(names.contains(&api), "{api} missing from {names:?}");
    }
    let r = get(&app, "/v1/tenants/demo/capabilities/sim-swap-v2", &t).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["version"], "2.1.0");
    assert_eq!(r.body["status"], "available");
    let fraud = r.body["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["purpose"] == "dpv:FraudPreventionAndDetection")
        .unwrap();
    assert_eq!(fraud["legalBasis"], "legitimate_interest");
}

#[tokio::test]
async fn catalog_crud() {
    let app = spawn_app().await;
    let t = operator(&app).await;
    let base = "/v1/tenants/demo/capabilities";
    let r = post(&app, base, &t, entry("location-v0")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some("/v1/tenants/demo/capabilities/location-v0")
    );
    post(&app, base, &t, entry("location-v0"))
        .await
        .assert_error(409, "CONFLICT");
    let mut no_id = entry("x");
    no_id.as_object_mut().unwrap().remove("id");
    post(&app, base, &t, no_id)
        .await
        .assert_error(400, "INVALID_ARGUMENT");

    // PUT creates, then replaces under If-Match.
    let path = format!("{base}/location-v1");
    let r = put(&app, &path, &t, entry("location-v1")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let tag = r.etag();
    let mut changed = entry("location-v1");
    changed["status"] = json!("deprecated");
    let r = call(
        &app,
        reqwest::Method::PUT,
        &path,
        Some(&t),
        Some(changed.clone()),
        &[("if-match", "\"stale\"")],
    )
    .await;
    r.assert_error(412, "PRECONDITION_FAILED");
    let r = call(
        &app,
        reqwest::Method::PUT,
        &path,
        Some(&t),
        Some(changed),
        &[("if-match", &tag)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "deprecated");
    // If-Match on a capability that does not exist fails.
    call(
        &app,
        reqwest::Method::PUT,
        &format!("{base}/nope"),
        Some(&t),
        Some(entry("nope")),
        &[("if-match", &tag)],
    )
    .await
    .assert_error(412, "PRECONDITION_FAILED");
    put(&app, &path, &t, entry("other-id"))
        .await
        .assert_error(400, "INVALID_ARGUMENT");

    // Semantic checks.
    let mut bad = entry("bad");
    bad["purposes"] =
        json!([{"purpose": "dpv:FraudPreventionAndDetection", "legalBasis": "consent"}]);
    post(&app, base, &t, bad)
        .await
        .assert_error(422, "LEGAL_BASIS_MISMATCH");
    let mut bad = entry("bad");
    bad["purposes"] = json!(["dpv:Marketing"]);
    post(&app, base, &t, bad)
        .await
        .assert_error(422, "UNKNOWN_PURPOSE");
    let mut bad = entry("bad");
    bad["scopes"] = json!(["admin:tenants"]);
    post(&app, base, &t, bad)
        .await
        .assert_error(422, "INVALID_SCOPE");
    let mut bad = entry("bad");
    bad["basePath"] = json!("no-slash");
    post(&app, base, &t, bad)
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    let mut bad = entry("bad");
    bad["status"] = json!("gone");
    post(&app, base, &t, bad)
        .await
        .assert_error(400, "INVALID_ARGUMENT");

    let r = delete(&app, &path, &t).await;
    assert_eq!(r.status, 204);
    get(&app, &path, &t).await.assert_error(404, "NOT_FOUND");
    delete(&app, &path, &t).await.assert_error(404, "NOT_FOUND");
    get(&app, "/v1/tenants/nope/capabilities", &t)
        .await
        .assert_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn disabling_a_capability_closes_its_api_and_scopes() {
    let app = spawn_app().await;
    let t = operator(&app).await;
    let path = "/v1/tenants/demo/capabilities/sim-swap-v2";
    let mut body = get(&app, path, &t).await.body;
    body["status"] = json!("disabled");
    let r = put(&app, path, &t, body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let catalog = app
        .state
        .store
        .list_capabilities(&TenantId::parse("demo").unwrap())
        .await
        .unwrap();
    assert!(!gate::api_enabled(&catalog, "sim-swap"));
    assert!(gate::api_enabled(&catalog, "number-verification"));
    assert_eq!(
        gate::disabled_scopes(&catalog, ["sim-swap:check", "number-verification:verify"]),
        ["sim-swap:check"]
    );
}
