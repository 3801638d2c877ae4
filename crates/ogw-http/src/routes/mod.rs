//! Route tree. Each feature module returns its own `Router`; this file merges them,
//! mounts the public ones under `base_path` and adds the cross-cutting layers.
mod camara;
pub(crate) mod manage;
mod network;
mod oauth;
mod pages;
mod system;

use axum::middleware::{from_fn, from_fn_with_state};
use axum::Router;
use tower_http::trace::TraceLayer;

use crate::middleware::{edge, track_metrics, CamaraPaths};
use crate::state::AppState;

pub(crate) use network::IMPORTS_PREFIX;

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let public: Router<AppState> = Router::new()
        .merge(oauth::routes())
        .merge(camara::routes())
        .merge(pages::routes());
    let base = state.settings.base_path.trim_end_matches('/').to_owned();
    let mounted = if base.is_empty() {
        public
    } else {
        Router::new().nest(&base, public)
    };
    let camara_paths = CamaraPaths::new(&base, &camara::API_BASES);
    let routed = mounted
        .merge(system::routes())
        // Management lives under /v1 always, not under base_path (DECISIONS 10).
        .merge(manage::routes())
        .merge(network::routes())
        // Per route: the metrics are labelled with the matched route template.
        .route_layer(from_fn(track_metrics))
        .with_state(state);
    // The layers for every request wrap the routed service once. `Router::layer` wraps each
    // route on its own instead, and every layer so applied costs each request a boxed clone
    // of the route's whole stack and a boxed future (bench/PERF.md, round 8).
    Router::new()
        .fallback_service(routed)
        .layer(from_fn_with_state(camara_paths, edge))
        .layer(TraceLayer::new_for_http())
}
