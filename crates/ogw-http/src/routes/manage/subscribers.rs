//! `/v1/tenants/{tenant}/subscribers` and `/ip-sessions`: what the gateway believes about
//! the network (scopes `subscribers:read`, `subscribers:write`).
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ogw_core::manage::consents::parse_phone;
use ogw_core::manage::page::PageRequest;
use ogw_core::manage::subscribers;
use ogw_core::manage::tenants::parse_id;
use ogw_core::manage::views::{
    IpSessionPage, SimChangeInput, SimChangeView, SubscriberPage, SubscriberUpsert, SubscriberView,
};
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
        .routes(routes!(subscribers_list_get))
        .routes(routes!(subscriber_get, subscriber_put))
        .routes(routes!(subscriber_sim_changes_post))
        .routes(routes!(ip_sessions_list_get))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant}/subscribers", tag = "subscribers",
    params(("tenant" = String, Path, description = "Tenant id"), PageParams),
    responses(
        (status = 200, description = "A page of subscribers, by phone number", body = SubscriberPage),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
async fn subscribers_list_get(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath(tenant): MPath<String>,
    MQuery(p): MQuery<PageParams>,
) -> Result<Json<SubscriberPage>, ApiError> {
    let tenant = parse_id(&tenant)?;
    let page = PageRequest::parse(p.limit, p.cursor.as_deref())?;
    Ok(Json(
        subscribers::list(&caller.cx(&state), &tenant, &page)
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant}/subscribers/{phoneNumber}", tag = "subscribers",
    params(("tenant" = String, Path, description = "Tenant id"),
           ("phoneNumber" = String, Path, description = "E.164 with the leading +")),
    responses(
        (status = 200, description = "The subscriber", body = SubscriberView, headers(("ETag" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
async fn subscriber_get(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath((tenant, phone)): MPath<(String, String)>,
) -> Result<Response, ApiError> {
    let tenant = parse_id(&tenant)?;
    let msisdn = parse_phone(&phone)?;
    let v = subscribers::get(&caller.cx(&state), &tenant, &msisdn).await?;
    Ok(tagged(StatusCode::OK, &v))
}

/// Creates (201) or replaces (200) a subscriber. Its `subscriberId` cannot change.
#[utoipa::path(put, path = "/v1/tenants/{tenant}/subscribers/{phoneNumber}", tag = "subscribers",
    params(("tenant" = String, Path, description = "Tenant id"),
           ("phoneNumber" = String, Path, description = "E.164 with the leading +"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being replaced")),
    request_body = SubscriberUpsert,
    responses(
        (status = 200, description = "Replaced", body = SubscriberView, headers(("ETag" = String))),
        (status = 201, description = "Created", body = SubscriberView, headers(("Location" = String), ("ETag" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The subscriber id belongs to another number", body = ErrorBody),
        (status = 412, body = ErrorBody), (status = 422, body = ErrorBody),
    ))]
async fn subscriber_put(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath((tenant, phone)): MPath<(String, String)>,
    headers: HeaderMap,
    MJson(input): MJson<SubscriberUpsert>,
) -> Result<Response, ApiError> {
    let tenant = parse_id(&tenant)?;
    let msisdn = parse_phone(&phone)?;
    let (v, was_created) = subscribers::upsert(
        &caller.cx(&state),
        &tenant,
        &msisdn,
        input,
        if_match(&headers),
    )
    .await?;
    Ok(if was_created {
        let loc = format!(
            "/v1/tenants/{}/subscribers/{}",
            segment(tenant.as_str()),
            segment(&v.phone_number)
        );
        created(&loc, &v)
    } else {
        tagged(StatusCode::OK, &v)
    })
}

/// Records a SIM change (SIM Swap answers from these). Idempotent per `eventId`: a repeat
/// answers 200 with `recorded: false`.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/subscribers/{phoneNumber}/sim-changes", tag = "subscribers",
    params(("tenant" = String, Path, description = "Tenant id"),
           ("phoneNumber" = String, Path, description = "E.164 with the leading +")),
    request_body = SimChangeInput,
    responses(
        (status = 201, description = "Recorded", body = SimChangeView),
        (status = 200, description = "Already recorded", body = SimChangeView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    ))]
async fn subscriber_sim_changes_post(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath((tenant, phone)): MPath<(String, String)>,
    MJson(input): MJson<SimChangeInput>,
) -> Result<Response, ApiError> {
    let tenant = parse_id(&tenant)?;
    let msisdn = parse_phone(&phone)?;
    let v = subscribers::record_sim_change(&caller.cx(&state), &tenant, &msisdn, input).await?;
    let status = if v.recorded {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(v)).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct SessionParams {
    /// Only this subscriber's sessions.
    #[serde(default)]
    phone_number: Option<String>,
    /// Page size, 1..=500 (default 50).
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    cursor: Option<String>,
}

/// Active IP sessions (within the configured idle timeout): the addresses network-based
/// authentication recognises.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/ip-sessions", tag = "subscribers",
    params(("tenant" = String, Path, description = "Tenant id"), SessionParams),
    responses(
        (status = 200, description = "A page of active sessions", body = IpSessionPage),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
async fn ip_sessions_list_get(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath(tenant): MPath<String>,
    MQuery(q): MQuery<SessionParams>,
) -> Result<Json<IpSessionPage>, ApiError> {
    let tenant = parse_id(&tenant)?;
    let msisdn = q.phone_number.as_deref().map(parse_phone).transpose()?;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let idle = state.settings.session_idle_timeout;
    let cx = caller.cx(&state);
    Ok(Json(
        subscribers::list_ip_sessions(&cx, &tenant, msisdn.as_ref(), idle, &page)
            .await?
            .into(),
    ))
}
