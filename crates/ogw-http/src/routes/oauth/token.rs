//! `POST /token`: every grant, one dispatch (`ogw_core::oauth::grants::token`).
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use ogw_core::oauth::grants;

use super::{authorization, no_store, params};
use crate::error::OAuthError;
use crate::extract::OAuthParams;
use crate::state::AppState;

pub(super) async fn token_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: OAuthParams,
) -> Result<Response, OAuthError> {
    let dpop = headers.get("dpop").and_then(|v| v.to_str().ok());
    let res = grants::token_with_dpop(
        &state.oauth(),
        authorization(&headers),
        dpop,
        &params(body),
        state.now(),
    )
    .await?;
    Ok(no_store(res))
}
