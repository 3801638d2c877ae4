//! The rules all four CAMARA APIs share (the seed's rules and DECISIONS 2, 3, 10): identifying
//! the line, token checks at call time, wire format, audit and metrics, served OpenAPI.
use ogw_core::domain::{AppStatus, CapabilityStatus, ConsentStatus, TenantStatus};
use serde_json::json;

use crate::camara_kit::*;
use crate::common::*;
use crate::tokens::*;

const CHECK: &str = "/sim-swap/v2/check";

/// Every operation with a body that a 2-legged `demo-client` token may call, with a valid body.
fn operations() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        (CHECK, json!({"phoneNumber": MAIN})),
        ("/sim-swap/v2/retrieve-date", json!({"phoneNumber": MAIN})),
        (
            "/number-verification/v2/verify",
            json!({"phoneNumber": MAIN}),
        ),
        ("/qos-profiles/v1/retrieve-qos-profiles", json!({})),
        (
            "/consent-info/v0.2/retrieve",
            json!({"phoneNumber": MAIN, "scopes": ["sim-swap:check"], "purpose": FRAUD, "requestCaptureUrl": false}),
        ),
    ]
}

const ALL_SCOPES: &str = "sim-swap:check sim-swap:retrieve-date number-verification:verify \
     number-verification:device-phone-number:read qos-profiles:read consent-info:retrieve";

#[tokio::test]
async fn lenient_3_legged_with_the_same_phone_number_is_accepted() {
    let app = spawn_app().await;
    let t3 = token3(&app, ALL_SCOPES, MAIN).await;
    let res = post(&app, CHECK, Some(&t3), json!({"phoneNumber": MAIN})).await;
    assert_eq!(res.assert_ok()["swapped"], false);
    let res = post(
        &app,
        "/sim-swap/v2/retrieve-date",
        Some(&t3),
        json!({"phoneNumber": MAIN}),
    )
    .await;
    res.assert_ok();
    let body = json!({"phoneNumber": MAIN, "scopes": ["sim-swap:check"], "purpose": FRAUD, "requestCaptureUrl": false});
    post(&app, "/consent-info/v0.2/retrieve", Some(&t3), body)
        .await
        .assert_ok();
}

#[tokio::test]
async fn lenient_3_legged_with_another_phone_number_is_invalid_token_context() {
    let app = spawn_app().await;
    let t3 = token3(&app, ALL_SCOPES, MAIN).await;
    for path in [CHECK, "/sim-swap/v2/retrieve-date"] {
        post(&app, path, Some(&t3), json!({"phoneNumber": NEVER_SWAPPED}))
            .await
            .assert_error(403, "INVALID_TOKEN_CONTEXT");
    }
    let body = json!({"phoneNumber": UNKNOWN, "scopes": ["sim-swap:check"], "purpose": FRAUD, "requestCaptureUrl": false});
    post(&app, "/consent-info/v0.2/retrieve", Some(&t3), body)
        .await
        .assert_error(403, "INVALID_TOKEN_CONTEXT");
}

/// DECISIONS 3: a 3-legged token whose subscriber cannot be resolved, and nothing in the body.
#[tokio::test]
async fn three_legged_token_without_resolvable_subscriber_is_missing_identifier() {
    let app = spawn_app().await;
    let mut c = claims3(&app, "sim-swap:check", MAIN).await;
    c.sref = Some("Zm9yZ2VkLXJlZmVyZW5jZS1vZi1zb21lLWxlbmd0aA".into());
    post(&app, CHECK, Some(&sign(&app, &c)), json!({}))
        .await
        .assert_error(422, "MISSING_IDENTIFIER");
}

