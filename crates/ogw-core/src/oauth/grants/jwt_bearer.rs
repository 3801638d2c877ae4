//! RFC 7523 §2.1 and the CAMARA profile's "JWT Bearer Flow": an aggregator's signed
//! assertion is both the authorization grant and the client authentication.
//! `iss` = client_id, `sub` = `tel:+E164` (`operatortoken:` is refused until TS.43 exists),
//! `aud` = our token endpoint or issuer, `exp`/`iat`/`jti` mandatory with the 300-second
//! rules, `jti` used once, a mandatory `scope` claim (one purpose plus CAMARA scopes) and no
//! `scope` parameter. The client must be allowed this grant, those scopes and that purpose;
//! the subject must exist and the legal basis be satisfied. Short-lived access token, never
//! a refresh token. Profile error table: an invalid assertion is `invalid_grant`.
use serde::Deserialize;

use super::super::client_auth::{
    check_times, verify_signed_by_client, Credentials, MAX_ASSERTION_LIFETIME_SECS,
};
use super::super::discovery::{assertion_audiences, paths};
use super::super::dpop;
use super::super::error::{Challenge, OAuthError, OAuthResult};
use super::super::issue::{self, SubjectGrant, TokenResponse};
use super::super::params::Params;
use super::super::scope_request::{Legs, ScopeRequest};
use super::super::{consent_check, Deps};
use crate::consent::Outcome;
use crate::domain::{ClientId, GrantType, PhoneNumber};
use crate::manage::gate::active_client;
use crate::store::Timestamp;

pub const PARAMS: &[&str] = &["assertion", "scope"];

/// The profile: this flow SHOULD return short-lived access tokens.
pub const MAX_TOKEN_TTL_SECS: i64 = 300;

#[derive(Debug, Deserialize)]
struct Assertion {
    iss: Option<String>,
    sub: Option<String>,
    #[serde(default)]
    aud: serde_json::Value,
    exp: Option<i64>,
    iat: Option<i64>,
    nbf: Option<i64>,
    jti: Option<String>,
    scope: Option<String>,
}

