//! Discovery, JWKS, client_credentials with every client-auth method, introspection,
//! revocation and the token endpoint's error dialect.
use ogw::demo;
use serde_json::json;

use super::*;
use crate::common::*;

#[tokio::test]
async fn discovery_advertises_the_endpoints_and_nokias_extension() {
    let app = spawn_app().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let res = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let m: Value = res.json().await.unwrap();
        let issuer = app.state.settings.issuer.clone();
        assert_eq!(m["issuer"], issuer.as_str());
        assert_eq!(m["token_endpoint"], format!("{issuer}/token"));
        assert_eq!(m["authorization_endpoint"], format!("{issuer}/authorize"));
        assert_eq!(
            m["fast_flow_csp_auth_endpoint"],
            m["authorization_endpoint"]
        );
        assert_eq!(
            m["backchannel_authentication_endpoint"],
            format!("{issuer}/bc-authorize")
        );
        assert_eq!(m["jwks_uri"], format!("{issuer}/jwks"));
        assert_eq!(m["introspection_endpoint"], format!("{issuer}/introspect"));
        assert_eq!(m["revocation_endpoint"], format!("{issuer}/revoke"));
        assert_eq!(
            m["backchannel_token_delivery_modes_supported"],
            json!(["poll"])
        );
        let grants = m["grant_types_supported"].as_array().unwrap();
        for g in [
            "authorization_code",
            "client_credentials",
            "urn:openid:params:grant-type:ciba",
        ] {
            assert!(grants.contains(&json!(g)), "{g}");
        }
        let methods = m["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap();
        for a in [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ] {
            assert!(methods.contains(&json!(a)), "{a}");
        }
        assert!(m["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("sim-swap:check")));
    }
}

#[tokio::test]
async fn discovery_follows_base_path() {
    let app = spawn_app_with(|c| c.base_path = "/v1".into()).await;
    let m = app.get_json("/.well-known/openid-configuration").await;
    assert_eq!(m["token_endpoint"], format!("http://{}/v1/token", app.addr));
    // And the token endpoint really is there.
    let t = cc_token(&app, "sim-swap:check").await;
    assert_eq!(claims(&t)["iss"], format!("http://{}/v1", app.addr));
}

#[tokio::test]
async fn client_credentials_with_basic_issues_an_rfc9068_jwt() {
    let app = spawn_app().await;
    let r = post_form(
        &app,
        "/token",
        Some(&demo_basic()),
        &[
            ("grant_type", "client_credentials".into()),
            ("scope", "sim-swap:check sim-swap:retrieve-date".into()),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.header("cache-control"), "no-store");
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 3600);
    assert_eq!(r.body["scope"], "sim-swap:check sim-swap:retrieve-date");
    assert!(r.body.get("id_token").is_none());
    let token = r.body["access_token"].as_str().unwrap();
    let h = header(token);
    assert_eq!(h["typ"], "at+jwt");
    assert_eq!(h["alg"], "RS256");
    let c = claims(token);
    let issuer = app.state.settings.issuer.clone();
    assert_eq!(c["iss"], issuer.as_str());
    assert_eq!(c["aud"], issuer.as_str());
    assert_eq!(c["sub"], demo::CLIENT_ID);
    assert_eq!(c["client_id"], demo::CLIENT_ID);
    assert_eq!(c["tenant"], "demo");
    assert_eq!(c["scope"], "sim-swap:check sim-swap:retrieve-date");
    assert!(c["jti"].is_string() && c["iat"].is_i64() && c["exp"].is_i64());
    assert!(c.get("sref").is_none() && c.get("amr").is_none());
    // Verifies with our own service.
    assert!(app
        .state
        .tokens
        .verify_access(token, chrono::Utc::now())
        .is_ok());
}

#[tokio::test]
async fn client_credentials_with_post_form_json_and_mislabelled_bodies() {
    let app = spawn_app().await;
    let form = "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret&scope=sim-swap%3Acheck&purpose=dpv%3AFraudPreventionAndDetection";
    for content_type in ["application/x-www-form-urlencoded", "application/json"] {
        let r = into_res(
            app.http
                .post(app.url("/token"))
                .header("content-type", content_type)
                .body(form)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, 200, "{content_type}: {:?}", r.body);
        assert_eq!(
            claims(r.body["access_token"].as_str().unwrap())["purpose"],
            FRAUD
        );
    }
    let r = into_res(
        app.http
            .post(app.url("/token"))
            .json(
                &json!({"grant_type": "client_credentials", "client_id": "demo-client",
                          "client_secret": "demo-secret", "scope": "qos-profiles:read"}),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}

#[tokio::test]
async fn bad_client_credentials_are_401_with_a_challenge() {
    let app = spawn_app().await;
    let cc = |scope: &str| {
        vec![
            ("grant_type", "client_credentials".to_owned()),
            ("scope", scope.to_owned()),
        ]
    };
    type Case<'a> = (Option<String>, Vec<(&'a str, String)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            Some(basic(demo::CLIENT_ID, "wrong")),
            cc("sim-swap:check"),
            "Basic",
        ),
        (Some(basic("nobody", "x")), cc("sim-swap:check"), "Basic"),
        (None, cc("sim-swap:check"), "Basic"),
        (
            None,
            [
                cc("sim-swap:check"),
                vec![
                    ("client_id", "demo-client".into()),
                    ("client_secret", "nope".into()),
                ],
            ]
            .concat(),
            "Basic",
        ),
        // demo-app-id may not use a client secret.
        (
            Some(basic(demo::APP_ID, "x")),
            cc("sim-swap:check"),
            "Basic",
        ),
        // demo-client may not use the app JWT.
        (
            Some("Bearer not.a.jwt".into()),
            cc("sim-swap:check"),
            "Bearer",
        ),
    ];
    for (auth, form, scheme) in cases {
        let r = post_form(&app, "/token", auth.as_deref(), &form).await;
        assert_eq!(r.status, 401, "{auth:?} {:?}", r.body);
        assert_eq!(r.error(), "invalid_client");
        assert!(r.body["error_description"].is_string());
        assert!(r.header("www-authenticate").starts_with(scheme), "{auth:?}");
        assert_eq!(r.header("cache-control"), "no-store");
    }
}

#[tokio::test]
async fn vonage_app_jwt_authenticates_once_per_jti() {
    let app = spawn_app().await;
    let jwt = vonage_jwt();
    let form = [
        ("grant_type", "client_credentials".to_owned()),
        ("scope", "sim-swap:check".to_owned()),
    ];
    // Case-insensitive scheme.
    let r = post_form(&app, "/token", Some(&format!("bearer {jwt}")), &form).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        claims(r.body["access_token"].as_str().unwrap())["client_id"],
        demo::APP_ID
    );
    let replay = post_form(&app, "/token", Some(&format!("Bearer {jwt}")), &form).await;
    assert_eq!(replay.status, 401);
    assert_eq!(replay.error(), "invalid_client");
    assert!(replay.header("www-authenticate").starts_with("Bearer"));

    let iat = now_s();
    let too_long =
        sign(&json!({"application_id": demo::APP_ID, "iat": iat, "jti": "a", "exp": iat + 3600}));
    let expired = sign(
        &json!({"application_id": demo::APP_ID, "iat": iat - 1000, "jti": "b", "exp": iat - 100}),
    );
    let no_jti = sign(&json!({"application_id": demo::APP_ID, "iat": iat, "exp": iat + 60}));
    let other_app =
        sign(&json!({"application_id": demo::CLIENT_ID, "iat": iat, "jti": "c", "exp": iat + 60}));
    for bad in [too_long, expired, no_jti, other_app] {
        let r = post_form(&app, "/token", Some(&format!("Bearer {bad}")), &form).await;
        assert_eq!(r.status, 401, "{:?}", r.body);
    }
}

