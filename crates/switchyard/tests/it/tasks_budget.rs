//! A media task's estimated cost is reserved against the caller's budget when it is
//! submitted and settled with the actual cost when it ends: a task the budget cannot
//! cover is refused up front, and a failed task gives its reservation back.

use crate::tasks_support::{CATALOG, wait_task};
use serde_json::{Value, json};
use switchyard_testkit::client::Client;
use switchyard_testkit::{Backend, TestApp};

async fn budget_covers_tasks(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, CATALOG).await else {
        return;
    };
    let user = Client::user(&app).await;
    // Each 4-second clip is estimated at 0.4 USD; the budget holds one and a half.
    let r = app
        .post("/api/v1/admin/quotas")
        .json(&json!({"scope": "user", "scope_id": user.user_id, "metric": "usd", "period": "day", "limit": 0.6}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let submit = |prompt: &'static str| {
        user.post("/api/v1/ai/videos")
            .json(&json!({"model": "clip", "prompt": prompt, "duration_seconds": 4}))
            .send()
    };
    // A job that will fail holds 0.4 while it runs …
    let r = submit("[mock-fail] a storm").await.unwrap();
    assert_eq!(r.status(), 202);
    let failing: Value = r.json().await.unwrap();
    let r = submit("a calm sea").await.unwrap();
    assert_eq!(
        r.status(),
        429,
        "the budget is reserved by the running task"
    );
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"]["code"], "quota_exceeded");
    // … and gives it back when it fails (its actual cost is zero).
    let id = failing["id"].as_str().unwrap();
    let done = wait_task(&user, id, |t| t["status"] == "failed").await;
    assert_eq!(done["cost_usd"], 0.0);
    let mut accepted = None;
    for _ in 0..40 {
        let r = submit("a calm sea").await.unwrap();
        if r.status() == 202 {
            accepted = Some(r.json::<Value>().await.unwrap());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let ok = accepted.expect("the released reservation makes room");
    let done = wait_task(&user, ok["id"].as_str().unwrap(), |t| {
        t["status"] == "succeeded"
    })
    .await;
    assert!((done["cost_usd"].as_f64().unwrap() - 0.4).abs() < 1e-9);
    // 0.4 spent of 0.6: another clip no longer fits.
    assert_eq!(submit("one more").await.unwrap().status(), 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_covers_tasks_sqlite() {
    budget_covers_tasks(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_covers_tasks_postgres() {
    budget_covers_tasks(Backend::Postgres).await;
}
