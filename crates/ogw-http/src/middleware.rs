//! Cross-cutting layers: request metrics and the CAMARA `x-correlator` header.
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::error::CamaraError;

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
type RouteMetricsCache = HashMap<Box<str>, HashMap<(Method, u16), RouteMetrics>>;

thread_local! {
    /// Handles already registered, per thread: building the labelled key and looking it up in
    /// the global registry on every request cost three allocations and two hash lookups behind
    /// shared locks. Bounded by routes × methods × statuses.
    static ROUTE_METRICS: RefCell<RouteMetricsCache> = RefCell::new(HashMap::new());
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
    use super::valid_correlator;

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
