//! The authorization code flow with network-based authentication and PKCE.
use std::collections::HashMap;

use ogw::demo;
use serde_json::json;

use super::*;
use crate::common::*;

// RFC 7636 Appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// The standard request of demo-client, with `extra` added or overriding.
pub fn auth_query(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut q: Vec<(String, String)> = [
        ("response_type", "code"),
        ("client_id", demo::CLIENT_ID),
        ("redirect_uri", "whatever"),
        (
            "scope",
            "openid dpv:FraudPreventionAndDetection number-verification:verify",
        ),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("acr_values", "ignored"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (k, v) in extra {
        q.retain(|(k2, _)| k2 != k);
        if !v.is_empty() {
            q.push(((*k).to_owned(), (*v).to_owned()));
        }
    }
    q
}

/// GET /authorize; returns (status, Location, body).
pub async fn get_authorize(
    app: &TestApp,
    q: &[(String, String)],
    forwarded_for: Option<&str>,
) -> (u16, String, Value) {
    let mut req = app.http.get(app.url("/authorize")).query(q);
    if let Some(ip) = forwarded_for {
        req = req.header("x-forwarded-for", ip);
    }
    let r = into_res(req.send().await.unwrap()).await;
    (r.status, r.header("location").to_owned(), r.body)
}

pub fn query_of(location: &str) -> HashMap<String, String> {
    let url = reqwest::Url::parse("http://client.invalid/")
        .unwrap()
        .join(location)
        .unwrap();
    url.query_pairs().into_owned().collect()
}

/// A code for demo-client via redirect_uri `whatever`.
pub async fn code(app: &TestApp, extra: &[(&str, &str)]) -> String {
    let (status, loc, body) = get_authorize(app, &auth_query(extra), None).await;
    assert_eq!(status, 302, "{body:?}");
    assert!(loc.starts_with("whatever?"), "{loc}");
    let q = query_of(&loc);
    assert_eq!(q.get("state").map(String::as_str), Some("st-1"));
    q.get("code")
        .cloned()
        .unwrap_or_else(|| panic!("no code in {loc}"))
}

pub async fn exchange(app: &TestApp, auth: &str, code: &str, extra: &[(&str, &str)]) -> Res {
    let mut form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code.to_owned()),
        ("redirect_uri", "whatever".to_owned()),
        ("code_verifier", VERIFIER.to_owned()),
    ];
    for (k, v) in extra {
        form.retain(|(k2, _)| k2 != k);
        if !v.is_empty() {
            form.push((k, (*v).to_owned()));
        }
    }
    post_form(app, "/token", Some(auth), &form).await
}

#[tokio::test]
async fn code_flow_with_pkce_and_the_whatever_redirect_uri() {
    let app = spawn_app().await;
    let code = code(&app, &[]).await;
    let r = exchange(&app, &demo_basic(), &code, &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.header("cache-control"), "no-store");
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(
        r.body["scope"],
        "openid dpv:FraudPreventionAndDetection number-verification:verify"
    );
    let at = r.body["access_token"].as_str().unwrap();
    let c = claims(at);
    assert_eq!(c["amr"], json!(["nba"]));
    assert_eq!(c["purpose"], FRAUD);
    assert_eq!(c["scope"], "number-verification:verify");
    assert!(!c["sub"].as_str().unwrap().contains("629255833"));
    assert!(!at.contains("629255833"));
    assert_eq!(subscriber_of(&app, at).as_deref(), Some(demo::PHONE_MAIN));

    let id = claims(r.body["id_token"].as_str().unwrap());
    assert_eq!(id["aud"], demo::CLIENT_ID);
    assert_eq!(id["nonce"], "n-1");
    assert_eq!(id["sub"], c["sub"]);
    assert_eq!(id["amr"], json!(["nba"]));
    assert_eq!(header(r.body["id_token"].as_str().unwrap())["typ"], "JWT");
}

