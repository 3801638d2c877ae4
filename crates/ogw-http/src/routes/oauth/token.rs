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
    let res = grants::token(
        &state.oauth(),
        authorization(&headers),
        &params(body),
        state.now(),
    )
    .await?;
    Ok(no_store(res))
}
