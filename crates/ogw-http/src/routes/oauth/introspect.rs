//! `POST /introspect` (RFC 7662) and `POST /revoke` (RFC 7009).
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ogw_core::oauth::discovery::paths;
use ogw_core::oauth::introspect;

use super::{authorization, no_store, params};
use crate::error::OAuthError;
use crate::extract::OAuthParams;
use crate::state::AppState;

pub(super) async fn introspect_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: OAuthParams,
) -> Result<Response, OAuthError> {
    let deps = state.oauth();
    let now = state.now();
    let p = params(body);
    let client =
        introspect::authenticate_caller(&deps, authorization(&headers), &p, paths::INTROSPECT, now)
            .await?;
    Ok(no_store(
        introspect::introspect(&deps, &client, &p, now).await?,
    ))
}

pub(super) async fn revoke_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: OAuthParams,
) -> Result<Response, OAuthError> {
    let deps = state.oauth();
    let now = state.now();
    let p = params(body);
    let client =
        introspect::authenticate_caller(&deps, authorization(&headers), &p, paths::REVOKE, now)
            .await?;
    introspect::revoke(&deps, &client, &p, now).await?;
    Ok(StatusCode::OK.into_response())
}