#[tokio::test]
async fn no_openid_no_id_token_and_no_pkce_for_a_confidential_client() {
    let app = spawn_app().await;
    let code = code(
        &app,
        &[
            (
                "scope",
                "dpv:FraudPreventionAndDetection#number-verification-verify-read",
            ),
            ("code_challenge", ""),
            ("code_challenge_method", ""),
        ],
    )
    .await;
    let r = exchange(&app, &demo_basic(), &code, &[("code_verifier", "")]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(r.body.get("id_token").is_none());
}

#[tokio::test]
async fn code_is_single_use_and_replay_revokes_its_token() {
    let app = spawn_app().await;
    let code = code(&app, &[]).await;
    let first = exchange(&app, &demo_basic(), &code, &[]).await;
    assert_eq!(first.status, 200);
    let token = first.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(introspect(&app, &token).await["active"], true);
    let replay = exchange(&app, &demo_basic(), &code, &[]).await;
    assert_eq!((replay.status, replay.error()), (400, "invalid_grant"));
    assert_eq!(introspect(&app, &token).await["active"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_redemptions_yield_exactly_one_token() {
    let app = spawn_app().await;
    let code = code(&app, &[]).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let req = app
            .http
            .post(app.url("/token"))
            .header("authorization", demo_basic())
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", "whatever"),
                ("code_verifier", VERIFIER),
            ]);
        tasks.spawn(async move { into_res(req.send().await.unwrap()).await });
    }
    let results = tasks.join_all().await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(results
        .iter()
        .filter(|r| r.status != 200)
        .all(|r| r.error() == "invalid_grant"));
}

#[tokio::test]
async fn token_exchange_failures_are_invalid_grant() {
    let app = spawn_app().await;
    // PKCE mismatch.
    let c = code(&app, &[]).await;
    let r = exchange(
        &app,
        &demo_basic(),
        &c,
        &[("code_verifier", &"x".repeat(43))],
    )
    .await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
    // Missing verifier.
    let c = code(&app, &[]).await;
    let r = exchange(&app, &demo_basic(), &c, &[("code_verifier", "")]).await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
    // redirect_uri mismatch.
    let c = code(&app, &[]).await;
    let r = exchange(
        &app,
        &demo_basic(),
        &c,
        &[("redirect_uri", "https://app.example/cb")],
    )
    .await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
    // Issued to another client (same tenant): demo-app-id authenticates with its app JWT.
    let c = code(&app, &[]).await;
    let r = exchange(&app, &format!("Bearer {}", vonage_jwt()), &c, &[]).await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
    // Unknown code.
    let r = exchange(&app, &demo_basic(), "nope", &[]).await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
}

#[tokio::test]
async fn expired_code_is_invalid_grant() {
    let clock = fake_clock();
    let app = spawn_app_with_clock(&clock, |_| {}).await;
    let code = "expired-code-value";
    // Expires in a second; the clock is then moved past it.
    let now = app.state.now();
    app.state
        .store
        .insert_code(&AuthCode {
            tenant: demo_tenant(),
            code_hash: ogw_core::secret::lookup_hash(code),
            client_id: ClientId::parse(demo::CLIENT_ID).unwrap(),
            redirect_uri: "whatever".into(),
            msisdn: PhoneNumber::parse(demo::PHONE_MAIN).unwrap(),
            scopes: vec![Scope::parse("sim-swap:check").unwrap()],
            purpose: Some(Purpose::parse(FRAUD).unwrap()),
            code_challenge: None,
            nonce: None,
            auth_time: now,
            expires_at: now + chrono::Duration::seconds(1),
            consumed_at: None,
            issued_jti: None,
        })
        .await
        .unwrap();
    clock.advance(chrono::Duration::seconds(2));
    let r = exchange(&app, &demo_basic(), code, &[("code_verifier", "")]).await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
    assert!(r.body["error_description"]
        .as_str()
        .unwrap()
        .contains("expired"));
}

#[tokio::test]
async fn a_code_of_another_tenant_is_invalid_grant() {
    let app = spawn_app().await;
    create_app(&app, "other", "other-client", "other-secret", |_| {}).await;
    let c = code(&app, &[]).await;
    let r = exchange(&app, &basic("other-client", "other-secret"), &c, &[]).await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
    // Still usable by its own client.
    assert_eq!(exchange(&app, &demo_basic(), &c, &[]).await.status, 200);
}

#[tokio::test]
async fn bad_client_or_redirect_uri_is_never_redirected() {
    let app = spawn_app().await;
    for extra in [
        [("client_id", "nobody")],
        [("client_id", "")],
        [("redirect_uri", "https://evil.example/cb")],
        [("redirect_uri", "")],
    ] {
        let (status, loc, body) = get_authorize(&app, &auth_query(&extra), None).await;
        assert_eq!(status, 400, "{extra:?}");
        assert!(loc.is_empty());
        assert_eq!(body["error"], "invalid_request");
    }
}

#[tokio::test]
async fn redirectable_errors_carry_state() {
    let app = spawn_app().await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (vec![("scope", "openid sim-swap:check")], "invalid_scope"),
        (
            vec![(
                "scope",
                "openid dpv:FraudPreventionAndDetection no-such:scope",
            )],
            "invalid_scope",
        ),
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("prompt", "none login")], "invalid_request"),
        (
            vec![
                ("scope", "openid dpv:ServiceProvision qos-profiles:read"),
                ("prompt", "none"),
            ],
            "consent_required",
        ),
    ];
    for (extra, error) in cases {
        let (status, loc, _) = get_authorize(&app, &auth_query(&extra), None).await;
        assert_eq!(status, 302, "{extra:?}");
        let q = query_of(&loc);
        assert_eq!(
            q.get("error").map(String::as_str),
            Some(error),
            "{extra:?} {loc}"
        );
        assert_eq!(q.get("state").map(String::as_str), Some("st-1"));
        assert!(q.contains_key("error_description"));
        assert!(!q.contains_key("code"));
    }
}

