//! `/v1/tenants/{tenant}/capabilities`: the catalog (scopes `catalog:read`, `catalog:write`).
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ogw_core::manage::capabilities;
use ogw_core::manage::page::PageRequest;
use ogw_core::manage::tenants::parse_id;
use ogw_core::manage::views::{CapabilityInput, CapabilityPage, CapabilityView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::support::{
    created, if_match, segment, tagged, ApiError, ErrorBody, MJson, MPath, MQuery, ManageCaller,
};
use super::PageParams;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(capabilities_list_get, capabilities_create_post))
        .routes(routes!(capability_get, capability_put, capability_delete))
}

fn location(tenant: &str, id: &str) -> String {
    format!(
        "/v1/tenants/{}/capabilities/{}",
        segment(tenant),
        segment(id)
    )
}

#[utoipa::path(get, path = "/v1/tenants/{tenant}/capabilities", tag = "capabilities",
    params(("tenant" = String, Path, description = "Tenant id"), PageParams),
    responses(
        (status = 200, description = "A page of catalog entries", body = CapabilityPage),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
async fn capabilities_list_get(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath(tenant): MPath<String>,
    MQuery(p): MQuery<PageParams>,
) -> Result<Json<CapabilityPage>, ApiError> {
    let tenant = parse_id(&tenant)?;
    let page = PageRequest::parse(p.limit, p.cursor.as_deref())?;
    Ok(Json(
        capabilities::list(&caller.cx(&state), &tenant, &page)
            .await?
            .into(),
    ))
}

/// Adds a catalog entry (`id` required in the body).
#[utoipa::path(post, path = "/v1/tenants/{tenant}/capabilities", tag = "capabilities",
    params(("tenant" = String, Path, description = "Tenant id")),
    request_body = CapabilityInput,
    responses(
        (status = 201, description = "Added", body = CapabilityView, headers(("Location" = String), ("ETag" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, description = "Unknown purpose, legal basis mismatch, non-network scope", body = ErrorBody),
    ))]
async fn capabilities_create_post(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath(tenant): MPath<String>,
    MJson(input): MJson<CapabilityInput>,
) -> Result<Response, ApiError> {
    let tenant = parse_id(&tenant)?;
    let v = capabilities::create(&caller.cx(&state), &tenant, input).await?;
    Ok(created(&location(tenant.as_str(), &v.id), &v))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant}/capabilities/{id}", tag = "capabilities",
    params(("tenant" = String, Path, description = "Tenant id"), ("id" = String, Path, description = "Capability id")),
    responses(
        (status = 200, description = "The entry", body = CapabilityView, headers(("ETag" = String))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
async fn capability_get(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath((tenant, id)): MPath<(String, String)>,
) -> Result<Response, ApiError> {
    let tenant = parse_id(&tenant)?;
    let id = capabilities::parse_id(&id)?;
    let v = capabilities::get(&caller.cx(&state), &tenant, &id).await?;
    Ok(tagged(StatusCode::OK, &v))
}

/// Creates (201) or replaces (200) the entry. `status: disabled` switches the API off:
/// its endpoints refuse every caller and the AS refuses its scopes.
#[utoipa::path(put, path = "/v1/tenants/{tenant}/capabilities/{id}", tag = "capabilities",
    params(("tenant" = String, Path, description = "Tenant id"), ("id" = String, Path, description = "Capability id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being replaced")),
    request_body = CapabilityInput,
    responses(
        (status = 200, description = "Replaced", body = CapabilityView, headers(("ETag" = String))),
        (status = 201, description = "Created", body = CapabilityView, headers(("Location" = String), ("ETag" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody),
    ))]
async fn capability_put(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath((tenant, id)): MPath<(String, String)>,
    headers: HeaderMap,
    MJson(input): MJson<CapabilityInput>,
) -> Result<Response, ApiError> {
    let tenant = parse_id(&tenant)?;
    let id = capabilities::parse_id(&id)?;
    let (v, was_created) =
        capabilities::put(&caller.cx(&state), &tenant, &id, input, if_match(&headers)).await?;
    Ok(if was_created {
        created(&location(tenant.as_str(), &v.id), &v)
    } else {
        tagged(StatusCode::OK, &v)
    })
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant}/capabilities/{id}", tag = "capabilities",
    params(("tenant" = String, Path, description = "Tenant id"), ("id" = String, Path, description = "Capability id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being deleted")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 412, body = ErrorBody),
    ))]
async fn capability_delete(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath((tenant, id)): MPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let tenant = parse_id(&tenant)?;
    let id = capabilities::parse_id(&id)?;
    capabilities::delete(&caller.cx(&state), &tenant, &id, if_match(&headers)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
