//! The subscriber-facing consent pages: capture (reached from `/authorize`, a CIBA
//! `consent_url` or a Consent Info `captureUrl`) and the privacy dashboard.
//!
//! The subscriber is identified by network-based authentication only ([`DeviceEvidence`]):
//! the page's request address must hold an active IP session of the line the request is
//! about, or a trusted proxy's enrichment header must name that line. Every form carries a
//! CSRF token: a MAC (server key) over the request reference, the device evidence and an
//! expiry, so a token minted for one request or device is useless for another.
use chrono::Duration;
use subtle::ConstantTimeEq;

use super::views::{default_view, from_definition, LocalePrefs, ViewText};
use crate::camara::consent_info::{open_capture_ref, CaptureRequest};
use crate::domain::{CibaStatus, ClientId, ConsentStatus, PhoneNumber, Purpose, Scope, TenantId};
use crate::manage::consent_views;
use crate::network::device::DeviceEvidence;
use crate::oauth::authorize::{authorize, AuthorizeOutcome};
use crate::oauth::ciba::session_seen_since;
use crate::oauth::params::{encode_query, Params};
use crate::oauth::Deps;
use crate::store::{AuditEvent, Consent, ConsentEvent, StoreError, Timestamp};

/// How long a rendered form may be submitted.
const CSRF_TTL_MINUTES: i64 = 30;
const CSRF_CONTEXT: &str = "consent-form";

/// Why a page cannot be shown or a form not accepted.
#[derive(Debug)]
pub enum PageError {
    /// Unknown, forged or expired reference.
    NotFound,
    /// The device is not the line the request is about (or not identified at all).
    WrongDevice,
    /// Missing or invalid CSRF token, or a cross-site post.
    Forbidden,
    Store(StoreError),
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

pub type PageResult<T> = Result<T, PageError>;

/// Which pending request a consent page answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `/consent/capture?ref=<sealed>` (from `/authorize` or a Consent Info `captureUrl`).
    Capture(String),
    /// `/consent/ciba/{tenant}/{id_hash}` (a pending CIBA request's `consent_url`).
    Ciba { tenant: String, id_hash: String },
}

impl Target {
    /// What the CSRF token is bound to.
    fn key(&self) -> String {
        match self {
            Self::Capture(r) => format!("capture/{r}"),
            Self::Ciba { tenant, id_hash } => format!("ciba/{tenant}/{id_hash}"),
        }
    }
}

/// What happens once the subscriber decided.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Continuation {
    Authorize(Vec<(String, String)>),
    Callback(String),
    Ciba(String),
    Nothing,
}

/// A pending consent question, resolved from its reference.
#[derive(Debug, Clone)]
struct Pending {
    tenant: TenantId,
    client_id: ClientId,
    msisdn: PhoneNumber,
    purpose: Purpose,
    scopes: Vec<String>,
    then: Continuation,
}

impl Pending {
    /// The application's requested UI locales (OIDC Core §3.1.2.1 `ui_locales`), when the
    /// request came through `/authorize`.
    fn ui_locales(&self) -> Option<&str> {
        match &self.then {
            Continuation::Authorize(params) => params
                .iter()
                .find(|(k, _)| k == "ui_locales")
                .map(|(_, v)| v.as_str()),
            _ => None,
        }
    }
}

/// What the capture page shows.
#[derive(Debug, Clone)]
pub struct CapturePage {
    pub app_name: String,
    pub operator_name: String,
    pub purpose: String,
    pub scopes: Vec<String>,
    pub view: ViewText,
    pub csrf: String,
    /// Where the browser goes after the decision (redirect_uri or callback), when known:
    /// the page's `form-action` must allow it.
    pub continue_to: Option<String>,
}

/// Where the browser goes after a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterDecision {
    /// 303 to this URL (the client's redirect_uri or the Consent Info callback).
    Redirect(String),
    /// Nothing to continue (CIBA: the client's next poll gets the answer): show a notice.
    Done { granted: bool },
}

/// The line the device evidence names, in `tenant`.
async fn device_line(
    deps: &Deps<'_>,
    tenant: &TenantId,
    device: &DeviceEvidence,
    now: Timestamp,
) -> PageResult<Option<PhoneNumber>> {
    Ok(device
        .line(deps.store, tenant, session_seen_since(deps.settings, now))
        .await?)
}

