//! Video tasks over HTTP against the built-in mock's video jobs, on SQLite and
//! PostgreSQL: the full lifecycle with cost and the one usage record, idempotent
//! submission, cancellation, a provider job that fails, one past its deadline,
//! failover of a submission to the next provider, and privacy between users (404,
//! never 403).

use crate::tasks_support::{CATALOG, usage_of, wait_task};
use serde_json::{Value, json};
use switchyard_testkit::client::Client;
use switchyard_testkit::{Backend, TestApp};

switchyard_testkit::backend_tests!(
    with CATALOG;
    video_task_lifecycle,
    idempotent_submission,
    cancel_stops_the_task_and_its_job,
    a_failing_provider_job_fails_the_task,
    a_retryable_submission_failure_moves_to_the_next_provider,
    tasks_are_private_to_their_owner,
);

async fn video_task_lifecycle(app: TestApp) {
    let user = Client::user(&app).await;
    let r = user
        .post("/api/v1/ai/videos")
        .header("x-request-id", "req-video-1")
        .json(&json!({"model": "clip", "prompt": "a lighthouse at dusk", "duration_seconds": 4}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let queued: Value = r.json().await.unwrap();
    let id = queued["id"].as_str().unwrap().to_string();
    assert_eq!(location, format!("/api/v1/ai/tasks/{id}"));
    assert_eq!(queued["object"], "task");
    assert_eq!(queued["type"], "video_generation");
    assert_eq!(queued["status"], "queued");
    assert_eq!(queued["model"], "clip");
    assert!((queued["estimated_cost_usd"].as_f64().unwrap() - 0.4).abs() < 1e-9);

    let done = wait_task(&user, &id, |t| t["status"] == "succeeded").await;
    assert_eq!(done["progress"], 100);
    assert_eq!(
        (done["provider"].as_str(), done["model"].as_str()),
        (Some("studio"), Some("clip"))
    );
    assert!(
        done["provider_job_id"]
            .as_str()
            .unwrap()
            .starts_with("mockvid_")
    );
    assert!(
        done["result"]["videos"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with("mock://videos/")
    );
    assert_eq!(done["attempts"], 1, "driven by one claim");
    assert!((done["cost_usd"].as_f64().unwrap() - 0.4).abs() < 1e-9);
    assert!(done["finished_at"].as_i64().unwrap() >= done["created_at"].as_i64().unwrap());
    assert!(done["error"].is_null());

    let listed: Value = user
        .get("/api/v1/ai/tasks")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["pagination"]["total"], 1);
    assert_eq!(listed["data"][0]["id"], id.as_str());

    let usage = usage_of(&app, "ai.videos", 1).await;
    let record = &usage[0];
    assert_eq!(record.request_id, "req-video-1");
    assert_eq!(record.user_id.as_deref(), Some(user.user_id.as_str()));
    assert_eq!(
        (record.provider.as_str(), record.model.as_str()),
        ("studio", "clip")
    );
    assert_eq!(record.status, 200);
    assert!((record.cost_usd - 0.4).abs() < 1e-9);
}

async fn idempotent_submission(app: TestApp) {
    let user = Client::user(&app).await;
    let body = json!({"model": "clip", "prompt": "waves", "idempotency_key": "order-42"});
    let first = user
        .post("/api/v1/ai/videos")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 202);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    let again = user
        .post("/api/v1/ai/videos")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 202);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(first["id"], again["id"], "same key, same task");
    // The header form names the same key.
    let by_header = user
        .post("/api/v1/ai/videos")
        .header("idempotency-key", "order-42")
        .json(&json!({"model": "clip", "prompt": "waves"}))
        .send()
        .await
        .unwrap();
    let by_header: Value = by_header.json().await.unwrap();
    assert_eq!(by_header["id"], first["id"]);
    // The same key for another request is refused; another user's key space is separate.
    let other = user
        .post("/api/v1/ai/videos")
        .json(&json!({"model": "clip", "prompt": "mountains", "idempotency_key": "order-42"}))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 409);
    let other: Value = other.json().await.unwrap();
    assert_eq!(other["error"]["param"], "idempotency_key");
    let someone_else = Client::user(&app).await;
    let theirs: Value = someone_else
        .post("/api/v1/ai/videos")
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(theirs["id"], first["id"]);
    let id = first["id"].as_str().unwrap();
    wait_task(&user, id, |t| t["status"] == "succeeded").await;
    let listed: Value = user
        .get("/api/v1/ai/tasks")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["pagination"]["total"], 1,
        "one task for three submissions"
    );
    usage_of(&app, "ai.videos", 2).await;
}

