//! Two gateways on one PostgreSQL database (sharing Redis) and a fake Runway that counts
//! submissions: tasks submitted to either are each driven by exactly one gateway and
//! submitted exactly once; progress of a task driven by one gateway streams over SSE
//! from the other; a cancel on one stops the job the other drives.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::tasks_support::{rank, sse_events, usage_of, wait_task};
use serde_json::{Value, json};
use switchyard_testkit::client::Client;
use switchyard_testkit::fake_runway::FakeRunway;
use switchyard_testkit::{Backend, TestApp, redis_url};

const TASKS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_tasks_and_none_is_driven_twice() {
    let quick = FakeRunway::start(Duration::from_millis(1500)).await;
    let slow = FakeRunway::start(Duration::from_secs(600)).await;
    let toml = format!(
        "[redis]\nurl = {:?}\n\n[tasks]\nlease_ms = 2000\nclaim_interval_ms = 100\npoll_initial_ms = 100\npoll_max_ms = 200\n\n{}\n{}",
        redis_url(),
        quick.provider_toml("runway", "runway-video"),
        slow.provider_toml("runway-slow", "runway-long"),
    );
    let Some(one) = TestApp::start_with(Backend::Postgres, &toml).await else {
        eprintln!("skipped: PostgreSQL unreachable");
        return;
    };
    let two = one.replica(&toml).await;
    let on_one = Client::user(&one).await;
    let on_two = on_one.on(&two);

    let mut ids = Vec::new();
    for i in 0..TASKS {
        let via = if i % 2 == 0 { &on_one } else { &on_two };
        let r = via
            .post("/api/v1/ai/videos")
            .json(&json!({"model": "runway-video", "prompt": format!("clip {i}"), "duration_seconds": 4}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        ids.push(
            r.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    // Followed on the gateway that did not take the submission.
    let r = on_two
        .get(&format!("/api/v1/ai/tasks/{}/events", ids[0]))
        .send()
        .await
        .unwrap();
    let text = tokio::time::timeout(Duration::from_secs(30), r.text())
        .await
        .unwrap()
        .unwrap();
    let events = sse_events(&text);
    assert!(
        events.windows(2).all(|w| rank(&w[0].1) < rank(&w[1].1)),
        "{events:?}"
    );
    assert_eq!(events.last().unwrap().0, "task.succeeded");

    let mut jobs = HashSet::new();
    for (i, id) in ids.iter().enumerate() {
        let via = if i % 2 == 0 { &on_two } else { &on_one };
        let done = wait_task(via, id, |t| t["status"] == "succeeded").await;
        assert_eq!(done["attempts"], 1, "claimed once: {done}");
        let job = done["provider_job_id"].as_str().unwrap().to_string();
        assert!(
            done["result"]["videos"][0]["url"]
                .as_str()
                .unwrap()
                .contains(&job),
            "{done}"
        );
        assert!(jobs.insert(job), "one job per task");
    }
    assert_eq!(
        quick.submissions().len(),
        TASKS,
        "each task submitted exactly once"
    );
    let usage = usage_of(&one, "ai.videos", TASKS).await;
    assert!(
        usage
            .iter()
            .all(|r| r.status == 200 && (r.cost_usd - 0.2).abs() < 1e-9)
    );

    // Cancel through the gateway that is not (necessarily) driving it.
    let r = on_one
        .post("/api/v1/ai/videos")
        .json(&json!({"model": "runway-long", "prompt": "a long one"}))
        .send()
        .await
        .unwrap();
    let long = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let running = wait_task(&on_two, &long, |t| t["provider_job_id"].is_string()).await;
    let job = running["provider_job_id"].as_str().unwrap().to_string();
    let r = on_two
        .delete(&format!("/api/v1/ai/tasks/{long}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let started = Instant::now();
    while !slow.cancels().contains(&job) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the provider job was not cancelled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = wait_task(&on_one, &long, |_| true).await;
    assert_eq!(after["status"], "cancelled");
    assert_eq!(slow.submissions().len(), 1);
}
