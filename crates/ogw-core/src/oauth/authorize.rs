//! `/authorize` (OIDC Core §3.1.2, response_type=code) with network-based authentication:
//! the device is the address the request came from, looked up in the active IP sessions, or
//! the MSISDN a trusted proxy names in the enrichment header ([`DeviceEvidence`]).
//! Nobody types a password or an OTP; an unknown device is `access_denied` (or
//! `login_required` with `prompt=none`). Errors about the client or its redirect_uri are
//! shown, never redirected (RFC 6749 §4.1.2.1); all others go back to the redirect_uri.
use super::ciba::session_seen_since;
use super::discovery::{assertion_audiences, paths};
use super::error::{OAuthError, OAuthResult};
use super::params::{encode_query, Params};
use super::pkce;
use super::request_object;
use super::scope_request::{Legs, ScopeRequest};
use super::{consent_check, Deps};
use crate::camara::consent_info::{seal_capture_ref, CaptureRequest, CAPTURE_PATH};
use crate::consent::Outcome;
use crate::domain::{ClientId, GrantType};
use crate::manage::gate::active_client;
use crate::network::device::DeviceEvidence;
use crate::secret::{generate_token, lookup_hash};
use crate::store::{Application, AuthCode, Capability, Subscriber, Timestamp};

/// What `/authorize` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeOutcome {
    /// 302 to this URL: the code, or a redirectable error (with `state`).
    Redirect(String),
    /// The client or redirect_uri is invalid: answer directly, never redirect.
    Refuse(OAuthError),
}

/// What the checks build up, in order.
struct AuthzCx<'a> {
    params: &'a Params,
    app: &'a Application,
    catalog: &'a [Capability],
    prompt_none: bool,
    code_challenge: Option<String>,
    scope: ScopeRequest,
}

