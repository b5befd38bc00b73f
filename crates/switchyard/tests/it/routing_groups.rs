//! Groups over HTTP: the group strategies' distributions, the routing explanation in
//! native responses, capability filtering, and admin changes to a group taking effect
//! at once, without a restart.

use std::collections::HashMap;

use crate::routing_support::chat;
use serde_json::{Value, json};
use switchyard_testkit::{Backend, TestApp, backend_tests};

const CATALOG: &str = r#"
[[providers]]
name = "a"
kind = "mock"

[[providers]]
name = "b"
kind = "mock"

[[models]]
name = "x"
provider = "a"
capabilities = ["stream", "tools"]

[[models]]
name = "y"
provider = "b"
capabilities = ["stream"]

[[groups]]
name = "wrr"
strategy = "weighted_round_robin"
members = [{ model = "x", weight = 3 }, { model = "y", weight = 1 }]

[[groups]]
name = "wrand"
strategy = "weighted_random"
members = [{ model = "x", weight = 3 }, { model = "y", weight = 1 }]

[[groups]]
name = "rr"
strategy = "round_robin"
members = [{ model = "x" }, { model = "y" }]

[[groups]]
name = "prio"
strategy = "priority"
members = [{ model = "x", priority = 1 }, { model = "y", priority = 0 }]
"#;

