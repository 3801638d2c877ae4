//! Consent Info 0.2.0 handler.
use axum::response::Response;
use axum::routing::{post, MethodRouter};
use ogw_core::camara::consent_info::{self, RetrieveStatusRequestBody, RETRIEVE_STATUS};

use super::{method_not_allowed, reply, Call, CamaraJson};
use crate::state::AppState;

/// The operations, by path under the API's base path.
pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![(
        "/retrieve",
        post(retrieve_status).fallback(method_not_allowed),
    )]
}

/// `POST /consent-info/v0.2/retrieve` (retrieveStatus).
async fn retrieve_status(
    call: Call,
    CamaraJson(body): CamaraJson<RetrieveStatusRequestBody>,
) -> Response {
    let cx = call.cx();
    reply(
        &RETRIEVE_STATUS,
        async { consent_info::retrieve_status(&cx, call.caller()?, body).await }.await,
    )
}
