//! `/v1/tenants/{tenant}/views`: consent view definitions (scopes `views:read`, `views:write`).
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ogw_core::manage::consent_views::{self, ViewInput, ViewPage, ViewView};
use ogw_core::manage::page::PageRequest;
use ogw_core::manage::tenants::parse_id;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::support::{
    created, if_match, segment, tagged, ApiError, ErrorBody, MJson, MPath, MQuery, ManageCaller,
};
use super::PageParams;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(views_list_get))
        .routes(routes!(view_get, view_put, view_delete))
}

fn location(tenant: &str, id: &str) -> String {
    format!("/v1/tenants/{}/views/{}", segment(tenant), segment(id))
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
    MPath(tenant): MPath<String>,
    MQuery(p): MQuery<PageParams>,
) -> Result<Json<ViewPage>, ApiError> {
    let tenant = parse_id(&tenant)?;
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
    MPath((tenant, id)): MPath<(String, String)>,
) -> Result<Response, ApiError> {
    let tenant = parse_id(&tenant)?;
    let id = consent_views::parse_id(&id)?;
    let v = consent_views::get(&caller.cx(&state), &tenant, &id).await?;
    Ok(tagged(StatusCode::OK, &v))
}

/// Creates (201) or replaces (200) the view: texts per locale (must include
/// `defaultLocale`) and branding, for a purpose and optionally one application.
#[utoipa::path(put, path = "/v1/tenants/{tenant}/views/{id}", tag = "views",
    params(("tenant" = String, Path, description = "Tenant id"), ("id" = String, Path, description = "View id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being replaced")),
    request_body = ViewInput,
    responses(
        (status = 200, description = "Replaced", body = ViewView, headers(("ETag" = String))),
        (status = 201, description = "Created", body = ViewView, headers(("Location" = String), ("ETag" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody),
    ))]
async fn view_put(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath((tenant, id)): MPath<(String, String)>,
    headers: HeaderMap,
    MJson(input): MJson<ViewInput>,
) -> Result<Response, ApiError> {
    let tenant = parse_id(&tenant)?;
    let id = consent_views::parse_id(&id)?;
    let (v, was_created) =
        consent_views::put(&caller.cx(&state), &tenant, &id, input, if_match(&headers)).await?;
    Ok(if was_created {
        created(&location(tenant.as_str(), &v.id), &v)
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
    MPath((tenant, id)): MPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let tenant = parse_id(&tenant)?;
    let id = consent_views::parse_id(&id)?;
    consent_views::delete(&caller.cx(&state), &tenant, &id, if_match(&headers)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
