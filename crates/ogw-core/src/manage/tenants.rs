//! Tenants: operator brands or business units owning applications, subscribers and a
//! catalog. Creating, changing and deleting tenants is for operator-wide callers only.
use super::audit::record_write;
use super::page::{paginate, Page, PageRequest};
use super::views::{TenantCreate, TenantPatch, TenantView};
use super::{
    check_if_match, etag, field, scopes, text, Ctx, ManageError, ManageResult, SYSTEM_TENANT,
};
use crate::domain::{TenantId, TenantStatus};
use crate::store::{Store, StoreError, StoreResult, Tenant, Timestamp};

pub fn view(t: &Tenant) -> TenantView {
    TenantView {
        id: t.id.to_string(),
        name: t.name.clone(),
        status: t.status,
        created_at: t.created_at,
    }
}

fn require_operator(cx: &Ctx<'_>, what: &str) -> ManageResult<()> {
    if cx.actor.is_operator() {
        Ok(())
    } else {
        Err(ManageError::Forbidden(format!(
            "only operator-wide clients (tenant '{SYSTEM_TENANT}') may {what}"
        )))
    }
}

fn target(id: &TenantId) -> String {
    format!("tenant:{id}")
}

/// The tenant, or 404 (also for a tenant the actor may not see).
pub async fn load(cx: &Ctx<'_>, id: &TenantId) -> ManageResult<Tenant> {
    cx.store
        .get_tenant(id)
        .await?
        .ok_or_else(|| ManageError::NotFound(format!("tenant '{id}' not found")))
}

pub fn parse_id(id: &str) -> ManageResult<TenantId> {
    field("tenant", TenantId::parse(id))
}

pub async fn create(cx: &Ctx<'_>, input: TenantCreate) -> ManageResult<TenantView> {
    cx.actor.require_scope(scopes::ADMIN_TENANTS)?;
    require_operator(cx, "create tenants")?;
    let id = field("id", TenantId::parse(&input.id))?;
    if id.as_str() == SYSTEM_TENANT {
        return Err(ManageError::unprocessable(
            "RESERVED_TENANT",
            format!("tenant id '{SYSTEM_TENANT}' is reserved (ogw admin bootstrap creates it)"),
        ));
    }
    let tenant = Tenant {
        id: id.clone(),
        name: text("name", &input.name, 200)?,
        status: input.status.unwrap_or(TenantStatus::Active),
        created_at: cx.now,
    };
    match cx.store.create_tenant(&tenant).await {
        Err(StoreError::Conflict(_)) => {
            return Err(ManageError::Conflict(format!(
                "tenant '{id}' already exists"
            )))
        }
        other => other?,
    }
    let after = view(&tenant);
    record_write::<TenantView, _>(cx, &id, "tenant.create", &target(&id), None, Some(&after))
        .await?;
    Ok(after)
}

/// Operators see every tenant; a tenant-scoped client sees its own.
pub async fn list(cx: &Ctx<'_>, page: &PageRequest) -> ManageResult<Page<TenantView>> {
    cx.actor.require_scope(scopes::ADMIN_TENANTS)?;
    let mut all = cx.store.list_tenants().await?;
    all.retain(|t| cx.actor.require_tenant(&t.id).is_ok());
    all.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(paginate(all, |t| t.id.to_string(), page).map(|t| view(&t)))
}

pub async fn get(cx: &Ctx<'_>, id: &TenantId) -> ManageResult<TenantView> {
    cx.actor.authorize(scopes::ADMIN_TENANTS, id)?;
    Ok(view(&load(cx, id).await?))
}

pub async fn update(
    cx: &Ctx<'_>,
    id: &TenantId,
    patch: TenantPatch,
    if_match: Option<&str>,
) -> ManageResult<TenantView> {
    cx.actor.authorize(scopes::ADMIN_TENANTS, id)?;
    require_operator(cx, "change tenants")?;
    let current = load(cx, id).await?;
    let before = view(&current);
    check_if_match(if_match, &etag(&before))?;
    let mut next = current.clone();
    if let Some(name) = &patch.name {
        next.name = text("name", name, 200)?;
    }
    if let Some(status) = patch.status {
        if id.as_str() == SYSTEM_TENANT && status != TenantStatus::Active {
            return Err(ManageError::unprocessable(
                "PROTECTED_TENANT",
                format!("tenant '{SYSTEM_TENANT}' holds the operator's administrators and cannot be suspended"),
            ));
        }
        next.status = status;
    }
    if next == current {
        return Ok(before);
    }
    cx.store.update_tenant(&next).await?;
    let after = view(&next);
    record_write(
        cx,
        id,
        "tenant.update",
        &target(id),
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

/// Deletes a tenant with no applications or subscribers left (409 otherwise), or with
/// `cascade` everything it owns. The audit trail stays, including this deletion's event.
pub async fn delete(
    cx: &Ctx<'_>,
    id: &TenantId,
    cascade: bool,
    if_match: Option<&str>,
) -> ManageResult<()> {
    cx.actor.authorize(scopes::ADMIN_TENANTS, id)?;
    require_operator(cx, "delete tenants")?;
    if id.as_str() == SYSTEM_TENANT {
        return Err(ManageError::unprocessable(
            "PROTECTED_TENANT",
            format!("tenant '{SYSTEM_TENANT}' cannot be deleted"),
        ));
    }
    let current = load(cx, id).await?;
    let before = view(&current);
    check_if_match(if_match, &etag(&before))?;
    let applications = cx.store.list_applications(id).await?.len();
    let subscribers = cx.store.count_subscribers(id).await?;
    if cascade {
        cx.store.delete_tenant_cascade(id).await?;
    } else {
        match cx.store.delete_tenant(id).await {
            Err(StoreError::Conflict(_)) => {
                return Err(ManageError::Conflict(format!(
                    "tenant '{id}' still has {applications} application(s) and {subscribers} \
                     subscriber(s): delete them first or pass cascade=true"
                )))
            }
            other => other?,
        }
    }
    super::audit::record(
        cx,
        id,
        "tenant.delete",
        &target(id),
        if cascade { "cascade" } else { "" },
        serde_json::json!({
            "before": before,
            "after": null,
            "cascade": cascade,
            "removed": {"applications": applications, "subscribers": subscribers},
        }),
    )
    .await
}

/// Creates the reserved `system` tenant when missing; true when it was created.
pub async fn ensure_system_tenant(store: &dyn Store, now: Timestamp) -> StoreResult<bool> {
    let id = TenantId::parse(SYSTEM_TENANT).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if store.get_tenant(&id).await?.is_some() {
        return Ok(false);
    }
    match store
        .create_tenant(&Tenant {
            id,
            name: "Operator administrators".into(),
            status: TenantStatus::Active,
            created_at: now,
        })
        .await
    {
        // Another node created it between our read and write.
        Err(StoreError::Conflict(_)) => Ok(false),
        other => other.map(|()| true),
    }
}
