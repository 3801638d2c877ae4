//! `/v1/tenants/{tenant}/applications`: API consumers (scopes `apps:read`, `apps:write`).
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ogw_core::manage::applications;
use ogw_core::manage::page::PageRequest;
use ogw_core::manage::tenants::parse_id;
use ogw_core::manage::views::{
    ApplicationCreate, ApplicationCreated, ApplicationPage, ApplicationPatch, ApplicationView,
    ClientSecretView,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::support::{
    created, if_match, no_store, segment, tagged, ApiError, ErrorBody, MJson, MPath, MQuery,
    ManageCaller,
};
use super::PageParams;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(applications_list_get, applications_create_post))
        .routes(routes!(
            application_get,
            application_patch,
            application_delete
        ))
        .routes(routes!(application_secret_post))
}

fn location(tenant: &str, client_id: &str) -> String {
    format!(
        "/v1/tenants/{}/applications/{}",
        segment(tenant),
        segment(client_id)
    )
}

#[utoipa::path(get, path = "/v1/tenants/{tenant}/applications", tag = "applications",
    params(("tenant" = String, Path, description = "Tenant id"), PageParams),
    responses(
        (status = 200, description = "A page of applications", body = ApplicationPage),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
async fn applications_list_get(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath(tenant): MPath<String>,
    MQuery(p): MQuery<PageParams>,
) -> Result<Json<ApplicationPage>, ApiError> {
    let tenant = parse_id(&tenant)?;
    let page = PageRequest::parse(p.limit, p.cursor.as_deref())?;
    Ok(Json(
        applications::list(&caller.cx(&state), &tenant, &page)
            .await?
            .into(),
    ))
}

/// Registers an application. For secret-based authentication the response carries the
/// client secret: this is the only time it is shown (it is stored as a keyed hash).
#[utoipa::path(post, path = "/v1/tenants/{tenant}/applications", tag = "applications",
    params(("tenant" = String, Path, description = "Tenant id")),
    request_body = ApplicationCreate,
    responses(
        (status = 201, description = "Registered", body = ApplicationCreated,
            headers(("Location" = String), ("ETag" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The client id is taken", body = ErrorBody),
        (status = 422, description = "Unknown scope, purpose or capability; missing key or redirect URI", body = ErrorBody),
    ))]
async fn applications_create_post(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath(tenant): MPath<String>,
    MJson(input): MJson<ApplicationCreate>,
) -> Result<Response, ApiError> {
    let tenant = parse_id(&tenant)?;
    let out = applications::create(&caller.cx(&state), &tenant, input).await?;
    let mut res = created(&location(tenant.as_str(), &out.application.client_id), &out);
    // The ETag names the application's representation, not this one-off response.
    if let Ok(v) = ogw_core::manage::etag(&out.application).parse() {
        res.headers_mut().insert(axum::http::header::ETAG, v);
    }
    Ok(no_store(res))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant}/applications/{clientId}", tag = "applications",
    params(("tenant" = String, Path, description = "Tenant id"), ("clientId" = String, Path)),
    responses(
        (status = 200, description = "The application", body = ApplicationView, headers(("ETag" = String))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
async fn application_get(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath((tenant, client_id)): MPath<(String, String)>,
) -> Result<Response, ApiError> {
    let tenant = parse_id(&tenant)?;
    let id = applications::parse_client_id(&client_id)?;
    let v = applications::get(&caller.cx(&state), &tenant, &id).await?;
    Ok(tagged(StatusCode::OK, &v))
}

/// Changes an application. `status: disabled` makes its tokens stop working at once.
#[utoipa::path(patch, path = "/v1/tenants/{tenant}/applications/{clientId}", tag = "applications",
    params(("tenant" = String, Path, description = "Tenant id"), ("clientId" = String, Path),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being changed")),
    request_body = ApplicationPatch,
    responses(
        (status = 200, description = "Updated", body = ApplicationView, headers(("ETag" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody),
    ))]
async fn application_patch(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath((tenant, client_id)): MPath<(String, String)>,
    headers: HeaderMap,
    MJson(patch): MJson<ApplicationPatch>,
) -> Result<Response, ApiError> {
    let tenant = parse_id(&tenant)?;
    let id = applications::parse_client_id(&client_id)?;
    let v =
        applications::update(&caller.cx(&state), &tenant, &id, patch, if_match(&headers)).await?;
    Ok(tagged(StatusCode::OK, &v))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant}/applications/{clientId}", tag = "applications",
    params(("tenant" = String, Path, description = "Tenant id"), ("clientId" = String, Path),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being deleted")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 412, body = ErrorBody),
    ))]
async fn application_delete(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath((tenant, client_id)): MPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let tenant = parse_id(&tenant)?;
    let id = applications::parse_client_id(&client_id)?;
    applications::delete(&caller.cx(&state), &tenant, &id, if_match(&headers)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Issues a new client secret; the previous one stops working. Shown once.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/applications/{clientId}/secret", tag = "applications",
    params(("tenant" = String, Path, description = "Tenant id"), ("clientId" = String, Path)),
    responses(
        (status = 200, description = "The new secret", body = ClientSecretView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
async fn application_secret_post(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath((tenant, client_id)): MPath<(String, String)>,
) -> Result<Response, ApiError> {
    let tenant = parse_id(&tenant)?;
    let id = applications::parse_client_id(&client_id)?;
    let v = applications::rotate_secret(&caller.cx(&state), &tenant, &id).await?;
    Ok(no_store(Json(v).into_response()))
}
