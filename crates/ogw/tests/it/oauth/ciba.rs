//! CIBA poll mode: silent network authentication inside /bc-authorize, so the first poll
//! succeeds; consent decides Approved / Denied / Pending.
use ogw::demo;
use serde_json::json;

use super::*;
use crate::common::*;

pub async fn bc_authorize(app: &TestApp, auth: &str, form: &[(&str, &str)]) -> Res {
    let form: Vec<(&str, String)> = form.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    post_form(app, "/bc-authorize", Some(auth), &form).await
}

pub async fn poll(app: &TestApp, auth: &str, auth_req_id: &str) -> Res {
    post_form(
        app,
        "/token",
        Some(auth),
        &[
            ("grant_type", "urn:openid:params:grant-type:ciba".into()),
            ("auth_req_id", auth_req_id.into()),
        ],
    )
    .await
}

fn auth_req_id(r: &Res) -> String {
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["auth_req_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_login_hint_form_and_the_first_poll_succeeds() {
    let app = spawn_app().await;
    let cases = [
        ("tel:+34629255833", None),
        ("phone_number:+34629255833", None),
        ("+34629255833", None),
        ("ipport:127.0.0.1:43210", Some(json!(["nba"]))),
        ("ipport:127.0.0.1", Some(json!(["nba"]))),
        ("ip:127.0.0.1", Some(json!(["nba"]))),
        ("ipport:[::1]:8080", Some(json!(["nba"]))),
    ];
    for (hint, amr) in cases {
        let r = bc_authorize(
            &app,
            &demo_basic(),
            &[
                ("login_hint", hint),
                (
                    "scope",
                    "openid dpv:FraudPreventionAndDetection sim-swap:check",
                ),
            ],
        )
        .await;
        assert_eq!(r.status, 200, "{hint}: {:?}", r.body);
        assert_eq!(r.header("cache-control"), "no-store");
        assert!(
            r.body["expires_in"].is_i64() && r.body["interval"].is_i64(),
            "{:?}",
            r.body
        );
        let id = auth_req_id(&r);
        let t = poll(&app, &demo_basic(), &id).await;
        assert_eq!(t.status, 200, "{hint}: {:?}", t.body);
        assert_eq!(t.body["token_type"], "Bearer");
        let at = t.body["access_token"].as_str().unwrap();
        let c = claims(at);
        assert_eq!(c.get("amr").cloned(), amr, "{hint}");
        assert_eq!(c["scope"], "sim-swap:check");
        assert_eq!(
            subscriber_of(&app, at).as_deref(),
            Some(demo::PHONE_MAIN),
            "{hint}"
        );
        let id_token = claims(t.body["id_token"].as_str().unwrap());
        assert_eq!(id_token["sub"], c["sub"]);
        assert_eq!(id_token["aud"], demo::CLIENT_ID);
        // auth_req_ids are single use.
        let again = poll(&app, &demo_basic(), &id).await;
        assert_eq!((again.status, again.error()), (400, "invalid_grant"));
    }
}

#[tokio::test]
async fn vonage_sdk_flow_app_jwt_suffix_purpose_and_json_label() {
    let app = spawn_app().await;
    // Vonage labels its form body application/json and sends the purpose with a #suffix.
    let body = "login_hint=%2B34629255833&scope=dpv%3AFraudPreventionAndDetection%23check-sim-swap";
    let r = into_res(
        app.http
            .post(app.url("/bc-authorize"))
            .header("authorization", format!("Bearer {}", vonage_jwt()))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = auth_req_id(&r);
    let body = format!("grant_type=urn:openid:params:grant-type:ciba&auth_req_id={id}");
    let t = into_res(
        app.http
            .post(app.url("/token"))
            .header("authorization", format!("Bearer {}", vonage_jwt()))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(t.status, 200, "{:?}", t.body);
    assert_eq!(
        t.body["scope"],
        "dpv:FraudPreventionAndDetection sim-swap:check"
    );
    assert!(t.body.get("id_token").is_none());
}

#[tokio::test]
async fn telefonica_style_purpose_parameter_and_json_body() {
    let app = spawn_app().await;
    let r = into_res(
        app.http
            .post(app.url("/bc-authorize"))
            .header("authorization", demo_basic())
            .json(&json!({"login_hint": "tel:+34629255833", "purpose": FRAUD,
                          "scope": "openid sim-swap:retrieve-date"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = auth_req_id(&r);
    let t = poll(&app, &demo_basic(), &id).await;
    assert_eq!(t.status, 200, "{:?}", t.body);
    assert_eq!(
        claims(t.body["access_token"].as_str().unwrap())["purpose"],
        FRAUD
    );
}

#[tokio::test]
async fn private_key_jwt_at_bc_authorize_and_token() {
    let app = spawn_app().await;
    let mut form = assertion_params(&client_assertion(&app.url("/bc-authorize")));
    form.push(("login_hint", "tel:+34629255833".into()));
    form.push((
        "scope",
        "openid dpv:FraudPreventionAndDetection sim-swap:check".into(),
    ));
    let r = post_form(&app, "/bc-authorize", None, &form).await;
    let id = auth_req_id(&r);
    let mut form = assertion_params(&client_assertion(&app.url("/token")));
    form.push(("grant_type", "urn:openid:params:grant-type:ciba".into()));
    form.push(("auth_req_id", id));
    let t = post_form(&app, "/token", None, &form).await;
    assert_eq!(t.status, 200, "{:?}", t.body);
}

#[tokio::test]
async fn unknown_subscribers_are_unknown_user_id() {
    let app = spawn_app().await;
    for hint in [
        "tel:+34699999999",
        "+34699999999",
        "ipport:10.99.99.99:1234",
        "operatortoken:abc",
    ] {
        let r = bc_authorize(
            &app,
            &demo_basic(),
            &[
                ("login_hint", hint),
                ("scope", "dpv:FraudPreventionAndDetection sim-swap:check"),
            ],
        )
        .await;
        assert_eq!((r.status, r.error()), (400, "unknown_user_id"), "{hint}");
    }
}

#[tokio::test]
async fn bc_authorize_request_errors() {
    let app = spawn_app().await;
    let scope = ("scope", "dpv:FraudPreventionAndDetection sim-swap:check");
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![scope], "invalid_request"),
        (vec![("login_hint", "mailto:x@y"), scope], "invalid_request"),
        (
            vec![
                ("login_hint_token", "x"),
                ("login_hint", "tel:+34629255833"),
                scope,
            ],
            "invalid_request",
        ),
        (
            vec![
                ("login_hint", "tel:+34629255833"),
                ("scope", "sim-swap:check"),
            ],
            "invalid_scope",
        ),
        (
            vec![
                ("login_hint", "tel:+34629255833"),
                ("scope", "dpv:FraudPreventionAndDetection#nope"),
            ],
            "invalid_scope",
        ),
        (
            vec![
                ("login_hint", "tel:+34629255833"),
                ("scope", "dpv:FraudPreventionAndDetection qos-profiles:read"),
            ],
            "invalid_scope",
        ),
    ];
    for (form, error) in cases {
        let r = bc_authorize(&app, &demo_basic(), &form).await;
        assert_eq!((r.status, r.error()), (400, error), "{form:?} {:?}", r.body);
    }
    let r = bc_authorize(
        &app,
        &basic(demo::CLIENT_ID, "bad"),
        &[("login_hint", "tel:+34629255833"), scope],
    )
    .await;
    assert_eq!((r.status, r.error()), (401, "invalid_client"));
    assert!(r.header("www-authenticate").starts_with("Basic"));
}

#[tokio::test]
async fn denied_consent_is_access_denied_at_the_poll() {
    let app = spawn_app().await;
    let r = bc_authorize(
        &app,
        &demo_basic(),
        &[
            ("login_hint", "tel:+34600000004"),
            ("scope", "dpv:FraudPreventionAndDetection sim-swap:check"),
        ],
    )
    .await;
    let id = auth_req_id(&r);
    let t = poll(&app, &demo_basic(), &id).await;
    assert_eq!(
        (t.status, t.error()),
        (400, "access_denied"),
        "{:?}",
        t.body
    );
}

#[tokio::test]
async fn pending_consent_gives_a_consent_url_then_slow_down_then_the_token() {
    let clock = fake_clock();
    let app = spawn_app_with_clock(&clock, |_| {}).await;
    let r = bc_authorize(
        &app,
        &demo_basic(),
        &[
            ("login_hint", "tel:+34629255833"),
            ("scope", "dpv:RequestedServiceProvision qos-profiles:read"),
        ],
    )
    .await;
    let id = auth_req_id(&r);
    let interval = r.body["interval"].as_i64().unwrap();
    let t = poll(&app, &demo_basic(), &id).await;
    assert_eq!((t.status, t.error()), (400, "authorization_pending"));
    let url = t.body["consent_url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/consent/ciba/demo/", app.state.settings.issuer)),
        "{url}"
    );
    let t = poll(&app, &demo_basic(), &id).await;
    assert_eq!((t.status, t.error()), (400, "slow_down"));

    // The subscriber grants consent (what the consent view will record).
    app.state
        .store
        .put_consent(
            &Consent {
                tenant: demo_tenant(),
                msisdn: PhoneNumber::parse(demo::PHONE_MAIN).unwrap(),
                client_id: ClientId::parse(demo::CLIENT_ID).unwrap(),
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
    clock.advance(chrono::Duration::seconds(interval));
    let t = poll(&app, &demo_basic(), &id).await;
    assert_eq!(t.status, 200, "{:?}", t.body);
}

#[tokio::test]
async fn expired_requests_are_expired_token() {
    let clock = fake_clock();
    let app = spawn_app_with_clock(&clock, |_| {}).await;
    let id = "expired-auth-req-id";
    // Expires in a second; the clock is then moved past it.
    let now = app.state.now();
    app.state
        .store
        .insert_ciba(&CibaRequest {
            tenant: demo_tenant(),
            id_hash: ogw_core::secret::lookup_hash(id),
            client_id: ClientId::parse(demo::CLIENT_ID).unwrap(),
            msisdn: PhoneNumber::parse(demo::PHONE_MAIN).unwrap(),
            scopes: vec![Scope::parse("sim-swap:check").unwrap()],
            purpose: Some(Purpose::parse(FRAUD).unwrap()),
            status: CibaStatus::Approved,
            amr: vec![],
            interval_secs: 2,
            created_at: now,
            expires_at: now + chrono::Duration::seconds(1),
            last_polled_at: None,
            consumed_at: None,
        })
        .await
        .unwrap();
    clock.advance(chrono::Duration::seconds(2));
    let t = poll(&app, &demo_basic(), id).await;
    assert_eq!((t.status, t.error()), (400, "expired_token"));
}

#[tokio::test]
async fn another_client_or_tenant_cannot_poll() {
    let app = spawn_app().await;
    create_app(&app, "other", "other-client", "other-secret", |_| {}).await;
    let r = bc_authorize(
        &app,
        &demo_basic(),
        &[
            ("login_hint", "tel:+34629255833"),
            ("scope", "dpv:FraudPreventionAndDetection sim-swap:check"),
        ],
    )
    .await;
    let id = auth_req_id(&r);
    let t = poll(&app, &basic("other-client", "other-secret"), &id).await;
    assert_eq!((t.status, t.error()), (400, "invalid_grant"));
    let t = poll(&app, &format!("Bearer {}", vonage_jwt()), &id).await;
    assert_eq!((t.status, t.error()), (400, "invalid_grant"));
    let t = poll(&app, &demo_basic(), "unknown").await;
    assert_eq!((t.status, t.error()), (400, "invalid_grant"));
    // The other tenant's client cannot name the demo tenant's subscribers either.
    let r = bc_authorize(
        &app,
        &basic("other-client", "other-secret"),
        &[
            ("login_hint", "tel:+34629255833"),
            ("scope", "dpv:FraudPreventionAndDetection sim-swap:check"),
        ],
    )
    .await;
    assert_eq!((r.status, r.error()), (400, "unknown_user_id"));
}

#[tokio::test]
async fn a_revoked_token_stops_working_on_the_camara_apis_at_once() {
    let app = spawn_app().await;
    let r = bc_authorize(
        &app,
        &demo_basic(),
        &[
            ("login_hint", "tel:+34629255833"),
            ("scope", "dpv:FraudPreventionAndDetection sim-swap:check"),
        ],
    )
    .await;
    let t = poll(&app, &demo_basic(), &auth_req_id(&r)).await;
    let token = t.body["access_token"].as_str().unwrap().to_owned();
    let check = || {
        app.http
            .post(app.url("/sim-swap/v2/check"))
            .bearer_auth(&token)
            .json(&json!({"maxAge": 240}))
            .send()
    };
    assert_eq!(check().await.unwrap().status(), 200);
    let rev = post_form(
        &app,
        "/revoke",
        Some(&demo_basic()),
        &[("token", token.clone())],
    )
    .await;
    assert_eq!(rev.status, 200);
    let res = check().await.unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "UNAUTHENTICATED");
}

/// DECISIONS 4 end to end: only network-based authentication (`amr: ["nba"]`) may verify a number.
#[tokio::test]
async fn number_verification_accepts_only_network_authenticated_tokens() {
    let app = spawn_app().await;
    let scope = (
        "scope",
        "dpv:FraudPreventionAndDetection number-verification:verify",
    );
    let verify = |token: String| {
        let req = app
            .http
            .post(app.url("/number-verification/v2/verify"))
            .bearer_auth(token)
            .json(&json!({"phoneNumber": demo::PHONE_MAIN}));
        async move { into_res(req.send().await.unwrap()).await }
    };
    // tel: hint — the line is known, the device was not identified by the network.
    let r = bc_authorize(
        &app,
        &demo_basic(),
        &[("login_hint", "tel:+34629255833"), scope],
    )
    .await;
    let t = poll(&app, &demo_basic(), &auth_req_id(&r)).await;
    let res = verify(t.body["access_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(res.status, 403, "{:?}", res.body);
    assert_eq!(
        res.body["code"],
        "NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK"
    );
    // ipport: hint — the device address is in the IP sessions.
    let r = bc_authorize(
        &app,
        &demo_basic(),
        &[("login_hint", "ipport:127.0.0.1"), scope],
    )
    .await;
    let t = poll(&app, &demo_basic(), &auth_req_id(&r)).await;
    let res = verify(t.body["access_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    assert_eq!(res.body["devicePhoneNumberVerified"], true);
}
