//! Shared by the `routing_*` tests: small helpers for calling the gateway (the scripted
//! upstream they route to is `switchyard_testkit::upstream`).

use serde_json::{Value, json};
use switchyard_testkit::TestApp;

/// A served (or failed) native chat: status, body, and `x-switchyard-provider`.
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub provider: String,
}

/// POST /api/v1/ai/chat for `model`.
pub async fn chat(app: &TestApp, model: &str) -> Answer {
    let r = app
        .post("/api/v1/ai/chat")
        .json(&json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let provider = r
        .headers()
        .get("x-switchyard-provider")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    Answer {
        status,
        body: r.json().await.unwrap(),
        provider,
    }
}

/// GET /api/v1/providers/status, the entry of `provider`.
pub async fn status_of(app: &TestApp, provider: &str) -> Value {
    let body: Value = app
        .get("/api/v1/providers/status")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == provider)
        .cloned()
        .unwrap_or_else(|| panic!("no status for {provider}: {body}"))
}

/// The events of a native SSE body.
pub fn events(text: &str) -> Vec<Value> {
    text.split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .map(|e| serde_json::from_str(e).unwrap())
        .collect()
}
