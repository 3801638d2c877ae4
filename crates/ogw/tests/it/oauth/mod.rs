//! The authorization server over HTTP: every grant, every client-auth method, every
//! login_hint form, and the failure cases of each.
mod authorize;
mod ciba;
mod consent_pages;
mod dpop;
mod enrichment;
mod gate;
mod jwt_bearer;
mod postgres;
mod refresh;
mod request_object;
mod rp;
mod token;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ogw::demo;
use ogw_core::domain::*;
use ogw_core::store::*;
use serde_json::{json, Value};

use crate::common::TestApp;

pub const FRAUD: &str = "dpv:FraudPreventionAndDetection";
pub const PRIVATE_PEM: &[u8] = include_bytes!("../../fixtures/demo-app-private.pem");

pub fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

pub fn demo_basic() -> String {
    basic(demo::CLIENT_ID, demo::CLIENT_SECRET)
}

pub fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Signs claims with the demo application's private key (RS256, no kid).
pub fn sign(claims: &Value) -> String {
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(PRIVATE_PEM).unwrap();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        claims,
        &key,
    )
    .unwrap()
}

/// Vonage's application JWT: `{application_id, iat, jti, exp}`.
pub fn vonage_jwt() -> String {
    let iat = now_s();
    sign(&json!({
        "application_id": demo::APP_ID,
        "iat": iat,
        "jti": uuid::Uuid::new_v4().to_string(),
        "exp": iat + 900,
    }))
}

/// An RFC 7523 client assertion for demo-app-id addressed to `aud`.
pub fn client_assertion(aud: &str) -> String {
    let iat = now_s();
    sign(&json!({
        "iss": demo::APP_ID, "sub": demo::APP_ID, "aud": aud,
        "iat": iat, "exp": iat + 60, "jti": uuid::Uuid::new_v4().to_string(),
    }))
}

pub fn assertion_params(assertion: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
        ),
        ("client_assertion", assertion.to_owned()),
    ]
}

/// The claims of one of our JWTs, without verifying (tests check the signature elsewhere).
pub fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

pub fn header(jwt: &str) -> Value {
    let h = jwt.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap()
}

pub struct Res {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Res {
    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// POSTs a form body with an optional Authorization header.
pub async fn post_form(
    app: &TestApp,
    path: &str,
    auth: Option<&str>,
    form: &[(&str, String)],
) -> Res {
    let mut req = app.http.post(app.url(path)).form(form);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    into_res(req.send().await.unwrap()).await
}

pub async fn into_res(r: reqwest::Response) -> Res {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Res {
        status,
        headers,
        body,
    }
}

/// A client_credentials token for demo-client.
pub async fn cc_token(app: &TestApp, scope: &str) -> String {
    let r = post_form(
        app,
        "/token",
        Some(&demo_basic()),
        &[
            ("grant_type", "client_credentials".into()),
            ("scope", scope.into()),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["access_token"].as_str().unwrap().to_owned()
}

pub async fn introspect(app: &TestApp, token: &str) -> Value {
    let r = post_form(
        app,
        "/introspect",
        Some(&demo_basic()),
        &[("token", token.into())],
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

pub fn tid(s: &str) -> TenantId {
    TenantId::parse(s).unwrap()
}

pub fn demo_tenant() -> TenantId {
    tid(demo::TENANT)
}

/// Registers an application (secret-based unless `tweak` changes it), creating its tenant if needed.
pub async fn create_app(
    app: &TestApp,
    tenant: &str,
    client_id: &str,
    secret: &str,
    tweak: impl FnOnce(&mut Application),
) {
    let store = &app.state.store;
    let t = tid(tenant);
    if store.get_tenant(&t).await.unwrap().is_none() {
        store
            .create_tenant(&Tenant {
                id: t.clone(),
                name: tenant.into(),
                status: TenantStatus::Active,
                created_at: chrono::Utc::now(),
            })
            .await
            .unwrap();
        // The other tenant offers the same catalog as the demo one.
        for mut c in store
            .list_capabilities(&demo_tenant())
            .await
            .unwrap()
            .to_vec()
        {
            c.tenant = t.clone();
            store.upsert_capability(&c).await.unwrap();
        }
    }
    let demo_app = store
        .find_application(&ClientId::parse(demo::CLIENT_ID).unwrap())
        .await
        .unwrap()
        .unwrap()
        .as_ref()
        .clone();
    let mut a = Application {
        tenant: t,
        client_id: ClientId::parse(client_id).unwrap(),
        name: client_id.into(),
        secret_hash: Some(app.state.pepper.hash(secret)),
        ..demo_app
    };
    tweak(&mut a);
    store.create_application(&a).await.unwrap();
}

/// A device address now belongs to `msisdn` (an active IP session of the demo tenant).
pub async fn add_session(app: &TestApp, ip: &str, msisdn: &str) {
    let now = chrono::Utc::now();
    app.state
        .store
        .upsert_ip_session(&IpSession {
            tenant: demo_tenant(),
            session_id: format!("it-{ip}"),
            ip: ip.parse().unwrap(),
            msisdn: PhoneNumber::parse(msisdn).unwrap(),
            started_at: now,
            last_seen_at: now,
            ended_at: None,
        })
        .await
        .unwrap();
}

/// The subscriber a 3-legged access token resolves to.
pub fn subscriber_of(app: &TestApp, token: &str) -> Option<String> {
    let c: ogw_core::oauth::tokens::AccessClaims = serde_json::from_value(claims(token)).unwrap();
    app.state.tokens.subscriber_of(&c).map(|p| p.to_string())
}
