//! The native API: unified chat with `routing` and `usage.cost_usd`, streaming with a
//! closing `done` event, embeddings, and task-type processing.

use serde_json::{Value, json};
use switchyard_testkit::{Backend, TestApp};

const CATALOG: &str = r#"
[[providers]]
name = "cheap"
kind = "mock"
free_tier = true

[[providers]]
name = "premium"
kind = "mock"

[[models]]
name = "small"
provider = "cheap"
task_types = ["chat", "summarization"]
quality_tier = 4

[[models]]
name = "large"
provider = "premium"
task_types = ["chat", "summarization", "classification", "code_generation"]
quality_tier = 1
input_cost_per_mtok = 3.0
output_cost_per_mtok = 15.0

[[models]]
name = "tiny"
provider = "cheap"
context_window = 40
max_output_tokens = 10

[[groups]]
name = "fits"
members = [{ model = "tiny" }, { model = "large", priority = 1 }]

[[models]]
name = "vectors"
provider = "cheap"
kinds = ["embedding"]
"#;

async fn native_api(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, CATALOG).await else {
        return;
    };
    let r = app
        .post("/api/v1/ai/chat")
        .json(&json!({"model": "large", "messages": [{"role": "user", "content": "hello native"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["provider"], "premium");
    assert!(
        body["message"]["content"]
            .as_str()
            .unwrap()
            .contains("hello native")
    );
    assert_eq!(body["routing"]["model"], "large");
    assert_eq!(body["routing"]["candidates"], json!(["premium/large"]));
    let u = &body["usage"];
    let expected = (u["input_tokens"].as_f64().unwrap() * 3.0
        + u["output_tokens"].as_f64().unwrap() * 15.0)
        / 1e6;
    assert!(
        (u["cost_usd"].as_f64().unwrap() - expected).abs() < 1e-12,
        "{u}"
    );

    // A task type instead of a model: the free-tier model wins.
    let r = app
        .post("/api/v1/ai/chat")
        .json(&json!({"task_type": "summarization", "messages": [{"role": "user", "content": "long text"}]}))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["model"], "small", "{body}");
    assert_eq!(body["usage"]["cost_usd"], 0.0);
    assert_eq!(
        body["routing"]["candidates"],
        json!(["cheap/small", "premium/large"])
    );

    // process: classification is only declared by `large`.
    let r = app
        .post("/api/v1/ai/process")
        .json(&json!({"task_type": "classification", "input": "I love it", "options": {"labels": ["praise", "complaint"]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["model"], "large");
    assert_eq!(body["task_type"], "classification");
    assert!(body["output"].as_str().unwrap().contains("I love it"));
    assert!(
        body["routing"]["reason"]
            .as_str()
            .unwrap()
            .contains("classification")
    );

    let r = app
        .post("/ai/process")
        .json(&json!({"task_type": "embedding", "input": "vectorize"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["model"], "vectors");
    assert_eq!(body["output"].as_array().unwrap().len(), 16);

    for (body, param) in [
        (
            json!({"task_type": "classification", "input": "x"}),
            "options.labels",
        ),
        (json!({"task_type": "translation", "input": ""}), "input"),
        (
            json!({"task_type": "teleportation", "input": "x"}),
            "task_type",
        ),
        (
            json!({"task_type": "translation", "input": "x", "options": {"temperature": 5}}),
            "options.temperature",
        ),
    ] {
        let r = app
            .post("/api/v1/ai/process")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
        let err: Value = r.json().await.unwrap();
        assert_eq!(err["error"]["param"], param, "{err}");
    }
    let r = app
        .post("/api/v1/ai/process")
        .json(&json!({"task_type": "extraction", "input": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "no model declares extraction");

    let r = app
        .post("/api/v1/ai/chat")
        .json(&json!({"messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // Streaming: canonical events, then `done` with routing and priced usage.
    let r = app
        .post("/api/v1/ai/chat/stream")
        .json(&json!({"model": "large", "messages": [{"role": "user", "content": "stream natively"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let events: Vec<Value> = text
        .split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    let streamed: String = events
        .iter()
        .filter(|e| e["type"] == "text_delta")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert!(streamed.contains("stream natively"));
    let done = events.last().unwrap();
    assert_eq!(done["type"], "done");
    assert_eq!(done["routing"]["provider"], "premium");
    assert!(done["usage"]["cost_usd"].as_f64().unwrap() > 0.0);

    let r = app
        .post("/api/v1/ai/embeddings")
        .json(&json!({"model": "vectors", "input": ["a", "b"]}))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["embeddings"].as_array().unwrap().len(), 2);
    assert_eq!(body["routing"]["provider"], "cheap");

    // Context window: a prompt too long for `tiny` is refused there, and a group skips it.
    let long = "word ".repeat(200);
    let r = app
        .post("/api/v1/ai/chat")
        .json(&json!({"model": "tiny", "messages": [{"role": "user", "content": long}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"]["code"], "context_length_exceeded");
    assert_eq!(err["error"]["param"], "messages");
    let r = app
        .post("/api/v1/ai/chat")
        .json(&json!({"model": "fits", "messages": [{"role": "user", "content": long}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["model"], "large");
    let r = app
        .post("/api/v1/ai/chat")
        .json(&json!({"model": "fits", "messages": [{"role": "user", "content": "short"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["model"], "tiny");

    // Native errors use the native format.
    let r = app
        .client
        .post(app.url("/api/v1/ai/chat"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"]["code"], "unauthorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_api_sqlite() {
    native_api(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_api_postgres() {
    native_api(Backend::Postgres).await;
}
