//! The authorization server's HTTP surface. Handlers are thin: extract, call one
//! `ogw_core::oauth` function, map the result to the wire.
mod authorize;
mod ciba;
mod discovery;
mod introspect;
mod token;

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ogw_core::oauth::discovery::paths;
use ogw_core::oauth::{Deps, Params};
use serde::Serialize;

use crate::extract::OAuthParams;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(paths::OPENID_CONFIGURATION, get(discovery::discovery_get))
        .route(
            paths::OAUTH_AUTHORIZATION_SERVER,
            get(discovery::discovery_get),
        )
        .route(paths::JWKS, get(discovery::jwks_get))
        .route(
            paths::AUTHORIZE,
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route(paths::BC_AUTHORIZE, post(ciba::bc_authorize_post))
        .route(paths::TOKEN, post(token::token_post))
        .route(paths::INTROSPECT, post(introspect::introspect_post))
        .route(paths::REVOKE, post(introspect::revoke_post))
}

impl AppState {
    /// The core's view of this state, for one request.
    pub(crate) fn oauth(&self) -> Deps<'_> {
        Deps {
            store: self.store.as_ref(),
            tokens: &self.tokens,
            pepper: &self.pepper,
            settings: &self.settings,
            dpop_jkt: None,
        }
    }
}

fn params(p: OAuthParams) -> Params {
    Params::new(p.0)
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

/// RFC 6749 §5.1: token-bearing responses are never cached.
fn no_store<T: Serialize>(body: T) -> Response {
    let mut res = Json(body).into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}
