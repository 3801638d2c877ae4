//! Number Verification 2.1.0 handlers. Query parameters some SDKs append (`code`, `state`)
//! are ignored: no handler reads the query.
use axum::response::Response;
use axum::routing::{get, post, MethodRouter};
use ogw_core::camara::number_verification::{self, NumberVerificationRequestBody, SHARE, VERIFY};

use super::{method_not_allowed, reply, Call, CamaraJson};
use crate::state::AppState;

/// The operations, by path under the API's base path.
pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        (
            "/verify",
            post(phone_number_verify).fallback(method_not_allowed),
        ),
        (
            "/device-phone-number",
            get(phone_number_share).fallback(method_not_allowed),
        ),
    ]
}

/// `POST /number-verification/v2/verify` (phoneNumberVerify).
async fn phone_number_verify(
    call: Call,
    CamaraJson(body): CamaraJson<NumberVerificationRequestBody>,
) -> Response {
    let cx = call.cx();
    reply(
        &VERIFY,
        async { number_verification::verify(&cx, call.caller()?, body).await }.await,
    )
}

/// `GET /number-verification/v2/device-phone-number` (phoneNumberShare).
async fn phone_number_share(call: Call) -> Response {
    let cx = call.cx();
    reply(
        &SHARE,
        async { number_verification::share(&cx, call.caller()?).await }.await,
    )
}
