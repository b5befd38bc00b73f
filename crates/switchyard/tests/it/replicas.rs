//! Two gateways on one PostgreSQL database sharing Redis: an admin change made through
//! one is served by the other at once, without waiting for the periodic refresh.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchyard_testkit::{Backend, TestApp, redis_url};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_changes_reach_every_replica_through_redis() {
    let shared = format!("[redis]\nurl = {:?}\n", redis_url());
    let Some(one) = TestApp::start_with(Backend::Postgres, &shared).await else {
        return;
    };
    let two = one.replica(&shared).await;

    let r = one
        .post("/api/v1/admin/models")
        .json(&json!({"name": "fresh-model", "provider": "mock"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    let started = Instant::now();
    loop {
        let models: Value = two
            .get("/v1/models")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if models["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "fresh-model")
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "replica never saw the change"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Far sooner than the 30 s periodic refresh: the bus carried it.
    assert!(started.elapsed() < Duration::from_secs(5));
    let r = two
        .post("/v1/chat/completions")
        .json(&json!({"model": "fresh-model", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
