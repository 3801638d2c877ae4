//! Access tokens for tests, minted with the server's own keys (no /token round trip):
//! 2-legged (sub = client id, no subscriber) and 3-legged (pairwise sub, sealed `sref`,
//! `amr: ["nba"]` for network-based authentication).
use ogw_core::domain::{ClientId, PhoneNumber, TenantId};
use ogw_core::oauth::tokens::{AccessClaims, AMR_NETWORK};

use crate::common::TestApp;

pub const TENANT: &str = ogw::demo::TENANT;
pub const CLIENT: &str = ogw::demo::CLIENT_ID;
pub const FRAUD: &str = "dpv:FraudPreventionAndDetection";
pub const SERVICE: &str = "dpv:RequestedServiceProvision";

/// 2-legged claims for `demo-client`, valid for an hour, no purpose.
pub fn claims2(app: &TestApp, scope: &str) -> AccessClaims {
    let now = chrono::Utc::now().timestamp();
    let iss = app.state.settings.issuer.clone();
    AccessClaims {
        iss: iss.clone(),
        sub: CLIENT.into(),
        aud: iss,
        client_id: CLIENT.into(),
        tenant: TENANT.into(),
        scope: scope.into(),
        purpose: None,
        iat: now,
        exp: now + 3600,
        jti: uuid::Uuid::new_v4().to_string(),
        amr: None,
        sref: None,
        auth_time: None,
        cnf: None,
    }
}

/// 3-legged, network-authenticated claims for `demo-client` on `msisdn`, purpose fraud prevention.
pub async fn claims3(app: &TestApp, scope: &str, msisdn: &str) -> AccessClaims {
    let tenant = TenantId::parse(TENANT).unwrap();
    let client = ClientId::parse(CLIENT).unwrap();
    let number = PhoneNumber::parse(msisdn).unwrap();
    let subjects = app.state.tokens.subjects();
    let sub = match app
        .state
        .store
        .get_subscriber(&tenant, &number)
        .await
        .unwrap()
    {
        Some(s) => subjects.pairwise_sub(&tenant, &client, &s.id),
        None => "unknown-subscriber".into(),
    };
    let base = claims2(app, scope);
    AccessClaims {
        sub,
        purpose: Some(FRAUD.into()),
        amr: Some(vec![AMR_NETWORK.into()]),
        sref: Some(subjects.seal(&tenant, &client, &number)),
        auth_time: Some(base.iat),
        ..base
    }
}

pub fn sign(app: &TestApp, claims: &AccessClaims) -> String {
    app.state.tokens.sign_access_inline(claims).unwrap()
}

pub fn token2(app: &TestApp, scope: &str) -> String {
    sign(app, &claims2(app, scope))
}

pub async fn token3(app: &TestApp, scope: &str, msisdn: &str) -> String {
    sign(app, &claims3(app, scope, msisdn).await)
}

/// Expired an hour ago, otherwise valid.
pub fn expired_token(app: &TestApp, scope: &str) -> String {
    let mut c = claims2(app, scope);
    c.iat -= 7200;
    c.exp -= 7200;
    sign(app, &c)
}

/// Well-formed JWT with a broken signature.
pub fn invalid_token(app: &TestApp, scope: &str) -> String {
    let t = token2(app, scope);
    let (head, sig) = t.rsplit_once('.').unwrap();
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    format!("{head}.{flipped}{}", &sig[1..])
}

pub async fn revoke(app: &TestApp, claims: &AccessClaims) {
    let tenant = TenantId::parse(&claims.tenant).unwrap();
    let exp = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap();
    app.state
        .store
        .revoke_jti(&tenant, &claims.jti, exp)
        .await
        .unwrap();
}
