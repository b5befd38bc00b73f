//! Shared by the `tasks_*` tests: a catalog with quick and slow mock video providers,
//! waiting for a task's state, the usage records of an endpoint and SSE parsing. (The
//! user client and the webhook receiver are in `switchyard_testkit`.)

use std::time::{Duration, Instant};

use serde_json::Value;
use switchyard_store::{Page, UsageFilter};
use switchyard_testkit::TestApp;
use switchyard_testkit::client::Client;
use switchyard_types::UsageRecord;

/// The webhook secret of the catalog.
pub const WEBHOOK_SECRET: &str = "whsec-test-secret-0123456789";

/// Quick polling and short leases; `studio` videos take 0.8 s, `slow` ones a minute.
pub const CATALOG: &str = r#"
[tasks]
lease_ms = 3000
claim_interval_ms = 100
poll_initial_ms = 50
poll_max_ms = 150

[security]
webhook_secret = "whsec-test-secret-0123456789"

[[providers]]
name = "studio"
kind = "mock"
options = { video_duration_ms = 800 }

[[providers]]
name = "slow"
kind = "mock"
options = { video_duration_ms = 60000 }

[[models]]
name = "clip"
provider = "studio"
kinds = ["video"]
task_types = ["video_generation"]
cost_per_video_second = 0.1

[[models]]
name = "long-clip"
provider = "slow"
kinds = ["video"]
task_types = ["video_generation"]

[[providers]]
name = "broken"
kind = "mock"
options = { error_rate = 1.0, error_status = 503, error_kind = "overloaded" }

[[models]]
name = "broken-clip"
provider = "broken"
kinds = ["video"]

[[groups]]
name = "video-failover"
strategy = "priority"
members = [{ model = "broken-clip", priority = 0 }, { model = "clip", priority = 1 }]

[[models]]
name = "picture"
provider = "studio"
kinds = ["image"]
task_types = ["image_generation"]
cost_per_image = 0.02
"#;

/// Poll the task until `done(task)` holds (30 s at most).
pub async fn wait_task(client: &Client, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let r = client
            .get(&format!("/api/v1/ai/tasks/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let task: Value = r.json().await.unwrap();
        if done(&task) {
            return task;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "task never reached the state; last seen: {task}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The usage records of `endpoint` once there are `count` of them (10 s at most),
/// checked again a moment later so an extra record would show.
pub async fn usage_of(app: &TestApp, endpoint: &str, count: usize) -> Vec<UsageRecord> {
    let read = || async {
        app.db()
            .usage()
            .list(Page::new(500, 0), &UsageFilter::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|r| r.endpoint == endpoint)
            .collect::<Vec<_>>()
    };
    let started = Instant::now();
    loop {
        let records = read().await;
        if records.len() >= count {
            tokio::time::sleep(Duration::from_millis(400)).await;
            let again = read().await;
            assert_eq!(again.len(), count, "usage records of {endpoint}: {again:?}");
            return again;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "expected {count} usage records of {endpoint}, found {}",
            records.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `(event, data)` pairs of an SSE body.
pub fn sse_events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut event = String::new();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    event = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            (!data.is_empty()).then(|| (event, serde_json::from_str(&data).unwrap()))
        })
        .collect()
}

/// (status rank, progress) of a task JSON: the order events of one task must follow.
pub fn rank(task: &Value) -> (u8, u64) {
    let status = match task["status"].as_str().unwrap() {
        "queued" => 0,
        "running" => 1,
        _ => 2,
    };
    (status, task["progress"].as_u64().unwrap())
}
