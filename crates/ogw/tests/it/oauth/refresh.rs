//! Refresh tokens: offline_access on the code and CIBA grants only, rotation with reuse
//! detection, client binding, /revoke, and consent withdrawal.
use ogw::demo;
use serde_json::json;

use super::authorize::{code, exchange};
use super::ciba::{bc_authorize, poll};
use super::*;
use crate::common::*;

const SCOPE_OFFLINE: &str =
    "openid offline_access dpv:FraudPreventionAndDetection number-verification:verify";

async fn refresh(app: &TestApp, auth: &str, rt: &str) -> Res {
    post_form(
        app,
        "/token",
        Some(auth),
        &[
            ("grant_type", "refresh_token".into()),
            ("refresh_token", rt.into()),
        ],
    )
    .await
}

async fn code_refresh_token(app: &TestApp) -> String {
    let c = code(app, &[("scope", SCOPE_OFFLINE)]).await;
    let r = exchange(app, &demo_basic(), &c, &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(r.body["scope"].as_str().unwrap().contains("offline_access"));
    r.body["refresh_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn only_offline_access_on_code_and_ciba_gets_a_refresh_token() {
    let app = spawn_app().await;
    // Without offline_access: none.
    let c = code(&app, &[]).await;
    let r = exchange(&app, &demo_basic(), &c, &[]).await;
    assert!(r.body.get("refresh_token").is_none(), "{:?}", r.body);
    // Code with offline_access.
    let rt = code_refresh_token(&app).await;
    assert!(rt.len() >= 43);
    // CIBA with offline_access.
    let r = bc_authorize(
        &app,
        &demo_basic(),
        &[
            ("login_hint", "tel:+34629255833"),
            (
                "scope",
                "offline_access dpv:FraudPreventionAndDetection sim-swap:check",
            ),
        ],
    )
    .await;
    let id = r.body["auth_req_id"].as_str().unwrap().to_owned();
    let t = poll(&app, &demo_basic(), &id).await;
    assert_eq!(t.status, 200, "{:?}", t.body);
    assert!(t.body["refresh_token"].is_string());
    // client_credentials: offline_access is ignored.
    let r = post_form(
        &app,
        "/token",
        Some(&demo_basic()),
        &[
            ("grant_type", "client_credentials".into()),
            ("scope", "offline_access sim-swap:check".into()),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(r.body.get("refresh_token").is_none());
    assert_eq!(r.body["scope"], "sim-swap:check");
    // An application not allowed the refresh_token grant gets none.
    let store = &app.state.store;
    let mut a = store
        .find_application(&ClientId::parse(demo::CLIENT_ID).unwrap())
        .await
        .unwrap()
        .unwrap()
        .as_ref()
        .clone();
    a.grant_types.retain(|g| *g != GrantType::RefreshToken);
    store.update_application(&a).await.unwrap();
    let c = code(&app, &[("scope", SCOPE_OFFLINE)]).await;
    let r = exchange(&app, &demo_basic(), &c, &[]).await;
    assert_eq!(r.status, 200);
    assert!(r.body.get("refresh_token").is_none());
    assert!(!r.body["scope"].as_str().unwrap().contains("offline_access"));
}

#[tokio::test]
async fn rotation_and_reuse_detection() {
    let app = spawn_app().await;
    let rt1 = code_refresh_token(&app).await;
    let r = refresh(&app, &demo_basic(), &rt1).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(r.body.get("id_token").is_none());
    let at = r.body["access_token"].as_str().unwrap();
    assert_eq!(subscriber_of(&app, at).as_deref(), Some(demo::PHONE_MAIN));
    assert_eq!(claims(at)["scope"], "number-verification:verify");
    let rt2 = r.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    // rt2 works once more.
    let r = refresh(&app, &demo_basic(), &rt2).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let rt3 = r.body["refresh_token"].as_str().unwrap().to_owned();
    // Reusing rt1 revokes the family: rt3 stops working.
    let r = refresh(&app, &demo_basic(), &rt1).await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
    assert!(r.body["error_description"]
        .as_str()
        .unwrap()
        .contains("already used"));
    let r = refresh(&app, &demo_basic(), &rt3).await;
    assert_eq!(
        (r.status, r.error()),
        (400, "invalid_grant"),
        "{:?}",
        r.body
    );
    // Unknown.
    let r = refresh(&app, &demo_basic(), "nope").await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
}

#[tokio::test]
async fn bound_to_the_client_and_revocable() {
    let app = spawn_app().await;
    let rt = code_refresh_token(&app).await;
    // Another client (same tenant) cannot use it, and does not burn it.
    let other = format!("Bearer {}", vonage_jwt());
    let r = refresh(&app, &other, &rt).await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
    let r = refresh(&app, &demo_basic(), &rt).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let rt2 = r.body["refresh_token"].as_str().unwrap().to_owned();
    // /revoke revokes the family.
    let r = post_form(
        &app,
        "/revoke",
        Some(&demo_basic()),
        &[("token", rt2.clone())],
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = refresh(&app, &demo_basic(), &rt2).await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
    assert!(r.body["error_description"]
        .as_str()
        .unwrap()
        .contains("revoked"));
}

#[tokio::test]
async fn withdrawn_consent_stops_the_refresh_tokens() {
    let app = spawn_app().await;
    let scope = "offline_access dpv:RequestedServiceProvision qos-profiles:read";
    let consent = |status| Consent {
        tenant: demo_tenant(),
        msisdn: PhoneNumber::parse(demo::PHONE_MAIN).unwrap(),
        client_id: ClientId::parse(demo::CLIENT_ID).unwrap(),
        purpose: Purpose::parse("dpv:RequestedServiceProvision").unwrap(),
        scopes: vec![Scope::parse("qos-profiles:read").unwrap()],
        status,
        updated_at: chrono::Utc::now(),
        expires_at: None,
    };
    let store = &app.state.store;
    store
        .put_consent(&consent(ConsentStatus::Granted), "subscriber", "test")
        .await
        .unwrap();
    let c = code(&app, &[("scope", scope)]).await;
    let r = exchange(&app, &demo_basic(), &c, &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let rt = r.body["refresh_token"].as_str().unwrap().to_owned();
    let r = refresh(&app, &demo_basic(), &rt).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let rt = r.body["refresh_token"].as_str().unwrap().to_owned();
    store
        .put_consent(&consent(ConsentStatus::Revoked), "subscriber", "withdrawn")
        .await
        .unwrap();
    let r = refresh(&app, &demo_basic(), &rt).await;
    assert_eq!(
        (r.status, r.error()),
        (400, "invalid_grant"),
        "{:?}",
        r.body
    );
    assert!(r.body["error_description"]
        .as_str()
        .unwrap()
        .contains("consent"));
    // Granting again does not revive the revoked family.
    store
        .put_consent(&consent(ConsentStatus::Granted), "subscriber", "again")
        .await
        .unwrap();
    let r = refresh(&app, &demo_basic(), &rt).await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
    let _ = json!(null);
}

#[tokio::test]
async fn discovery_lists_refresh_token() {
    let app = spawn_app().await;
    let d = app.get_json("/.well-known/openid-configuration").await;
    assert!(d["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("refresh_token")));
}
