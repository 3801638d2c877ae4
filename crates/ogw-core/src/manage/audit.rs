//! The audit trail: every management write is recorded with who, what, when and the
//! resource's representation before and after; consent decisions are recorded by
//! `consent::evaluate`. Listing is newest first, filtered by action prefix and actor.
use serde::Serialize;

use super::page::{encode_cursor, Page, PageRequest};
use super::views::AuditEventView;
use super::{scopes, Ctx, ManageError, ManageResult};
use crate::domain::TenantId;
use crate::store::{AuditEvent, AuditFilter};

/// Appends the audit event of a successful management write.
pub(crate) async fn record_write<B: Serialize, A: Serialize>(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    action: &str,
    target: &str,
    before: Option<&B>,
    after: Option<&A>,
) -> ManageResult<()> {
    record(
        cx,
        tenant,
        action,
        target,
        "",
        serde_json::json!({ "before": before, "after": after }),
    )
    .await
}

/// Records an upsert (PUT) and returns its answer: the view and whether it was created.
/// The action is `<kind>.create` when nothing stood at the target before, else `<kind>.update`.
pub(crate) async fn record_upsert<V: Serialize>(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    kind: &str,
    target: &str,
    before: Option<&V>,
    after: V,
) -> ManageResult<(V, bool)> {
    let verb = if before.is_some() { "update" } else { "create" };
    let action = format!("{kind}.{verb}");
    record_write(cx, tenant, &action, target, before, Some(&after)).await?;
    Ok((after, before.is_none()))
}

pub(crate) async fn record(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    action: &str,
    target: &str,
    reason: &str,
    detail: serde_json::Value,
) -> ManageResult<()> {
    cx.store
        .append_audits(vec![AuditEvent {
            id: 0,
            tenant: tenant.clone(),
            at: cx.now,
            actor: cx.actor.name(),
            action: action.into(),
            target: target.into(),
            outcome: "ok".into(),
            reason: reason.into(),
            detail: detail.into(),
        }])
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Matches actions starting with this (`consent.` or `consent.decision`).
    pub action: Option<String>,
    /// Exact actor.
    pub actor: Option<String>,
}

/// Lists a tenant's audit trail, newest first. The trail outlives a deleted tenant, so an
/// operator may still read it after the tenant is gone.
pub async fn list(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    q: &AuditQuery,
    page: &PageRequest,
) -> ManageResult<Page<AuditEventView>> {
    cx.actor.authorize(scopes::AUDIT_READ, tenant)?;
    let before_id = match &page.after {
        Some(k) => Some(
            k.parse::<i64>()
                .map_err(|_| ManageError::Invalid("cursor is not one this server issued".into()))?,
        ),
        None => None,
    };
    let filter = AuditFilter {
        action_prefix: q.action.clone().filter(|s| !s.is_empty()),
        actor: q.actor.clone().filter(|s| !s.is_empty()),
        before_id,
        limit: page.limit as i64 + 1,
    };
    let mut events = cx.store.list_audit(tenant, &filter).await?;
    let more = events.len() > page.limit;
    events.truncate(page.limit);
    let next_cursor = match (more, events.last()) {
        (true, Some(last)) => Some(encode_cursor(&last.id.to_string())),
        _ => None,
    };
    Ok(Page {
        items: events.into_iter().map(view).collect(),
        next_cursor,
    })
}

pub fn view(e: AuditEvent) -> AuditEventView {
    AuditEventView {
        id: e.id,
        tenant: e.tenant.to_string(),
        at: e.at,
        actor: e.actor,
        action: e.action,
        target: e.target,
        outcome: e.outcome,
        reason: e.reason,
        detail: e.detail.value(),
    }
}
