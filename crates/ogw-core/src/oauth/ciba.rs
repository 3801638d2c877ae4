//! CIBA Core 1.0 backchannel authentication (`/bc-authorize`, poll mode only). Network
//! authentication is silent and finishes inside this call: the subscriber named by the
//! login_hint is resolved, consent is decided at once, and the request is stored as
//! Approved (the first poll succeeds), Denied (the poll says access_denied) or Pending
//! (waiting for consent; the poll says authorization_pending with a `consent_url`).
use serde::Serialize;

use super::client_auth::{authenticate, Credentials};
use super::discovery::{assertion_audiences, paths};
use super::error::{Challenge, OAuthError, OAuthResult};
use super::grants::{catalog, check_grant_allowed};
use super::login_hint::LoginHint;
use super::params::Params;
use super::request_object;
use super::scope_request::{Legs, ScopeRequest};
use super::tokens::AMR_NETWORK;
use super::{consent_check, Deps};
use crate::consent::Outcome;
use crate::domain::{CibaStatus, GrantType, TenantId};
use crate::secret::{generate_token, lookup_hash};
use crate::settings::Settings;
use crate::store::{CibaRequest, Subscriber, Timestamp};

/// CIBA §7.3.
#[derive(Debug, Clone, Serialize)]
pub struct BcAuthorizeResponse {
    pub auth_req_id: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// The consent view for a pending CIBA request (built by the consent-views issue).
/// The reference is the stored hash of the auth_req_id: it names the request without
/// revealing the auth_req_id itself.
pub fn consent_url(settings: &Settings, tenant: &TenantId, id_hash: &str) -> String {
    settings.url(&format!("/consent/ciba/{tenant}/{id_hash}"))
}

/// What the checks build up, in order.
struct CibaCx<'p> {
    params: &'p Params,
    hint: Option<LoginHint>,
    scope: ScopeRequest,
}

