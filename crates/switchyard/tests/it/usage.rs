//! One usage record per request — written off the request path, drained on shutdown,
//! priced from the model, and kept when a client abandons a stream.

use std::time::Duration;

use futures::StreamExt;
use serde_json::json;
use switchyard_store::{Page, UsageFilter};
use switchyard_testkit::{Backend, TestApp};
use switchyard_types::UsageRecord;

const PRICED: &str = r#"
[[providers]]
name = "paid"
kind = "mock"
options = { stream_chunks = 20, chunk_delay_ms = 50 }

[[models]]
name = "paid-chat"
provider = "paid"
input_cost_per_mtok = 1000000.0
output_cost_per_mtok = 2000000.0

[[models]]
name = "paid-embed"
provider = "paid"
kinds = ["embedding"]
"#;

async fn records(app: &TestApp) -> Vec<UsageRecord> {
    app.db()
        .usage()
        .list(Page::new(100, 0), &UsageFilter::default())
        .await
        .unwrap()
        .items
}

async fn every_request_is_accounted(backend: Backend) {
    let Some(mut app) = TestApp::start_with(backend, PRICED).await else {
        return;
    };
    let chat = json!({"model": "paid-chat", "messages": [{"role": "user", "content": "price me"}]});
    let r = app
        .post("/v1/chat/completions")
        .header("x-request-id", "req-1")
        .json(&chat)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    let (prompt, completion) = (
        body["usage"]["prompt_tokens"].as_u64().unwrap(),
        body["usage"]["completion_tokens"].as_u64().unwrap(),
    );
    let r = app
        .post("/v1/embeddings")
        .json(&json!({"model": "paid-embed", "input": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .post("/v1/chat/completions")
        .json(&json!({"model": "ghost", "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // A client that reads two chunks of a slow stream and hangs up.
    let mut stream = app
        .post("/v1/chat/completions")
        .json(&json!({"model": "paid-chat", "stream": true, "messages": [{"role": "user", "content": "a long story please"}]}))
        .send()
        .await
        .unwrap()
        .bytes_stream();
    stream.next().await.unwrap().unwrap();
    stream.next().await.unwrap().unwrap();
    drop(stream);
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Graceful stop drains the queue: every record is in the database afterwards.
    app.stop().await;
    let mut rows = records(&app).await;
    rows.sort_by_key(|r| r.created_at);
    assert_eq!(rows.len(), 4, "{rows:#?}");

    let ok = rows.iter().find(|r| r.request_id == "req-1").unwrap();
    assert_eq!(
        (ok.status, ok.provider.as_str(), ok.model.as_str()),
        (200, "paid", "paid-chat")
    );
    assert_eq!((ok.input_tokens, ok.output_tokens), (prompt, completion));
    let expected = prompt as f64 * 1.0 + completion as f64 * 2.0;
    assert!(
        (ok.cost_usd - expected).abs() < 1e-6,
        "{} vs {expected}",
        ok.cost_usd
    );
    assert!(ok.key_id.is_some() && ok.user_id.is_some());

    let embed = rows.iter().find(|r| r.endpoint == "embeddings").unwrap();
    assert_eq!(embed.status, 200);
    assert!(embed.input_tokens > 0);

    let missing = rows.iter().find(|r| r.status == 404).unwrap();
    assert_eq!(missing.model, "ghost");
    assert_eq!(missing.provider, "");

    let abandoned = rows
        .iter()
        .find(|r| r.status == 499)
        .expect("abandoned stream recorded");
    assert_eq!(abandoned.provider, "paid");
    assert!(abandoned.output_tokens > 0, "usage so far is estimated");
    assert!(abandoned.ttft_ms.is_some());
    assert!(
        abandoned.latency_ms < 1000,
        "recorded at disconnect, not at the stream's natural end"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_is_accounted_sqlite() {
    every_request_is_accounted(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_is_accounted_postgres() {
    every_request_is_accounted(Backend::Postgres).await;
}
