//! SIM Swap 2.1.0 handlers.
use axum::response::Response;
use axum::routing::{post, MethodRouter};
use ogw_core::camara::sim_swap::{
    self, CreateCheckSimSwap, CreateSimSwapDate, CHECK, RETRIEVE_DATE,
};

use super::{method_not_allowed, reply, Call, CamaraJson};
use crate::state::AppState;

/// The operations, by path under the API's base path.
pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/check", post(check_sim_swap).fallback(method_not_allowed)),
        (
            "/retrieve-date",
            post(retrieve_sim_swap_date).fallback(method_not_allowed),
        ),
    ]
}

/// `POST /sim-swap/v2/check` (checkSimSwap).
async fn check_sim_swap(call: Call, CamaraJson(body): CamaraJson<CreateCheckSimSwap>) -> Response {
    let cx = call.cx();
    reply(
        &CHECK,
        async { sim_swap::check(&cx, call.caller()?, body).await }.await,
    )
}

/// `POST /sim-swap/v2/retrieve-date` (retrieveSimSwapDate).
async fn retrieve_sim_swap_date(
    call: Call,
    CamaraJson(body): CamaraJson<CreateSimSwapDate>,
) -> Response {
    let cx = call.cx();
    reply(
        &RETRIEVE_DATE,
        async { sim_swap::retrieve_date(&cx, call.caller()?, body).await }.await,
    )
}
