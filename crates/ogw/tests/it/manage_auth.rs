//! Who may call the management API: tokens, scopes, tenant isolation, disabled clients.
use chrono::Utc;
use ogw_core::domain::TenantId;
use ogw_core::oauth::tokens::AccessClaims;
use reqwest::Method;
use serde_json::json;

use crate::common::*;
use crate::manage_kit::*;

#[tokio::test]
async fn no_bad_expired_or_revoked_token_is_401() {
    let app = spawn_app().await;
    let r = call(&app, Method::GET, "/v1/tenants", None, None, &[]).await;
    r.assert_error(401, "UNAUTHENTICATED");
    // RFC 6750 §3.1: no token, so the challenge names no error.
    assert_eq!(r.header("www-authenticate"), Some(r#"Bearer realm="ogw""#));
    let r = get(&app, "/v1/tenants", "not-a-jwt").await;
    r.assert_error(401, "UNAUTHENTICATED");
    assert_eq!(
        r.header("www-authenticate"),
        Some(r#"Bearer realm="ogw", error="invalid_token""#)
    );

    let good = operator(&app).await;
    assert_eq!(get(&app, "/v1/tenants", &good).await.status, 200);

    let now = Utc::now().timestamp();
    let expired = app
        .state
        .tokens
        .sign_access_inline(&AccessClaims {
            iss: app.state.tokens.issuer().into(),
            sub: "ops-admin".into(),
            aud: app.state.tokens.issuer().into(),
            client_id: "ops-admin".into(),
            tenant: "system".into(),
            scope: ALL.into(),
            purpose: None,
            iat: now - 7200,
            exp: now - 3600,
            jti: "old".into(),
            amr: None,
            sref: None,
            auth_time: None,
            cnf: None,
        })
        .unwrap();
    get(&app, "/v1/tenants", &expired)
        .await
        .assert_error(401, "UNAUTHENTICATED");

    // A revoked jti stops working.
    let claims = app.state.tokens.verify_access(&good, Utc::now()).unwrap();
    let system = TenantId::parse("system").unwrap();
    app.state
        .store
        .revoke_jti(
            &system,
            &claims.jti,
            Utc::now() + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    get(&app, "/v1/tenants", &good)
        .await
        .assert_error(401, "UNAUTHENTICATED");

    // A token for a client that is not registered.
    let ghost = token(&app, "system", "ghost", ALL);
    get(&app, "/v1/tenants", &ghost)
        .await
        .assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_subscribers_token_cannot_manage() {
    let app = spawn_app().await;
    operator(&app).await;
    let now = Utc::now().timestamp();
    let three_legged = app
        .state
        .tokens
        .sign_access_inline(&AccessClaims {
            iss: app.state.tokens.issuer().into(),
            sub: "pairwise".into(),
            aud: app.state.tokens.issuer().into(),
            client_id: "ops-admin".into(),
            tenant: "system".into(),
            scope: ALL.into(),
            purpose: None,
            iat: now,
            exp: now + 600,
            jti: "3l".into(),
            amr: Some(vec!["nba".into()]),
            sref: Some("sealed".into()),
            auth_time: Some(now),
            cnf: None,
        })
        .unwrap();
    get(&app, "/v1/tenants", &three_legged)
        .await
        .assert_error(403, "PERMISSION_DENIED");
}

#[tokio::test]
async fn missing_scope_is_403() {
    let app = spawn_app().await;
    let reader = manager(&app, "system", "reader", "apps:read catalog:read").await;
    assert_eq!(
        get(&app, "/v1/tenants/demo/applications", &reader)
            .await
            .status,
        200
    );
    post(
        &app,
        "/v1/tenants/demo/applications",
        &reader,
        json!({"name": "x"}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    get(&app, "/v1/tenants", &reader)
        .await
        .assert_error(403, "PERMISSION_DENIED");
    get(&app, "/v1/tenants/demo/audit", &reader)
        .await
        .assert_error(403, "PERMISSION_DENIED");
    // A token scope the application no longer holds does not count.
    let stale = token(&app, "system", "reader", "apps:read apps:write");
    post(
        &app,
        "/v1/tenants/demo/applications",
        &stale,
        json!({"name": "x"}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
}

#[tokio::test]
async fn tenant_scoped_clients_cannot_cross_tenants() {
    let app = spawn_app().await;
    let ops = operator(&app).await;
    post(
        &app,
        "/v1/tenants",
        &ops,
        json!({"id": "acme", "name": "ACME"}),
    )
    .await;
    let acme = manager(&app, "acme", "acme-admin", ALL).await;

    // Own tenant: fine.
    assert_eq!(get(&app, "/v1/tenants/acme", &acme).await.status, 200);
    let r = post(
        &app,
        "/v1/tenants/acme/capabilities",
        &acme,
        json!({"id": "sim-swap-v2", "apiName": "sim-swap", "version": "2.1.0",
               "basePath": "/sim-swap/v2", "scopes": ["sim-swap:check"]}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // Another tenant's resources look absent, for reads and writes alike.
    for path in [
        "/v1/tenants/demo",
        "/v1/tenants/demo/applications",
        "/v1/tenants/demo/applications/demo-client",
        "/v1/tenants/demo/capabilities",
        "/v1/tenants/demo/subscribers",
        "/v1/tenants/demo/subscribers/+34629255833",
        "/v1/tenants/demo/consents?phoneNumber=%2B34629255833",
        "/v1/tenants/demo/ip-sessions",
        "/v1/tenants/demo/audit",
    ] {
        get(&app, path, &acme).await.assert_error(404, "NOT_FOUND");
    }
    post(
        &app,
        "/v1/tenants/demo/applications",
        &acme,
        json!({"name": "sneaky"}),
    )
    .await
    .assert_error(404, "NOT_FOUND");
    patch(
        &app,
        "/v1/tenants/demo/applications/demo-client",
        &acme,
        json!({"status": "disabled"}),
    )
    .await
    .assert_error(404, "NOT_FOUND");
    post(
        &app,
        "/v1/tenants/demo/applications/demo-client/secret",
        &acme,
        json!({}),
    )
    .await
    .assert_error(404, "NOT_FOUND");
    post(
        &app,
        "/v1/tenants/demo/consents",
        &acme,
        json!({"phoneNumber": "+34629255833", "clientId": "demo-client",
               "purpose": "dpv:RequestedServiceProvision", "status": "granted"}),
    )
    .await
    .assert_error(404, "NOT_FOUND");
    post(
        &app,
        "/v1/tenants/demo/consents/check",
        &acme,
        json!({"phoneNumber": "+34629255833", "clientId": "demo-client",
               "purpose": "dpv:FraudPreventionAndDetection"}),
    )
    .await
    .assert_error(404, "NOT_FOUND");
    put(
        &app,
        "/v1/tenants/demo/subscribers/+34629255833",
        &acme,
        json!({"simActivatedAt": "2024-01-01T00:00:00Z"}),
    )
    .await
    .assert_error(404, "NOT_FOUND");
    delete(&app, "/v1/tenants/demo/capabilities/sim-swap-v2", &acme)
        .await
        .assert_error(404, "NOT_FOUND");
    // An application id of another tenant is not found through one's own tenant either.
    get(&app, "/v1/tenants/acme/applications/demo-client", &acme)
        .await
        .assert_error(404, "NOT_FOUND");

    // The tenant list shows only its own; tenant administration is operator-only.
    let r = get(&app, "/v1/tenants", &acme).await;
    let ids: Vec<_> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["acme"]);
    post(
        &app,
        "/v1/tenants",
        &acme,
        json!({"id": "mine", "name": "x"}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    patch(
        &app,
        "/v1/tenants/acme",
        &acme,
        json!({"status": "suspended"}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");

    // Nothing changed in demo.
    let demo_client = get(&app, "/v1/tenants/demo/applications/demo-client", &ops).await;
    assert_eq!(demo_client.body["status"], "active");
    assert_eq!(
        get(&app, "/v1/tenants/demo/capabilities/sim-swap-v2", &ops)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn disabling_an_application_stops_its_tokens() {
    let app = spawn_app().await;
    let ops = operator(&app).await;
    let demo_admin = manager(&app, "demo", "demo-admin", "apps:read").await;
    assert_eq!(
        get(&app, "/v1/tenants/demo/applications", &demo_admin)
            .await
            .status,
        200
    );
    let r = patch(
        &app,
        "/v1/tenants/demo/applications/demo-admin",
        &ops,
        json!({"status": "disabled"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    get(&app, "/v1/tenants/demo/applications", &demo_admin)
        .await
        .assert_error(401, "UNAUTHENTICATED");
    // The gate the AS and network APIs use says the same.
    let verdict = ogw_core::manage::gate::active_client(
        app.state.store.as_ref(),
        &TenantId::parse("demo").unwrap(),
        &ogw_core::domain::ClientId::parse("demo-admin").unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        verdict.err(),
        Some(ogw_core::manage::gate::Refusal::ApplicationDisabled)
    );
}

#[tokio::test]
async fn no_escalation_through_application_scopes() {
    let app = spawn_app().await;
    let demo_admin = manager(&app, "demo", "demo-admin", "apps:read apps:write").await;
    // Granting a management scope one does not hold is refused…
    post(
        &app,
        "/v1/tenants/demo/applications",
        &demo_admin,
        json!({"name": "escalate", "allowedScopes": ["audit:read"]}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    // …one that one holds is fine.
    let r = post(
        &app,
        "/v1/tenants/demo/applications",
        &demo_admin,
        json!({"name": "reader", "allowedScopes": ["apps:read"]}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
}
