//! Subscribers and the network facts the gateway holds about them (SIM changes, active IP
//! sessions), so an operator can inspect and correct what the gateway believes.
use chrono::Duration;

use super::audit::{record_upsert, record_write};
use super::page::{from_overfetch, paginate, Page, PageRequest};
use super::views::{
    IpSessionView, SimChangeInput, SimChangeView, SubscriberUpsert, SubscriberView,
};
use super::{check_if_match, etag, field, scopes, tenants, text, Ctx, ManageError, ManageResult};
use crate::domain::{PhoneNumber, SubscriberId, TenantId};
use crate::store::{IpSession, SimChange, StoreError, Subscriber, Timestamp};

fn target(msisdn: &PhoneNumber) -> String {
    format!("subscriber:{msisdn}")
}

async fn view(cx: &Ctx<'_>, s: &Subscriber) -> ManageResult<SubscriberView> {
    Ok(SubscriberView {
        phone_number: s.msisdn.to_string(),
        subscriber_id: s.id.to_string(),
        sim_activated_at: s.sim_activated_at,
        imsi: s.imsi.clone(),
        latest_sim_change: cx.store.latest_sim_change(&s.tenant, &s.msisdn).await?,
    })
}

pub fn session_view(s: IpSession) -> IpSessionView {
    IpSessionView {
        session_id: s.session_id,
        ip: s.ip.to_string(),
        phone_number: s.msisdn.to_string(),
        started_at: s.started_at,
        last_seen_at: s.last_seen_at,
    }
}

pub async fn load(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    msisdn: &PhoneNumber,
) -> ManageResult<Subscriber> {
    cx.store
        .get_subscriber(tenant, msisdn)
        .await?
        .ok_or_else(|| ManageError::NotFound(format!("subscriber {msisdn} not found")))
}

pub async fn list(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    page: &PageRequest,
) -> ManageResult<Page<SubscriberView>> {
    cx.actor.authorize(scopes::SUBSCRIBERS_READ, tenant)?;
    tenants::load(cx, tenant).await?;
    let after = match &page.after {
        Some(k) => Some(field("cursor", PhoneNumber::parse(k))?),
        None => None,
    };
    let rows = cx
        .store
        .list_subscribers(tenant, after.as_ref(), page.limit as i64 + 1)
        .await?;
    let page = from_overfetch(rows, |s| s.msisdn.to_string(), page.limit);
    let mut items = Vec::with_capacity(page.items.len());
    for s in &page.items {
        items.push(view(cx, s).await?);
    }
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

pub async fn get(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    msisdn: &PhoneNumber,
) -> ManageResult<SubscriberView> {
    cx.actor.authorize(scopes::SUBSCRIBERS_READ, tenant)?;
    let s = load(cx, tenant, msisdn).await?;
    view(cx, &s).await
}

fn check_imsi(imsi: &str) -> ManageResult<String> {
    let ok = (6..=15).contains(&imsi.len()) && imsi.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(imsi.to_owned())
    } else {
        Err(ManageError::Invalid("imsi must be 6-15 digits".into()))
    }
}