type Check = fn(&mut CibaCx<'_>) -> OAuthResult<()>;

/// The request checks after client authentication, in the order they run.
const CHECKS: &[(&str, Check)] = &[
    ("no_request_object", check_no_request_object),
    ("only_login_hint", check_only_login_hint),
    ("login_hint", check_login_hint),
    ("scope", check_scope_syntax),
];

/// ICM: signed authentication requests get their own issue; refuse rather than ignore.
/// A request object is resolved before the checks; one nested inside it is refused.
fn check_no_request_object(cx: &mut CibaCx<'_>) -> OAuthResult<()> {
    if cx.params.get("request").is_some() || cx.params.get("request_uri").is_some() {
        return Err(OAuthError::InvalidRequestObject(
            "a request object may not contain request or request_uri".into(),
        ));
    }
    Ok(())
}

/// ICM: login_hint is REQUIRED and the only hint allowed.
fn check_only_login_hint(cx: &mut CibaCx<'_>) -> OAuthResult<()> {
    if cx.params.get("login_hint_token").is_some() || cx.params.get("id_token_hint").is_some() {
        return Err(OAuthError::invalid_request(
            "only login_hint is supported (no login_hint_token or id_token_hint)",
        ));
    }
    Ok(())
}

fn check_login_hint(cx: &mut CibaCx<'_>) -> OAuthResult<()> {
    let raw = cx.params.require("login_hint")?;
    cx.hint = Some(LoginHint::parse(raw).map_err(|e| OAuthError::invalid_request(e.to_string()))?);
    Ok(())
}

/// DECISIONS 6 parsing. `openid` is optional here: Vonage's SDK omits it (lenient step;
/// without it no ID token is returned).
fn check_scope_syntax(cx: &mut CibaCx<'_>) -> OAuthResult<()> {
    cx.scope = ScopeRequest::parse(cx.params.get("scope"), cx.params.get("purpose"))?;
    Ok(())
}

/// `POST /bc-authorize`.
#[tracing::instrument(skip_all)]
pub async fn bc_authorize(
    deps: &Deps<'_>,
    authorization: Option<&str>,
    params: &Params,
    now: Timestamp,
) -> OAuthResult<BcAuthorizeResponse> {
    let creds = Credentials::read(authorization, params)?;
    let audiences = assertion_audiences(deps.settings, paths::BC_AUTHORIZE);
    let client = authenticate(deps, &creds, &audiences, now).await?;
    if client.is_public() {
        return Err(OAuthError::invalid_client(
            "client authentication is required",
            Challenge::Basic,
        ));
    }
    check_grant_allowed(&client, GrantType::Ciba)?;
    let app = &client.app;
    // CIBA §7.1.1 / OIDC Core §6: a signed request object replaces the parameters.
    let params = &request_object::resolve(
        deps,
        app,
        params,
        &audiences,
        request_object::BC_AUTHORIZE_REQUIRED,
        now,
    )
    .await?;
    let mut cx = CibaCx {
        params,
        hint: None,
        scope: ScopeRequest::default(),
    };
    for (_name, check) in CHECKS {
        check(&mut cx)?;
    }
    cx.scope
        .check(app, &catalog(deps, &client).await?, Legs::Three)?;
    let hint = cx
        .hint
        .ok_or_else(|| OAuthError::invalid_request("missing parameter 'login_hint'"))?;
    let (subscriber, amr) = resolve_subscriber(deps, &app.tenant, &hint, now).await?;
    let purpose = cx.scope.required_purpose()?;
    let decision = consent_check::decide(
        deps,
        app,
        &subscriber.msisdn,
        &purpose,
        &cx.scope.scopes,
        "oauth.ciba",
        now,
    )
    .await?;
    let status = ciba_status(decision.outcome);
    let auth_req_id = generate_token();
    let id_hash = lookup_hash(&auth_req_id);
    let settings = deps.settings;
    deps.store
        .insert_ciba(&CibaRequest {
            tenant: app.tenant.clone(),
            id_hash: id_hash.clone(),
            client_id: app.client_id.clone(),
            msisdn: subscriber.msisdn.clone(),
            scopes: cx.scope.stored_scopes(),
            purpose: Some(purpose),
            status,
            amr: amr.clone(),
            interval_secs: settings.ciba_interval_secs,
            created_at: now,
            expires_at: now + settings.ciba_ttl,
            last_polled_at: None,
            consumed_at: None,
        })
        .await?;
    deps.audit(
        app,
        "oauth.bc_authorize",
        subscriber.msisdn.as_str(),
        "ok",
        decision.reason,
        serde_json::json!({"status": status, "amr": amr, "scope": cx.scope.granted()}),
        now,
    )
    .await?;
    Ok(BcAuthorizeResponse {
        auth_req_id,
        expires_in: settings.ciba_ttl.num_seconds(),
        interval: settings.ciba_interval_secs,
    })
}

/// What a consent outcome means for a CIBA request.
pub fn ciba_status(outcome: Outcome) -> CibaStatus {
    match outcome {
        Outcome::Allowed => CibaStatus::Approved,
        Outcome::Denied | Outcome::Objected => CibaStatus::Denied,
        Outcome::Pending | Outcome::Expired => CibaStatus::Pending,
    }
}

/// The login_hint names a subscriber: a phone number of this tenant, or a device address
/// with an active IP session (network-based authentication: `amr = ["nba"]`).
/// Unknown → `unknown_user_id` (CIBA §13).
async fn resolve_subscriber(
    deps: &Deps<'_>,
    tenant: &TenantId,
    hint: &LoginHint,
    now: Timestamp,
) -> OAuthResult<(Subscriber, Vec<String>)> {
    let unknown =
        || OAuthError::UnknownUserId("the login_hint names no subscriber of this operator".into());
    let (msisdn, amr) = match hint {
        LoginHint::Phone(n) => (n.clone(), Vec::new()),
        LoginHint::Address { ip, .. } => {
            let session = deps
                .store
                .find_active_session(tenant, *ip, session_seen_since(deps.settings, now))
                .await?
                .ok_or_else(unknown)?;
            (session.msisdn, vec![AMR_NETWORK.to_owned()])
        }
        LoginHint::OperatorToken(_) => {
            return Err(OAuthError::UnknownUserId(
                "operatortoken login hints are not supported yet".into(),
            ))
        }
    };
    let subscriber = deps
        .store
        .get_subscriber(tenant, &msisdn)
        .await?
        .ok_or_else(unknown)?;
    Ok((subscriber, amr))
}

/// Sessions idle longer than the configured timeout no longer authenticate.
pub fn session_seen_since(settings: &Settings, now: Timestamp) -> Timestamp {
    settings
        .session_idle_timeout
        .map(|t| now - t)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
}
