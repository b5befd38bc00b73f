//! Prompt-cache hints and reasoning settings cross the gateway intact: an Anthropic-format
//! request's `cache_control` and `thinking` reach an Anthropic upstream as sent, and an
//! OpenAI-format `reasoning_effort` arrives there as a thinking budget.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use switchyard_testkit::{Backend, TestApp};

/// An Anthropic-format upstream that records each request body and answers "ok".
async fn anthropic_upstream() -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let shared = seen.clone();
    let app = axum::Router::new().route(
        "/v1/messages",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let seen = shared.clone();
            async move {
                seen.lock().unwrap().push(body);
                axum::Json(json!({
                    "id": "msg_up", "type": "message", "role": "assistant", "model": "claude-up",
                    "content": [{"type": "text", "text": "ok"}],
                    "stop_reason": "end_turn", "stop_sequence": null,
                    "usage": {"input_tokens": 10, "output_tokens": 2,
                              "cache_creation_input_tokens": 0, "cache_read_input_tokens": 8}
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), seen)
}

fn config(base: &str) -> String {
    format!(
        "[[providers]]\nname = \"claude\"\nkind = \"anthropic\"\nbase_url = \"{base}\"\n\
         api_key = \"sk-ant-test-hints\"\noptions = {{ max_retries = 0 }}\n\n\
         [[models]]\nname = \"claude-up\"\nprovider = \"claude\"\ncapabilities = [\"tools\"]\ncontext_window = 200000\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_control_and_thinking_reach_the_anthropic_upstream() {
    let (base, seen) = anthropic_upstream().await;
    let mut app = TestApp::start_with(Backend::Sqlite, &config(&base))
        .await
        .unwrap();
    let schema = json!({"type": "object", "properties": {"q": {"type": "string"}}});
    let sent = json!({
        "model": "claude-up",
        "max_tokens": 8192,
        "system": [
            {"type": "text", "text": "Be brief."},
            {"type": "text", "text": "A long manual.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}
        ],
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "Context", "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "Question?"}
            ]}
        ],
        "tools": [{"name": "lookup", "input_schema": schema, "cache_control": {"type": "ephemeral"}}],
        "thinking": {"type": "enabled", "budget_tokens": 2048}
    });
    let r = app.post("/v1/messages").json(&sent).send().await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["content"][0]["text"], "ok");
    assert_eq!(body["usage"]["cache_read_input_tokens"], 8);
    let upstream = seen.lock().unwrap().pop().unwrap();
    assert_eq!(upstream, sent);

    // An OpenAI-format client's reasoning_effort becomes Anthropic's thinking budget.
    let r = app
        .post("/v1/chat/completions")
        .json(
            &json!({"model": "claude-up", "max_tokens": 500, "reasoning_effort": "medium",
                      "messages": [{"role": "user", "content": "hi"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let upstream = seen.lock().unwrap().pop().unwrap();
    assert_eq!(
        upstream["thinking"],
        json!({"type": "enabled", "budget_tokens": 4096})
    );
    assert_eq!(upstream["max_tokens"], 4596);
    let r = app
        .post("/v1/chat/completions")
        .json(&json!({"model": "claude-up", "reasoning_effort": "extreme",
                      "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let err: Value = r.json().await.unwrap();
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("reasoning_effort"),
        "{err}"
    );
    app.stop().await;
}
