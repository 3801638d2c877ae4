//! The Consents API: the seed's core question — given MSISDN, scopes, purpose and
//! application, does the subscriber consent? — answered by `consent::evaluate`, the very
//! function the authorization server calls; plus recording the subscriber's answers
//! (grant, deny, revoke), listing them, and each consent's append-only history.
use super::audit::record_write;
use super::page::{paginate, Page, PageRequest};
use super::views::{
    ConsentCheckRequest, ConsentCheckResult, ConsentEventView, ConsentView, ConsentWrite,
};
use super::{applications, field, scopes, tenants, text, Ctx, ManageError, ManageResult};
use crate::consent::{evaluate, purpose_rule, PurposeRule, Query};
use crate::domain::{ClientId, ConsentStatus, PhoneNumber, Purpose, Scope, TenantId};
use crate::store::{Consent, ConsentEvent};

pub fn view(c: &Consent) -> ConsentView {
    ConsentView {
        phone_number: c.msisdn.to_string(),
        client_id: c.client_id.to_string(),
        purpose: c.purpose.to_string(),
        legal_basis: purpose_rule(c.purpose.as_str()).map(|r| r.legal_basis),
        scopes: c.scopes.iter().map(|s| s.to_string()).collect(),
        status: c.status,
        updated_at: c.updated_at,
        expires_at: c.expires_at,
    }
}

pub fn event_view(e: ConsentEvent) -> ConsentEventView {
    ConsentEventView {
        id: e.id,
        phone_number: e.msisdn.to_string(),
        client_id: e.client_id.to_string(),
        purpose: e.purpose.to_string(),
        status: e.status,
        at: e.at,
        actor: e.actor,
        reason: e.reason,
    }
}

fn target(msisdn: &PhoneNumber, client: &ClientId, purpose: &Purpose) -> String {
    format!("consent:{msisdn}/{client}/{purpose}")
}

pub fn parse_phone(s: &str) -> ManageResult<PhoneNumber> {
    field("phoneNumber", PhoneNumber::parse(s))
}

pub fn parse_purpose(s: &str) -> ManageResult<Purpose> {
    field("purpose", Purpose::parse(s))
}

fn known_rule(purpose: &Purpose) -> ManageResult<&'static PurposeRule> {
    purpose_rule(purpose.as_str()).ok_or_else(|| {
        ManageError::unprocessable(
            "UNKNOWN_PURPOSE",
            format!("purpose '{purpose}' is not one this operator recognises"),
        )
    })
}

/// Scopes asked for must be ones the purpose covers (as at the authorization server).
fn covered_scopes(rule: &PurposeRule, list: &[String]) -> ManageResult<Vec<Scope>> {
    let mut out: Vec<Scope> = Vec::new();
    for s in list {
        let scope = field("scopes", Scope::parse(s))?;
        if !rule.scopes.contains(&scope.as_str()) {
            return Err(ManageError::unprocessable(
                "SCOPE_NOT_ALLOWED_FOR_PURPOSE",
                format!("purpose '{}' does not cover scope '{scope}'", rule.purpose),
            ));
        }
        if !out.contains(&scope) {
            out.push(scope);
        }
    }
    Ok(out)
}

/// The subscriber must be one the gateway knows, the application one of the tenant.
async fn known_parties(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    msisdn: &PhoneNumber,
    client: &ClientId,
) -> ManageResult<()> {
    tenants::load(cx, tenant).await?;
    applications::load(cx, tenant, client).await?;
    if cx.store.get_subscriber(tenant, msisdn).await?.is_none() {
        return Err(ManageError::NotFound(format!(
            "subscriber {msisdn} not found"
        )));
    }
    Ok(())
}

/// Decides with `consent::evaluate` — the authorization server's rule — and records the
/// decision in the audit trail (context `manage.consents.check`).
pub async fn check(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    req: ConsentCheckRequest,
) -> ManageResult<ConsentCheckResult> {
    cx.actor.authorize(scopes::CONSENTS_READ, tenant)?;
    let msisdn = parse_phone(&req.phone_number)?;
    let client = applications::parse_client_id(&req.client_id)?;
    let purpose = parse_purpose(&req.purpose)?;
    let mut asked = req.scopes.clone();
    if let Some(s) = &req.scope {
        asked.extend(s.split(' ').filter(|t| !t.is_empty()).map(str::to_owned));
    }
    // An unknown purpose is decided (denied) by `evaluate` itself, as at the AS.
    let scope_list: Vec<String> = match purpose_rule(purpose.as_str()) {
        Some(rule) => covered_scopes(rule, &asked)?
            .iter()
            .map(|s| s.to_string())
            .collect(),
        None => asked,
    };
    known_parties(cx, tenant, &msisdn, &client).await?;
    let decision = evaluate(
        cx.store,
        &Query {
            tenant,
            msisdn: &msisdn,
            client_id: &client,
            purpose: &purpose,
            scopes: &scope_list,
            context: "manage.consents.check",
        },
        cx.now,
    )
    .await?;
    let stored = cx
        .store
        .get_consent(tenant, &msisdn, &client, &purpose)
        .await?;
    Ok(ConsentCheckResult {
        granted: decision.granted,
        legal_basis: decision.legal_basis,
        status: decision.outcome,
        consent_status: stored.map(|c| c.status),
        expires_at: decision.expires_at,
        reason: decision.reason.to_owned(),
    })
}