async fn tally(app: &TestApp, group: &str, n: usize) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for _ in 0..n {
        let a = chat(app, group).await;
        assert_eq!(a.status, 200, "{}", a.body);
        *seen.entry(a.provider).or_insert(0) += 1;
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_strategies_distribute_as_configured() {
    let app = TestApp::start_with(Backend::Sqlite, CATALOG).await.unwrap();
    let wrr = tally(&app, "wrr", 40).await;
    assert_eq!((wrr["a"], wrr["b"]), (30, 10), "smooth WRR is exact");
    let rr = tally(&app, "rr", 10).await;
    assert_eq!((rr["a"], rr["b"]), (5, 5));
    let prio = tally(&app, "prio", 5).await;
    assert_eq!(prio.get("b"), Some(&5));
    let wrand = tally(&app, "wrand", 400).await;
    let share = wrand["a"] as f64 / 400.0;
    assert!(
        (share - 0.75).abs() < 0.1,
        "weighted_random 3:1 gave {share}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_native_response_explains_the_decision() {
    let app = TestApp::start_with(Backend::Sqlite, CATALOG).await.unwrap();
    let r = app
        .post("/api/v1/ai/chat")
        .json(&json!({
            "model": "rr",
            "messages": [{"role": "user", "content": "what's the weather?"}],
            "tools": [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let routing = &body["routing"];
    assert_eq!(routing["provider"], "a");
    let decision = &routing["decision"];
    assert_eq!(decision["considered"], json!(["a/x", "b/y"]));
    assert_eq!(decision["order"], json!(["a/x"]));
    let steps: Vec<&str> = decision["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "user_preference",
            "health_filter",
            "capability_filter",
            "context_window",
            "cost_optimisation",
            "load_balancing"
        ]
    );
    let capability = &decision["chain"][2];
    assert_eq!(capability["removed"][0]["candidate"], "b/y");
    assert_eq!(capability["removed"][0]["reason"], "lacks tools");
    assert_eq!(capability["note"], "needs chat with tools");
    assert!(
        decision["chain"][5]["note"]
            .as_str()
            .unwrap()
            .contains("round_robin")
    );

    // No candidate can use tools: a 400 naming the capability.
    let r = app
        .post("/v1/chat/completions")
        .json(&json!({
            "model": "y",
            "messages": [{"role": "user", "content": "hi"}],
            "tools": [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"]["code"], "unsupported_capability", "{err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("tools"));
}

async fn group_id(app: &TestApp, name: &str) -> String {
    let list: Value = app
        .get("/api/v1/admin/groups?limit=100")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .map(|g| g["id"].as_str().unwrap().to_string())
        .unwrap()
}

async fn admin_group_changes_take_effect_without_restart(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, CATALOG).await else {
        return;
    };
    assert_eq!(chat(&app, "prio").await.provider, "b");
    let id = group_id(&app, "prio").await;
    let r = app
        .patch(&format!("/api/v1/admin/groups/{id}"))
        .json(&json!({"members": [{"model": "x", "priority": 0}, {"model": "y", "priority": 1}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    for _ in 0..3 {
        assert_eq!(chat(&app, "prio").await.provider, "a");
    }
    let r = app
        .patch(&format!("/api/v1/admin/groups/{id}"))
        .json(&json!({"strategy": "round_robin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = tally(&app, "prio", 4).await;
    assert_eq!((seen["a"], seen["b"]), (2, 2));

    // A new group, usable at once; disabling it takes it out of service.
    let r = app
        .post("/api/v1/admin/groups")
        .json(&json!({"name": "fresh", "members": [{"model": "y"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let fresh: Value = r.json().await.unwrap();
    assert_eq!(chat(&app, "fresh").await.provider, "b");
    let r = app
        .patch(&format!(
            "/api/v1/admin/groups/{}",
            fresh["id"].as_str().unwrap()
        ))
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(chat(&app, "fresh").await.status, 503);
}

mod admin_group_changes {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        admin_group_changes_take_effect_without_restart(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        admin_group_changes_take_effect_without_restart(Backend::Postgres).await;
    }
}

/// Task-type requests on the built-in catalog carry the decision too.
async fn task_requests_explain_their_routing(app: TestApp) {
    let r = app
        .post("/api/v1/ai/process")
        .json(&json!({"task_type": "chat", "input": "hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["model"], "mock-chat");
    assert_eq!(
        body["routing"]["decision"]["chain"][0]["strategy"],
        "user_preference"
    );
}

backend_tests!(task_requests_explain_their_routing);

#[test]
fn routing_and_health_settings_are_checked_with_their_paths() {
    let env = |_: &str| None;
    let text = r#"
[routing]
default_max_attempts = 0
queue_timeout_ms = 120000

[health]
probe_interval_ms = 10

[health.breaker]
error_ratio = 1.5
half_open_trials = 0
window_ms = 5
surprise = 1

[[providers]]
name = "p"
kind = "mock"

[[models]]
name = "m"
provider = "p"
time_to_first_token_ms = 0
"#;
    let err = switchyard::config::load_str(text, &env)
        .unwrap_err()
        .to_string();
    for path in [
        "routing.default_max_attempts",
        "routing.queue_timeout_ms",
        "health.probe_interval_ms",
        "health.breaker.error_ratio",
        "health.breaker.half_open_trials",
        "health.breaker.window_ms",
        "health.breaker.surprise",
        "models[0].time_to_first_token_ms",
    ] {
        assert!(err.contains(path), "{path} missing from:\n{err}");
    }
    let ok = switchyard::config::load_str(
        "[health]\nenabled = false\n[routing]\nqueue_timeout_ms = 5\n[[providers]]\nname = \"p\"\nkind = \"mock\"\n\n\
         [[models]]\nname = \"m\"\nprovider = \"p\"\n\n[[models]]\nname = \"v\"\nprovider = \"p\"\nkinds = [\"embedding\"]\n",
        &env,
    )
    .unwrap();
    assert!(!ok.routing.settings(&ok.health).health);
    assert_eq!(
        ok.models[0].capabilities,
        [switchyard_types::Capability::Stream]
    );
    assert!(
        ok.models[1].capabilities.is_empty(),
        "only chat models stream by default"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_take_a_first_token_deadline_through_the_admin_api() {
    let app = TestApp::start_with(Backend::Sqlite, CATALOG).await.unwrap();
    let r = app
        .post("/api/v1/admin/models")
        .json(&json!({"name": "quick", "provider": "a", "time_to_first_token_ms": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"]["param"], "time_to_first_token_ms");
    let r = app
        .post("/api/v1/admin/models")
        .json(&json!({"name": "quick", "provider": "a", "time_to_first_token_ms": 750}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let model: Value = r.json().await.unwrap();
    assert_eq!(model["time_to_first_token_ms"], 750);
    assert_eq!(model["capabilities"], json!(["stream"]));
    let id = model["id"].as_str().unwrap();
    let r = app
        .patch(&format!("/api/v1/admin/models/{id}"))
        .json(&json!({"time_to_first_token_ms": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.json::<Value>().await.unwrap()["time_to_first_token_ms"].is_null());
}
