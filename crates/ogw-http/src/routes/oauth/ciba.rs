//! `POST /bc-authorize` (CIBA poll mode): 200 (not 201) with an integer `interval`.
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use ogw_core::oauth::ciba::bc_authorize;

use super::{authorization, no_store, params};
use crate::error::OAuthError;
use crate::extract::OAuthParams;
use crate::state::AppState;

pub(super) async fn bc_authorize_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: OAuthParams,
) -> Result<Response, OAuthError> {
    let res = bc_authorize(
        &state.oauth(),
        authorization(&headers),
        &params(body),
        state.now(),
    )
    .await
    .map_err(|e| {
        let mut wire = OAuthError::from(e);
        // CIBA §13: a denial at the backchannel endpoint is 403.
        if wire.error == "access_denied" {
            wire.status = StatusCode::FORBIDDEN;
        }
        wire
    })?;
    Ok(no_store(res))
}