#[tokio::test]
async fn private_key_jwt_checks_audience_lifetime_and_replay() {
    let app = spawn_app().await;
    let token_url = app.url("/token");
    let form = |assertion: &str| {
        [
            vec![
                ("grant_type", "client_credentials".to_owned()),
                ("scope", "sim-swap:check".to_owned()),
            ],
            assertion_params(assertion),
        ]
        .concat()
    };
    let a = client_assertion(&token_url);
    let r = post_form(&app, "/token", None, &form(&a)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // The issuer is an accepted audience too.
    let r = post_form(
        &app,
        "/token",
        None,
        &form(&client_assertion(&app.state.settings.issuer)),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let replay = post_form(&app, "/token", None, &form(&a)).await;
    assert_eq!((replay.status, replay.error()), (401, "invalid_client"));
    let wrong_aud = post_form(
        &app,
        "/token",
        None,
        &form(&client_assertion("https://elsewhere/token")),
    )
    .await;
    assert_eq!(wrong_aud.status, 401);
    let iat = now_s();
    let long = sign(
        &json!({"iss": demo::APP_ID, "sub": demo::APP_ID, "aud": token_url,
        "iat": iat, "exp": iat + 600, "jti": "long"}),
    );
    assert_eq!(
        post_form(&app, "/token", None, &form(&long)).await.status,
        401
    );
    let wrong_sub = sign(
        &json!({"iss": demo::APP_ID, "sub": "someone", "aud": token_url,
        "iat": iat, "exp": iat + 60, "jti": "sub"}),
    );
    assert_eq!(
        post_form(&app, "/token", None, &form(&wrong_sub))
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn private_key_jwt_with_a_registered_jwks() {
    let app = spawn_app().await;
    // Same key, registered as a JWK set with a kid.
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::traits::PublicKeyParts;
    let pem = std::str::from_utf8(PRIVATE_PEM).unwrap();
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem).unwrap();
    let jwk = json!({"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be())});
    create_app(&app, "demo", "jwks-app", "unused", |a| {
        a.secret_hash = None;
        a.public_key_pem = None;
        a.jwks = Some(json!({"keys": [jwk]}));
        a.auth_methods = vec![ClientAuthMethod::PrivateKeyJwt];
    })
    .await;
    let iat = now_s();
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    h.kid = Some("k1".into());
    let assertion = jsonwebtoken::encode(
        &h,
        &json!({"iss": "jwks-app", "sub": "jwks-app", "aud": app.url("/token"),
                "iat": iat, "exp": iat + 60, "jti": "j1"}),
        &jsonwebtoken::EncodingKey::from_rsa_pem(PRIVATE_PEM).unwrap(),
    )
    .unwrap();
    let form = [
        vec![
            ("grant_type", "client_credentials".to_owned()),
            ("scope", "sim-swap:check".to_owned()),
        ],
        assertion_params(&assertion),
    ]
    .concat();
    let r = post_form(&app, "/token", None, &form).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        claims(r.body["access_token"].as_str().unwrap())["client_id"],
        "jwks-app"
    );
}

#[tokio::test]
async fn scope_errors_are_invalid_scope() {
    let app = spawn_app().await;
    create_app(&app, "demo", "narrow", "narrow-secret", |a| {
        a.allowed_scopes = vec![Scope::parse("qos-profiles:read").unwrap()];
    })
    .await;
    let cases: Vec<(String, Vec<(&str, &str)>)> = vec![
        (demo_basic(), vec![("scope", "no-such-api:read")]),
        (
            demo_basic(),
            vec![(
                "scope",
                "sim-swap:check dpv:FraudPreventionAndDetection dpv:ServiceProvision",
            )],
        ),
        (
            demo_basic(),
            vec![("scope", "dpv:FraudPreventionAndDetection#no-such-suffix")],
        ),
        (
            demo_basic(),
            vec![
                ("scope", "sim-swap:check"),
                ("purpose", "dpv:ServiceProvision"),
            ],
        ),
        (
            demo_basic(),
            vec![("scope", "sim-swap:check"), ("purpose", "dpv:Marketing")],
        ),
        (demo_basic(), vec![("scope", "openid")]),
        (
            basic("narrow", "narrow-secret"),
            vec![("scope", "sim-swap:check")],
        ),
    ];
    for (auth, extra) in cases {
        let mut form = vec![("grant_type", "client_credentials".to_owned())];
        form.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let r = post_form(&app, "/token", Some(&auth), &form).await;
        assert_eq!(
            (r.status, r.error()),
            (400, "invalid_scope"),
            "{extra:?} {:?}",
            r.body
        );
    }
    let missing = post_form(
        &app,
        "/token",
        Some(&demo_basic()),
        &[("grant_type", "client_credentials".into())],
    )
    .await;
    assert_eq!((missing.status, missing.error()), (400, "invalid_request"));
}

#[tokio::test]
async fn grant_type_errors() {
    let app = spawn_app().await;
    create_app(&app, "demo", "ciba-only", "s3cret", |a| {
        a.grant_types = vec![GrantType::Ciba];
    })
    .await;
    let r = post_form(
        &app,
        "/token",
        Some(&demo_basic()),
        &[("grant_type", "password".into())],
    )
    .await;
    assert_eq!((r.status, r.error()), (400, "unsupported_grant_type"));
    let r = post_form(
        &app,
        "/token",
        Some(&demo_basic()),
        &[("grant_type", "refresh_token".into())],
    )
    .await;
    assert_eq!((r.status, r.error()), (400, "invalid_request"));
    let r = post_form(
        &app,
        "/token",
        Some(&demo_basic()),
        &[("scope", "sim-swap:check".into())],
    )
    .await;
    assert_eq!((r.status, r.error()), (400, "invalid_request"));
    let r = post_form(
        &app,
        "/token",
        Some(&basic("ciba-only", "s3cret")),
        &[
            ("grant_type", "client_credentials".into()),
            ("scope", "sim-swap:check".into()),
        ],
    )
    .await;
    assert_eq!((r.status, r.error()), (400, "unauthorized_client"));
    // Repeated parameters are malformed (RFC 6749 §3.1).
    let r = into_res(
        app.http
            .post(app.url("/token"))
            .header("authorization", demo_basic())
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials&scope=a&scope=b")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((r.status, r.error()), (400, "invalid_request"));
}

#[tokio::test]
async fn introspection_and_revocation() {
    let app = spawn_app().await;
    let token = cc_token(&app, "sim-swap:check").await;
    let i = introspect(&app, &token).await;
    assert_eq!(i["active"], true);
    assert_eq!(i["client_id"], demo::CLIENT_ID);
    assert_eq!(i["scope"], "sim-swap:check");
    assert_eq!(i["token_type"], "Bearer");
    assert_eq!(introspect(&app, "garbage").await, json!({"active": false}));

    // Introspection needs client authentication.
    let r = post_form(&app, "/introspect", None, &[("token", token.clone())]).await;
    assert_eq!((r.status, r.error()), (401, "invalid_client"));

    // Another client of the same tenant may not revoke it.
    let r = post_form(
        &app,
        "/revoke",
        Some(&format!("Bearer {}", vonage_jwt())),
        &[("token", token.clone())],
    )
    .await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(introspect(&app, &token).await["active"], true);

    let r = post_form(
        &app,
        "/revoke",
        Some(&demo_basic()),
        &[("token", token.clone())],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(introspect(&app, &token).await, json!({"active": false}));
    let jti = claims(&token)["jti"].as_str().unwrap().to_owned();
    assert!(app
        .state
        .store
        .is_jti_revoked(&demo_tenant(), &jti)
        .await
        .unwrap());
    // Revoking again, or revoking junk, is fine (RFC 7009 §2.2).
    assert_eq!(
        post_form(&app, "/revoke", Some(&demo_basic()), &[("token", token)])
            .await
            .status,
        200
    );
    assert_eq!(
        post_form(
            &app,
            "/revoke",
            Some(&demo_basic()),
            &[("token", "junk".into())]
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn other_tenants_see_demo_tokens_as_inactive() {
    let app = spawn_app().await;
    create_app(&app, "other", "other-client", "other-secret", |_| {}).await;
    let token = cc_token(&app, "sim-swap:check").await;
    let r = post_form(
        &app,
        "/introspect",
        Some(&basic("other-client", "other-secret")),
        &[("token", token.clone())],
    )
    .await;
    assert_eq!(r.body, json!({"active": false}));
    let r = post_form(
        &app,
        "/revoke",
        Some(&basic("other-client", "other-secret")),
        &[("token", token.clone())],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(introspect(&app, &token).await["active"], true);
    let other = post_form(
        &app,
        "/token",
        Some(&basic("other-client", "other-secret")),
        &[
            ("grant_type", "client_credentials".into()),
            ("scope", "sim-swap:check".into()),
        ],
    )
    .await;
    assert_eq!(
        claims(other.body["access_token"].as_str().unwrap())["tenant"],
        "other"
    );
}

#[tokio::test]
async fn key_rotation_keeps_old_tokens_verifiable() {
    let app = spawn_app().await;
    let old = cc_token(&app, "sim-swap:check").await;
    let now = chrono::Utc::now();
    ogw_core::oauth::keys::rotate(
        app.state.store.as_ref(),
        ogw_core::oauth::keys::TokenAlg::RS256,
        now,
        chrono::Duration::days(2),
    )
    .await
    .unwrap();
    app.state.tokens.keys().reload(now).await.unwrap();
    let jwks = app.get_json("/jwks").await;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids.len(), 2);
    let new = cc_token(&app, "sim-swap:check").await;
    assert_ne!(header(&old)["kid"], header(&new)["kid"]);
    assert!(kids.contains(&header(&old)["kid"].as_str().unwrap()));
    assert_eq!(introspect(&app, &old).await["active"], true);
    assert_eq!(introspect(&app, &new).await["active"], true);
}

#[tokio::test]
async fn audit_records_each_grant() {
    let app = spawn_app().await;
    cc_token(&app, "sim-swap:check").await;
    let events = app
        .state
        .store
        .list_audit(
            &demo_tenant(),
            &AuditFilter {
                action_prefix: Some("oauth.token".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, "oauth.token.client_credentials");
    assert_eq!(events[0].actor, demo::CLIENT_ID);
}

#[tokio::test]
async fn management_clients_get_their_scopes_by_client_credentials() {
    let app = spawn_app().await;
    create_app(&app, "demo", "crm", "crm-secret", |a| {
        a.allowed_scopes = vec![Scope::parse("apps:read").unwrap()];
        a.grant_types = vec![GrantType::ClientCredentials];
    })
    .await;
    let r = post_form(
        &app,
        "/token",
        Some(&basic("crm", "crm-secret")),
        &[
            ("grant_type", "client_credentials".into()),
            ("scope", "apps:read".into()),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let token = r.body["access_token"].as_str().unwrap();
    let res = app
        .http
        .get(app.url("/v1/tenants/demo/applications"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Revoked at /revoke: refused by the API at once.
    let rev = post_form(
        &app,
        "/revoke",
        Some(&basic("crm", "crm-secret")),
        &[("token", token.into())],
    )
    .await;
    assert_eq!(rev.status, 200);
    let res = app
        .http
        .get(app.url("/v1/tenants/demo/applications"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Not a scope it was given.
    let r = post_form(
        &app,
        "/token",
        Some(&basic("crm", "crm-secret")),
        &[
            ("grant_type", "client_credentials".into()),
            ("scope", "apps:write".into()),
        ],
    )
    .await;
    assert_eq!((r.status, r.error()), (400, "invalid_scope"));
}

/// With crypto_mb on the host (CI requires it: `OGW_TEST_CRYPTO_MB=required`), concurrent
/// RS256 tokens are signed in batches; every one verifies with the key the JWKS publishes.
#[tokio::test]
async fn concurrent_rs256_tokens_are_signed_in_batches_and_verify_with_the_jwks() {
    let app = spawn_app().await;
    let Some(batcher) = app.state.tokens.rsa_batcher() else {
        assert_ne!(
            std::env::var("OGW_TEST_CRYPTO_MB").as_deref(),
            Ok("required"),
            "no RS256 batcher although crypto_mb is required"
        );
        eprintln!("skipped: crypto_mb not loaded");
        return;
    };
    let jwks = app.get_json("/jwks").await;
    let jwk = &jwks["keys"][0];
    let key = jsonwebtoken::DecodingKey::from_rsa_components(
        jwk["n"].as_str().unwrap(),
        jwk["e"].as_str().unwrap(),
    )
    .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[app.state.settings.issuer.as_str()]);
    // Rounds of 32 at once until a batch forms (the first of a round may go alone).
    let mut tokens = 0;
    for _ in 0..20 {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..32 {
            let req = app
                .http
                .post(app.url("/token"))
                .header("authorization", demo_basic())
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("scope", "sim-swap:check"),
                ]);
            set.spawn(async move { into_res(req.send().await.unwrap()).await });
        }
        while let Some(r) = set.join_next().await {
            let r = r.unwrap();
            assert_eq!(r.status, 200, "{:?}", r.body);
            let token = r.body["access_token"].as_str().unwrap();
            let data = jsonwebtoken::decode::<Value>(token, &key, &validation).unwrap();
            assert_eq!(data.claims["client_id"], demo::CLIENT_ID);
            tokens += 1;
        }
        if batcher.stats().batches > 0 {
            break;
        }
    }
    let stats = batcher.stats();
    assert!(stats.batches > 0, "{stats:?}");
    assert_eq!(stats.batched + stats.single, tokens, "{stats:?}");
}