/// Creates or replaces a subscriber; true when created. The subscriber id is immutable:
/// tokens already issued carry pairwise ids derived from it.
pub async fn upsert(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    msisdn: &PhoneNumber,
    input: SubscriberUpsert,
    if_match: Option<&str>,
) -> ManageResult<(SubscriberView, bool)> {
    cx.actor.authorize(scopes::SUBSCRIBERS_WRITE, tenant)?;
    tenants::load(cx, tenant).await?;
    let current = cx.store.get_subscriber(tenant, msisdn).await?;
    let before = match &current {
        Some(s) => Some(view(cx, s).await?),
        None => None,
    };
    match &before {
        Some(b) => check_if_match(if_match, &etag(b))?,
        None if if_match.is_some() => return Err(ManageError::PreconditionFailed),
        None => {}
    }
    let given = match &input.subscriber_id {
        Some(id) => Some(field("subscriberId", SubscriberId::parse(id))?),
        None => None,
    };
    let id = match (&current, given) {
        (Some(cur), Some(given)) if given != cur.id => {
            return Err(ManageError::unprocessable(
                "IMMUTABLE_FIELD",
                "subscriberId cannot change: issued tokens are derived from it",
            ))
        }
        (Some(cur), _) => cur.id.clone(),
        (None, Some(given)) => given,
        (None, None) => field(
            "subscriberId",
            SubscriberId::parse(&format!("sub-{}", uuid::Uuid::new_v4().simple())),
        )?,
    };
    let next = Subscriber {
        tenant: tenant.clone(),
        msisdn: msisdn.clone(),
        id,
        sim_activated_at: super::stored_precision(input.sim_activated_at),
        imsi: input.imsi.as_deref().map(check_imsi).transpose()?,
    };
    if current.as_ref() == Some(&next) {
        return Ok((view(cx, &next).await?, false));
    }
    match cx.store.upsert_subscriber(&next).await {
        Err(StoreError::Conflict(_)) => {
            return Err(ManageError::Conflict(format!(
                "subscriber id '{}' belongs to another phone number",
                next.id
            )))
        }
        other => other?,
    }
    let after = view(cx, &next).await?;
    record_upsert(
        cx,
        tenant,
        "subscriber",
        &target(msisdn),
        before.as_ref(),
        after,
    )
    .await
}

/// Records a SIM change (idempotent per event id): SIM Swap answers from these.
pub async fn record_sim_change(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    msisdn: &PhoneNumber,
    input: SimChangeInput,
) -> ManageResult<SimChangeView> {
    cx.actor.authorize(scopes::SUBSCRIBERS_WRITE, tenant)?;
    tenants::load(cx, tenant).await?;
    let before = view(cx, &load(cx, tenant, msisdn).await?).await?;
    let changed_at = super::stored_precision(input.changed_at.unwrap_or(cx.now));
    if changed_at > cx.now {
        return Err(ManageError::unprocessable(
            "INVALID_DATE",
            "changedAt must not be in the future",
        ));
    }
    let source = match &input.source {
        Some(s) => text("source", s, 64)?,
        None => "manual".to_owned(),
    };
    let event_id = match &input.event_id {
        Some(e) => text("eventId", e, 128)?,
        None => format!("manual-{}", uuid::Uuid::new_v4().simple()),
    };
    let change = SimChange {
        tenant: tenant.clone(),
        msisdn: msisdn.clone(),
        changed_at,
        source: source.clone(),
        event_id: event_id.clone(),
    };
    let recorded = cx.store.record_sim_change(&change).await?;
    let out = SimChangeView {
        phone_number: msisdn.to_string(),
        changed_at,
        source,
        event_id,
        recorded,
    };
    if recorded {
        let after = view(cx, &load(cx, tenant, msisdn).await?).await?;
        record_write(
            cx,
            tenant,
            "subscriber.sim_change",
            &target(msisdn),
            Some(&before),
            Some(&after),
        )
        .await?;
    }
    Ok(out)
}

/// Active IP sessions (those with accounting activity within `idle_timeout`), optionally
/// of one subscriber, ordered by session id.
pub async fn list_ip_sessions(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    msisdn: Option<&PhoneNumber>,
    idle_timeout: Option<Duration>,
    page: &PageRequest,
) -> ManageResult<Page<IpSessionView>> {
    cx.actor.authorize(scopes::SUBSCRIBERS_READ, tenant)?;
    tenants::load(cx, tenant).await?;
    let seen_since: Timestamp = idle_timeout
        .and_then(|d| cx.now.checked_sub_signed(d))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    let mut sessions = cx.store.list_active_sessions(tenant, seen_since).await?;
    if let Some(m) = msisdn {
        sessions.retain(|s| &s.msisdn == m);
    }
    sessions.sort_by(|a, b| a.session_id.cmp(&b.session_id));
    Ok(paginate(sessions, |s| s.session_id.clone(), page).map(session_view))
}
