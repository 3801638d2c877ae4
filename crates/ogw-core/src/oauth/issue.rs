//! Minting the token response shared by every grant: an RFC 9068 access token, and for
//! 3-legged grants with `openid` an ID token (OIDC Core §2) with a pairwise `sub`.
use serde::Serialize;

use super::error::{OAuthError, OAuthResult};
use super::scope_request::ScopeRequest;
use super::tokens::{AccessClaims, Confirmation, IdTokenClaims};
use super::Deps;
use crate::store::{Application, Subscriber, Timestamp};

/// RFC 6749 §5.1 (+ OIDC Core §3.1.3.3 `id_token`).
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// Only for `offline_access` on the code and CIBA grants (and their rotations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// Who a 3-legged token is about and how they were authenticated.
pub struct SubjectGrant<'a> {
    pub subscriber: &'a Subscriber,
    /// `Some(["nba"])` only for network-based authentication (DECISIONS 4).
    pub amr: Option<Vec<String>>,
    pub auth_time: Timestamp,
    pub nonce: Option<String>,
}

/// A fresh token id (RFC 7519 §4.1.7), also the revocation handle.
pub fn new_jti() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// 2-legged: `sub` is the client itself; no subscriber reference, no `amr`.
pub async fn two_legged(
    deps: &Deps<'_>,
    app: &Application,
    req: &ScopeRequest,
    now: Timestamp,
) -> OAuthResult<(TokenResponse, AccessClaims)> {
    let claims = access_claims(deps, app, req, app.client_id.to_string(), new_jti(), now);
    let token = deps
        .tokens
        .sign_access(&claims)
        .await
        .map_err(|e| OAuthError::Server(e.to_string()))?;
    Ok((response(deps, token, req, None), claims))
}

/// 3-legged: pairwise `sub`, sealed MSISDN in `sref`, `amr` as earned; an ID token when
/// `openid` was asked for (ICM "Missing openid scope": none otherwise).
pub async fn three_legged(
    deps: &Deps<'_>,
    app: &Application,
    req: &ScopeRequest,
    subject: &SubjectGrant<'_>,
    jti: String,
    now: Timestamp,
) -> OAuthResult<(TokenResponse, AccessClaims)> {
    three_legged_for(
        deps,
        app,
        req,
        subject,
        jti,
        now,
        deps.settings.access_token_ttl,
    )
    .await
}

/// `three_legged` with an access-token lifetime of `ttl` (the JWT-bearer grant's are short).
pub async fn three_legged_for(
    deps: &Deps<'_>,
    app: &Application,
    req: &ScopeRequest,
    subject: &SubjectGrant<'_>,
    jti: String,
    now: Timestamp,
    ttl: chrono::Duration,
) -> OAuthResult<(TokenResponse, AccessClaims)> {
    let codec = deps.tokens.subjects();
    let sub = codec.pairwise_sub(&app.tenant, &app.client_id, &subject.subscriber.id);
    let mut claims = access_claims(deps, app, req, sub.clone(), jti, now);
    claims.exp = (now + ttl).timestamp();
    claims.sref = Some(codec.seal(&app.tenant, &app.client_id, &subject.subscriber.msisdn));
    claims.amr = subject.amr.clone();
    claims.auth_time = Some(subject.auth_time.timestamp());
    let sign_err = |e: super::tokens::TokenError| OAuthError::Server(e.to_string());
    let token = deps.tokens.sign_access(&claims).await.map_err(sign_err)?;
    let id_token = if req.openid {
        let id = IdTokenClaims {
            iss: deps.tokens.issuer().to_owned(),
            sub,
            aud: app.client_id.to_string(),
            iat: now.timestamp(),
            exp: (now + deps.settings.id_token_ttl).timestamp(),
            auth_time: subject.auth_time.timestamp(),
            nonce: subject.nonce.clone(),
            amr: subject.amr.clone(),
        };
        Some(deps.tokens.sign_id_token(&id).await.map_err(sign_err)?)
    } else {
        None
    };
    let mut res = response(deps, token, req, id_token);
    res.expires_in = ttl.num_seconds();
    Ok((res, claims))
}

fn access_claims(
    deps: &Deps<'_>,
    app: &Application,
    req: &ScopeRequest,
    sub: String,
    jti: String,
    now: Timestamp,
) -> AccessClaims {
    AccessClaims {
        iss: deps.tokens.issuer().to_owned(),
        sub,
        aud: deps.tokens.issuer().to_owned(),
        client_id: app.client_id.to_string(),
        tenant: app.tenant.to_string(),
        scope: req.scopes.to_string(),
        purpose: req.purpose.as_ref().map(|p| p.to_string()),
        iat: now.timestamp(),
        exp: (now + deps.settings.access_token_ttl).timestamp(),
        jti,
        amr: None,
        sref: None,
        auth_time: None,
        cnf: deps.dpop_jkt.map(|jkt| Confirmation {
            jkt: jkt.to_owned(),
        }),
    }
}

fn response(
    deps: &Deps<'_>,
    access_token: String,
    req: &ScopeRequest,
    id_token: Option<String>,
) -> TokenResponse {
    TokenResponse {
        access_token,
        // RFC 9449 §5: a DPoP-bound token is of type DPoP.
        token_type: if deps.dpop_jkt.is_some() {
            "DPoP"
        } else {
            "Bearer"
        },
        expires_in: deps.settings.access_token_ttl.num_seconds(),
        scope: req.granted(),
        id_token,
        refresh_token: None,
    }
}
