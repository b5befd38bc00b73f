//! The request pipeline, walked route by route: every AI route reserves quota before
//! its upstream call, settles it with the actual figures, and writes exactly one usage
//! record with the status the client saw. Requests refused for bad input cost nothing.

use std::time::Duration;

use serde_json::{Value, json};
use switchyard_store::{Page, UsageFilter};
use switchyard_testkit::{TestApp, backend_tests};
use switchyard_types::UsageRecord;

const CATALOG: &str = r#"
[tasks]
lease_ms = 3000
claim_interval_ms = 100
poll_initial_ms = 50
poll_max_ms = 150

[[providers]]
name = "priced"
kind = "mock"
options = { video_duration_ms = 300 }

[[models]]
name = "chat"
provider = "priced"
task_types = ["summarization"]
input_cost_per_mtok = 1000.0
output_cost_per_mtok = 2000.0

[[models]]
name = "embed"
provider = "priced"
kinds = ["embedding"]
input_cost_per_mtok = 500.0

[[models]]
name = "picture"
provider = "priced"
kinds = ["image"]
cost_per_image = 0.02

[[models]]
name = "clip"
provider = "priced"
kinds = ["video"]
cost_per_video_second = 0.1
"#;

/// One AI route: where to send what, and the usage record it must leave.
struct Route {
    path: &'static str,
    body: Value,
    status: u16,
    endpoint: &'static str,
}

fn routes() -> Vec<Route> {
    let messages = json!([{"role": "user", "content": "count the cost of this prompt"}]);
    let route = |path, body, status, endpoint| Route {
        path,
        body,
        status,
        endpoint,
    };
    vec![
        route(
            "/v1/chat/completions",
            json!({"model": "chat", "messages": messages, "max_tokens": 1000}),
            200,
            "chat.completions",
        ),
        route(
            "/v1/chat/completions",
            json!({"model": "chat", "messages": messages, "max_tokens": 1000, "stream": true,
                   "stream_options": {"include_usage": true}}),
            200,
            "chat.completions",
        ),
        route(
            "/v1/messages",
            json!({"model": "chat", "messages": messages, "max_tokens": 1000}),
            200,
            "messages",
        ),
        route(
            "/v1/messages",
            json!({"model": "chat", "messages": messages, "max_tokens": 1000, "stream": true}),
            200,
            "messages",
        ),
        route(
            "/api/v1/ai/chat",
            json!({"model": "chat", "messages": messages, "max_tokens": 1000}),
            200,
            "ai.chat",
        ),
        route(
            "/api/v1/ai/chat/stream",
            json!({"model": "chat", "messages": messages, "max_tokens": 1000}),
            200,
            "ai.chat.stream",
        ),
        route(
            "/v1/embeddings",
            json!({"model": "embed", "input": ["one text", "another text"]}),
            200,
            "embeddings",
        ),
        route(
            "/api/v1/ai/embeddings",
            json!({"model": "embed", "input": "a text"}),
            200,
            "ai.embeddings",
        ),
        route(
            "/api/v1/ai/process",
            json!({"task_type": "summarization", "input": "a long text to summarize"}),
            200,
            "ai.process",
        ),
        route(
            "/v1/images/generations",
            json!({"model": "picture", "prompt": "a lighthouse", "n": 2}),
            200,
            "images.generations",
        ),
        route(
            "/api/v1/ai/images",
            json!({"model": "picture", "prompt": "a lighthouse", "n": 2}),
            200,
            "ai.images",
        ),
        // Refused before admission: recorded with their status, nothing reserved.
        route(
            "/api/v1/ai/process",
            json!({"task_type": "classification", "input": "no labels given"}),
            400,
            "ai.process",
        ),
        route(
            "/v1/chat/completions",
            json!({"model": "no-such-model", "messages": messages}),
            404,
            "chat.completions",
        ),
    ]
}