#[tokio::test]
async fn revoked_token_is_401_with_www_authenticate() {
    let app = spawn_app().await;
    let c = claims2(&app, "sim-swap:check");
    let t = sign(&app, &c);
    post(&app, CHECK, Some(&t), json!({"phoneNumber": MAIN}))
        .await
        .assert_ok();
    revoke(&app, &c).await;
    let res = post(&app, CHECK, Some(&t), json!({"phoneNumber": MAIN})).await;
    res.assert_error(401, "UNAUTHENTICATED");
    assert!(res.body["message"].as_str().unwrap().contains("revoked"));
    assert_eq!(
        res.header("www-authenticate"),
        Some(r#"Bearer realm="ogw", error="invalid_token""#)
    );
}

/// RFC 6750 §3.1: a request without a token gets a challenge that names no error; a
/// presented but unusable token gets `error="invalid_token"`.
#[tokio::test]
async fn the_401_challenge_names_invalid_token_only_when_a_token_was_sent() {
    let app = spawn_app().await;
    let body = json!({"phoneNumber": MAIN});
    let res = post(&app, CHECK, None, body.clone()).await;
    res.assert_error(401, "UNAUTHENTICATED");
    assert_eq!(
        res.header("www-authenticate"),
        Some(r#"Bearer realm="ogw""#)
    );
    // Another scheme is no token either.
    let res = app
        .http
        .post(app.url(CHECK))
        .header("authorization", "Basic ZGVtbzpkZW1v")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], r#"Bearer realm="ogw""#);

    let res = post(&app, CHECK, Some("not-a-jwt"), body).await;
    res.assert_error(401, "UNAUTHENTICATED");
    assert_eq!(
        res.header("www-authenticate"),
        Some(r#"Bearer realm="ogw", error="invalid_token""#)
    );
}

#[tokio::test]
async fn bearer_scheme_is_case_insensitive_and_other_schemes_are_401() {
    let app = spawn_app().await;
    let t = token2(&app, "sim-swap:check");
    for (value, status) in [
        (format!("bearer {t}"), 200),
        (format!("BEARER {t}"), 200),
        (format!("Basic {t}"), 401),
        ("Bearer".to_owned(), 401),
    ] {
        let res = app
            .http
            .post(app.url(CHECK))
            .header("authorization", value)
            .json(&json!({"phoneNumber": MAIN}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status);
    }
}

#[tokio::test]
async fn consent_revoked_after_the_token_was_issued_stops_the_call() {
    let app = spawn_app().await;
    let t3 = token3(&app, "sim-swap:check", MAIN).await;
    post(&app, CHECK, Some(&t3), json!({})).await.assert_ok();
    set_consent(&app, MAIN, FRAUD, ConsentStatus::Revoked, None).await;
    post(&app, CHECK, Some(&t3), json!({}))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    // 2-legged calls on that line stop too (the catalog purpose is judged).
    let t2 = token2(&app, "sim-swap:check");
    post(&app, CHECK, Some(&t2), json!({"phoneNumber": MAIN}))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    // The demo subscriber who refuses everything.
    post(&app, CHECK, Some(&t2), json!({"phoneNumber": DENIED}))
        .await
        .assert_error(403, "PERMISSION_DENIED");
}

#[tokio::test]
async fn application_and_catalog_are_rechecked_at_call_time() {
    let app = spawn_app().await;
    let store = &app.state.store;
    let t = token2(&app, "sim-swap:check qos-profiles:read");
    let client = ogw_core::domain::ClientId::parse(CLIENT).unwrap();
    // The application loses the SIM Swap scopes.
    let mut a = store
        .find_application(&client)
        .await
        .unwrap()
        .unwrap()
        .as_ref()
        .clone();
    a.allowed_scopes
        .retain(|s| !s.as_str().starts_with("sim-swap"));
    store.update_application(&a).await.unwrap();
    post(&app, CHECK, Some(&t), json!({"phoneNumber": MAIN}))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    // The operator disables QoS Profiles in the catalog.
    let id = ogw_core::domain::CapabilityId::parse("qos-profiles-v1").unwrap();
    let mut cap = store.get_capability(&tenant(), &id).await.unwrap().unwrap();
    cap.status = CapabilityStatus::Disabled;
    store.upsert_capability(&cap).await.unwrap();
    post(
        &app,
        "/qos-profiles/v1/retrieve-qos-profiles",
        Some(&t),
        json!({}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    // The application is disabled: its tokens stop working.
    a.status = AppStatus::Disabled;
    store.update_application(&a).await.unwrap();
    post(&app, CHECK, Some(&t), json!({"phoneNumber": MAIN}))
        .await
        .assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn suspended_tenant_is_403() {
    let app = spawn_app().await;
    let store = &app.state.store;
    let mut t = store.get_tenant(&tenant()).await.unwrap().unwrap();
    t.status = TenantStatus::Suspended;
    store.update_tenant(&t).await.unwrap();
    post(
        &app,
        CHECK,
        Some(&token2(&app, "sim-swap:check")),
        json!({"phoneNumber": MAIN}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
}

#[tokio::test]
async fn x_correlator_is_generated_when_absent_and_echoed_on_errors() {
    let app = spawn_app().await;
    let res = app
        .http
        .post(app.url(CHECK))
        .json(&json!({"phoneNumber": MAIN}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let generated = res.headers()["x-correlator"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(generated).is_ok(), "{generated}");
    for path in ["/sim-swap/v2/nope", "/qos-profiles/v1/openapi.yaml"] {
        let res = app
            .http
            .get(app.url(path))
            .header("x-correlator", CORRELATOR)
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["x-correlator"], CORRELATOR, "{path}");
    }
}

/// Malformed JSON, wrong types, unknown enum values: 400 INVALID_ARGUMENT, never 5xx.
#[tokio::test]
async fn malformed_bodies_are_400_on_every_operation() {
    let app = spawn_app().await;
    let t2 = token2(&app, ALL_SCOPES);
    let t3 = token3(&app, ALL_SCOPES, MAIN).await;
    let junk = [
        "{",
        "null",
        "[]",
        "\"text\"",
        "42",
        "\u{0}\u{1}",
        "{\"a\": }",
    ];
    let wrong_types = [
        (CHECK, "{\"phoneNumber\": 5}"),
        (CHECK, "{\"phoneNumber\": \"+34629255833\", \"maxAge\": \"24\"}"),
        ("/sim-swap/v2/retrieve-date", "{\"phoneNumber\": {}}"),
        ("/number-verification/v2/verify", "{\"hashedPhoneNumber\": 12}"),
        ("/qos-profiles/v1/retrieve-qos-profiles", "{\"status\": \"NOPE\"}"),
        ("/qos-profiles/v1/retrieve-qos-profiles", "{\"device\": []}"),
        (
            "/consent-info/v0.2/retrieve",
            "{\"phoneNumber\": \"+34629255833\", \"scopes\": 1, \"purpose\": \"dpv:X\", \"requestCaptureUrl\": false}",
        ),
    ];
    let token_for = |path: &str| {
        if path.starts_with("/number-verification") {
            t3.clone()
        } else {
            t2.clone()
        }
    };
    for (path, _) in operations() {
        for body in junk {
            post_raw(&app, path, Some(&token_for(path)), Some(body))
                .await
                .assert_error(400, "INVALID_ARGUMENT");
        }
    }
    for (path, body) in wrong_types {
        post_raw(&app, path, Some(&token_for(path)), Some(body))
            .await
            .assert_error(400, "INVALID_ARGUMENT");
    }
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_in_camara_format() {
    let app = spawn_app().await;
    get(&app, "/sim-swap/v2/unknown", None)
        .await
        .assert_error(404, "NOT_FOUND");
    get(&app, CHECK, Some(&token2(&app, "sim-swap:check")))
        .await
        .assert_error(405, "METHOD_NOT_ALLOWED");
    post(
        &app,
        "/number-verification/v2/device-phone-number",
        None,
        json!({}),
    )
    .await
    .assert_error(405, "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn each_api_serves_its_official_openapi_document() {
    let app = spawn_app().await;
    for (base, file) in [
        ("/sim-swap/v2", "sim-swap-v2.1.0.yaml"),
        ("/number-verification/v2", "number-verification-v2.1.0.yaml"),
        ("/qos-profiles/v1", "qos-profiles-v1.1.0.yaml"),
        ("/consent-info/v0.2", "consent-info-v0.2.0.yaml"),
    ] {
        let res = app
            .http
            .get(app.url(&format!("{base}/openapi.yaml")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/yaml");
        let served = res.text().await.unwrap();
        let official = std::fs::read_to_string(format!(
            "{}/../ogw-http/openapi/{file}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        assert_eq!(served, official, "{base}");
        assert!(
            served.contains(&format!("url: \"{{apiRoot}}{base}\""))
                || served.contains(&format!("url: '{{apiRoot}}{base}'"))
        );
    }
}

#[tokio::test]
async fn every_call_is_audited_and_counted() {
    let app = spawn_app().await;
    let t = token2(&app, "sim-swap:check");
    post(&app, CHECK, Some(&t), json!({"phoneNumber": MAIN}))
        .await
        .assert_ok();
    post(&app, CHECK, Some(&t), json!({"phoneNumber": UNKNOWN}))
        .await
        .assert_error(404, "IDENTIFIER_NOT_FOUND");
    post(
        &app,
        "/sim-swap/v2/retrieve-date",
        Some(&t),
        json!({"phoneNumber": MAIN}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    let audit = camara_audit(&app).await;
    let rows: Vec<_> = audit
        .iter()
        .map(|a| {
            (
                a.actor.as_str(),
                a.action.as_str(),
                a.target.as_str(),
                a.outcome.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (CLIENT, "camara.sim_swap.retrieve_date", "", "deny"),
            (CLIENT, "camara.sim_swap.check", UNKNOWN, "reject"),
            (CLIENT, "camara.sim_swap.check", MAIN, "ok"),
        ]
    );
    assert_eq!(audit[2].detail.value()["correlator"], CORRELATOR);
    assert_eq!(audit[2].detail.value()["operation"], "checkSimSwap");
    // The consent decision is in the call's own record (through the journal and the fold),
    // not an event of its own; the 404 (line unknown) and 403 (scope) ended before it.
    let decision = &audit[2].detail.value()["consent"];
    assert_eq!(decision.as_array().map(Vec::len), Some(1), "{decision}");
    assert_eq!(decision[0]["purpose"], "dpv:FraudPreventionAndDetection");
    assert_eq!(decision[0]["outcome"], "allow");
    assert_eq!(decision[0]["status"], "ALLOWED");
    assert_eq!(audit[1].detail.value()["consent"], json!([]));
    assert_eq!(audit[0].detail.value()["consent"], json!([]));
    let decisions = audit_of(&app, "consent.decision").await;
    assert!(decisions.is_empty(), "{decisions:?}");
    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for outcome in ["ok", "reject", "deny"] {
        assert!(
            metrics.lines().any(|l| l.starts_with("camara_calls_total{")
                && l.contains(r#"api="sim-swap""#)
                && l.contains(&format!(r#"outcome="{outcome}""#))),
            "{outcome}: {metrics}"
        );
    }
    assert!(
        metrics.contains(r#"route="/sim-swap/v2/check""#),
        "{metrics}"
    );
}

/// DECISIONS 10: with `base_path`, the APIs and every URL we emit move under it.
#[tokio::test]
async fn base_path_prefixes_the_apis_and_the_capture_url() {
    let app = spawn_app_with(|c| c.base_path = "/v1".into()).await;
    assert!(app.base.ends_with("/v1"));
    post(
        &app,
        CHECK,
        Some(&token2(&app, "sim-swap:check")),
        json!({"phoneNumber": MAIN}),
    )
    .await
    .assert_ok();
    let body = json!({"phoneNumber": MAIN, "scopes": ["qos-profiles:read"], "purpose": SERVICE, "requestCaptureUrl": true});
    let res = post(
        &app,
        "/consent-info/v0.2/retrieve",
        Some(&token2(&app, "consent-info:retrieve")),
        body,
    )
    .await;
    let url = res.assert_ok()["captureUrl"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!("http://{}/v1/consent/capture?ref=", app.addr)),
        "{url}"
    );
    let outside = app
        .http
        .post(format!("http://{}{CHECK}", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status(), 404);
}

/// `ogw token mint` signs with the server's keys and seals the subscriber like /token would.
#[tokio::test]
async fn operator_minted_tokens_are_accepted() {
    let mut saved = None;
    let app = spawn_app_with(|c| saved = Some(c.clone())).await;
    let mut cfg = saved.unwrap();
    cfg.issuer = Some(app.state.settings.issuer.clone());
    let mut req = ogw::token_mint::MintRequest {
        client_id: CLIENT.into(),
        scope: "number-verification:verify".into(),
        phone_number: Some(MAIN.into()),
        purpose: Some(FRAUD.into()),
        amr: None,
        ttl_secs: 600,
    };
    let t3 = ogw::token_mint::mint(&cfg, &req).await.unwrap();
    let res = post(
        &app,
        "/number-verification/v2/verify",
        Some(&t3),
        json!({"phoneNumber": MAIN}),
    )
    .await;
    assert_eq!(res.assert_ok()["devicePhoneNumberVerified"], true);
    req.phone_number = None;
    req.scope = "sim-swap:check".into();
    let t2 = ogw::token_mint::mint(&cfg, &req).await.unwrap();
    post(&app, CHECK, Some(&t2), json!({"phoneNumber": MAIN}))
        .await
        .assert_ok();
    req.phone_number = Some(UNKNOWN.into());
    assert!(ogw::token_mint::mint(&cfg, &req).await.is_err());
}
