//! OIDC Discovery / RFC 8414 metadata and the JWKS.
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ogw_core::oauth::discovery;

use crate::state::AppState;

pub(super) async fn discovery_get(State(state): State<AppState>) -> Response {
    cacheable(
        Json(discovery::metadata(&state.settings)).into_response(),
        300,
    )
}

/// Short max-age: a rotation on any node reaches clients within a minute.
pub(super) async fn jwks_get(State(state): State<AppState>) -> Response {
    let jwks = state.tokens.keys().current().jwks.clone();
    let mut res = cacheable(Json(jwks).into_response(), 60);
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jwk-set+json"),
    );
    res
}

fn cacheable(mut res: Response, secs: u32) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={secs}")) {
        res.headers_mut().insert(header::CACHE_CONTROL, v);
    }
    res
}
