//! `GET|POST /authorize`: network-based authentication of the requesting device (its
//! address, or a trusted proxy's enrichment header: see [`Device`]).
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ogw_core::network::device::DeviceEvidence;
use ogw_core::oauth::authorize::{authorize, AuthorizeOutcome};
use ogw_core::oauth::Params;

use crate::error::OAuthError;
use crate::extract::{Device, OAuthParams};
use crate::state::AppState;

pub(super) async fn authorize_get(
    State(state): State<AppState>,
    Device(device): Device,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs: Vec<(String, String)> =
        match serde_urlencoded::from_str(query.as_deref().unwrap_or_default()) {
            Ok(p) => p,
            Err(e) => {
                return OAuthError::invalid_request(format!("malformed query: {e}")).into_response()
            }
        };
    match OAuthParams::from_pairs(pairs) {
        Ok(p) => respond(&state, p, &device).await,
        Err(e) => e.into_response(),
    }
}

/// OIDC Core §3.1.2.1: the authorization endpoint also accepts POST (form body).
pub(super) async fn authorize_post(
    State(state): State<AppState>,
    Device(device): Device,
    params: OAuthParams,
) -> Response {
    respond(&state, params, &device).await
}

async fn respond(state: &AppState, params: OAuthParams, device: &DeviceEvidence) -> Response {
    let params = Params::new(params.0);
    match authorize(&state.oauth(), &params, device, state.now()).await {
        AuthorizeOutcome::Redirect(location) => {
            let mut res = StatusCode::FOUND.into_response();
            let h = res.headers_mut();
            match HeaderValue::from_str(&location) {
                Ok(v) => {
                    h.insert(header::LOCATION, v);
                }
                Err(_) => {
                    return OAuthError::invalid_request("redirect_uri cannot be used")
                        .into_response()
                }
            }
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        AuthorizeOutcome::Refuse(e) => OAuthError::from(e).into_response(),
    }
}
