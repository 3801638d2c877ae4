//! The audit trail over HTTP: listing, filters, pagination, isolation.
use serde_json::json;

use crate::common::*;
use crate::manage_kit::*;

#[tokio::test]
async fn audit_lists_filters_and_pages() {
    let app = spawn_app().await;
    let ops = operator(&app).await;
    let other = manager(&app, "system", "ops-two", ALL).await;
    for i in 0..3 {
        let r = post(
            &app,
            "/v1/tenants/demo/applications",
            &ops,
            json!({"clientId": format!("a{i}"), "name": "x"}),
        )
        .await;
        assert_eq!(r.status, 201);
    }
    patch(
        &app,
        "/v1/tenants/demo/applications/a0",
        &other,
        json!({"name": "renamed"}),
    )
    .await;

    // Newest first; who, what, when, before/after.
    let r = get(&app, "/v1/tenants/demo/audit", &ops).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let first = &r.body["items"][0];
    assert_eq!(first["action"], "application.update");
    assert_eq!(first["actor"], "ops-two");
    assert_eq!(first["target"], "application:a0");
    assert_eq!(first["outcome"], "ok");
    assert_eq!(first["tenant"], "demo");
    assert!(first["at"].is_string());
    assert_eq!(first["detail"]["before"]["name"], "x");
    assert_eq!(first["detail"]["after"]["name"], "renamed");

    // Filters.
    let by_actor = all_pages(&app, "/v1/tenants/demo/audit?actor=ops-admin", &ops, 2).await;
    assert_eq!(by_actor.len(), 3);
    assert!(by_actor.iter().all(|e| e["action"] == "application.create"));
    let ids: Vec<i64> = by_actor.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    let creates = all_pages(
        &app,
        "/v1/tenants/demo/audit?action=application.create",
        &ops,
        50,
    )
    .await;
    assert_eq!(creates.len(), 3);
    let none = get(
        &app,
        "/v1/tenants/demo/audit?action=nothing.like.this",
        &ops,
    )
    .await;
    assert_eq!(none.body["items"], json!([]));
    get(&app, "/v1/tenants/demo/audit?cursor=xyz", &ops)
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    // Tenant lifecycle events live in the tenant's own trail.
    post(
        &app,
        "/v1/tenants",
        &ops,
        json!({"id": "acme", "name": "ACME"}),
    )
    .await;
    let r = get(&app, "/v1/tenants/acme/audit", &ops).await;
    assert_eq!(r.body["items"][0]["action"], "tenant.create");
    assert_eq!(r.body["items"][0]["target"], "tenant:acme");
}
