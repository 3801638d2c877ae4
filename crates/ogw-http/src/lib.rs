//! ogw-http: the axum layer. Handlers are thin: extract → call the core → map to the wire.
pub mod error;
pub mod extract;
pub mod middleware;
mod routes;
mod state;

pub use routes::router;
pub use state::{AppState, SharedState};
