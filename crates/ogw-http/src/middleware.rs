//! Cross-cutting layers: the request timeout, request metrics and the CAMARA `x-correlator`
//! header.
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use foldhash::fast::RandomState;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::error::CamaraError;
use crate::routes::IMPORTS_PREFIX;

/// How long any request may take before it is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// An import streams a file of any size: it gets far more time than other requests.
pub const IMPORT_TIMEOUT: Duration = Duration::from_secs(3600);

const DURATION_METRIC: &str = "http_request_duration_seconds";

/// The process-wide Prometheus recorder (metrics' recorder is global, so it is installed once).
pub fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(DURATION_METRIC.into()),
                    &[
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                        5.0,
                    ],
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            match builder.install_recorder() {
                Ok(h) => h,
                // Someone else installed a global recorder: keep an unattached one so /metrics still answers.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

/// The CAMARA APIs' base paths, under the server's `base_path`.
#[derive(Debug, Clone)]
pub struct CamaraPaths(Arc<[String]>);

impl CamaraPaths {
    pub fn new(base_path: &str, api_bases: &[&str]) -> Self {
        Self(
            api_bases
                .iter()
                .map(|b| format!("{base_path}{b}"))
                .collect(),
        )
    }

    /// `path` is an API's base path or under it.
    fn covers(&self, path: &str) -> bool {
        self.0.iter().any(|base| {
            path.strip_prefix(base.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }
}

/// What every request passes through once, before routing: its time limit (past it, 503 with
/// no body, and the handler is dropped) and, under the CAMARA base paths, [`x_correlator`].
pub async fn edge(State(camara): State<CamaraPaths>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let limit = time_limit(path);
    let correlated = camara.covers(path);
    let run = async move {
        if correlated {
            x_correlator(req, next).await
        } else {
            next.run(req).await
        }
    };
    match tokio::time::timeout(limit, run).await {
        Ok(res) => res,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

fn time_limit(path: &str) -> Duration {
    if path.starts_with(IMPORTS_PREFIX) {
        IMPORT_TIMEOUT
    } else {
        REQUEST_TIMEOUT
    }
}

/// Counts requests and observes latency per route template (not raw path) and status.
pub async fn track_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = req.method().clone();
    let res = next.run(req).await;
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let (requests, duration) = route_metrics(route, &method, res.status());
    requests.increment(1);
    duration.record(start.elapsed().as_secs_f64());
    res
}

/// The (counter, histogram) of one route, method and status.
type RouteMetrics = (metrics::Counter, metrics::Histogram);
/// Route template → (method, status) → handles.
type RouteMetricsCache =
    HashMap<Box<str>, HashMap<(Method, u16), RouteMetrics, RandomState>, RandomState>;

thread_local! {
    /// Handles already registered, per thread: building the labelled key and looking it up in
    /// the global registry on every request cost three allocations and two hash lookups behind
    /// shared locks. Bounded by routes × methods × statuses.
    static ROUTE_METRICS: RefCell<RouteMetricsCache> = RefCell::new(HashMap::default());
}

fn route_metrics(route: &str, method: &Method, status: StatusCode) -> RouteMetrics {
    let key = (method.clone(), status.as_u16());
    ROUTE_METRICS.with(|cache| {
        if let Some(known) = cache.borrow().get(route).and_then(|m| m.get(&key)) {
            return known.clone();
        }
        let labels = [
            ("method", method.as_str().to_owned()),
            ("route", route.to_owned()),
            ("status", key.1.to_string()),
        ];
        let handles = (
            metrics::counter!("http_requests_total", &labels),
            metrics::histogram!(DURATION_METRIC, &labels),
        );
        cache
            .borrow_mut()
            .entry(route.into())
            .or_default()
            .insert(key, handles.clone());
        handles
    })
}

/// CAMARA Design Guide §3: `x-correlator` must match `^[a-zA-Z0-9-_:;.\/<>{}]{0,256}$`,
/// else 400 INVALID_ARGUMENT; it is echoed on every response (generated when absent).
pub async fn x_correlator(mut req: Request, next: Next) -> Response {
    let given = req.headers().get("x-correlator").cloned();
    let value = match given {
        Some(v) if valid_correlator(v.as_bytes()) => v,
        Some(_) => {
            // Not echoed: the value is exactly what failed validation.
            return CamaraError::invalid_argument(
                "x-correlator header does not match the required pattern",
            )
            .into_response();
        }
        None => HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
            .unwrap_or(HeaderValue::from_static("generated")),
    };
    req.extensions_mut().insert(Correlator(value.clone()));
    let mut res = next.run(req).await;
    res.headers_mut().insert("x-correlator", value);
    res
}

/// The request's (validated or generated) `x-correlator`, for handlers and the audit log.
#[derive(Debug, Clone)]
pub struct Correlator(pub HeaderValue);

fn valid_correlator(v: &[u8]) -> bool {
    v.len() <= 256
        && v.iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"-_:;./<>{}".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_get_the_long_time_limit_and_nothing_else_does() {
        assert_eq!(
            time_limit("/v1/network/imports/subscribers"),
            IMPORT_TIMEOUT
        );
        assert_eq!(time_limit("/v1/network/sim-changes"), REQUEST_TIMEOUT);
        assert_eq!(time_limit("/sim-swap/v2/check"), REQUEST_TIMEOUT);
        assert_eq!(time_limit("/v1/network/imports"), REQUEST_TIMEOUT);
    }

    #[test]
    fn camara_paths_cover_their_bases_and_what_is_under_them() {
        let paths = CamaraPaths::new("/bp", &["/sim-swap/v2"]);
        assert!(paths.covers("/bp/sim-swap/v2"));
        assert!(paths.covers("/bp/sim-swap/v2/"));
        assert!(paths.covers("/bp/sim-swap/v2/check"));
        assert!(!paths.covers("/bp/sim-swap/v2x"));
        assert!(!paths.covers("/sim-swap/v2/check"));
        assert!(!paths.covers("/bp/token"));
    }

    #[test]
    fn correlator_pattern() {
        assert!(valid_correlator(b"b4333c46-49c0-4f62-80d7-f0ef930f1c46"));
        assert!(valid_correlator(b""));
        assert!(valid_correlator(b"a:b;c./<>{}_"));
        assert!(!valid_correlator(b"has space"));
        assert!(!valid_correlator(b"$"));
        assert!(!valid_correlator("x".repeat(257).as_bytes()));
    }
}
