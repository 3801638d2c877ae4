//! RFC 7523 §2.1 JWT-bearer grant per the CAMARA profile's "JWT Bearer Flow".
use ogw::demo;
use serde_json::json;

use super::*;
use crate::common::*;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// A valid assertion of demo-app-id for the main demo subscriber; `tweak` edits the claims.
fn assertion(app: &TestApp, tweak: impl FnOnce(&mut Value)) -> String {
    let iat = now_s();
    let mut c = json!({
        "iss": demo::APP_ID,
        "sub": format!("tel:{}", demo::PHONE_MAIN),
        "aud": app.url("/token"),
        "iat": iat,
        "exp": iat + 120,
        "jti": uuid::Uuid::new_v4().to_string(),
        "scope": format!("{FRAUD} sim-swap:check"),
    });
    tweak(&mut c);
    sign(&c)
}

async fn exchange(app: &TestApp, assertion: &str, extra: &[(&str, &str)]) -> Res {
    let mut form = vec![
        ("grant_type", GRANT.to_owned()),
        ("assertion", assertion.to_owned()),
    ];
    form.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    post_form(app, "/token", None, &form).await
}

#[tokio::test]
async fn a_valid_assertion_gets_a_short_lived_3_legged_token_and_no_refresh_token() {
    let app = spawn_app().await;
    let r = exchange(&app, &assertion(&app, |_| {}), &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["token_type"], "Bearer");
    assert!(r.body["expires_in"].as_i64().unwrap() <= 300);
    assert!(r.body.get("refresh_token").is_none());
    assert!(r.body.get("id_token").is_none());
    assert_eq!(r.body["scope"], format!("{FRAUD} sim-swap:check"));
    let token = r.body["access_token"].as_str().unwrap();
    let c = claims(token);
    assert_eq!(c["client_id"], demo::APP_ID);
    assert_eq!(c["purpose"], FRAUD);
    assert!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap() <= 300);
    assert_eq!(
        subscriber_of(&app, token).as_deref(),
        Some(demo::PHONE_MAIN)
    );
    // The issuer is an accepted audience too, and a repeated client_id is tolerated.
    let a = assertion(&app, |c| c["aud"] = json!(app.state.settings.issuer));
    let r = exchange(&app, &a, &[("client_id", demo::APP_ID)]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // The token works at a CAMARA API.
    let r = app
        .http
        .post(app.url("/sim-swap/v2/check"))
        .bearer_auth(token)
        .json(&json!({"phoneNumber": demo::PHONE_MAIN}))
        .send()
        .await
        .unwrap();
    assert_ne!(r.status().as_u16(), 401);
    assert_ne!(r.status().as_u16(), 403);
}

#[tokio::test]
async fn invalid_assertions_are_invalid_grant() {
    let app = spawn_app().await;
    // Forged: a valid assertion whose payload was changed after signing; and an HMAC one.
    let forged = {
        let good = assertion(&app, |_| {});
        let mut parts: Vec<&str> = good.split('.').collect();
        let iat = now_s();
        let payload = URL_SAFE_NO_PAD.encode(
            json!({"iss": demo::APP_ID, "sub": "tel:+34600000001",
                   "aud": app.url("/token"), "iat": iat, "exp": iat + 60, "jti": "x",
                   "scope": format!("{FRAUD} sim-swap:check")})
            .to_string(),
        );
        parts[1] = &payload;
        parts.join(".")
    };
    let hmac = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"iss": demo::APP_ID}),
        &jsonwebtoken::EncodingKey::from_secret(b"guess"),
    )
    .unwrap();
    let now = now_s();
    let cases: Vec<(&str, String)> = vec![
        ("forged", forged),
        ("hmac", hmac),
        (
            "expired",
            assertion(&app, |c| {
                c["iat"] = json!(now - 200);
                c["exp"] = json!(now - 10);
            }),
        ),
        (
            "exp too far",
            assertion(&app, |c| c["exp"] = json!(now + 3600)),
        ),
        (
            "lifetime > 300",
            assertion(&app, |c| {
                c["iat"] = json!(now - 100);
                c["exp"] = json!(now + 250);
            }),
        ),
        (
            "iat in future",
            assertion(&app, |c| c["iat"] = json!(now + 120)),
        ),
        (
            "no iat",
            assertion(&app, |c| {
                c.as_object_mut().unwrap().remove("iat");
            }),
        ),
        (
            "no jti",
            assertion(&app, |c| {
                c.as_object_mut().unwrap().remove("jti");
            }),
        ),
        (
            "wrong aud",
            assertion(&app, |c| c["aud"] = json!("https://other.example/token")),
        ),
        (
            "other endpoint aud",
            assertion(&app, |c| c["aud"] = json!(app.url("/bc-authorize"))),
        ),
        (
            "no sub",
            assertion(&app, |c| {
                c.as_object_mut().unwrap().remove("sub");
            }),
        ),
        (
            "sub not tel",
            assertion(&app, |c| c["sub"] = json!(demo::PHONE_MAIN)),
        ),
        (
            "operatortoken",
            assertion(&app, |c| c["sub"] = json!("operatortoken:abc")),
        ),
        (
            "unknown subscriber",
            assertion(&app, |c| c["sub"] = json!("tel:+34699999999")),
        ),
        (
            "no scope claim",
            assertion(&app, |c| {
                c.as_object_mut().unwrap().remove("scope");
            }),
        ),
    ];
    for (name, a) in cases {
        let r = exchange(&app, &a, &[]).await;
        assert_eq!(
            (r.status, r.error()),
            (400, "invalid_grant"),
            "{name}: {:?}",
            r.body
        );
    }
    // Replayed jti.
    let a = assertion(&app, |_| {});
    assert_eq!(exchange(&app, &a, &[]).await.status, 200);
    let r = exchange(&app, &a, &[]).await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
    assert!(r.body["error_description"]
        .as_str()
        .unwrap()
        .contains("jti"));
}