#[tokio::test]
async fn unknown_device_is_access_denied_or_login_required() {
    let app = spawn_app_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let (status, loc, _) = get_authorize(&app, &auth_query(&[]), Some("10.20.30.40")).await;
    assert_eq!(status, 302);
    assert_eq!(
        query_of(&loc).get("error").map(String::as_str),
        Some("access_denied")
    );
    let (_, loc, _) = get_authorize(
        &app,
        &auth_query(&[("prompt", "none")]),
        Some("10.20.30.40"),
    )
    .await;
    assert_eq!(
        query_of(&loc).get("error").map(String::as_str),
        Some("login_required")
    );
}

#[tokio::test]
async fn untrusted_peers_cannot_claim_another_address() {
    // No trusted proxies: X-Forwarded-For is ignored and the loopback peer is the demo phone.
    let app = spawn_app().await;
    let (status, loc, _) = get_authorize(&app, &auth_query(&[]), Some("10.20.30.40")).await;
    assert_eq!(status, 302);
    assert!(query_of(&loc).contains_key("code"), "{loc}");
}

#[tokio::test]
async fn trusted_proxy_reports_the_device_and_consent_decides() {
    let app = spawn_app_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    add_session(&app, "10.0.0.2", demo::PHONE_RECENT_SWAP).await;
    add_session(&app, "10.0.0.4", demo::PHONE_DENIED).await;
    let (_, loc, _) = get_authorize(&app, &auth_query(&[]), Some("10.0.0.2")).await;
    let code = query_of(&loc).get("code").cloned().unwrap();
    let r = exchange(&app, &demo_basic(), &code, &[]).await;
    assert_eq!(
        subscriber_of(&app, r.body["access_token"].as_str().unwrap()).as_deref(),
        Some(demo::PHONE_RECENT_SWAP)
    );
    // The subscriber who objected to every purpose.
    let (_, loc, _) = get_authorize(&app, &auth_query(&[]), Some("10.0.0.4")).await;
    assert_eq!(
        query_of(&loc).get("error").map(String::as_str),
        Some("access_denied")
    );
    let denials = app
        .state
        .store
        .list_audit(
            &demo_tenant(),
            &AuditFilter {
                action_prefix: Some("consent.decision".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(denials
        .iter()
        .any(|e| e.outcome == "deny" && e.target == demo::PHONE_DENIED));
}

#[tokio::test]
async fn public_clients_must_use_pkce() {
    let app = spawn_app().await;
    create_app(&app, "demo", "public-app", "unused", |a| {
        a.secret_hash = None;
        a.auth_methods = vec![];
    })
    .await;
    let q = auth_query(&[
        ("client_id", "public-app"),
        ("code_challenge", ""),
        ("code_challenge_method", ""),
    ]);
    let (_, loc, _) = get_authorize(&app, &q, None).await;
    assert_eq!(
        query_of(&loc).get("error").map(String::as_str),
        Some("invalid_request")
    );
    let (_, loc, _) = get_authorize(&app, &auth_query(&[("client_id", "public-app")]), None).await;
    let code = query_of(&loc).get("code").cloned().unwrap();
    let form = [
        ("grant_type", "authorization_code".to_owned()),
        ("client_id", "public-app".to_owned()),
        ("code", code),
        ("redirect_uri", "whatever".to_owned()),
        ("code_verifier", VERIFIER.to_owned()),
    ];
    let r = post_form(&app, "/token", None, &form).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // A public client gets nothing else.
    let r = post_form(
        &app,
        "/token",
        None,
        &[
            ("grant_type", "client_credentials".into()),
            ("client_id", "public-app".into()),
            ("scope", "sim-swap:check".into()),
        ],
    )
    .await;
    assert_eq!((r.status, r.error()), (401, "invalid_client"));
}

#[tokio::test]
async fn authorize_accepts_post() {
    let app = spawn_app().await;
    let q = auth_query(&[]);
    let r = into_res(
        app.http
            .post(app.url("/authorize"))
            .form(&q)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 302);
    assert!(query_of(r.header("location")).contains_key("code"));
}
