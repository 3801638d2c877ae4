//! The CAMARA network APIs, each under its CAMARA base path with its official OpenAPI
//! document at `<base>/openapi.yaml`. Requests under those paths carry `x-correlator` (the
//! router-wide edge layer); unknown paths and methods are answered in the CAMARA error format.
//!
//! Handlers are named after the spec operationIds and only extract and map:
//! [`Call`] authenticates the bearer token (never rejecting: a failed authentication is
//! reported by the operation, so it is counted like any other outcome), [`CamaraJson`] parses
//! the body (malformed JSON, wrong types, unknown enum values → 400 `INVALID_ARGUMENT`),
//! the core operation decides, and [`reply`] maps the result once and counts it in
//! `camara_calls_total{api,operation,outcome}`.
mod consent_info;
mod number_verification;
mod qos_profiles;
mod sim_swap;

use std::cell::RefCell;
use std::collections::HashMap;
use std::convert::Infallible;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OriginalUri, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, MethodRouter};
use axum::{Json, Router};
use ogw_core::camara::caller::{authenticate_dpop, DpopPresentation};
use ogw_core::camara::{authenticate, ApiError, CallOutcome, Caller, Cx, Operation};
use ogw_core::oauth::dpop;
use ogw_core::store::Timestamp;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::CamaraError;
use crate::extract::{presented_token, Presented};
use crate::middleware::Correlator;
use crate::state::AppState;

const SIM_SWAP_SPEC: &str = include_str!("../../../openapi/sim-swap-v2.1.0.yaml");
const NUMBER_VERIFICATION_SPEC: &str =
    include_str!("../../../openapi/number-verification-v2.1.0.yaml");
const QOS_PROFILES_SPEC: &str = include_str!("../../../openapi/qos-profiles-v1.1.0.yaml");
const CONSENT_INFO_SPEC: &str = include_str!("../../../openapi/consent-info-v0.2.0.yaml");

/// The four APIs' CAMARA base paths (major version only, except Consent Info's initial 0.x
/// version, whose base path is `v0.2`): every request under them carries `x-correlator`.
pub(crate) const API_BASES: [&str; 4] = [
    "/sim-swap/v2",
    "/number-verification/v2",
    "/qos-profiles/v1",
    "/consent-info/v0.2",
];

/// The four APIs under their base paths.
pub fn routes() -> Router<AppState> {
    let [sim_swap_base, number_verification_base, qos_profiles_base, consent_info_base] = API_BASES;
    Router::new()
        .merge(api(sim_swap_base, sim_swap::routes(), SIM_SWAP_SPEC))
        .merge(api(
            number_verification_base,
            number_verification::routes(),
            NUMBER_VERIFICATION_SPEC,
        ))
        .merge(api(
            qos_profiles_base,
            qos_profiles::routes(),
            QOS_PROFILES_SPEC,
        ))
        .merge(api(
            consent_info_base,
            consent_info::routes(),
            CONSENT_INFO_SPEC,
        ))
}

/// One API's routes at their full paths, not nested: a nested router rewrites the URI and
/// routes a second time on every call (bench/PERF.md). Anything else under the base path is a
/// CAMARA 404.
fn api(
    base: &str,
    operations: Vec<(&'static str, MethodRouter<AppState>)>,
    spec: &'static str,
) -> Router<AppState> {
    let spec_route =
        get(move || async move { ([(header::CONTENT_TYPE, "application/yaml")], spec) })
            .fallback(method_not_allowed);
    let unknown = || any(not_found);
    operations
        .into_iter()
        .fold(Router::new(), |r, (path, op)| {
            r.route(&format!("{base}{path}"), op)
        })
        .route(&format!("{base}/openapi.yaml"), spec_route)
        .route(base, unknown())
        .route(&format!("{base}/"), unknown())
        .route(&format!("{base}/{{*rest}}"), unknown())
}

async fn not_found() -> CamaraError {
    CamaraError::new(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "The specified resource is not found.",
    )
}

async fn method_not_allowed() -> CamaraError {
    CamaraError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "The requested method is not allowed/supported on the target resource.",
    )
}

/// One CAMARA call: the server, the time it started, the correlator and who calls.
pub struct Call {
    state: AppState,
    now: Timestamp,
    correlator: Option<String>,
    caller: Result<Caller, ApiError>,
}