pub async fn exchange(
    deps: &Deps<'_>,
    creds: &Credentials,
    dpop_proof: Option<&dpop::Proof>,
    params: &Params,
    now: Timestamp,
) -> OAuthResult<TokenResponse> {
    if params.get("scope").is_some() {
        return Err(OAuthError::invalid_request(
            "the scope parameter must not be sent with the JWT-bearer grant; use the assertion's scope claim",
        ));
    }
    let assertion = params.require("assertion")?;
    let grant = |r: &str| OAuthError::invalid_grant(format!("assertion: {r}"));
    let client_fail = |r: &str| OAuthError::invalid_client(r, Challenge::Basic);
    // Whose key verifies it: the (unverified) iss, which must be a registered client.
    let iss = unverified_iss(assertion).ok_or_else(|| grant("malformed or no iss"))?;
    // The assertion is the client authentication; anything else may only repeat the id.
    match creds {
        Credentials::Nothing => {}
        Credentials::Public { client_id } if *client_id == iss => {}
        _ => {
            return Err(OAuthError::invalid_request(
                "the assertion is the client authentication; send no other credentials",
            ))
        }
    }
    let app = match ClientId::parse(&iss) {
        Ok(id) => deps.store.find_application(&id).await?,
        Err(_) => None,
    }
    .ok_or_else(|| client_fail("assertion: iss is not a registered client"))?;
    if let Err(refusal) = active_client(deps.store, &app.tenant, &app.client_id).await? {
        return Err(client_fail(refusal.reason()));
    }
    let c: Assertion = verify_signed_by_client(&app, assertion, false).map_err(|r| grant(&r))?;
    if c.iss.as_deref() != Some(app.client_id.as_str()) {
        return Err(grant("iss must be the client_id"));
    }
    let audiences = assertion_audiences(deps.settings, paths::TOKEN);
    let aud_ok = match &c.aud {
        serde_json::Value::String(a) => audiences.contains(a),
        serde_json::Value::Array(v) => v
            .iter()
            .filter_map(|a| a.as_str())
            .any(|a| audiences.iter().any(|x| x == a)),
        _ => false,
    };
    if !aud_ok {
        return Err(grant("aud must be this token endpoint's URL or the issuer"));
    }
    if c.iat.is_none() {
        return Err(grant("iat is required"));
    }
    let exp = check_times(c.exp, c.iat, c.nbf, MAX_ASSERTION_LIFETIME_SECS, now)
        .map_err(|r| grant(&r))?;
    let jti = c
        .jti
        .filter(|j| !j.is_empty())
        .ok_or_else(|| grant("jti is required"))?;
    // The client must be allowed this grant before its jti is spent.
    if !app.grant_types.contains(&GrantType::JwtBearer) {
        return Err(OAuthError::UnauthorizedClient(format!(
            "this client may not use {}",
            GrantType::JwtBearer
        )));
    }
    super::check_dpop_required(&app, dpop_proof)?;
    let first = deps
        .store
        .use_jti_once(
            &app.tenant,
            &format!("jwt_bearer:{}", app.client_id),
            &jti,
            exp,
        )
        .await?;
    if !first {
        return Err(grant("jti was already used"));
    }
    if let Some(p) = dpop_proof {
        super::check_proof_once(deps, &app.tenant, p).await?;
    }
    let msisdn = subject(c.sub.as_deref()).map_err(|r| grant(&r))?;
    let scope = c
        .scope
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| grant("the scope claim is required"))?;
    let mut req = ScopeRequest::parse(Some(&scope), None)?;
    // Nobody is logged in, so there is no ID token; the profile: never a refresh token.
    req.openid = false;
    req.offline = false;
    req.check(
        &app,
        &deps.store.list_capabilities(&app.tenant).await?,
        Legs::Three,
    )?;
    let purpose = req.required_purpose()?;
    let subscriber = deps
        .store
        .get_subscriber(&app.tenant, &msisdn)
        .await?
        .ok_or_else(|| grant("the subject is not a subscriber of this operator"))?;
    let decision = consent_check::decide(
        deps,
        &app,
        &subscriber.msisdn,
        &purpose,
        &req.scopes,
        "oauth.jwt_bearer",
        now,
    )
    .await?;
    if decision.outcome != Outcome::Allowed {
        deps.audit(
            &app,
            "oauth.token.jwt_bearer",
            subscriber.msisdn.as_str(),
            "deny",
            decision.reason,
            serde_json::json!({"scope": req.granted()}),
            now,
        )
        .await?;
        return Err(grant(decision.reason));
    }
    let subject = SubjectGrant {
        subscriber: &subscriber,
        amr: None,
        auth_time: now,
        nonce: None,
    };
    let ttl = deps
        .settings
        .access_token_ttl
        .min(chrono::Duration::seconds(MAX_TOKEN_TTL_SECS));
    let (res, claims) =
        issue::three_legged_for(deps, &app, &req, &subject, issue::new_jti(), now, ttl).await?;
    deps.audit(
        &app,
        "oauth.token.jwt_bearer",
        subscriber.msisdn.as_str(),
        "ok",
        "access token issued for a JWT-bearer assertion",
        serde_json::json!({"jti": claims.jti, "scope": claims.scope, "purpose": claims.purpose}),
        now,
    )
    .await?;
    Ok(res)
}

fn unverified_iss(jwt: &str) -> Option<String> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let payload = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("iss")?.as_str().map(str::to_owned)
}

/// `sub`: `tel:+E164`; `operatortoken:` needs TS.43, which this operator does not run.
fn subject(sub: Option<&str>) -> Result<PhoneNumber, String> {
    let sub = sub.ok_or("sub is required")?;
    if sub.starts_with("operatortoken:") {
        return Err("operatortoken subjects are not supported (no TS.43 token service)".into());
    }
    let number = sub
        .strip_prefix("tel:")
        .ok_or("sub must be tel:+<E.164 number>")?;
    PhoneNumber::parse(number).map_err(|_| "sub is not an E.164 phone number".into())
}
