//! Consent view definitions (scopes `views:read`, `views:write`) at
//! `/v1/tenants/{tenant}/views[/{id}]` and, for the caller's own tenant, `/v1/views[/{id}]`:
//! the same handlers on both, the tenant taken from the path or from the caller.
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;
use ogw_core::manage::consent_views::{self, ViewInput, ViewPage, ViewView};
use ogw_core::manage::page::PageRequest;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::support::{
    created, if_match, segment, tagged, ApiError, ErrorBody, MJson, MPath, MQuery, ManageCaller,
};
use super::PageParams;
use crate::state::AppState;

/// The caller's-own-tenant aliases of `/v1/tenants/{tenant}/views[/{id}]`; documented by
/// [`super::own_tenant_aliases`].
pub const OWN_TENANT_ALIASES: &[(&str, &str)] = &[
    ("/v1/tenants/{tenant}/views", "/v1/views"),
    ("/v1/tenants/{tenant}/views/{id}", "/v1/views/{id}"),
];

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(views_list_get))
        .routes(routes!(view_get, view_put, view_delete))
        .route(OWN_TENANT_ALIASES[0].1, get(views_list_get))
        .route(
            OWN_TENANT_ALIASES[1].1,
            get(view_get).put(view_put).delete(view_delete),
        )
}

/// `{tenant}` is absent on the `/v1/views` aliases.
#[derive(Deserialize)]
struct ListPath {
    #[serde(default)]
    tenant: Option<String>,
}

#[derive(Deserialize)]
struct OnePath {
    #[serde(default)]
    tenant: Option<String>,
    id: String,
}

/// Where a created view lives, under the route it was created through.
fn location(tenant: Option<&str>, id: &str) -> String {
    match tenant {
        Some(t) => format!("/v1/tenants/{}/views/{}", segment(t), segment(id)),
        None => format!("/v1/views/{}", segment(id)),
    }
}

#[utoipa::path(get, path = "/v1/tenants/{tenant}/views", tag = "views",
    params(("tenant" = String, Path, description = "Tenant id"), PageParams),
    responses(
        (status = 200, description = "A page of consent views", body = ViewPage),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
async fn views_list_get(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath(path): MPath<ListPath>,
    MQuery(p): MQuery<PageParams>,
) -> Result<Json<ViewPage>, ApiError> {
    let tenant = caller.tenant(path.tenant.as_deref())?;
    let page = PageRequest::parse(p.limit, p.cursor.as_deref())?;
    Ok(Json(
        consent_views::list(&caller.cx(&state), &tenant, &page)
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant}/views/{id}", tag = "views",
    params(("tenant" = String, Path, description = "Tenant id"), ("id" = String, Path, description = "View id")),
    responses(
        (status = 200, description = "The view", body = ViewView, headers(("ETag" = String))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
async fn view_get(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath(path): MPath<OnePath>,
) -> Result<Response, ApiError> {
    let tenant = caller.tenant(path.tenant.as_deref())?;
    let id = consent_views::parse_id(&path.id)?;
    let v = consent_views::get(&caller.cx(&state), &tenant, &id).await?;
    Ok(tagged(StatusCode::OK, &v))
}

/// Creates (201) or replaces (200) the view: texts per locale (must include
/// `defaultLocale`) and branding, for a purpose and optionally one capability of the
/// catalog and/or one application (one view per such combination: 409 otherwise).
#[utoipa::path(put, path = "/v1/tenants/{tenant}/views/{id}", tag = "views",
    params(("tenant" = String, Path, description = "Tenant id"), ("id" = String, Path, description = "View id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being replaced")),
    request_body = ViewInput,
    responses(
        (status = 200, description = "Replaced", body = ViewView, headers(("ETag" = String))),
        (status = 201, description = "Created", body = ViewView, headers(("Location" = String), ("ETag" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 412, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
async fn view_put(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath(path): MPath<OnePath>,
    headers: HeaderMap,
    MJson(input): MJson<ViewInput>,
) -> Result<Response, ApiError> {
    let tenant = caller.tenant(path.tenant.as_deref())?;
    let id = consent_views::parse_id(&path.id)?;
    let (v, was_created) =
        consent_views::put(&caller.cx(&state), &tenant, &id, input, if_match(&headers)).await?;
    Ok(if was_created {
        created(&location(path.tenant.as_deref(), &v.id), &v)
    } else {
        tagged(StatusCode::OK, &v)
    })
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant}/views/{id}", tag = "views",
    params(("tenant" = String, Path, description = "Tenant id"), ("id" = String, Path, description = "View id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being deleted")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 412, body = ErrorBody),
    ))]
async fn view_delete(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath(path): MPath<OnePath>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let tenant = caller.tenant(path.tenant.as_deref())?;
    let id = consent_views::parse_id(&path.id)?;
    consent_views::delete(&caller.cx(&state), &tenant, &id, if_match(&headers)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