async fn resolve(deps: &Deps<'_>, target: &Target, now: Timestamp) -> PageResult<Pending> {
    match target {
        Target::Capture(sealed) => {
            let req: CaptureRequest =
                open_capture_ref(deps.tokens.subjects(), sealed, now).ok_or(PageError::NotFound)?;
            let tenant = TenantId::parse(&req.tenant).map_err(|_| PageError::NotFound)?;
            let client_id = ClientId::parse(&req.client_id).map_err(|_| PageError::NotFound)?;
            let then = match (req.authorize, req.callback_url) {
                (Some(params), _) => Continuation::Authorize(params),
                (None, Some(cb)) => Continuation::Callback(cb),
                (None, None) => Continuation::Nothing,
            };
            Ok(Pending {
                tenant,
                client_id,
                msisdn: req.msisdn,
                purpose: req.purpose,
                scopes: req.scopes,
                then,
            })
        }
        Target::Ciba { tenant, id_hash } => {
            let tenant = TenantId::parse(tenant).map_err(|_| PageError::NotFound)?;
            let r = deps
                .store
                .get_ciba(&tenant, id_hash)
                .await?
                .filter(|r| r.status == CibaStatus::Pending && r.expires_at > now)
                .ok_or(PageError::NotFound)?;
            let purpose = r.purpose.ok_or(PageError::NotFound)?;
            Ok(Pending {
                tenant,
                client_id: r.client_id,
                msisdn: r.msisdn,
                purpose,
                scopes: r.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
                then: Continuation::Ciba(id_hash.clone()),
            })
        }
    }
}

/// The subscriber on the page must be the line the request is about.
async fn check_device(
    deps: &Deps<'_>,
    p: &Pending,
    device: &DeviceEvidence,
    now: Timestamp,
) -> PageResult<()> {
    match device_line(deps, &p.tenant, device, now).await? {
        Some(line) if line == p.msisdn => Ok(()),
        _ => Err(PageError::WrongDevice),
    }
}

/// A CSRF token for a form about `key`, from `device`: `<exp>.<mac>`.
pub fn csrf_token(deps: &Deps<'_>, key: &str, device: &DeviceEvidence, now: Timestamp) -> String {
    let exp = (now + Duration::minutes(CSRF_TTL_MINUTES))
        .timestamp()
        .to_string();
    let mac = deps
        .tokens
        .subjects()
        .tag(CSRF_CONTEXT, &[key, &device.binding(), &exp]);
    format!("{exp}.{mac}")
}

/// Checks a CSRF token minted by [`csrf_token`] (constant-time comparison).
pub fn check_csrf(
    deps: &Deps<'_>,
    key: &str,
    device: &DeviceEvidence,
    token: &str,
    now: Timestamp,
) -> PageResult<()> {
    let (exp, mac) = token.split_once('.').ok_or(PageError::Forbidden)?;
    let exp_n: i64 = exp.parse().map_err(|_| PageError::Forbidden)?;
    if exp_n <= now.timestamp() {
        return Err(PageError::Forbidden);
    }
    let want = deps
        .tokens
        .subjects()
        .tag(CSRF_CONTEXT, &[key, &device.binding(), exp]);
    if bool::from(want.as_bytes().ct_eq(mac.as_bytes())) {
        Ok(())
    } else {
        Err(PageError::Forbidden)
    }
}

async fn app_and_operator(deps: &Deps<'_>, p: &Pending) -> PageResult<(String, String)> {
    let app_name = deps
        .store
        .find_application(&p.client_id)
        .await?
        .filter(|a| a.tenant == p.tenant)
        .map(|a| a.name.clone())
        .unwrap_or_else(|| p.client_id.to_string());
    let operator = deps
        .store
        .get_tenant(&p.tenant)
        .await?
        .map(|t| t.name)
        .unwrap_or_else(|| p.tenant.to_string());
    Ok((app_name, operator))
}

