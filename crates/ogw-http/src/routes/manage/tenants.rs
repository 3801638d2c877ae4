//! `/v1/tenants`: tenant management (scope `admin:tenants`; changes are operator-only).
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ogw_core::manage::page::PageRequest;
use ogw_core::manage::tenants;
use ogw_core::manage::views::{TenantCreate, TenantPage, TenantPatch, TenantView};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::support::{
    created, if_match, segment, tagged, ApiError, ErrorBody, MJson, MPath, MQuery, ManageCaller,
};
use super::PageParams;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tenants_list_get, tenants_create_post))
        .routes(routes!(tenant_get, tenant_patch, tenant_delete))
}

/// Lists tenants: every tenant for operator-wide callers, one's own otherwise.
#[utoipa::path(get, path = "/v1/tenants", tag = "tenants", params(PageParams),
    responses(
        (status = 200, description = "A page of tenants", body = TenantPage),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ))]
async fn tenants_list_get(
    State(state): State<AppState>,
    caller: ManageCaller,
    MQuery(p): MQuery<PageParams>,
) -> Result<Json<TenantPage>, ApiError> {
    let page = PageRequest::parse(p.limit, p.cursor.as_deref())?;
    Ok(Json(tenants::list(&caller.cx(&state), &page).await?.into()))
}

/// Creates a tenant (operator-wide callers only).
#[utoipa::path(post, path = "/v1/tenants", tag = "tenants", request_body = TenantCreate,
    responses(
        (status = 201, description = "Created", body = TenantView,
            headers(("Location" = String, description = "The new tenant"), ("ETag" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "The id exists", body = ErrorBody),
        (status = 422, description = "Reserved id", body = ErrorBody),
    ))]
async fn tenants_create_post(
    State(state): State<AppState>,
    caller: ManageCaller,
    MJson(input): MJson<TenantCreate>,
) -> Result<Response, ApiError> {
    let v = tenants::create(&caller.cx(&state), input).await?;
    Ok(created(&format!("/v1/tenants/{}", segment(&v.id)), &v))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant}", tag = "tenants",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses(
        (status = 200, description = "The tenant", body = TenantView, headers(("ETag" = String))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
async fn tenant_get(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath(tenant): MPath<String>,
) -> Result<Response, ApiError> {
    let id = tenants::parse_id(&tenant)?;
    Ok(tagged(
        StatusCode::OK,
        &tenants::get(&caller.cx(&state), &id).await?,
    ))
}

/// Renames, suspends or reactivates a tenant (operator-wide callers only). `If-Match` is
/// optional; when given it must match the current ETag.
#[utoipa::path(patch, path = "/v1/tenants/{tenant}", tag = "tenants", request_body = TenantPatch,
    params(("tenant" = String, Path, description = "Tenant id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being changed")),
    responses(
        (status = 200, description = "Updated", body = TenantView, headers(("ETag" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 412, body = ErrorBody),
        (status = 422, description = "The system tenant cannot be suspended", body = ErrorBody),
    ))]
async fn tenant_patch(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath(tenant): MPath<String>,
    headers: HeaderMap,
    MJson(patch): MJson<TenantPatch>,
) -> Result<Response, ApiError> {
    let id = tenants::parse_id(&tenant)?;
    let v = tenants::update(&caller.cx(&state), &id, patch, if_match(&headers)).await?;
    Ok(tagged(StatusCode::OK, &v))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DeleteParams {
    /// Also delete everything the tenant owns (applications, subscribers, catalog, consents…).
    /// The deletion is audited; the audit trail itself stays.
    #[serde(default)]
    cascade: Option<bool>,
}

/// Deletes a tenant: only when it has no applications and subscribers (409 otherwise),
/// unless `cascade=true`.
#[utoipa::path(delete, path = "/v1/tenants/{tenant}", tag = "tenants",
    params(("tenant" = String, Path, description = "Tenant id"), DeleteParams,
           ("If-Match" = Option<String>, Header, description = "ETag of the version being deleted")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not empty", body = ErrorBody), (status = 412, body = ErrorBody),
        (status = 422, description = "The system tenant cannot be deleted", body = ErrorBody),
    ))]
async fn tenant_delete(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath(tenant): MPath<String>,
    MQuery(q): MQuery<DeleteParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = tenants::parse_id(&tenant)?;
    tenants::delete(
        &caller.cx(&state),
        &id,
        q.cascade.unwrap_or(false),
        if_match(&headers),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