async fn cancel_stops_the_task_and_its_job(app: TestApp) {
    let user = Client::user(&app).await;
    let r = user
        .post("/api/v1/ai/videos")
        .json(&json!({"model": "long-clip", "prompt": "a very long film"}))
        .send()
        .await
        .unwrap();
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let running = wait_task(&user, &id, |t| t["status"] == "running").await;
    assert!(running["provider_job_id"].is_string());
    let r = user
        .delete(&format!("/api/v1/ai/tasks/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cancelled: Value = r.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cost_usd"], 0.0);
    assert_eq!(cancelled["error"], "cancelled by the client");
    // The driver halts without overwriting the cancellation.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let later: Value = user
        .get(&format!("/api/v1/ai/tasks/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(later["status"], "cancelled");
    assert_eq!(later["progress"], cancelled["progress"]);
    let again = user
        .delete(&format!("/api/v1/ai/tasks/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["error"]["code"], "task_finished");
    let usage = usage_of(&app, "ai.videos", 1).await;
    assert_eq!((usage[0].status, usage[0].cost_usd), (499, 0.0));
    // A queued task can be cancelled before any provider sees it.
    let queued = user
        .post("/api/v1/ai/videos")
        .json(&json!({"model": "long-clip", "prompt": "never mind"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let r = user
        .delete(&format!(
            "/api/v1/ai/tasks/{}",
            queued["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn a_failing_provider_job_fails_the_task(app: TestApp) {
    let user = Client::user(&app).await;
    let r = user
        .post("/api/v1/ai/videos")
        .json(&json!({"model": "clip", "prompt": "something [mock-fail] here", "duration_seconds": 3}))
        .send()
        .await
        .unwrap();
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let failed = wait_task(&user, &id, |t| t["status"] == "failed").await;
    assert!(
        failed["error"].as_str().unwrap().contains("content policy"),
        "{failed}"
    );
    assert_eq!(failed["cost_usd"], 0.0);
    assert!(failed["result"].is_null());
    let usage = usage_of(&app, "ai.videos", 1).await;
    assert_eq!(usage[0].cost_usd, 0.0);
    assert_eq!(
        usage[0].error_kind,
        Some(switchyard_types::ErrorKind::ContentFiltered)
    );
}

async fn tasks_are_private_to_their_owner(app: TestApp) {
    let owner = Client::user(&app).await;
    let other = Client::user(&app).await;
    let r = owner
        .post("/api/v1/ai/videos")
        .json(&json!({"model": "long-clip", "prompt": "mine"}))
        .send()
        .await
        .unwrap();
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/ai/tasks/{id}");
    for r in [
        other.get(&path).send().await.unwrap(),
        other.delete(&path).send().await.unwrap(),
        other.get(&format!("{path}/events")).send().await.unwrap(),
        other
            .get("/api/v1/ai/tasks/no-such-task")
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(
            r.status(),
            404,
            "another user's task does not exist for them"
        );
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");
    }
    let theirs: Value = other
        .get("/api/v1/ai/tasks")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["pagination"]["total"], 0);
    // Still running: the other user's DELETE did nothing.
    let mine: Value = owner.get(&path).send().await.unwrap().json().await.unwrap();
    assert_ne!(mine["status"], "cancelled");
    // An admin may see and cancel anyone's task.
    assert_eq!(app.get(&path).send().await.unwrap().status(), 200);
    assert_eq!(app.delete(&path).send().await.unwrap().status(), 200);
    let r = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), 401, "no key, no answer");
}

async fn a_retryable_submission_failure_moves_to_the_next_provider(app: TestApp) {
    let user = Client::user(&app).await;
    let r = user
        .post("/api/v1/ai/videos")
        .json(&json!({"model": "video-failover", "prompt": "try the next one"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let done = wait_task(&user, &id, |t| t["status"] == "succeeded").await;
    assert_eq!(
        done["provider"], "studio",
        "the overloaded provider was skipped"
    );
    assert_eq!(done["model"], "clip");
    assert!(
        (done["cost_usd"].as_f64().unwrap() - 0.5).abs() < 1e-9,
        "{done}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_past_its_deadline_fails() {
    let toml = CATALOG.replace("poll_max_ms = 150", "poll_max_ms = 150\ndeadline_ms = 1500");
    let app = TestApp::start_with(Backend::Sqlite, &toml).await.unwrap();
    let user = Client::user(&app).await;
    let r = user
        .post("/api/v1/ai/videos")
        .json(&json!({"model": "long-clip", "prompt": "takes a minute"}))
        .send()
        .await
        .unwrap();
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let failed = wait_task(&user, &id, |t| t["status"] == "failed").await;
    assert!(
        failed["error"].as_str().unwrap().contains("deadline"),
        "{failed}"
    );
    let took = failed["finished_at"].as_i64().unwrap() - failed["created_at"].as_i64().unwrap();
    assert!(took >= 1500, "not before the deadline: {took} ms");
    let usage = usage_of(&app, "ai.videos", 1).await;
    assert_eq!(
        usage[0].error_kind,
        Some(switchyard_types::ErrorKind::Timeout)
    );
    assert_eq!(usage[0].cost_usd, 0.0);
}