/// `GET` of a consent page: what to show, for this device only.
pub async fn capture_page(
    deps: &Deps<'_>,
    target: &Target,
    device: &DeviceEvidence,
    accept_language: Option<&str>,
    now: Timestamp,
) -> PageResult<CapturePage> {
    let p = resolve(deps, target, now).await?;
    check_device(deps, &p, device, now).await?;
    let (app_name, operator_name) = app_and_operator(deps, &p).await?;
    let scopes: Vec<Scope> = p
        .scopes
        .iter()
        .filter_map(|s| Scope::parse(s).ok())
        .collect();
    let stored =
        consent_views::resolve(deps.store, &p.tenant, &p.purpose, &p.client_id, &scopes).await?;
    let prefs = LocalePrefs::new(accept_language, p.ui_locales());
    let mut view = stored
        .and_then(|def| from_definition(&def, prefs))
        .unwrap_or_else(|| default_view(p.purpose.as_str(), prefs));
    if view.operator_name.is_empty() {
        view.operator_name.clone_from(&operator_name);
    }
    Ok(CapturePage {
        app_name,
        operator_name,
        purpose: p.purpose.to_string(),
        scopes: p.scopes.clone(),
        view,
        csrf: csrf_token(deps, &target.key(), device, now),
        continue_to: match &p.then {
            Continuation::Authorize(params) => Params::new(params.clone())
                .get("redirect_uri")
                .map(str::to_owned),
            Continuation::Callback(cb) => Some(cb.clone()),
            Continuation::Ciba(_) | Continuation::Nothing => None,
        },
    })
}

/// Longest `state` echoed to a Consent Info callback.
pub const MAX_STATE_LEN: usize = 512;

/// `POST` of a consent page: records the decision (consent history + audit), then
/// continues the flow that asked. `state` is what the API consumer appended to the
/// `captureUrl`; it is echoed to its callback (Consent Info 0.2.0 `_08_callback_state`).
#[allow(clippy::too_many_arguments)]
pub async fn capture_decide(
    deps: &Deps<'_>,
    target: &Target,
    device: &DeviceEvidence,
    csrf: &str,
    allow: bool,
    state: Option<&str>,
    now: Timestamp,
) -> PageResult<AfterDecision> {
    check_csrf(deps, &target.key(), device, csrf, now)?;
    let p = resolve(deps, target, now).await?;
    check_device(deps, &p, device, now).await?;
    let status = if allow {
        ConsentStatus::Granted
    } else {
        ConsentStatus::Denied
    };
    let scopes: Vec<Scope> = p
        .scopes
        .iter()
        .filter_map(|s| Scope::parse(s).ok())
        .collect();
    let reason = if allow {
        "allowed by the subscriber on the consent page"
    } else {
        "denied by the subscriber on the consent page"
    };
    deps.store
        .put_consent(
            &Consent {
                tenant: p.tenant.clone(),
                msisdn: p.msisdn.clone(),
                client_id: p.client_id.clone(),
                purpose: p.purpose.clone(),
                scopes,
                status,
                updated_at: now,
                expires_at: None,
            },
            "subscriber",
            reason,
        )
        .await?;
    audit(
        deps,
        &p.tenant,
        "consent.capture",
        &p.msisdn,
        status.as_str(),
        reason,
        serde_json::json!({
            "clientId": p.client_id,
            "purpose": p.purpose,
            "scopes": p.scopes,
            "evidence": device.kind(),
        }),
        now,
    )
    .await?;
    match &p.then {
        Continuation::Authorize(params) => {
            match authorize(deps, &Params::new(params.clone()), device, now).await {
                AuthorizeOutcome::Redirect(url) => Ok(AfterDecision::Redirect(url)),
                AuthorizeOutcome::Refuse(_) => Err(PageError::NotFound),
            }
        }
        Continuation::Callback(cb) => {
            let result = if allow { "granted" } else { "denied" };
            let base = cb.split('#').next().unwrap_or(cb);
            let sep = if base.contains('?') { '&' } else { '?' };
            let mut q = vec![("capture_result", result)];
            if let Some(st) = state.filter(|s| !s.is_empty() && s.len() <= MAX_STATE_LEN) {
                q.push(("state", st));
            }
            Ok(AfterDecision::Redirect(format!(
                "{base}{sep}{}",
                encode_query(&q)
            )))
        }
        Continuation::Ciba(id_hash) => {
            let s = if allow {
                CibaStatus::Approved
            } else {
                CibaStatus::Denied
            };
            deps.store.set_ciba_status(&p.tenant, id_hash, s).await?;
            Ok(AfterDecision::Done { granted: allow })
        }
        Continuation::Nothing => Ok(AfterDecision::Done { granted: allow }),
    }
}

