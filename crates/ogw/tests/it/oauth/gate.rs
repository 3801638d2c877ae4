//! The management plane's switch-off rules applied by the AS (`manage::gate`): a suspended
//! tenant's or disabled application's clients get nothing, and a disabled capability's
//! scopes are `invalid_scope`.
use ogw::demo;

use super::authorize::{auth_query, get_authorize};
use super::ciba::bc_authorize;
use super::*;
use crate::common::*;

async fn set_tenant_status(app: &TestApp, status: TenantStatus) {
    let store = &app.state.store;
    let mut t = store.get_tenant(&demo_tenant()).await.unwrap().unwrap();
    t.status = status;
    store.update_tenant(&t).await.unwrap();
}

async fn disable_api(app: &TestApp, api: &str) {
    let store = &app.state.store;
    for mut c in store
        .list_capabilities(&demo_tenant())
        .await
        .unwrap()
        .to_vec()
    {
        if c.api_name == api {
            c.status = CapabilityStatus::Disabled;
            store.upsert_capability(&c).await.unwrap();
        }
    }
}

async fn cc(app: &TestApp, scope: &str) -> Res {
    post_form(
        app,
        "/token",
        Some(&demo_basic()),
        &[
            ("grant_type", "client_credentials".into()),
            ("scope", scope.into()),
        ],
    )
    .await
}

#[tokio::test]
async fn a_suspended_tenant_gets_no_tokens_anywhere() {
    let app = spawn_app().await;
    assert_eq!(cc(&app, "sim-swap:check").await.status, 200);
    set_tenant_status(&app, TenantStatus::Suspended).await;

    let r = cc(&app, "sim-swap:check").await;
    assert_eq!(
        (r.status, r.error()),
        (401, "invalid_client"),
        "{:?}",
        r.body
    );
    assert!(r.body["error_description"]
        .as_str()
        .unwrap()
        .contains("suspended"));

    let r = bc_authorize(
        &app,
        &demo_basic(),
        &[
            ("login_hint", "tel:+34629255833"),
            ("scope", "dpv:FraudPreventionAndDetection sim-swap:check"),
        ],
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (401, "invalid_client"),
        "{:?}",
        r.body
    );

    // /authorize: refused on the error page, never redirected to the client.
    let (status, location, body) = get_authorize(&app, &auth_query(&[]), None).await;
    assert_eq!(status, 400, "{body:?}");
    assert!(location.is_empty());
    assert_eq!(body["error"], "unauthorized_client");

    // Reactivated: everything works again.
    set_tenant_status(&app, TenantStatus::Active).await;
    assert_eq!(cc(&app, "sim-swap:check").await.status, 200);
}

#[tokio::test]
async fn a_disabled_application_gets_no_tokens() {
    let app = spawn_app().await;
    let store = &app.state.store;
    let mut a = store
        .find_application(&ClientId::parse(demo::CLIENT_ID).unwrap())
        .await
        .unwrap()
        .unwrap()
        .as_ref()
        .clone();
    a.status = AppStatus::Disabled;
    store.update_application(&a).await.unwrap();
    let r = cc(&app, "sim-swap:check").await;
    assert_eq!(
        (r.status, r.error()),
        (401, "invalid_client"),
        "{:?}",
        r.body
    );
    assert!(r.body["error_description"]
        .as_str()
        .unwrap()
        .contains("disabled"));
    let (status, _, body) = get_authorize(&app, &auth_query(&[]), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
}

#[tokio::test]
async fn a_disabled_capability_s_scopes_are_invalid_scope() {
    let app = spawn_app().await;
    disable_api(&app, "sim-swap").await;

    let r = cc(&app, "sim-swap:check").await;
    assert_eq!(
        (r.status, r.error()),
        (400, "invalid_scope"),
        "{:?}",
        r.body
    );
    assert!(r.body["error_description"]
        .as_str()
        .unwrap()
        .contains("disabled"));
    // Other APIs are unaffected.
    assert_eq!(cc(&app, "qos-profiles:read").await.status, 200);

    let r = bc_authorize(
        &app,
        &demo_basic(),
        &[
            ("login_hint", "tel:+34629255833"),
            ("scope", "dpv:FraudPreventionAndDetection sim-swap:check"),
        ],
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (400, "invalid_scope"),
        "{:?}",
        r.body
    );

    disable_api(&app, "number-verification").await;
    let (status, location, _) = get_authorize(&app, &auth_query(&[]), None).await;
    assert_eq!(status, 302);
    let q = super::authorize::query_of(&location);
    assert_eq!(q["error"], "invalid_scope");
}
