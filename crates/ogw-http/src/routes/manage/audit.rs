//! `/v1/tenants/{tenant}/audit`: the audit trail, newest first (scope `audit:read`).
use axum::extract::State;
use axum::Json;
use ogw_core::manage::audit::{self, AuditQuery};
use ogw_core::manage::page::PageRequest;
use ogw_core::manage::tenants::parse_id;
use ogw_core::manage::views::AuditEventPage;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::support::{ApiError, ErrorBody, MPath, MQuery, ManageCaller};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(audit_list_get))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditParams {
    /// Actions starting with this, e.g. `consent.` or `application.create`.
    #[serde(default)]
    action: Option<String>,
    /// Exactly this actor (a client id, `cli:<user>`…).
    #[serde(default)]
    actor: Option<String>,
    /// Page size, 1..=500 (default 50).
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    cursor: Option<String>,
}

/// The tenant's audit trail: every management write (with the state before and after) and
/// every consent decision. Readable by operators even after the tenant was deleted.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/audit", tag = "audit",
    params(("tenant" = String, Path, description = "Tenant id"), AuditParams),
    responses(
        (status = 200, description = "A page of events, newest first", body = AuditEventPage),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
async fn audit_list_get(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath(tenant): MPath<String>,
    MQuery(q): MQuery<AuditParams>,
) -> Result<Json<AuditEventPage>, ApiError> {
    let tenant = parse_id(&tenant)?;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let query = AuditQuery {
        action: q.action,
        actor: q.actor,
    };
    Ok(Json(
        audit::list(&caller.cx(&state), &tenant, &query, &page)
            .await?
            .into(),
    ))
}
