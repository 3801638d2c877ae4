//! RFC 6749 §4.1.3 + RFC 7636 §4.6: exchanging an authorization code.
//! The code is consumed atomically first (`GrantStore::consume_code`), then its bindings are
//! checked; a code presented twice fails and revokes the token it produced (RFC 6749 §4.1.2).
use super::super::client_auth::AuthenticatedClient;
use super::super::error::{OAuthError, OAuthResult};
use super::super::issue::{self, SubjectGrant, TokenResponse};
use super::super::params::Params;
use super::super::pkce;
use super::super::scope_request::ScopeRequest;
use super::super::tokens::AMR_NETWORK;
use super::super::Deps;
use super::refresh_token;
use crate::secret::lookup_hash;
use crate::store::{AuthCode, Timestamp};

pub const PARAMS: &[&str] = &["code", "redirect_uri", "code_verifier"];

pub async fn exchange(
    deps: &Deps<'_>,
    client: &AuthenticatedClient,
    params: &Params,
    now: Timestamp,
) -> OAuthResult<TokenResponse> {
    let app = &client.app;
    let code = params.require("code")?;
    let hash = lookup_hash(code);
    let Some(c) = deps.store.consume_code(&app.tenant, &hash, now).await? else {
        return Err(explain_unusable_code(deps, client, &hash, now).await?);
    };
    check_bound_to_client(&c, client)?;
    check_redirect_uri(&c, params.get("redirect_uri"))?;
    check_pkce(&c, params.get("code_verifier"))?;
    let subscriber = deps
        .store
        .get_subscriber(&app.tenant, &c.msisdn)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("the subscriber no longer exists"))?;
    let mut req = ScopeRequest::from_stored(&c.scopes, c.purpose.clone());
    req.offline = refresh_token::wanted(app, &req);
    let jti = issue::new_jti();
    // Recorded before the token leaves, so a replay racing this exchange can revoke it.
    deps.store
        .set_code_issued_jti(&app.tenant, &hash, &jti)
        .await?;
    let subject = SubjectGrant {
        subscriber: &subscriber,
        amr: Some(vec![AMR_NETWORK.to_owned()]),
        auth_time: c.auth_time,
        nonce: c.nonce.clone(),
    };
    let (mut res, claims) = issue::three_legged(deps, app, &req, &subject, jti, now).await?;
    if req.offline {
        let amr = [AMR_NETWORK.to_owned()];
        res.refresh_token = Some(
            refresh_token::mint(deps, app, &c.msisdn, &req, &amr, c.auth_time, None, now).await?,
        );
    }
    deps.audit(
        app,
        "oauth.token.authorization_code",
        c.msisdn.as_str(),
        "ok",
        "access token issued for an authorization code",
        serde_json::json!({"jti": claims.jti, "scope": claims.scope, "purpose": claims.purpose}),
        now,
    )
    .await?;
    Ok(res)
}

/// Unknown, expired, or already used. RFC 6749 §10.5: a used code presented again revokes
/// the token issued for it.
async fn explain_unusable_code(
    deps: &Deps<'_>,
    client: &AuthenticatedClient,
    hash: &str,
    now: Timestamp,
) -> OAuthResult<OAuthError> {
    let tenant = &client.app.tenant;
    let Some(c) = deps.store.get_code(tenant, hash).await? else {
        return Ok(OAuthError::invalid_grant("unknown authorization code"));
    };
    if c.consumed_at.is_none() {
        return Ok(OAuthError::invalid_grant(
            "the authorization code has expired",
        ));
    }
    if let Some(jti) = &c.issued_jti {
        let until = now + deps.settings.access_token_ttl;
        deps.store.revoke_jti(tenant, jti, until).await?;
    }
    deps.audit(
        &client.app,
        "oauth.code.replay",
        c.msisdn.as_str(),
        "deny",
        "authorization code reused; the token issued for it is revoked",
        serde_json::json!({"revoked_jti": c.issued_jti}),
        now,
    )
    .await?;
    Ok(OAuthError::invalid_grant(
        "the authorization code was already used",
    ))
}

/// RFC 6749 §4.1.3: the code was issued to this client.
fn check_bound_to_client(c: &AuthCode, client: &AuthenticatedClient) -> OAuthResult<()> {
    if c.client_id != client.app.client_id {
        return Err(OAuthError::invalid_grant(
            "the authorization code was issued to another client",
        ));
    }
    Ok(())
}

/// RFC 6749 §4.1.3: redirect_uri identical to the one of the authorization request.
fn check_redirect_uri(c: &AuthCode, given: Option<&str>) -> OAuthResult<()> {
    match given {
        Some(r) if r == c.redirect_uri => Ok(()),
        Some(_) => Err(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request",
        )),
        None => Err(OAuthError::invalid_request(
            "redirect_uri is required (it was sent in the authorization request)",
        )),
    }
}

/// RFC 7636 §4.6, and no verifier for a code that had no challenge (downgrade).
fn check_pkce(c: &AuthCode, verifier: Option<&str>) -> OAuthResult<()> {
    match (&c.code_challenge, verifier) {
        (None, None) => Ok(()),
        (Some(ch), Some(v)) if pkce::verify(ch, v) => Ok(()),
        (Some(_), Some(_)) => Err(OAuthError::invalid_grant(
            "code_verifier does not match the code_challenge",
        )),
        (Some(_), None) => Err(OAuthError::invalid_grant("code_verifier is required")),
        (None, Some(_)) => Err(OAuthError::invalid_grant(
            "code_verifier sent but the authorization request had no code_challenge",
        )),
    }
}