type Check = fn(&mut AuthzCx<'_>) -> OAuthResult<()>;

/// The redirectable checks, in the order they run.
const CHECKS: &[(&str, Check)] = &[
    ("response_type", check_response_type),
    ("no_request_object", check_no_request_object),
    ("grant_allowed", check_grant_allowed),
    ("prompt", check_prompt),
    ("pkce", check_pkce),
    ("scope", check_scope),
    ("claims_need_openid", check_claims_need_openid),
];

/// OIDC Core §3.1.2.1: only the code flow.
fn check_response_type(cx: &mut AuthzCx<'_>) -> OAuthResult<()> {
    match cx.params.get("response_type") {
        Some("code") => Ok(()),
        Some(other) => Err(OAuthError::UnsupportedResponseType(format!(
            "response_type '{other}' is not supported; use 'code'"
        ))),
        None => Err(OAuthError::invalid_request(
            "missing parameter 'response_type'",
        )),
    }
}

/// Signed request objects have their own issue: refuse rather than silently ignore them.
/// A request object is resolved before the checks (`with_request_object`); one nested
/// inside it is refused.
fn check_no_request_object(cx: &mut AuthzCx<'_>) -> OAuthResult<()> {
    if cx.params.get("request").is_some() || cx.params.get("request_uri").is_some() {
        return Err(OAuthError::InvalidRequestObject(
            "a request object may not contain request or request_uri".into(),
        ));
    }
    Ok(())
}

/// ICM: the flows a client may use are fixed at onboarding.
fn check_grant_allowed(cx: &mut AuthzCx<'_>) -> OAuthResult<()> {
    if !cx.app.grant_types.contains(&GrantType::AuthorizationCode) {
        return Err(OAuthError::UnauthorizedClient(
            "this client may not use the authorization code flow".into(),
        ));
    }
    Ok(())
}

/// OIDC Core §3.1.2.1: `none` may not be combined with other values. Authentication is
/// always silent here, so `login`/`consent`/`select_account` change nothing.
fn check_prompt(cx: &mut AuthzCx<'_>) -> OAuthResult<()> {
    let values: Vec<&str> = cx
        .params
        .get("prompt")
        .unwrap_or_default()
        .split(' ')
        .filter(|v| !v.is_empty())
        .collect();
    cx.prompt_none = values.contains(&"none");
    if cx.prompt_none && values.len() > 1 {
        return Err(OAuthError::invalid_request(
            "prompt=none cannot be combined with other values",
        ));
    }
    Ok(())
}

/// RFC 7636: S256 only; REQUIRED for public clients and clients configured so.
fn check_pkce(cx: &mut AuthzCx<'_>) -> OAuthResult<()> {
    cx.code_challenge = pkce::check_challenge(
        cx.params.get("code_challenge"),
        cx.params.get("code_challenge_method"),
    )?;
    let required = cx.app.require_pkce || cx.app.auth_methods.is_empty();
    if required && cx.code_challenge.is_none() {
        return Err(OAuthError::invalid_request(
            "PKCE is required for this client (code_challenge with S256)",
        ));
    }
    Ok(())
}

/// DECISIONS 6 and the purpose table, as for every grant.
fn check_scope(cx: &mut AuthzCx<'_>) -> OAuthResult<()> {
    cx.scope = ScopeRequest::parse(cx.params.get("scope"), cx.params.get("purpose"))?;
    cx.scope.check(cx.app, cx.catalog, Legs::Three)
}

/// ICM "Missing openid scope": OIDC claims without `openid` → invalid_request.
fn check_claims_need_openid(cx: &mut AuthzCx<'_>) -> OAuthResult<()> {
    if !cx.scope.openid && cx.params.get("claims").is_some() {
        return Err(OAuthError::invalid_request(
            "the claims parameter needs the openid scope",
        ));
    }
    Ok(())
}

/// `GET|POST /authorize`. `device` is how the request's device was identified (the HTTP
/// layer's `Device` extractor: enrichment header from a trusted proxy, else the address).
#[tracing::instrument(skip_all, fields(client_id))]
pub async fn authorize(
    deps: &Deps<'_>,
    params: &Params,
    device: &DeviceEvidence,
    now: Timestamp,
) -> AuthorizeOutcome {
    let params = &match with_request_object(deps, params, now).await {
        Ok(p) => p,
        Err(e) => return AuthorizeOutcome::Refuse(e),
    };
    let (app, redirect_uri) = match client_and_redirect_uri(deps, params).await {
        Ok(v) => v,
        Err(e) => return AuthorizeOutcome::Refuse(e),
    };
    tracing::Span::current().record("client_id", app.client_id.as_str());
    let state = params.get("state");
    let redirect_error = |e: OAuthError| {
        if let OAuthError::Server(detail) = &e {
            tracing::error!(detail, "authorize failed");
        }
        let description = e.description();
        let mut q = vec![
            ("error", e.code()),
            ("error_description", description.as_str()),
        ];
        if let Some(s) = state {
            q.push(("state", s));
        }
        AuthorizeOutcome::Redirect(append_query(&redirect_uri, &q))
    };
    match issue_code(deps, params, &app, &redirect_uri, device, now).await {
        Ok(Issued::Consent(page)) => AuthorizeOutcome::Redirect(page),
        Ok(Issued::Code(code)) => {
            let mut q = vec![("code", code.as_str())];
            if let Some(s) = state {
                q.push(("state", s));
            }
            AuthorizeOutcome::Redirect(append_query(&redirect_uri, &q))
        }
        Err(e) => redirect_error(e),
    }
}

/// RFC 6749 §4.1.2.1: a valid, active client and one of its registered redirect URIs
/// (exact match; the demo client registers the literal `whatever` one SDK hard-codes).
/// OIDC Core §6.1: with `request`, the parameters are the verified object's. Failures are
/// shown on the error page: nothing of an unverified object is redirected to.
async fn with_request_object(
    deps: &Deps<'_>,
    params: &Params,
    now: Timestamp,
) -> OAuthResult<Params> {
    if params.get("request").is_none() && params.get("request_uri").is_none() {
        return Ok(params.clone());
    }
    let raw = params.require("client_id")?;
    let id = ClientId::parse(raw).map_err(|_| OAuthError::invalid_request("invalid client_id"))?;
    let app = deps
        .store
        .find_application(&id)
        .await?
        .ok_or_else(|| OAuthError::invalid_request("unknown client_id"))?;
    if let Err(refusal) = active_client(deps.store, &app.tenant, &app.client_id).await? {
        return Err(OAuthError::UnauthorizedClient(refusal.reason().into()));
    }
    let audiences = assertion_audiences(deps.settings, paths::AUTHORIZE);
    request_object::resolve(
        deps,
        &app,
        params,
        &audiences,
        request_object::AUTHORIZE_REQUIRED,
        now,
    )
    .await
}

async fn client_and_redirect_uri(
    deps: &Deps<'_>,
    params: &Params,
) -> OAuthResult<(std::sync::Arc<Application>, String)> {
    let raw = params.require("client_id")?;
    let id = ClientId::parse(raw).map_err(|_| OAuthError::invalid_request("invalid client_id"))?;
    let app = deps
        .store
        .find_application(&id)
        .await?
        .ok_or_else(|| OAuthError::invalid_request("unknown client_id"))?;
    // `manage::gate`: a suspended tenant's or disabled application's requests are refused on
    // the error page (never redirected: the client may not act now), as unauthorized_client.
    if let Err(refusal) = active_client(deps.store, &app.tenant, &app.client_id).await? {
        return Err(OAuthError::UnauthorizedClient(refusal.reason().into()));
    }
    let redirect_uri = params.require("redirect_uri")?;
    if !app.redirect_uris.iter().any(|r| r == redirect_uri) {
        return Err(OAuthError::invalid_request(
            "redirect_uri is not registered for this client",
        ));
    }
    Ok((app, redirect_uri.to_owned()))
}

/// What the checks lead to.
enum Issued {
    /// The code to hand back.
    Code(String),
    /// A consent-basis purpose lacks consent: the subscriber's consent page (a path under
    /// `base_path`; the page replays this request once the subscriber has decided).
    Consent(String),
}

/// How long the subscriber has to answer the consent page of an `/authorize` request.
const CONSENT_PAGE_TTL_MINUTES: i64 = 10;

/// The checks, then the device, then consent; returns the code to hand back.
async fn issue_code(
    deps: &Deps<'_>,
    params: &Params,
    app: &Application,
    redirect_uri: &str,
    device: &DeviceEvidence,
    now: Timestamp,
) -> OAuthResult<Issued> {
    let catalog = deps.store.list_capabilities(&app.tenant).await?;
    let mut cx = AuthzCx {
        params,
        app,
        catalog: &catalog,
        prompt_none: false,
        code_challenge: None,
        scope: ScopeRequest::default(),
    };
    for (_name, check) in CHECKS {
        check(&mut cx)?;
    }
    let subscriber = identify_device(deps, app, device, cx.prompt_none, now).await?;
    let purpose = cx.scope.required_purpose()?;
    let decision = consent_check::decide(
        deps,
        app,
        &subscriber.msisdn,
        &purpose,
        &cx.scope.scopes,
        "oauth.authorize",
        now,
    )
    .await?;
    match decision.outcome {
        Outcome::Allowed => {}
        Outcome::Denied | Outcome::Objected => {
            return Err(OAuthError::AccessDenied(decision.reason.into()))
        }
        // OIDC Core §3.1.2.1: with prompt=none no page may be shown.
        Outcome::Pending | Outcome::Expired if cx.prompt_none => {
            return Err(OAuthError::ConsentRequired(decision.reason.into()))
        }
        Outcome::Pending | Outcome::Expired => {
            let sealed = seal_capture_ref(
                deps.tokens.subjects(),
                &CaptureRequest {
                    tenant: app.tenant.to_string(),
                    client_id: app.client_id.to_string(),
                    msisdn: subscriber.msisdn.clone(),
                    purpose,
                    scopes: cx.scope.scopes.to_vec(),
                    callback_url: None,
                    exp: (now + chrono::Duration::minutes(CONSENT_PAGE_TTL_MINUTES)).timestamp(),
                    authorize: Some(params.pairs().to_vec()),
                },
            );
            return Ok(Issued::Consent(format!(
                "{}{CAPTURE_PATH}?ref={sealed}",
                deps.settings.base_path.trim_end_matches('/')
            )));
        }
    }
    let code = generate_token();
    deps.store
        .insert_code(&AuthCode {
            tenant: app.tenant.clone(),
            code_hash: lookup_hash(&code),
            client_id: app.client_id.clone(),
            redirect_uri: redirect_uri.to_owned(),
            msisdn: subscriber.msisdn.clone(),
            scopes: cx.scope.stored_scopes(),
            purpose: Some(purpose),
            code_challenge: cx.code_challenge.clone(),
            nonce: params.get("nonce").map(str::to_owned),
            auth_time: now,
            expires_at: now + deps.settings.code_ttl,
            consumed_at: None,
            issued_jti: None,
        })
        .await?;
    deps.audit(
        app,
        "oauth.authorize",
        subscriber.msisdn.as_str(),
        "ok",
        "authorization code issued after network-based authentication",
        serde_json::json!({
            "scope": cx.scope.granted(),
            "pkce": cx.code_challenge.is_some(),
            "evidence": device.kind(),
        }),
        now,
    )
    .await?;
    Ok(Issued::Code(code))
}

/// Network-based authentication: the source address must hold an active IP session of a
/// subscriber of the client's tenant, or the enriched MSISDN must be such a subscriber. Either
/// way an unidentified device gets the same answer.
async fn identify_device(
    deps: &Deps<'_>,
    app: &Application,
    device: &DeviceEvidence,
    prompt_none: bool,
    now: Timestamp,
) -> OAuthResult<Subscriber> {
    let not_identified = || {
        let d =
            "the device could not be identified by the mobile network; connect over mobile data";
        if prompt_none {
            OAuthError::LoginRequired(d.into())
        } else {
            OAuthError::AccessDenied(d.into())
        }
    };
    device
        .subscriber(
            deps.store,
            &app.tenant,
            session_seen_since(deps.settings, now),
        )
        .await?
        .ok_or_else(not_identified)
}

/// Adds query parameters to a redirect URI that may already have a query (RFC 6749 §3.1.2).
fn append_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    // RFC 6749 §3.1.2: redirection URIs carry no fragment.
    let base = uri.split('#').next().unwrap_or(uri);
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{}", encode_query(pairs))
}

#[cfg(test)]
mod tests {
    use super::append_query;

    #[test]
    fn appends_to_existing_queries() {
        assert_eq!(
            append_query("whatever", &[("code", "a")]),
            "whatever?code=a"
        );
        assert_eq!(
            append_query("https://a/cb?x=1", &[("code", "a b")]),
            "https://a/cb?x=1&code=a+b"
        );
    }
}
