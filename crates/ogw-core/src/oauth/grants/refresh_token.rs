//! RFC 6749 §6 with OAuth 2.0 Security BCP §4.14 rotation. Refresh tokens exist only for
//! `offline_access` on the authorization code and CIBA grants, for applications allowed the
//! `refresh_token` grant. They are random 256-bit values stored by `lookup_hash`, bound to
//! the client, and rotated on every use (`GrantStore::rotate_refresh`, atomic): presenting a
//! used one again revokes the whole family (reuse detection). The consent behind them is
//! re-evaluated at every use; a withdrawn consent revokes the family. `/revoke` revokes the
//! family too. A refresh never widens the grant and never returns an ID token.
use super::super::client_auth::AuthenticatedClient;
use super::super::error::{OAuthError, OAuthResult};
use super::super::issue::{self, SubjectGrant, TokenResponse};
use super::super::params::Params;
use super::super::scope_request::{Legs, ScopeRequest};
use super::super::{consent_check, Deps};
use crate::consent::Outcome;
use crate::domain::{GrantType, PhoneNumber};
use crate::secret::{generate_token, lookup_hash};
use crate::store::{Application, RefreshToken, Timestamp};

pub const PARAMS: &[&str] = &["refresh_token"];

/// Absolute lifetime of a refresh-token family (rotation keeps the first expiry).
pub const FAMILY_TTL_DAYS: i64 = 30;

/// Whether a grant that just succeeded gives a refresh token: `offline_access` asked for
/// and the application allowed the refresh_token grant.
pub fn wanted(app: &Application, req: &ScopeRequest) -> bool {
    req.offline
        && !app.auth_methods.is_empty()
        && app.grant_types.contains(&GrantType::RefreshToken)
}

/// Mints a refresh token of a new family (`family = None`) or of an existing one.
#[allow(clippy::too_many_arguments)]
pub async fn mint(
    deps: &Deps<'_>,
    app: &Application,
    msisdn: &PhoneNumber,
    req: &ScopeRequest,
    amr: &[String],
    auth_time: Timestamp,
    family: Option<(&str, Timestamp)>,
    now: Timestamp,
) -> OAuthResult<String> {
    let token = generate_token();
    let (family_id, expires_at) = match family {
        Some((f, exp)) => (f.to_owned(), exp),
        None => (
            uuid::Uuid::new_v4().to_string(),
            now + chrono::Duration::days(FAMILY_TTL_DAYS),
        ),
    };
    deps.store
        .insert_refresh(&RefreshToken {
            tenant: app.tenant.clone(),
            token_hash: lookup_hash(&token),
            family_id,
            client_id: app.client_id.clone(),
            msisdn: msisdn.clone(),
            scopes: req.stored_scopes(),
            purpose: req.purpose.clone(),
            amr: amr.to_vec(),
            auth_time,
            created_at: now,
            expires_at,
            used_at: None,
            revoked_at: None,
        })
        .await?;
    Ok(token)
}