/// Records the subscriber's answer; true when no consent record existed before.
pub async fn write(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    w: ConsentWrite,
) -> ManageResult<(ConsentView, bool)> {
    cx.actor.authorize(scopes::CONSENTS_WRITE, tenant)?;
    let msisdn = parse_phone(&w.phone_number)?;
    let client = applications::parse_client_id(&w.client_id)?;
    let purpose = parse_purpose(&w.purpose)?;
    let action = match w.status {
        ConsentStatus::Granted => "consent.grant",
        ConsentStatus::Denied => "consent.deny",
        ConsentStatus::Revoked => "consent.revoke",
        ConsentStatus::Requested => {
            return Err(ManageError::unprocessable(
                "INVALID_STATUS",
                "status must be granted, denied or revoked",
            ))
        }
    };
    let rule = known_rule(&purpose)?;
    let scope_list = match &w.scopes {
        Some(list) if !list.is_empty() => covered_scopes(rule, list)?,
        _ => covered_scopes(
            rule,
            &rule
                .scopes
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
        )?,
    };
    if let Some(exp) = w.expires_at {
        if w.status != ConsentStatus::Granted {
            return Err(ManageError::unprocessable(
                "INVALID_EXPIRY",
                "expiresAt applies only to a granted consent",
            ));
        }
        if exp <= cx.now {
            return Err(ManageError::unprocessable(
                "INVALID_EXPIRY",
                "expiresAt must be in the future",
            ));
        }
    }
    let reason = match &w.reason {
        Some(r) => text("reason", r, 500)?,
        None => format!("{} via the management API", w.status),
    };
    known_parties(cx, tenant, &msisdn, &client).await?;
    let current = cx
        .store
        .get_consent(tenant, &msisdn, &client, &purpose)
        .await?;
    if w.status == ConsentStatus::Revoked
        && current.as_ref().map(|c| c.status) != Some(ConsentStatus::Granted)
    {
        return Err(ManageError::Conflict(
            "only a granted consent can be revoked".into(),
        ));
    }
    let next = Consent {
        tenant: tenant.clone(),
        msisdn: msisdn.clone(),
        client_id: client.clone(),
        purpose: purpose.clone(),
        scopes: scope_list,
        status: w.status,
        updated_at: cx.now,
        expires_at: w.expires_at.map(super::stored_precision),
    };
    cx.store
        .put_consent(&next, &cx.actor.name(), &reason)
        .await?;
    let before = current.as_ref().map(view);
    let after = view(&next);
    record_write(
        cx,
        tenant,
        action,
        &target(&msisdn, &client, &purpose),
        before.as_ref(),
        Some(&after),
    )
    .await?;
    Ok((after, current.is_none()))
}

pub struct ConsentFilter {
    pub msisdn: Option<PhoneNumber>,
    pub client_id: Option<ClientId>,
}

/// Consents of a subscriber, of an application, or of both (at least one filter).
pub async fn list(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    f: &ConsentFilter,
    page: &PageRequest,
) -> ManageResult<Page<ConsentView>> {
    cx.actor.authorize(scopes::CONSENTS_READ, tenant)?;
    tenants::load(cx, tenant).await?;
    let mut all = match (&f.msisdn, &f.client_id) {
        (Some(m), client) => {
            let mut v = cx.store.list_consents_by_subscriber(tenant, m).await?;
            if let Some(c) = client {
                v.retain(|x| &x.client_id == c);
            }
            v
        }
        (None, Some(c)) => cx.store.list_consents_by_client(tenant, c).await?,
        (None, None) => {
            return Err(ManageError::Invalid(
                "give phoneNumber, clientId or both".into(),
            ));
        }
    };
    let key = |c: &Consent| format!("{}\u{1f}{}\u{1f}{}", c.msisdn, c.client_id, c.purpose);
    all.sort_by_key(key);
    Ok(paginate(all, key, page).map(|c| view(&c)))
}

pub async fn get(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    msisdn: &PhoneNumber,
    client: &ClientId,
    purpose: &Purpose,
) -> ManageResult<ConsentView> {
    cx.actor.authorize(scopes::CONSENTS_READ, tenant)?;
    cx.store
        .get_consent(tenant, msisdn, client, purpose)
        .await?
        .map(|c| view(&c))
        .ok_or_else(|| {
            ManageError::NotFound(
                "no consent recorded for this subscriber, application and purpose".into(),
            )
        })
}

/// The append-only history of one consent, oldest first.
pub async fn history(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    msisdn: &PhoneNumber,
    client: &ClientId,
    purpose: &Purpose,
    page: &PageRequest,
) -> ManageResult<Page<ConsentEventView>> {
    cx.actor.authorize(scopes::CONSENTS_READ, tenant)?;
    tenants::load(cx, tenant).await?;
    let mut events = cx
        .store
        .consent_history(tenant, msisdn, client, purpose)
        .await?;
    events.sort_by_key(|e| e.id);
    // Zero-padded so the string order of the cursor is the numeric order of the ids.
    Ok(paginate(events, |e| format!("{:020}", e.id), page).map(event_view))
}