#[allow(clippy::too_many_arguments)]
async fn audit(
    deps: &Deps<'_>,
    tenant: &TenantId,
    action: &str,
    msisdn: &PhoneNumber,
    outcome: &str,
    reason: &str,
    detail: serde_json::Value,
    now: Timestamp,
) -> PageResult<()> {
    deps.store
        .append_audits(vec![AuditEvent {
            id: 0,
            tenant: tenant.clone(),
            at: now,
            actor: format!("subscriber:{msisdn}"),
            action: action.into(),
            target: msisdn.to_string(),
            outcome: outcome.into(),
            reason: reason.into(),
            detail: detail.into(),
        }])
        .await?;
    Ok(())
}

/// One row of the privacy dashboard.
#[derive(Debug, Clone)]
pub struct DashboardEntry {
    pub client_id: String,
    pub app_name: String,
    pub purpose: String,
    pub status: ConsentStatus,
    pub updated_at: Timestamp,
    pub history: Vec<ConsentEvent>,
    /// CSRF token of this row's revoke form; `None` when there is nothing to revoke.
    pub revoke_csrf: Option<String>,
}

/// What the privacy dashboard shows.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub tenant: TenantId,
    pub operator_name: String,
    pub entries: Vec<DashboardEntry>,
}

/// The tenant and line of the device, trying each tenant (IP sessions, or subscribers for an
/// enriched MSISDN).
async fn identify_anywhere(
    deps: &Deps<'_>,
    device: &DeviceEvidence,
    now: Timestamp,
) -> PageResult<(TenantId, String, PhoneNumber)> {
    for t in deps.store.list_tenants().await? {
        if let Some(line) = device_line(deps, &t.id, device, now).await? {
            return Ok((t.id, t.name, line));
        }
    }
    Err(PageError::WrongDevice)
}

fn revoke_key(client_id: &str, purpose: &str) -> String {
    format!("revoke/{client_id}/{purpose}")
}

/// `GET /my/consents`: every application and purpose of the device's line.
pub async fn dashboard(
    deps: &Deps<'_>,
    device: &DeviceEvidence,
    now: Timestamp,
) -> PageResult<Dashboard> {
    let (tenant, operator_name, msisdn) = identify_anywhere(deps, device, now).await?;
    let mut entries = Vec::new();
    for c in deps
        .store
        .list_consents_by_subscriber(&tenant, &msisdn)
        .await?
    {
        let app_name = deps
            .store
            .find_application(&c.client_id)
            .await?
            .map(|a| a.name.clone())
            .unwrap_or_else(|| c.client_id.to_string());
        let history = deps
            .store
            .consent_history(&tenant, &msisdn, &c.client_id, &c.purpose)
            .await?;
        let revoke_csrf = (c.status == ConsentStatus::Granted).then(|| {
            csrf_token(
                deps,
                &revoke_key(c.client_id.as_str(), c.purpose.as_str()),
                device,
                now,
            )
        });
        entries.push(DashboardEntry {
            client_id: c.client_id.to_string(),
            app_name,
            purpose: c.purpose.to_string(),
            status: c.status,
            updated_at: c.updated_at,
            history,
            revoke_csrf,
        });
    }
    Ok(Dashboard {
        tenant,
        operator_name,
        entries,
    })
}

/// `POST /my/consents/revoke`: the next API call of that app sees the revocation, since
/// every call decides consent afresh (`consent::evaluate`).
pub async fn revoke(
    deps: &Deps<'_>,
    device: &DeviceEvidence,
    client_id: &str,
    purpose: &str,
    csrf: &str,
    now: Timestamp,
) -> PageResult<()> {
    check_csrf(deps, &revoke_key(client_id, purpose), device, csrf, now)?;
    let (tenant, _, msisdn) = identify_anywhere(deps, device, now).await?;
    let client_id = ClientId::parse(client_id).map_err(|_| PageError::NotFound)?;
    let purpose = Purpose::parse(purpose).map_err(|_| PageError::NotFound)?;
    let current = deps
        .store
        .get_consent(&tenant, &msisdn, &client_id, &purpose)
        .await?
        .ok_or(PageError::NotFound)?;
    let reason = "revoked by the subscriber on the privacy dashboard";
    deps.store
        .put_consent(
            &Consent {
                status: ConsentStatus::Revoked,
                updated_at: now,
                ..current
            },
            "subscriber",
            reason,
        )
        .await?;
    audit(
        deps,
        &tenant,
        "consent.revoke",
        &msisdn,
        "revoked",
        reason,
        serde_json::json!({"clientId": client_id, "purpose": purpose, "evidence": device.kind()}),
        now,
    )
    .await
}