pub async fn exchange(
    deps: &Deps<'_>,
    client: &AuthenticatedClient,
    params: &Params,
    now: Timestamp,
) -> OAuthResult<TokenResponse> {
    let app = &client.app;
    let hash = lookup_hash(params.require("refresh_token")?);
    let known = deps
        .store
        .get_refresh(&app.tenant, &hash)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("unknown refresh token"))?;
    // Bound to the client: another client learns nothing and changes nothing.
    if known.client_id != app.client_id {
        return Err(OAuthError::invalid_grant("unknown refresh token"));
    }
    let Some(rt) = deps.store.rotate_refresh(&app.tenant, &hash, now).await? else {
        return Err(explain_unusable(deps, app, &known, now).await?);
    };
    let mut req = ScopeRequest::from_stored(&rt.scopes, rt.purpose.clone());
    // Still allowed for the application and still offered (switch-off rules included).
    let scope_check = req.check(app, &super::catalog(deps, client).await?, Legs::Three);
    if let Err(e) = scope_check {
        deps.store
            .revoke_refresh_family(&app.tenant, &rt.family_id, now)
            .await?;
        return Err(e);
    }
    let purpose = req
        .purpose
        .clone()
        .ok_or_else(|| OAuthError::invalid_grant("the refresh token has no purpose"))?;
    let decision = consent_check::decide(
        deps,
        app,
        &rt.msisdn,
        &purpose,
        &req.scopes,
        "oauth.refresh",
        now,
    )
    .await?;
    if decision.outcome != Outcome::Allowed {
        deps.store
            .revoke_refresh_family(&app.tenant, &rt.family_id, now)
            .await?;
        deps.audit(
            app,
            "oauth.refresh.consent",
            rt.msisdn.as_str(),
            "deny",
            "the consent behind the refresh token no longer holds; family revoked",
            serde_json::json!({"family": rt.family_id, "reason": decision.reason}),
            now,
        )
        .await?;
        return Err(OAuthError::invalid_grant(format!(
            "the consent behind this refresh token no longer holds: {}",
            decision.reason
        )));
    }
    let subscriber = deps
        .store
        .get_subscriber(&app.tenant, &rt.msisdn)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("the subscriber no longer exists"))?;
    // No ID token on refresh.
    req.openid = false;
    req.offline = true;
    let subject = SubjectGrant {
        subscriber: &subscriber,
        amr: (!rt.amr.is_empty()).then(|| rt.amr.clone()),
        auth_time: rt.auth_time,
        nonce: None,
    };
    let (mut res, claims) =
        issue::three_legged(deps, app, &req, &subject, issue::new_jti(), now).await?;
    res.refresh_token = Some(
        mint(
            deps,
            app,
            &rt.msisdn,
            &ScopeRequest::from_stored(&rt.scopes, rt.purpose.clone()),
            &rt.amr,
            rt.auth_time,
            Some((&rt.family_id, rt.expires_at)),
            now,
        )
        .await?,
    );
    deps.audit(
        app,
        "oauth.token.refresh_token",
        rt.msisdn.as_str(),
        "ok",
        "refresh token rotated; access token issued",
        serde_json::json!({"jti": claims.jti, "scope": claims.scope, "family": rt.family_id}),
        now,
    )
    .await?;
    Ok(res)
}

/// Used (reuse: the family is revoked), revoked, or expired.
async fn explain_unusable(
    deps: &Deps<'_>,
    app: &Application,
    rt: &RefreshToken,
    now: Timestamp,
) -> OAuthResult<OAuthError> {
    if rt.revoked_at.is_some() {
        return Ok(OAuthError::invalid_grant("the refresh token was revoked"));
    }
    if rt.used_at.is_some() {
        deps.store
            .revoke_refresh_family(&app.tenant, &rt.family_id, now)
            .await?;
        deps.audit(
            app,
            "oauth.refresh.reuse",
            rt.msisdn.as_str(),
            "deny",
            "a rotated refresh token was presented again; its family is revoked",
            serde_json::json!({"family": rt.family_id}),
            now,
        )
        .await?;
        return Ok(OAuthError::invalid_grant(
            "the refresh token was already used; every token of its family is revoked",
        ));
    }
    Ok(OAuthError::invalid_grant("the refresh token has expired"))
}

/// `/revoke` with a refresh token of this client: the family is revoked. `Ok(false)` when
/// the value is no refresh token of this client.
pub async fn revoke(
    deps: &Deps<'_>,
    app: &Application,
    token: &str,
    now: Timestamp,
) -> OAuthResult<bool> {
    let Some(rt) = deps
        .store
        .get_refresh(&app.tenant, &lookup_hash(token))
        .await?
    else {
        return Ok(false);
    };
    if rt.client_id != app.client_id {
        return Err(OAuthError::invalid_request(
            "the token was not issued to this client",
        ));
    }
    deps.store
        .revoke_refresh_family(&app.tenant, &rt.family_id, now)
        .await?;
    deps.audit(
        app,
        "oauth.revoke.refresh_token",
        rt.msisdn.as_str(),
        "ok",
        "refresh token family revoked",
        serde_json::json!({"family": rt.family_id}),
        now,
    )
    .await?;
    Ok(true)
}
