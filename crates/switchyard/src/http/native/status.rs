//! `GET /api/v1/providers/status` (any role): each provider's health, circuit state,
//! latency, error rate and in-flight calls, as this replica has learned them.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use switchyard_core::health::status;

use crate::app::AppState;

/// GET /api/v1/providers/status
pub async fn providers_status(State(state): State<AppState>) -> Json<Value> {
    let snapshot = state.registry.snapshot();
    Json(json!({
        "instance_id": state.instance_id,
        "health_routing": state.llm.settings().health,
        "providers": status::report(&snapshot),
    }))
}
