//! QoS Profiles 1.1.0 handlers.
use axum::extract::rejection::PathRejection;
use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post, MethodRouter};
use ogw_core::camara::qos_profiles::{self, QosProfileDeviceRequest, GET, RETRIEVE};
use ogw_core::camara::ApiError;

use super::{method_not_allowed, reply, Call, CamaraJson};
use crate::state::AppState;

/// The operations, by path under the API's base path.
pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        (
            "/retrieve-qos-profiles",
            post(retrieve_qos_profiles).fallback(method_not_allowed),
        ),
        (
            "/qos-profiles/{name}",
            get(get_qos_profile).fallback(method_not_allowed),
        ),
    ]
}

/// `POST /qos-profiles/v1/retrieve-qos-profiles` (retrieveQoSProfiles).
async fn retrieve_qos_profiles(
    call: Call,
    CamaraJson(body): CamaraJson<QosProfileDeviceRequest>,
) -> Response {
    let cx = call.cx();
    reply(
        &RETRIEVE,
        async { qos_profiles::retrieve(&cx, call.caller()?, body).await }.await,
    )
}

/// `GET /qos-profiles/v1/qos-profiles/{name}` (getQosProfile).
async fn get_qos_profile(call: Call, name: Result<Path<String>, PathRejection>) -> Response {
    let cx = call.cx();
    let name = name
        .map(|Path(n)| n)
        .map_err(|e| ApiError::invalid(format!("invalid QoS profile name: {e}")));
    reply(
        &GET,
        async { qos_profiles::get(&cx, call.caller()?, name).await }.await,
    )
}
