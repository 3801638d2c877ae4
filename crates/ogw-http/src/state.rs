use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use ogw_core::clock::Clock;
use ogw_core::oauth::tokens::TokenService;
use ogw_core::secret::Pepper;
use ogw_core::settings::Settings;
use ogw_core::store::{Store, Timestamp};

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub tokens: TokenService,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    /// Keys the hashes of client secrets.
    pub pepper: Pepper,
    pub metrics: PrometheusHandle,
}

impl AppState {
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}
