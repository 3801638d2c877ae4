use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use ogw_core::clock::Clock;
use ogw_core::oauth::tokens::TokenService;
use ogw_core::secret::Pepper;
use ogw_core::settings::Settings;
use ogw_core::store::{Store, Timestamp};

/// SharedState by every handler. axum clones the state for every request, so it is one `Arc`:
/// cloning the parts themselves (the token service's keys, the pepper) cost a few hundred
/// bytes of copying and several allocations per request.
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

/// What [`AppState`] shares.
pub struct SharedState {
    pub store: Arc<dyn Store>,
    pub tokens: TokenService,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    /// Keys the hashes of client secrets.
    pub pepper: Pepper,
    pub metrics: PrometheusHandle,
}

impl AppState {
    pub fn new(shared: SharedState) -> Self {
        Self(Arc::new(shared))
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}
