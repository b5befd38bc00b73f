//! Task progress pushed to clients, on SQLite and PostgreSQL: the SSE stream of a task
//! starts with its current state, carries status and progress in order and ends at the
//! terminal state; webhooks are signed (HMAC-SHA256 over `timestamp.body`), retried
//! after a failure, and arrive in order ending with the terminal event.

use std::time::{Duration, Instant};

use crate::tasks_support::{CATALOG, WEBHOOK_SECRET, rank, sse_events, wait_task};
use serde_json::{Value, json};
use switchyard_core::tasks::webhooks::{SIGNATURE_HEADER, verify};
use switchyard_testkit::TestApp;
use switchyard_testkit::client::Client;
use switchyard_testkit::webhook::Receiver;

switchyard_testkit::backend_tests!(
    with CATALOG;
    sse_progress_in_order_until_terminal,
    webhooks_are_signed_retried_and_ordered
);

/// Read a whole SSE response (the server ends it at the terminal state).
async fn read_sse(user: &Client, id: &str) -> (reqwest::header::HeaderMap, Vec<(String, Value)>) {
    let r = user
        .get(&format!("/api/v1/ai/tasks/{id}/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let headers = r.headers().clone();
    let text = tokio::time::timeout(Duration::from_secs(30), r.text())
        .await
        .expect("the stream ends at the terminal state")
        .unwrap();
    (headers, sse_events(&text))
}

async fn sse_progress_in_order_until_terminal(app: TestApp) {
    let user = Client::user(&app).await;
    let r = user
        .post("/api/v1/ai/videos")
        .json(&json!({"model": "clip", "prompt": "a slow sunrise"}))
        .send()
        .await
        .unwrap();
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (headers, events) = read_sse(&user, &id).await;
    assert_eq!(headers["content-type"], "text/event-stream");
    assert!(
        events.len() >= 2,
        "the current state, then changes: {events:?}"
    );
    for (name, task) in &events {
        assert_eq!(task["id"], id.as_str());
        assert_eq!(name, &format!("task.{}", task["status"].as_str().unwrap()));
    }
    for pair in events.windows(2) {
        assert!(
            rank(&pair[0].1) < rank(&pair[1].1),
            "in order, no repeats: {events:?}"
        );
    }
    let (last_name, last) = events.last().unwrap();
    assert_eq!(last_name, "task.succeeded");
    assert_eq!(last["progress"], 100);
    assert!(last["result"]["videos"][0]["url"].is_string());
    assert!(
        events.iter().any(|(_, t)| t["status"] == "running"),
        "progress was streamed while it ran: {events:?}"
    );

    // A finished task's stream is its final state, once.
    let (_, again) = read_sse(&user, &id).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].0, "task.succeeded");

    // A failure also ends the stream.
    let r = user
        .post("/api/v1/ai/videos")
        .json(&json!({"model": "clip", "prompt": "[mock-fail] please"}))
        .send()
        .await
        .unwrap();
    let failing = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, events) = read_sse(&user, &failing).await;
    assert_eq!(events.last().unwrap().0, "task.failed");
}

async fn webhooks_are_signed_retried_and_ordered(app: TestApp) {
    let receiver = Receiver::start(1).await;
    let user = Client::user(&app).await;
    let r = user
        .post("/api/v1/ai/videos")
        .json(&json!({"model": "clip", "prompt": "call me back", "callback_url": receiver.url}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    wait_task(&user, &id, |t| t["status"] == "succeeded").await;
    let started = Instant::now();
    let received = loop {
        let got = receiver.received();
        let terminal = got.iter().any(|(_, body)| {
            serde_json::from_slice::<Value>(body).unwrap()["event"] == "task.succeeded"
        });
        if terminal {
            break got;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no terminal webhook: {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let now = switchyard_types::now_millis() / 1000;
    let mut ranks = Vec::new();
    for (headers, body) in &received {
        let signature = headers[SIGNATURE_HEADER].to_str().unwrap();
        assert!(
            signature.starts_with("t=") && signature.contains(",v1="),
            "{signature}"
        );
        assert!(
            verify(WEBHOOK_SECRET.as_bytes(), signature, body, now, 300),
            "bad signature"
        );
        assert!(!verify(b"another secret", signature, body, now, 300));
        let event: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(
            headers["x-switchyard-event"],
            event["event"].as_str().unwrap()
        );
        assert_eq!(headers["x-switchyard-task-id"], id.as_str());
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(event["task"]["id"], id.as_str());
        ranks.push(rank(&event["task"]));
    }
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "in order: {ranks:?}"
    );
    let terminal = received
        .iter()
        .filter(|(_, b)| {
            serde_json::from_slice::<Value>(b).unwrap()["task"]["status"] == "succeeded"
        })
        .count();
    assert_eq!(terminal, 1, "the terminal event once");
}
