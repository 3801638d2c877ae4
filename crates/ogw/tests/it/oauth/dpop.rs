//! DPoP (RFC 9449): bound tokens at /token, proofs at the CAMARA APIs, replay protection.
use ogw::demo;
use serde_json::json;
use sha2::Digest;

use super::*;
use crate::common::*;

/// Two Ed25519 test keys (PKCS#8) and their public `x`.
const KEY_A: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIPCa/RPkqNyYNP4X60GWGCxdKY23N+RrxVQzd/Fbxm54\n-----END PRIVATE KEY-----\n";
const X_A: &str = "dzHltE1ijYCW4-ChOhClo3KJQiNYNinBlPImXDrsNT4";
const KEY_B: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIEiKf1aEbS6mkch1or2V54/oA8aURZNJfPpUVxaJZJc9\n-----END PRIVATE KEY-----\n";
const X_B: &str = "fm4aR6NSwVrATOaMKOxZXPnUQ7dZYu5LvOPOm4vZ3UM";
const CHECK: &str = "/sim-swap/v2/check";

struct Key {
    pem: &'static str,
    x: &'static str,
}
const A: Key = Key { pem: KEY_A, x: X_A };
const B: Key = Key { pem: KEY_B, x: X_B };

/// RFC 7638 thumbprint of an Ed25519 JWK.
fn jkt(k: &Key) -> String {
    let canonical = format!("{{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"{}\"}}", k.x);
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(canonical.as_bytes()))
}

fn ath(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(token.as_bytes()))
}

/// A proof by `k` with header type `typ` and these claims.
fn proof_with(k: &Key, typ: &str, claims: Value) -> String {
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    h.typ = Some(typ.into());
    h.jwk =
        Some(serde_json::from_value(json!({"kty": "OKP", "crv": "Ed25519", "x": k.x})).unwrap());
    let key = jsonwebtoken::EncodingKey::from_ed_pem(k.pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&h, &claims, &key).unwrap()
}

/// A fresh proof by `k` for `htm htu`, with `ath` for `token`.
fn proof(k: &Key, htm: &str, htu: &str, token: Option<&str>) -> String {
    let mut c = json!({
        "jti": uuid::Uuid::new_v4().to_string(),
        "htm": htm,
        "htu": htu,
        "iat": now_s(),
    });
    if let Some(t) = token {
        c["ath"] = json!(ath(t));
    }
    proof_with(k, "dpop+jwt", c)
}

async fn cc_with_proof(app: &TestApp, dpop: Option<&str>) -> Res {
    let mut req = app
        .http
        .post(app.url("/token"))
        .header("authorization", demo_basic())
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "sim-swap:check"),
        ]);
    if let Some(p) = dpop {
        req = req.header("dpop", p);
    }
    into_res(req.send().await.unwrap()).await
}

async fn call(app: &TestApp, auth: &str, dpop: Option<&str>) -> Res {
    let mut req = app
        .http
        .post(app.url(CHECK))
        .header("authorization", auth)
        .json(&json!({"phoneNumber": demo::PHONE_MAIN}));
    if let Some(p) = dpop {
        req = req.header("dpop", p);
    }
    into_res(req.send().await.unwrap()).await
}

async fn bound_token(app: &TestApp) -> String {
    let r = cc_with_proof(app, Some(&proof(&A, "POST", &app.url("/token"), None))).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["token_type"], "DPoP");
    let t = r.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(claims(&t)["cnf"]["jkt"], jkt(&A));
    let i = introspect(app, &t).await;
    assert_eq!(i["cnf"]["jkt"], jkt(&A));
    assert_eq!(i["token_type"], "DPoP");
    t
}

#[tokio::test]
async fn a_bound_token_needs_the_dpop_scheme_and_a_proof_by_its_key() {
    let app = spawn_app().await;
    let t = bound_token(&app).await;
    let url = app.url(CHECK);
    let dpop_auth = format!("DPoP {t}");
    let r = call(&app, &dpop_auth, Some(&proof(&A, "POST", &url, Some(&t)))).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // As a Bearer token, or without a proof: 401.
    let r = call(&app, &format!("Bearer {t}"), None).await;
    assert_eq!(r.status, 401, "{:?}", r.body);
    let r = call(&app, &dpop_auth, None).await;
    assert_eq!(r.status, 401);
    // A proof by another key, for another method / URL / token, of the wrong type, stale.
    let other = bound_token(&app).await;
    let stale = proof_with(
        &A,
        "dpop+jwt",
        json!({"jti": "s1", "htm": "POST", "htu": url, "iat": now_s() - 600, "ath": ath(&t)}),
    );
    let wrong_typ = proof_with(
        &A,
        "JWT",
        json!({"jti": "w1", "htm": "POST", "htu": url, "iat": now_s(), "ath": ath(&t)}),
    );
    let cases = [
        ("other key", proof(&B, "POST", &url, Some(&t))),
        ("method", proof(&A, "GET", &url, Some(&t))),
        (
            "url",
            proof(&A, "POST", &app.url("/sim-swap/v2/retrieve-date"), Some(&t)),
        ),
        ("ath", proof(&A, "POST", &url, Some(&other))),
        ("no ath", proof(&A, "POST", &url, None)),
        ("stale", stale),
        ("typ", wrong_typ),
        ("garbage", "x.y.z".into()),
    ];
    for (name, p) in cases {
        let r = call(&app, &dpop_auth, Some(&p)).await;
        assert_eq!(r.status, 401, "{name}: {:?}", r.body);
    }
    // Replay of a proof that worked.
    let p = proof(&A, "POST", &url, Some(&t));
    assert_eq!(call(&app, &dpop_auth, Some(&p)).await.status, 200);
    let r = call(&app, &dpop_auth, Some(&p)).await;
    assert_eq!(r.status, 401, "{:?}", r.body);
}

