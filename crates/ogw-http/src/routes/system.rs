//! Operational endpoints: health and metrics.
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health_get))
        .route("/metrics", get(metrics_get))
}

/// 200 when the store answers, 503 otherwise (load balancers take the node out).
/// Bounded: a store that hangs (a pool waiting on a dead server) is unhealthy, not a hung probe.
async fn health_get(State(state): State<AppState>) -> impl IntoResponse {
    let backend = state.store.backend();
    match tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => (
            StatusCode::OK,
            Json(serde_json::json!({"status": "ok", "store": backend})),
        ),
        failed => {
            let reason = match failed {
                Ok(Err(e)) => e.to_string(),
                _ => "timed out".to_owned(),
            };
            tracing::warn!(%reason, "health check: store unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable", "store": backend})),
            )
        }
    }
}

async fn metrics_get(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
