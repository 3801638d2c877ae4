//! RFC 7662 introspection and RFC 7009 revocation of our access tokens. Revocation writes
//! the jti to the shared denylist (`GrantStore::revoke_jti`), which every node's resource
//! side consults (`active_claims`), so a revoked token stops working everywhere at once.
use serde_json::json;

use super::client_auth::{authenticate, AuthenticatedClient, Credentials};
use super::discovery::assertion_audiences;
use super::error::{Challenge, OAuthError, OAuthResult};
use super::params::Params;
use super::tokens::{AccessClaims, TokenError};
use super::Deps;
use crate::store::Timestamp;

/// The claims of a token that is valid now: signature, issuer, expiry, and not revoked.
pub async fn active_claims(
    deps: &Deps<'_>,
    token: &str,
    now: Timestamp,
) -> OAuthResult<Option<AccessClaims>> {
    let Ok(claims) = deps.tokens.verify_access(token, now) else {
        return Ok(None);
    };
    let Ok(tenant) = crate::domain::TenantId::parse(&claims.tenant) else {
        return Ok(None);
    };
    if deps.store.is_jti_revoked(&tenant, &claims.jti).await? {
        return Ok(None);
    }
    Ok(Some(claims))
}

/// Client authentication for introspection and revocation (no public clients).
pub async fn authenticate_caller(
    deps: &Deps<'_>,
    authorization: Option<&str>,
    params: &Params,
    endpoint: &str,
    now: Timestamp,
) -> OAuthResult<AuthenticatedClient> {
    let creds = Credentials::read(authorization, params)?;
    let audiences = assertion_audiences(deps.settings, endpoint);
    let client = authenticate(deps, &creds, &audiences, now).await?;
    if client.is_public() {
        return Err(OAuthError::invalid_client(
            "client authentication is required",
            Challenge::Basic,
        ));
    }
    Ok(client)
}

/// RFC 7662 §2.2. A token of another tenant is reported inactive, as is anything unknown.
pub async fn introspect(
    deps: &Deps<'_>,
    client: &AuthenticatedClient,
    params: &Params,
    now: Timestamp,
) -> OAuthResult<serde_json::Value> {
    let token = params.require("token")?;
    let claims = match active_claims(deps, token, now).await? {
        Some(c) if c.tenant == client.app.tenant.as_str() => c,
        _ => return Ok(json!({"active": false})),
    };
    let mut out = json!({
        "active": true,
        "token_type": "Bearer",
        "scope": claims.scope,
        "client_id": claims.client_id,
        "sub": claims.sub,
        "aud": claims.aud,
        "iss": claims.iss,
        "exp": claims.exp,
        "iat": claims.iat,
        "jti": claims.jti,
        "tenant": claims.tenant,
    });
    if let Some(p) = &claims.purpose {
        out["purpose"] = json!(p);
    }
    if let Some(a) = &claims.amr {
        out["amr"] = json!(a);
    }
    if let Some(t) = claims.auth_time {
        out["auth_time"] = json!(t);
    }
    // RFC 9449 §6.2: a DPoP-bound token's key and type.
    if let Some(cnf) = &claims.cnf {
        out["cnf"] = json!({"jkt": cnf.jkt});
        out["token_type"] = json!("DPoP");
    }
    Ok(out)
}

/// RFC 7009 §2.1–2.2: unknown, invalid or expired tokens are not an error (200); a token of
/// another client is refused.
pub async fn revoke(
    deps: &Deps<'_>,
    client: &AuthenticatedClient,
    params: &Params,
    now: Timestamp,
) -> OAuthResult<()> {
    let token = params.require("token")?;
    // A refresh token: its whole family (RFC 7009 §2.1).
    if super::grants::refresh_token::revoke(deps, &client.app, token, now).await? {
        return Ok(());
    }
    let claims = match deps.tokens.verify_access(token, now) {
        Ok(c) => c,
        Err(TokenError::Expired | TokenError::Invalid | TokenError::Malformed) => return Ok(()),
        Err(e @ TokenError::Sign(_)) => return Err(OAuthError::Server(e.to_string())),
    };
    let app = &client.app;
    if claims.tenant != app.tenant.as_str() {
        return Ok(());
    }
    if claims.client_id != app.client_id.as_str() {
        return Err(OAuthError::invalid_request(
            "the token was not issued to this client",
        ));
    }
    let expires = Timestamp::from_timestamp(claims.exp, 0).unwrap_or(now);
    deps.store
        .revoke_jti(&app.tenant, &claims.jti, expires)
        .await?;
    deps.audit(
        app,
        "oauth.revoke",
        &claims.jti,
        "ok",
        "access token revoked by its client",
        json!({"jti": claims.jti}),
        now,
    )
    .await?;
    Ok(())
}
