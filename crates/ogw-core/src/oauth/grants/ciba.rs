//! CIBA Core §10.1/§11: polling `/token` with `grant_type=urn:openid:params:grant-type:ciba`.
//! An approved request is consumed atomically (`GrantStore::consume_ciba`); the first poll of
//! an approved request always succeeds. A pending request re-reads the consent each poll, so
//! the consent view only has to record the subscriber's answer.
use super::super::ciba::{ciba_status, consent_url};
use super::super::client_auth::AuthenticatedClient;
use super::super::error::{OAuthError, OAuthResult};
use super::super::issue::{self, SubjectGrant, TokenResponse};
use super::super::params::Params;
use super::super::scope_request::ScopeRequest;
use super::super::Deps;
use super::refresh_token;
use crate::consent;
use crate::domain::CibaStatus;
use crate::secret::lookup_hash;
use crate::store::{CibaRequest, Timestamp};

pub const PARAMS: &[&str] = &["auth_req_id"];

/// Clock granularity tolerated when comparing poll spacing with the interval.
const POLL_TOLERANCE_MS: i64 = 250;

pub async fn exchange(
    deps: &Deps<'_>,
    client: &AuthenticatedClient,
    params: &Params,
    now: Timestamp,
) -> OAuthResult<TokenResponse> {
    let app = &client.app;
    let id_hash = lookup_hash(params.require("auth_req_id")?);
    let r = deps
        .store
        .get_ciba(&app.tenant, &id_hash)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("unknown auth_req_id"))?;
    if r.client_id != app.client_id {
        return Err(OAuthError::invalid_grant(
            "the auth_req_id was issued to another client",
        ));
    }
    if r.consumed_at.is_some() {
        return Err(OAuthError::invalid_grant(
            "the auth_req_id was already used",
        ));
    }
    if now >= r.expires_at {
        return Err(OAuthError::ExpiredToken);
    }
    let previous = deps
        .store
        .touch_ciba_poll(&app.tenant, &id_hash, now)
        .await?;
    if let Some(prev) = previous {
        let spacing = (now - prev).num_milliseconds();
        if spacing + POLL_TOLERANCE_MS < r.interval_secs * 1000 {
            return Err(OAuthError::SlowDown);
        }
    }
    let status = match r.status {
        CibaStatus::Pending => recheck_consent(deps, &r, &id_hash, now).await?,
        s => s,
    };
    match status {
        CibaStatus::Approved => {}
        CibaStatus::Denied => {
            return Err(OAuthError::AccessDenied(
                "the subscriber did not consent to this purpose".into(),
            ))
        }
        CibaStatus::Pending => {
            return Err(OAuthError::AuthorizationPending {
                consent_url: Some(consent_url(deps.settings, &app.tenant, &id_hash)),
            })
        }
    }
    let r = deps
        .store
        .consume_ciba(&app.tenant, &id_hash, now)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("the auth_req_id was already used"))?;
    let subscriber = deps
        .store
        .get_subscriber(&app.tenant, &r.msisdn)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("the subscriber no longer exists"))?;
    let mut req = ScopeRequest::from_stored(&r.scopes, r.purpose.clone());
    req.offline = refresh_token::wanted(app, &req);
    let subject = SubjectGrant {
        subscriber: &subscriber,
        amr: (!r.amr.is_empty()).then(|| r.amr.clone()),
        auth_time: r.created_at,
        nonce: None,
    };
    let (mut res, claims) =
        issue::three_legged(deps, app, &req, &subject, issue::new_jti(), now).await?;
    if req.offline {
        res.refresh_token = Some(
            refresh_token::mint(deps, app, &r.msisdn, &req, &r.amr, r.created_at, None, now)
                .await?,
        );
    }
    deps.audit(
        app,
        "oauth.token.ciba",
        r.msisdn.as_str(),
        "ok",
        "access token issued for a CIBA request",
        serde_json::json!({"jti": claims.jti, "scope": claims.scope, "purpose": claims.purpose, "amr": claims.amr}),
        now,
    )
    .await?;
    Ok(res)
}

/// Pending: has the subscriber answered since? Records the new status when it changed.
async fn recheck_consent(
    deps: &Deps<'_>,
    r: &CibaRequest,
    id_hash: &str,
    now: Timestamp,
) -> OAuthResult<CibaStatus> {
    let Some(purpose) = &r.purpose else {
        return Ok(CibaStatus::Denied);
    };
    let scopes: Vec<String> = r
        .scopes
        .iter()
        .filter(|s| !s.is_openid())
        .map(|s| s.to_string())
        .collect();
    let decision = consent::evaluate(
        deps.store,
        &consent::Query {
            tenant: &r.tenant,
            msisdn: &r.msisdn,
            client_id: &r.client_id,
            purpose,
            scopes: &scopes,
            context: "oauth.ciba.poll",
        },
        now,
    )
    .await?;
    let status = ciba_status(decision.outcome);
    if status != CibaStatus::Pending {
        deps.store
            .set_ciba_status(&r.tenant, id_hash, status)
            .await?;
    }
    Ok(status)
}