#[tokio::test]
async fn clients_without_dpop_keep_bearer_tokens() {
    let app = spawn_app().await;
    let r = cc_with_proof(&app, None).await;
    assert_eq!(r.body["token_type"], "Bearer");
    let t = r.body["access_token"].as_str().unwrap();
    assert!(claims(t).get("cnf").is_none());
    assert_eq!(call(&app, &format!("Bearer {t}"), None).await.status, 200);
    // An unbound token presented with the DPoP scheme is refused.
    let url = app.url(CHECK);
    let r = call(
        &app,
        &format!("DPoP {t}"),
        Some(&proof(&A, "POST", &url, Some(t))),
    )
    .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn invalid_or_replayed_proofs_at_the_token_endpoint() {
    let app = spawn_app().await;
    let token_url = app.url("/token");
    let cases = [
        (
            "wrong htu",
            proof(&A, "POST", &app.url("/bc-authorize"), None),
        ),
        ("wrong htm", proof(&A, "GET", &token_url, None)),
        (
            "stale",
            proof_with(
                &A,
                "dpop+jwt",
                json!({"jti": "t1", "htm": "POST", "htu": token_url, "iat": now_s() - 600}),
            ),
        ),
        (
            "no jti",
            proof_with(
                &A,
                "dpop+jwt",
                json!({"htm": "POST", "htu": token_url, "iat": now_s()}),
            ),
        ),
        ("garbage", "a.b.c".into()),
    ];
    for (name, p) in cases {
        let r = cc_with_proof(&app, Some(&p)).await;
        assert_eq!(
            (r.status, r.error()),
            (400, "invalid_dpop_proof"),
            "{name}: {:?}",
            r.body
        );
    }
    let p = proof(&A, "POST", &token_url, None);
    assert_eq!(cc_with_proof(&app, Some(&p)).await.status, 200);
    let r = cc_with_proof(&app, Some(&p)).await;
    assert_eq!((r.status, r.error()), (400, "invalid_dpop_proof"));
    // Discovery advertises the algorithms.
    let d = app.get_json("/.well-known/openid-configuration").await;
    assert!(d["dpop_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("EdDSA")));
}

/// PATCHes demo-client's `dpopBoundAccessTokens` through the management API.
async fn require_dpop(app: &TestApp, ops: &str, on: bool) -> crate::manage_kit::Res {
    let r = crate::manage_kit::patch(
        app,
        &format!("/v1/tenants/demo/applications/{}", demo::CLIENT_ID),
        ops,
        json!({"dpopBoundAccessTokens": on}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["dpopBoundAccessTokens"], on);
    r
}

#[tokio::test]
async fn an_application_requiring_dpop_gets_no_token_without_a_proof() {
    let app = spawn_app().await;
    // Off (the default): a Bearer token, usable as such.
    let before = cc_with_proof(&app, None).await;
    assert_eq!(before.body["token_type"], "Bearer");
    let bearer = before.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        call(&app, &format!("Bearer {bearer}"), None).await.status,
        200
    );

    let ops = crate::manage_kit::operator(&app).await;
    require_dpop(&app, &ops, true).await;
    let got = crate::manage_kit::get(
        &app,
        &format!("/v1/tenants/demo/applications/{}", demo::CLIENT_ID),
        &ops,
    )
    .await;
    assert_eq!(got.body["dpopBoundAccessTokens"], true);

    // RFC 9449 §5.2: no proof, no token (every grant).
    let r = cc_with_proof(&app, None).await;
    assert_eq!(
        (r.status, r.error()),
        (400, "invalid_dpop_proof"),
        "{:?}",
        r.body
    );
    assert_eq!(r.header("cache-control"), "no-store");
    let code = super::authorize::code(&app, &[]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "whatever"),
        ("code_verifier", super::authorize::VERIFIER),
    ];
    let no_proof = into_res(
        app.http
            .post(app.url("/token"))
            .header("authorization", demo_basic())
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (no_proof.status, no_proof.error()),
        (400, "invalid_dpop_proof")
    );
    // The refusal did not spend the code: with a proof it is exchanged for a bound token.
    let with_proof = into_res(
        app.http
            .post(app.url("/token"))
            .header("authorization", demo_basic())
            .header("dpop", proof(&A, "POST", &app.url("/token"), None))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(with_proof.status, 200, "{:?}", with_proof.body);
    assert_eq!(with_proof.body["token_type"], "DPoP");
    let t = with_proof.body["access_token"].as_str().unwrap();
    assert_eq!(claims(t)["cnf"]["jkt"], jkt(&A));

    // A proof gives a bound token, which works with the DPoP scheme.
    let t = bound_token(&app).await;
    let url = app.url(CHECK);
    let r = call(
        &app,
        &format!("DPoP {t}"),
        Some(&proof(&A, "POST", &url, Some(&t))),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);

    // The Bearer token issued before the switch stops working: 401, CAMARA shape, DPoP
    // challenge (RFC 9449 §7.1).
    let r = call(&app, &format!("Bearer {bearer}"), None).await;
    assert_eq!(r.status, 401, "{:?}", r.body);
    assert_eq!(r.body["code"], "UNAUTHENTICATED");
    assert_eq!(r.body["status"], 401);
    let challenge = r.header("www-authenticate");
    assert!(challenge.starts_with("DPoP "), "{challenge}");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(challenge.contains("EdDSA"), "{challenge}");
    // A bad proof is answered with invalid_dpop_proof.
    let r = call(&app, &format!("DPoP {t}"), None).await;
    assert_eq!(r.status, 401);
    assert!(r
        .header("www-authenticate")
        .contains("error=\"invalid_dpop_proof\""));

    // Off again: Bearer tokens are issued and accepted again.
    require_dpop(&app, &ops, false).await;
    let r = cc_with_proof(&app, None).await;
    assert_eq!(r.body["token_type"], "Bearer", "{:?}", r.body);
    let fresh = r.body["access_token"].as_str().unwrap();
    let r = call(&app, &format!("Bearer {fresh}"), None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        call(&app, &format!("Bearer {bearer}"), None).await.status,
        200
    );
    // Other 401s keep the Bearer challenge.
    let r = call(&app, "Bearer nonsense", None).await;
    assert!(r.header("www-authenticate").starts_with("Bearer "));
}

#[tokio::test]
async fn the_jwt_bearer_grant_also_needs_a_proof_when_required() {
    let app = spawn_app().await;
    let id = ogw_core::domain::ClientId::parse(demo::APP_ID).unwrap();
    let mut a = app
        .state
        .store
        .find_application(&id)
        .await
        .unwrap()
        .unwrap()
        .as_ref()
        .clone();
    a.dpop_bound_access_tokens = true;
    app.state.store.update_application(&a).await.unwrap();
    let assertion = || {
        let iat = now_s();
        sign(&json!({
            "iss": demo::APP_ID, "sub": format!("tel:{}", demo::PHONE_MAIN),
            "aud": app.url("/token"), "iat": iat, "exp": iat + 120,
            "jti": uuid::Uuid::new_v4().to_string(),
            "scope": format!("{FRAUD} sim-swap:check"),
        }))
    };
    let form = |a: String| {
        [
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:jwt-bearer".to_owned(),
            ),
            ("assertion", a),
        ]
    };
    let r = post_form(&app, "/token", None, &form(assertion())).await;
    assert_eq!(
        (r.status, r.error()),
        (400, "invalid_dpop_proof"),
        "{:?}",
        r.body
    );
    let r = into_res(
        app.http
            .post(app.url("/token"))
            .header("dpop", proof(&B, "POST", &app.url("/token"), None))
            .form(&form(assertion()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["token_type"], "DPoP");
    assert_eq!(
        claims(r.body["access_token"].as_str().unwrap())["cnf"]["jkt"],
        jkt(&B)
    );
}

#[tokio::test]
async fn applications_are_created_requiring_dpop() {
    let app = spawn_app().await;
    let ops = crate::manage_kit::operator(&app).await;
    let r = crate::manage_kit::post(
        &app,
        "/v1/tenants/demo/applications",
        &ops,
        json!({"name": "Bound", "clientId": "bound-app", "dpopBoundAccessTokens": true,
               "allowedScopes": ["sim-swap:check"]}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["dpopBoundAccessTokens"], true);
    let secret = r.body["clientSecret"].as_str().unwrap().to_owned();
    let stored = app
        .state
        .store
        .find_application(&ogw_core::domain::ClientId::parse("bound-app").unwrap())
        .await
        .unwrap()
        .unwrap()
        .as_ref()
        .clone();
    assert!(stored.dpop_bound_access_tokens);
    let form = [
        ("grant_type", "client_credentials".to_owned()),
        ("scope", "sim-swap:check".to_owned()),
    ];
    let r = post_form(&app, "/token", Some(&basic("bound-app", &secret)), &form).await;
    assert_eq!((r.status, r.error()), (400, "invalid_dpop_proof"));
    // Without the field: false.
    let r = crate::manage_kit::post(
        &app,
        "/v1/tenants/demo/applications",
        &ops,
        json!({"name": "Plain", "clientId": "plain-app"}),
    )
    .await;
    assert_eq!(r.body["dpopBoundAccessTokens"], false, "{}", r.body);
}
