//! Route tree. Each feature module returns its own `Router`; this file merges them,
//! mounts the public ones under `base_path` and adds the cross-cutting layers.
mod camara;
pub(crate) mod manage;
mod network;
mod oauth;
mod pages;
mod system;

use std::time::Duration;

use axum::http::StatusCode;
use axum::middleware::from_fn;
use axum::Router;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::middleware::track_metrics;
use crate::state::AppState;

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
    mounted
        .merge(system::routes())
        // Management lives under /v1 always, not under base_path (DECISIONS 10).
        .merge(manage::routes())
        .merge(network::routes())
        .route_layer(from_fn(track_metrics))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        // Bulk imports stream large bodies: their own, longer timeout.
        .merge(network::import_routes())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
