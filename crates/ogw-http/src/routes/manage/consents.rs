//! `/v1/tenants/{tenant}/consents`: the consent check (the AS's own decision), the
//! subscriber's answers, lists and history (scopes `consents:read`, `consents:write`).
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use ogw_core::manage::applications::parse_client_id;
use ogw_core::manage::consents::{self, parse_phone, parse_purpose, ConsentFilter};
use ogw_core::manage::page::PageRequest;
use ogw_core::manage::tenants::parse_id;
use ogw_core::manage::views::{
    ConsentCheckRequest, ConsentCheckResult, ConsentEventPage, ConsentPage, ConsentView,
    ConsentWrite,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::support::{
    created, segment, tagged, ApiError, ErrorBody, MJson, MPath, MQuery, ManageCaller,
};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(consents_check_post))
        .routes(routes!(consents_list_get, consents_write_post))
        .routes(routes!(consents_history_get))
        .routes(routes!(consent_get))
}

/// Does the subscriber consent? Decided by the authorization server's own rule (legal
/// basis of the purpose + the stored consent); the decision is audited.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/consents/check", tag = "consents",
    params(("tenant" = String, Path, description = "Tenant id")),
    request_body = ConsentCheckRequest,
    responses(
        (status = 200, description = "The decision", body = ConsentCheckResult),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "Unknown tenant, application or subscriber", body = ErrorBody),
        (status = 422, description = "A scope the purpose does not cover", body = ErrorBody),
    ))]
async fn consents_check_post(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath(tenant): MPath<String>,
    MJson(req): MJson<ConsentCheckRequest>,
) -> Result<Json<ConsentCheckResult>, ApiError> {
    let tenant = parse_id(&tenant)?;
    Ok(Json(
        consents::check(&caller.cx(&state), &tenant, req).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct ListParams {
    /// The subscriber's consents.
    #[serde(default)]
    phone_number: Option<String>,
    /// The application's consents (with `phoneNumber`: that subscriber's for that application).
    #[serde(default)]
    client_id: Option<String>,
    /// Page size, 1..=500 (default 50).
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    cursor: Option<String>,
}

/// Consents of a subscriber (`phoneNumber`), of an application (`clientId`), or both.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/consents", tag = "consents",
    params(("tenant" = String, Path, description = "Tenant id"), ListParams),
    responses(
        (status = 200, description = "A page of consents", body = ConsentPage),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
async fn consents_list_get(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath(tenant): MPath<String>,
    MQuery(q): MQuery<ListParams>,
) -> Result<Json<ConsentPage>, ApiError> {
    let tenant = parse_id(&tenant)?;
    let filter = ConsentFilter {
        msisdn: q.phone_number.as_deref().map(parse_phone).transpose()?,
        client_id: q.client_id.as_deref().map(parse_client_id).transpose()?,
    };
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    Ok(Json(
        consents::list(&caller.cx(&state), &tenant, &filter, &page)
            .await?
            .into(),
    ))
}

fn location(tenant: &str, v: &ConsentView) -> String {
    format!(
        "/v1/tenants/{}/consents/{}/{}/{}",
        segment(tenant),
        segment(&v.phone_number),
        segment(&v.client_id),
        segment(&v.purpose)
    )
}

/// Records the subscriber's answer (`granted` — optionally until `expiresAt` —, `denied`,
/// or `revoked` for a granted consent) and appends it to the consent's history.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/consents", tag = "consents",
    params(("tenant" = String, Path, description = "Tenant id")),
    request_body = ConsentWrite,
    responses(
        (status = 200, description = "Updated", body = ConsentView),
        (status = 201, description = "Recorded for the first time", body = ConsentView, headers(("Location" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "Unknown tenant, application or subscriber", body = ErrorBody),
        (status = 409, description = "Revoking a consent that is not granted", body = ErrorBody),
        (status = 422, description = "Unknown purpose, scope not covered, bad expiry or status", body = ErrorBody),
    ))]
async fn consents_write_post(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath(tenant): MPath<String>,
    MJson(w): MJson<ConsentWrite>,
) -> Result<Response, ApiError> {
    let tenant = parse_id(&tenant)?;
    let (v, was_created) = consents::write(&caller.cx(&state), &tenant, w).await?;
    Ok(if was_created {
        created(&location(tenant.as_str(), &v), &v)
    } else {
        tagged(StatusCode::OK, &v)
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct HistoryParams {
    phone_number: String,
    client_id: String,
    purpose: String,
    /// Page size, 1..=500 (default 50).
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    cursor: Option<String>,
}

/// The append-only history of one consent, oldest first.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/consents/history", tag = "consents",
    params(("tenant" = String, Path, description = "Tenant id"), HistoryParams),
    responses(
        (status = 200, description = "A page of consent events", body = ConsentEventPage),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
async fn consents_history_get(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath(tenant): MPath<String>,
    MQuery(q): MQuery<HistoryParams>,
) -> Result<Json<ConsentEventPage>, ApiError> {
    let tenant = parse_id(&tenant)?;
    let msisdn = parse_phone(&q.phone_number)?;
    let client = parse_client_id(&q.client_id)?;
    let purpose = parse_purpose(&q.purpose)?;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let cx = caller.cx(&state);
    Ok(Json(
        consents::history(&cx, &tenant, &msisdn, &client, &purpose, &page)
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant}/consents/{phoneNumber}/{clientId}/{purpose}", tag = "consents",
    params(("tenant" = String, Path, description = "Tenant id"),
           ("phoneNumber" = String, Path, description = "E.164 with the leading +"),
           ("clientId" = String, Path), ("purpose" = String, Path, description = "dpv:<Purpose>")),
    responses(
        (status = 200, description = "The consent record", body = ConsentView, headers(("ETag" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
async fn consent_get(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath((tenant, phone, client, purpose)): MPath<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    let tenant = parse_id(&tenant)?;
    let msisdn = parse_phone(&phone)?;
    let client = parse_client_id(&client)?;
    let purpose = parse_purpose(&purpose)?;
    let v = consents::get(&caller.cx(&state), &tenant, &msisdn, &client, &purpose).await?;
    Ok(tagged(StatusCode::OK, &v))
}
