//! Bare axum: no auth, no storage. Parses the SIM Swap check body and answers a constant,
//! so bench/run.sh can state what fraction of the framework's ceiling ogw reaches.
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct CheckSimSwap {
    phone_number: Option<String>,
    max_age: Option<i32>,
}

async fn check(Json(_body): Json<CheckSimSwap>) -> Json<serde_json::Value> {
    Json(serde_json::json!({"swapped": false}))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9200".into());
    let app = Router::new().route("/sim-swap/v2/check", post(check));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await
}
