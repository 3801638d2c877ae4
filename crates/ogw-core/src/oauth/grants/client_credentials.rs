//! RFC 6749 §4.4: a 2-legged token for operator-wide calls. ICM: `scope` is REQUIRED;
//! a purpose is optional but, when given, checked like any other.
use super::super::client_auth::AuthenticatedClient;
use super::super::error::{OAuthError, OAuthResult};
use super::super::issue::{self, TokenResponse};
use super::super::params::Params;
use super::super::scope_request::{Legs, ScopeRequest};
use super::super::Deps;
use crate::store::Timestamp;

pub const PARAMS: &[&str] = &["scope", "purpose"];

pub async fn exchange(
    deps: &Deps<'_>,
    client: &AuthenticatedClient,
    params: &Params,
    now: Timestamp,
) -> OAuthResult<TokenResponse> {
    let scope = params
        .get("scope")
        .ok_or_else(|| OAuthError::invalid_request("scope is required for client_credentials"))?;
    let mut req = ScopeRequest::parse(Some(scope), params.get("purpose"))?;
    // No subscriber, so no ID token and no refresh token.
    req.openid = false;
    req.offline = false;
    req.check(&client.app, &super::catalog(deps, client).await?, Legs::Two)?;
    let (res, claims) = issue::two_legged(deps, &client.app, &req, now).await?;
    deps.audit(
        &client.app,
        "oauth.token.client_credentials",
        client.app.client_id.as_str(),
        "ok",
        "access token issued",
        serde_json::json!({"jti": claims.jti, "scope": claims.scope, "purpose": claims.purpose}),
        now,
    )
    .await?;
    Ok(res)
}
