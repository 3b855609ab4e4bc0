//! `/health` (the process answers) and `/ready` (the database answers and has every
//! migration this build knows), for load balancers, orchestrators and monitoring. Never
//! cached; the answer is JSON, `503` with the reason when not ready.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Value, json};
use weft_db::Db;

pub fn router(db: Db) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .with_state(db)
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

async fn ready(State(db): State<Db>) -> (StatusCode, Json<Value>) {
    match db.read(weft_db::pending_migrations).await {
        Ok(false) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Ok(true) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "not ready",
                "detail": "the database lacks migrations this build knows: run `weft migrate`"
            })),
        ),
        Err(e) => {
            tracing::warn!("readiness: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "not ready", "detail": "the database does not answer" })),
            )
        }
    }
}
