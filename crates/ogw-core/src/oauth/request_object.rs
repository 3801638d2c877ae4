//! Signed authentication requests (OIDC Core §6.1, RFC 9101, CIBA §7.1.1); the CAMARA
//! profile makes them MUST. The `request` parameter is a JWT signed with one of the
//! client's registered keys (`client_auth::verify_signed_by_client`); `iss` = client_id,
//! `aud` names this server (issuer or the endpoint URL), `iat`/`exp`/`jti` are required with
//! the 300-second window and `jti` is used once. The OAuth-syntax copies of `scope`,
//! `response_type`, `client_id` and `redirect_uri` must equal the object's values; every
//! other parameter is taken only from the object. Any failure is `invalid_request_object`.
//! `request_uri` is not supported.
use serde_json::Value;

use super::client_auth::{check_times, verify_signed_by_client, MAX_ASSERTION_LIFETIME_SECS};
use super::error::{OAuthError, OAuthResult};
use super::params::Params;
use super::Deps;
use crate::store::{Application, Timestamp};

/// Parameters sent both outside (OAuth 2.0 syntax) and inside the object, which must agree.
pub const OAUTH_SYNTAX: &[&str] = &["scope", "response_type", "client_id", "redirect_uri"];
/// Claims of the JWT itself, not request parameters.
const JWT_CLAIMS: &[&str] = &["iss", "aud", "iat", "exp", "nbf", "jti", "sub"];
/// Parameters that stay outside: client authentication (CIBA §7.1.1) and the object itself.
const OUTSIDE: &[&str] = &[
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "request",
];
/// The algorithms request objects may be signed with (discovery).
pub use super::client_auth::ASYMMETRIC_ALG_NAMES as SIGNING_ALGS;

/// The OAuth-syntax parameters `/authorize` requires outside and inside the object.
pub const AUTHORIZE_REQUIRED: &[&str] = OAUTH_SYNTAX;
/// `/bc-authorize` has no response_type or redirect_uri, and the client_id comes from
/// client authentication.
pub const BC_AUTHORIZE_REQUIRED: &[&str] = &["scope"];

/// Replaces `params` by the request object's, when there is one. `audiences` are the URLs
/// the object may be addressed to; `required` the OAuth-syntax copies that must be sent
/// both outside and inside.
pub async fn resolve(
    deps: &Deps<'_>,
    app: &Application,
    params: &Params,
    audiences: &[String],
    required: &[&str],
    now: Timestamp,
) -> OAuthResult<Params> {
    if params.get("request_uri").is_some() {
        return Err(OAuthError::RequestUriNotSupported(
            "request_uri is not supported; send the request object by value".into(),
        ));
    }
    let Some(jwt) = params.get("request") else {
        return Ok(params.clone());
    };
    let fail = |r: &str| OAuthError::InvalidRequestObject(format!("request object: {r}"));
    let obj: serde_json::Map<String, Value> =
        verify_signed_by_client(app, jwt, false).map_err(|r| fail(&r))?;
    if obj.get("iss").and_then(Value::as_str) != Some(app.client_id.as_str()) {
        return Err(fail("iss must be the client_id"));
    }
    let aud_ok = match obj.get("aud") {
        Some(Value::String(a)) => audiences.contains(a),
        Some(Value::Array(v)) => v
            .iter()
            .filter_map(Value::as_str)
            .any(|a| audiences.iter().any(|x| x == a)),
        _ => false,
    };
    if !aud_ok {
        return Err(fail("aud must name this authorization server"));
    }
    let int = |name: &str| obj.get(name).and_then(Value::as_i64);
    let iat = int("iat").ok_or_else(|| fail("iat is required"))?;
    let exp = check_times(
        int("exp"),
        Some(iat),
        int("nbf"),
        MAX_ASSERTION_LIFETIME_SECS,
        now,
    )
    .map_err(|r| fail(&r))?;
    let jti = obj
        .get("jti")
        .and_then(Value::as_str)
        .filter(|j| !j.is_empty())
        .ok_or_else(|| fail("jti is required"))?;
    // Every parameter of the object, as strings (JSON-valued ones such as `claims` as JSON).
    let mut inner: Vec<(String, String)> = obj
        .iter()
        .filter(|(k, _)| !JWT_CLAIMS.contains(&k.as_str()) && !OUTSIDE.contains(&k.as_str()))
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), s)
        })
        .collect();
    for name in OAUTH_SYNTAX {
        let outside = params.get(name);
        let within = inner
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        match (outside, within) {
            (Some(o), Some(i)) if o != i => {
                return Err(fail(&format!(
                    "'{name}' differs from the request object's value"
                )))
            }
            (Some(_), Some(_)) => {}
            _ if required.contains(name) => {
                return Err(fail(&format!(
                    "'{name}' must be sent both as a parameter and in the request object"
                )))
            }
            (Some(o), None) => inner.push(((*name).to_owned(), o.to_owned())),
            (None, _) => {}
        }
    }
    // Client authentication stays outside the object.
    for name in OUTSIDE.iter().filter(|n| **n != "request") {
        if let Some(v) = params.get(name) {
            inner.push(((*name).to_owned(), v.to_owned()));
        }
    }
    // Replay last, once everything else holds.
    let first = deps
        .store
        .use_jti_once(
            &app.tenant,
            &format!("request_object:{}", app.client_id),
            jti,
            exp,
        )
        .await?;
    if !first {
        return Err(fail("jti was already used"));
    }
    Ok(Params::new(inner))
}
