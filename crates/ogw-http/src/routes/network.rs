//! Network facts from provisioning, with management authentication (scope
//! `subscribers:write`): `POST /v1/network/sim-changes` and the bulk import upload
//! `POST /v1/network/imports/{kind}`. The tenant is the caller's own unless an operator-wide
//! caller names one with `?tenant=`.
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use http_body_util::BodyExt;
use ogw_core::domain::TenantId;
use ogw_core::manage::Actor;
use ogw_core::network::import::{Format, ImportKind};
use ogw_core::network::import::{ImportReport, LineError};
use ogw_core::network::managed;
use ogw_core::network::sim_change::SimChangeIn;
use ogw_core::network::sim_change::SimChangeRecorded;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use super::manage::support::{ApiError, ErrorBody, MJson, MPath, MQuery, ManageCaller};
use crate::error::CamaraError;
use crate::state::AppState;

/// Where bulk imports are uploaded (`/v1/network/imports/{kind}`): they stream a file of any
/// size, so they get `crate::middleware::IMPORT_TIMEOUT` instead of the request timeout.
pub(crate) const IMPORTS_PREFIX: &str = "/v1/network/imports/";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/network/sim-changes", post(network_sim_changes_post))
        .route(
            &format!("{IMPORTS_PREFIX}{{kind}}"),
            post(network_imports_post),
        )
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TenantParam {
    /// The tenant; default the caller's own. Required for operator-wide callers.
    #[serde(default)]
    tenant: Option<String>,
}

/// The OpenAPI description of these routes, merged into `/v1/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    paths(network_sim_changes_post, network_imports_post),
    components(schemas(SimChangeIn, SimChangeRecorded, ImportReport, ImportKind, LineError)),
    tags((name = "network", description = "Network facts from provisioning: SIM change events and bulk imports (subscribers:write)"))
)]
pub(super) struct NetworkDoc;

fn tenant_of(caller: &ManageCaller, q: &TenantParam) -> Result<TenantId, ApiError> {
    match (&q.tenant, &caller.0) {
        (Some(t), _) => TenantId::parse(t)
            .map_err(|e| ApiError(CamaraError::invalid_argument(format!("tenant: {e}")))),
        (None, Actor::Client { tenant, .. }) => Ok(tenant.clone()),
        (None, Actor::Local { .. }) => Err(ApiError(CamaraError::invalid_argument(
            "tenant is required",
        ))),
    }
}

/// Records a SIM change event: 201 when new, 200 (`recorded: false`) when its event id was
/// recorded before; 404 when the phone number is not a subscriber.
#[utoipa::path(post, path = "/v1/network/sim-changes", tag = "network",
    params(TenantParam),
    request_body = SimChangeIn,
    responses(
        (status = 201, description = "Recorded", body = SimChangeRecorded),
        (status = 200, description = "This event id was recorded before: nothing changed (`recorded: false`)", body = SimChangeRecorded),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "Not a subscriber", body = ErrorBody),
    ))]
async fn network_sim_changes_post(
    State(state): State<AppState>,
    caller: ManageCaller,
    MQuery(q): MQuery<TenantParam>,
    MJson(input): MJson<SimChangeIn>,
) -> Result<Response, ApiError> {
    let tenant = tenant_of(&caller, &q)?;
    let r = managed::record_sim_change(&caller.cx(&state), &tenant, input).await?;
    let status = if r.recorded {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(r)).into_response())
}

/// Streams an NDJSON (`application/x-ndjson`) or CSV (`text/csv`) body into one import: 200
/// with the report when committed, 422 with the report (errors by line) when rejected, in
/// which case nothing was written.
#[utoipa::path(post, path = "/v1/network/imports/{kind}", tag = "network",
    params(("kind" = ImportKind, Path, description = "What the file holds"), TenantParam),
    request_body(
        description = "One record per line: NDJSON objects, or CSV with a header row naming the \
            columns (the NDJSON keys). subscribers: phoneNumber, simActivatedAt, subscriberId?, \
            imsi?; sim-changes: phoneNumber, changedAt, eventId?, newImsi?, reason?, source?; \
            ip-sessions: sessionId, ipAddress, phoneNumber, startedAt, lastSeenAt?, endedAt?, imsi?",
        content(
            (String = "application/x-ndjson"),
            (String = "text/csv"),
        )
    ),
    responses(
        (status = 200, description = "Committed", body = ImportReport),
        (status = 422, description = "Rejected, nothing written: the report lists the errors by line", body = ImportReport),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "Unknown kind", body = ErrorBody),
        (status = 415, description = "Not text/csv or application/x-ndjson", body = ErrorBody),
    ))]
async fn network_imports_post(
    State(state): State<AppState>,
    caller: ManageCaller,
    MPath(kind): MPath<String>,
    MQuery(q): MQuery<TenantParam>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let tenant = tenant_of(&caller, &q)?;
    let kind = ImportKind::parse(&kind).ok_or_else(|| {
        ApiError(CamaraError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "imports are subscribers, sim-changes or ip-sessions",
        ))
    })?;
    let format = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(Format::from_media_type)
        .ok_or_else(|| {
            ApiError(CamaraError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "send text/csv or application/x-ndjson",
            ))
        })?;
    let cx = caller.cx(&state);
    let mut importer = managed::begin_import(&cx, &tenant, kind, format).await?;
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ApiError(CamaraError::invalid_argument(format!(
                "reading the body: {e}"
            )))
        })?;
        if let Some(data) = frame.data_ref() {
            importer.feed(data).await?;
        }
    }
    let report = importer.finish().await?;
    managed::audit_import(&cx, &tenant, &report).await?;
    let status = if report.committed {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(report)).into_response())
}