#[tokio::test]
async fn scope_purpose_grant_and_client_rules() {
    let app = spawn_app().await;
    // A scope parameter is forbidden.
    let r = exchange(
        &app,
        &assertion(&app, |_| {}),
        &[("scope", "sim-swap:check")],
    )
    .await;
    assert_eq!((r.status, r.error()), (400, "invalid_request"));
    // No purpose / a purpose not covering the scope / a scope not allowed.
    for scope in [
        "sim-swap:check",
        "dpv:Marketing sim-swap:check",
        &format!("{FRAUD} qos-profiles:read"),
        &format!("{FRAUD} {FRAUD}#nope"),
    ] {
        let r = exchange(&app, &assertion(&app, |c| c["scope"] = json!(scope)), &[]).await;
        assert_eq!(
            (r.status, r.error()),
            (400, "invalid_scope"),
            "{scope}: {:?}",
            r.body
        );
    }
    // Unknown iss.
    let r = exchange(&app, &assertion(&app, |c| c["iss"] = json!("nobody")), &[]).await;
    assert_eq!((r.status, r.error()), (401, "invalid_client"));
    // Other credentials besides the assertion.
    let form = vec![
        ("grant_type", GRANT.to_owned()),
        ("assertion", assertion(&app, |_| {})),
    ];
    let r = post_form(&app, "/token", Some(&demo_basic()), &form).await;
    assert_eq!((r.status, r.error()), (400, "invalid_request"));
    // The client must be allowed the grant.
    let store = &app.state.store;
    let mut a = store
        .find_application(&ClientId::parse(demo::APP_ID).unwrap())
        .await
        .unwrap()
        .unwrap()
        .as_ref()
        .clone();
    a.grant_types.retain(|g| *g != GrantType::JwtBearer);
    store.update_application(&a).await.unwrap();
    let r = exchange(&app, &assertion(&app, |_| {}), &[]).await;
    assert_eq!((r.status, r.error()), (400, "unauthorized_client"));
}

#[tokio::test]
async fn consent_is_checked_per_legal_basis() {
    let app = spawn_app().await;
    // Consent-based purpose without a consent: invalid_grant (profile error table).
    let scope = "dpv:RequestedServiceProvision qos-profiles:read";
    let r = exchange(&app, &assertion(&app, |c| c["scope"] = json!(scope)), &[]).await;
    assert_eq!(
        (r.status, r.error()),
        (400, "invalid_grant"),
        "{:?}",
        r.body
    );
    app.state
        .store
        .put_consent(
            &Consent {
                tenant: demo_tenant(),
                msisdn: PhoneNumber::parse(demo::PHONE_MAIN).unwrap(),
                client_id: ClientId::parse(demo::APP_ID).unwrap(),
                purpose: Purpose::parse("dpv:RequestedServiceProvision").unwrap(),
                scopes: vec![Scope::parse("qos-profiles:read").unwrap()],
                status: ConsentStatus::Granted,
                updated_at: chrono::Utc::now(),
                expires_at: None,
            },
            "subscriber",
            "granted in test",
        )
        .await
        .unwrap();
    let r = exchange(&app, &assertion(&app, |c| c["scope"] = json!(scope)), &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // The subscriber withdraws it: refused again.
    app.state
        .store
        .put_consent(
            &Consent {
                tenant: demo_tenant(),
                msisdn: PhoneNumber::parse(demo::PHONE_MAIN).unwrap(),
                client_id: ClientId::parse(demo::APP_ID).unwrap(),
                purpose: Purpose::parse("dpv:RequestedServiceProvision").unwrap(),
                scopes: vec![Scope::parse("qos-profiles:read").unwrap()],
                status: ConsentStatus::Denied,
                updated_at: chrono::Utc::now(),
                expires_at: None,
            },
            "subscriber",
            "withdrawn in test",
        )
        .await
        .unwrap();
    let r = exchange(&app, &assertion(&app, |c| c["scope"] = json!(scope)), &[]).await;
    assert_eq!(
        (r.status, r.error()),
        (400, "invalid_grant"),
        "{:?}",
        r.body
    );
}

#[tokio::test]
async fn discovery_lists_the_grant() {
    let app = spawn_app().await;
    let d = app.get_json("/.well-known/openid-configuration").await;
    assert!(d["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&json!(GRANT)));
}
