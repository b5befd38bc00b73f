//! Operations routes, public by design: liveness and readiness.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use crate::app::AppState;

/// GET /health: the process is alive.
pub async fn health() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// GET /ready: 200 when the database answers and the registry is loaded, else 503.
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let ping = tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await;
    let database = matches!(ping, Ok(Ok(())));
    let registry = state.registry.ready();
    let status = if database && registry {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let word = if status == StatusCode::OK {
        "ready"
    } else {
        "unavailable"
    };
    (
        status,
        Json(json!({"status": word, "database": database, "registry": registry})),
    )
}