/// A fresh user key with a requests, a tokens and a USD quota of its own.
async fn metered_key(app: &TestApp) -> (String, String, [String; 3]) {
    let (_, key_id, secret) = app.create_key("user").await;
    let mut quotas = Vec::new();
    for (metric, limit) in [("requests", 100.0), ("tokens", 1e9), ("usd", 1e6)] {
        let r = app
            .post("/api/v1/admin/quotas")
            .json(&json!({"scope": "key", "scope_id": key_id, "metric": metric, "period": "day", "limit": limit}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let quota: Value = r.json().await.unwrap();
        quotas.push(quota["id"].as_str().unwrap().to_string());
    }
    (key_id, secret, quotas.try_into().unwrap())
}

async fn records_of(app: &TestApp, key_id: &str) -> Vec<UsageRecord> {
    let filter = UsageFilter {
        key_id: Some(key_id.to_string()),
        ..UsageFilter::default()
    };
    app.db()
        .usage()
        .list(Page::new(100, 0), &filter)
        .await
        .unwrap()
        .items
}

/// The one usage record the key's request left (waiting for the batched writer).
async fn the_record(app: &TestApp, key_id: &str, what: &str) -> UsageRecord {
    for _ in 0..100 {
        let records = records_of(app, key_id).await;
        if !records.is_empty() {
            // Give a second record time to show up if there is one.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let mut records = records_of(app, key_id).await;
            assert_eq!(records.len(), 1, "{what}: {records:#?}");
            return records.remove(0);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: no usage record");
}

async fn used(app: &TestApp, quota: &str) -> f64 {
    let r = app
        .get(&format!("/api/v1/admin/quotas/{quota}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["used"].as_f64().unwrap()
}

/// Wait until the quotas show exactly `want` (requests, tokens, USD): settlement runs
/// after the record is queued.
async fn assert_settled(app: &TestApp, quotas: &[String; 3], want: [f64; 3], what: &str) {
    let mut seen = [0.0; 3];
    for _ in 0..60 {
        for (i, q) in quotas.iter().enumerate() {
            seen[i] = used(app, q).await;
        }
        if seen.iter().zip(want).all(|(s, w)| (s - w).abs() < 1e-6) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: quotas used (requests, tokens, usd) {seen:?}, want {want:?}");
}

async fn every_route_reserves_settles_and_records(app: TestApp) {
    let client = reqwest::Client::new();
    for route in routes() {
        let what = format!("{} {}", route.path, route.body);
        let (key_id, secret, quotas) = metered_key(&app).await;
        let r = client
            .post(app.url(route.path))
            .bearer_auth(&secret)
            .json(&route.body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), route.status, "{what}");
        // Read streams to their end.
        let _ = r.bytes().await.unwrap();
        let record = the_record(&app, &key_id, &what).await;
        assert_eq!(record.status, route.status, "{what}");
        assert_eq!(record.endpoint, route.endpoint, "{what}");
        if route.status == 200 {
            assert!(
                record.cost_usd > 0.0,
                "{what}: priced models cost something"
            );
            let tokens = (record.input_tokens + record.output_tokens) as f64;
            assert_settled(&app, &quotas, [1.0, tokens, record.cost_usd], &what).await;
        } else {
            assert_eq!(record.cost_usd, 0.0, "{what}");
            assert_settled(&app, &quotas, [0.0, 0.0, 0.0], &what).await;
        }
    }
}

async fn tasks_reserve_at_submission_and_settle_at_the_end(app: TestApp) {
    let client = reqwest::Client::new();
    for (path, body, endpoint, cost) in [
        (
            "/api/v1/ai/videos",
            json!({"model": "clip", "prompt": "waves", "duration_seconds": 3}),
            "ai.videos",
            0.3,
        ),
        (
            "/api/v1/ai/images",
            json!({"model": "picture", "prompt": "a lighthouse", "n": 2, "async": true}),
            "ai.images",
            0.04,
        ),
    ] {
        let (key_id, secret, quotas) = metered_key(&app).await;
        let r = client
            .post(app.url(path))
            .bearer_auth(&secret)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202, "{path}");
        let task: Value = r.json().await.unwrap();
        let id = task["id"].as_str().unwrap();
        let mut status = Value::Null;
        for _ in 0..200 {
            let t: Value = client
                .get(app.url(&format!("/api/v1/ai/tasks/{id}")))
                .bearer_auth(&secret)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            status = t["status"].clone();
            if status == "succeeded" || status == "failed" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(status, "succeeded", "{path}");
        let record = the_record(&app, &key_id, path).await;
        assert_eq!((record.status, record.endpoint.as_str()), (200, endpoint));
        assert!((record.cost_usd - cost).abs() < 1e-9, "{path}: {record:?}");
        assert_settled(&app, &quotas, [1.0, 0.0, cost], path).await;
    }
}

/// Starts inside the `[server]` table the test kit opens.
const SLOW: &str = r#"
request_timeout_ms = 300

[[providers]]
name = "sluggish"
kind = "mock"
options = { latency_ms = 3000 }

[[models]]
name = "slow-chat"
provider = "sluggish"
input_cost_per_mtok = 1000.0
"#;

/// `server.request_timeout_ms` bounds a call: a 504 `timeout` long before the upstream
/// would answer, recorded once with that status, its reservation given back.
async fn the_request_timeout_applies(app: TestApp) {
    let (key_id, secret, quotas) = metered_key(&app).await;
    let started = std::time::Instant::now();
    let r = reqwest::Client::new()
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(&secret)
        .json(&json!({"model": "slow-chat", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(r.status(), 504);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "timeout", "{body}");
    assert!(
        waited < Duration::from_millis(2500),
        "answered after {waited:?}"
    );
    let record = the_record(&app, &key_id, "timeout").await;
    assert_eq!(record.status, 504);
    assert_eq!(record.cost_usd, 0.0);
    // Failed upstream: the request counts, nothing was spent.
    assert_settled(&app, &quotas, [1.0, 0.0, 0.0], "timeout").await;
}

/// A key's `last_used_at` is recorded (in the background, at most once a minute).
async fn keys_record_their_last_use(app: TestApp) {
    let (_, key_id, secret) = app.create_key("user").await;
    let key = |app: &TestApp| {
        let path = format!("/api/v1/admin/keys/{key_id}");
        let r = app.get(&path).send();
        async move { r.await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(key(&app).await["last_used_at"], Value::Null);
    let before = switchyard_types::now_millis();
    let r = reqwest::Client::new()
        .get(app.url("/v1/models"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut last_used = Value::Null;
    for _ in 0..100 {
        last_used = key(&app).await["last_used_at"].clone();
        if !last_used.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let at = last_used
        .as_i64()
        .expect("last_used_at is set after a request");
    assert!(at >= before - 1000, "{at} < {before}");
}

backend_tests!(with CATALOG;
    every_route_reserves_settles_and_records,
    tasks_reserve_at_submission_and_settle_at_the_end,
    keys_record_their_last_use,
);
backend_tests!(with SLOW; the_request_timeout_applies);