impl Call {
    fn cx(&self) -> Cx<'_> {
        Cx {
            store: self.state.store.as_ref(),
            tokens: &self.state.tokens,
            settings: &self.state.settings,
            now: self.now,
            correlator: self.correlator.as_deref(),
        }
    }

    /// The authenticated caller, or why there is none (401).
    fn caller(&self) -> Result<&Caller, ApiError> {
        self.caller.as_ref().map_err(Clone::clone)
    }
}

impl FromRequestParts<AppState> for Call {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let correlator = parts
            .extensions
            .get::<Correlator>()
            .and_then(|c| c.0.to_str().ok())
            .map(str::to_owned);
        let mut call = Call {
            state: state.clone(),
            now: state.now(),
            correlator,
            caller: Err(ApiError::Internal("not authenticated yet".into())),
        };
        call.caller = match presented_token(&parts.headers) {
            Presented::Dpop(token) => {
                // RFC 9449 §7: the proof names the URL the client called.
                let path = parts
                    .extensions
                    .get::<OriginalUri>()
                    .map_or_else(|| parts.uri.path(), |u| u.0.path());
                let url = format!("{}{path}", dpop::origin(&state.settings.issuer));
                let presentation = DpopPresentation {
                    proof: parts.headers.get("dpop").and_then(|v| v.to_str().ok()),
                    method: parts.method.as_str(),
                    url: &url,
                };
                authenticate_dpop(&call.cx(), Some(token), &presentation).await
            }
            Presented::Bearer(token) => authenticate(&call.cx(), Some(token)).await,
            Presented::None => authenticate(&call.cx(), None).await,
        };
        Ok(call)
    }
}

/// A JSON request body, whatever the Content-Type says; the parse result is handed to the
/// operation, which reports it after authentication and scope checks.
pub struct CamaraJson<T>(pub Result<T, ApiError>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for CamaraJson<T> {
    type Rejection = Infallible;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let parsed = match Bytes::from_request(req, state).await {
            Err(e) => Err(ApiError::invalid(format!("unreadable request body: {e}"))),
            Ok(b) if b.iter().all(u8::is_ascii_whitespace) => {
                Err(ApiError::invalid("a JSON request body is required"))
            }
            Ok(b) => parse_object(&b),
        };
        Ok(Self(parsed))
    }
}

/// Every CAMARA request body is a JSON object (serde would also read a struct from an array).
fn parse_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // The usual case, an object, is read in one pass; anything else is told apart below.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        return serde_json::from_slice(bytes).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => {
                ApiError::invalid(format!("invalid request body: {e}"))
            }
            _ => ApiError::invalid(format!("request body is not valid JSON: {e}")),
        });
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid(format!("request body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::invalid("request body must be a JSON object"));
    }
    serde_json::from_value(value)
        .map_err(|e| ApiError::invalid(format!("invalid request body: {e}")))
}

/// (api, operation, outcome) → its `camara_calls_total` counter.
type CallCounters = HashMap<
    (&'static str, &'static str, CallOutcome),
    metrics::Counter,
    foldhash::fast::RandomState,
>;

thread_local! {
    /// Counters already registered, per thread: registering one on every call (building its
    /// labelled key and finding it in the global registry) was ~2 % of a call's instructions.
    /// Bounded by operations × outcomes.
    static CALL_COUNTERS: RefCell<CallCounters> = RefCell::new(HashMap::default());
}

fn call_counter(op: &Operation, outcome: CallOutcome) -> metrics::Counter {
    let key = (op.api, op.operation, outcome);
    CALL_COUNTERS.with(|cache| {
        if let Some(known) = cache.borrow().get(&key) {
            return known.clone();
        }
        let counter = metrics::counter!(
            "camara_calls_total",
            "api" => op.api,
            "operation" => op.operation,
            "outcome" => outcome.as_str()
        );
        cache.borrow_mut().insert(key, counter.clone());
        counter
    })
}

/// Maps an operation's result onto the wire and counts it.
fn reply<T: Serialize>(op: &Operation, result: Result<T, ApiError>) -> Response {
    let outcome = match &result {
        Ok(_) => CallOutcome::Ok,
        Err(e) => e.outcome(),
    };
    call_counter(op, outcome).increment(1);
    match result {
        Ok(body) => Json(body).into_response(),
        Err(e) => CamaraError::from(e).into_response(),
    }
}
