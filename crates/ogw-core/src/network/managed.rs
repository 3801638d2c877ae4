//! Network facts through the management API: the `subscribers:write` scope, tenant isolation
//! and an audit event, as for every other management write.
use super::import::{Format, ImportKind, ImportReport, ImportSpec, Importer};
use super::sim_change::{self, SimChangeError, SimChangeIn, SimChangeRecorded};
use crate::domain::TenantId;
use crate::manage::{audit, scopes, tenants, Ctx, ManageError, ManageResult};

/// `POST /v1/network/sim-changes`: records one SIM change of a subscriber of `tenant`.
pub async fn record_sim_change(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    input: SimChangeIn,
) -> ManageResult<SimChangeRecorded> {
    cx.actor.authorize(scopes::SUBSCRIBERS_WRITE, tenant)?;
    tenants::load(cx, tenant).await?;
    let phone = input.phone_number.clone();
    let r = sim_change::record(cx.store, tenant, input, cx.now)
        .await
        .map_err(|e| match e {
            SimChangeError::Invalid(m) => ManageError::Invalid(m),
            SimChangeError::UnknownSubscriber => {
                ManageError::NotFound(format!("subscriber {phone} not found"))
            }
            SimChangeError::Store(s) => ManageError::Store(s),
        })?;
    if r.recorded {
        let detail = serde_json::to_value(&r).unwrap_or_default();
        let target = format!("subscriber:{}", r.phone_number);
        audit::record(cx, tenant, "network.sim_change", &target, "", detail).await?;
    }
    Ok(r)
}

/// Starts an import for `tenant` on behalf of the management caller.
pub async fn begin_import(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    kind: ImportKind,
    format: Format,
) -> ManageResult<Importer> {
    cx.actor.authorize(scopes::SUBSCRIBERS_WRITE, tenant)?;
    tenants::load(cx, tenant).await?;
    let spec = ImportSpec {
        kind,
        format,
        tenant: tenant.clone(),
        now: cx.now,
        default_source: "api".into(),
    };
    Ok(Importer::begin(cx.store, spec).await?)
}

/// The audit event of a finished import (committed or rejected), without the error list.
pub async fn audit_import(cx: &Ctx<'_>, tenant: &TenantId, r: &ImportReport) -> ManageResult<()> {
    let detail = serde_json::json!({
        "kind": r.kind, "rows": r.rows, "inserted": r.inserted, "updated": r.updated,
        "unchanged": r.unchanged, "errorCount": r.error_count, "committed": r.committed,
    });
    let target = format!("import:{}", r.kind.as_str());
    let reason = if r.committed { "" } else { "rejected" };
    audit::record(cx, tenant, "network.import", &target, reason, detail).await
}
