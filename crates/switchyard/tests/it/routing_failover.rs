//! Failover over HTTP: rate limits (with their Retry-After as a cooldown), server
//! errors and timeouts move on to the next candidate, then to fallback groups, within
//! `max_attempts`; non-retryable errors do not; streams fail over until their first
//! event (and within the model's time-to-first-token deadline) but never after; a full
//! provider queues briefly, then fails over.

use std::time::{Duration, Instant};

use crate::routing_support::{chat, events, status_of};
use serde_json::json;
use switchyard_testkit::upstream::{Mode, Upstream};
use switchyard_testkit::{Backend, TestApp};

const CATALOG: &str = r#"
[routing]
queue_timeout_ms = 50

[[providers]]
name = "limited"
kind = "mock"
options = { error_rate = 1.0, error_status = 429, error_kind = "rate_limited", retry_after_s = 30 }

[[providers]]
name = "broken"
kind = "mock"
options = { error_rate = 1.0, error_status = 500, error_kind = "upstream_error" }

[[providers]]
name = "picky"
kind = "mock"
options = { error_rate = 1.0, error_status = 400, error_kind = "bad_request" }

[[providers]]
name = "sluggish"
kind = "mock"
options = { latency_ms = 1500 }

[[providers]]
name = "snapped"
kind = "mock"
options = { disconnect_after_chunks = 2, stream_chunks = 6 }

[[providers]]
name = "narrow"
kind = "mock"
max_concurrency = 1
options = { latency_ms = 600 }

[[providers]]
name = "good"
kind = "mock"

[[models]]
name = "chat"
provider = "limited"

[[models]]
name = "chat"
provider = "good"

[[models]]
name = "bad"
provider = "broken"

[[models]]
name = "strict"
provider = "picky"

[[models]]
name = "slowstart"
provider = "sluggish"
time_to_first_token_ms = 200

[[models]]
name = "snappy"
provider = "snapped"

[[models]]
name = "single"
provider = "narrow"

[[models]]
name = "fine"
provider = "good"

[[groups]]
name = "errors"
members = [{ model = "bad" }, { model = "fine", priority = 1 }]

[[groups]]
name = "no-retry"
members = [{ model = "strict" }, { model = "fine", priority = 1 }]

[[groups]]
name = "ttft"
members = [{ model = "slowstart" }, { model = "fine", priority = 1 }]

[[groups]]
name = "breaks"
members = [{ model = "snappy" }, { model = "fine", priority = 1 }]

[[groups]]
name = "busy"
members = [{ model = "single" }, { model = "fine", priority = 1 }]

[[groups]]
name = "front"
max_attempts = 2
members = [{ model = "bad" }]
fallback_groups = ["rescue"]

[[groups]]
name = "rescue"
members = [{ model = "fine" }]

[[groups]]
name = "stingy"
max_attempts = 1
members = [{ model = "bad" }]
fallback_groups = ["rescue"]
"#;

async fn app() -> TestApp {
    TestApp::start_with(Backend::Sqlite, CATALOG).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_fails_over_and_cools_the_model_down_for_its_retry_after() {
    let app = app().await;
    // `chat` is served by two providers (an implicit group); the limited one is first.
    let a = chat(&app, "chat").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.provider, "good");
    assert_eq!(a.body["routing"]["attempts"], 2);
    assert_eq!(a.body["routing"]["failures"][0]["kind"], "rate_limited");

    let a = chat(&app, "chat").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.provider, "good");
    let routing = &a.body["routing"];
    assert_eq!(
        routing["attempts"], 1,
        "the cooling-down model is not called: {routing}"
    );
    let removed = &routing["decision"]["chain"][1]["removed"][0];
    assert_eq!(removed["candidate"], "limited/chat");
    assert!(removed["reason"].as_str().unwrap().contains("cooling down"));
    let s = status_of(&app, "limited").await;
    let model = &s["models"][0];
    assert!(model["cooling_down_ms"].as_u64().unwrap() > 25_000, "{s}");
    assert_eq!(s["health"], "degraded");

    // Asked for alone, the cooling-down model is refused at once with a Retry-After.
    let r = app
        .post("/api/v1/ai/chat")
        .json(&json!({"model": "limited/chat", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((25..=30).contains(&wait), "{wait}");
    let err: serde_json::Value = r.json().await.unwrap();
    assert_eq!(err["error"]["code"], "no_provider");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_fail_over_and_bad_requests_do_not() {
    let app = app().await;
    let a = chat(&app, "errors").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.provider, "good");
    assert_eq!(a.body["routing"]["attempts"], 2);
    assert_eq!(a.body["routing"]["failures"][0]["candidate"], "broken/bad");
    assert_eq!(a.body["routing"]["failures"][0]["kind"], "upstream_error");
    assert!(
        a.body["routing"]["reason"]
            .as_str()
            .unwrap()
            .contains("failed")
    );

    let a = chat(&app, "no-retry").await;
    assert_eq!(a.status, 400, "{}", a.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fallback_groups_follow_within_max_attempts() {
    let app = app().await;
    let a = chat(&app, "front").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.provider, "good");
    assert_eq!(
        a.body["routing"]["candidates"],
        json!(["broken/bad", "good/fine"])
    );
    let note = a.body["routing"]["decision"]["chain"][5]["note"]
        .as_str()
        .unwrap();
    assert!(note.contains("fallback group `rescue`"), "{note}");

    // One attempt allowed: the fallback group is never reached.
    let a = chat(&app, "stingy").await;
    assert_eq!(a.status, 502, "{}", a.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_timeout_fails_over() {
    let upstream = Upstream::start().await;
    upstream.set_chat(Mode::Slow(Duration::from_secs(3)));
    let config = format!(
        "{}\n[[providers]]\nname = \"good\"\nkind = \"mock\"\n\n\
         [[models]]\nname = \"m\"\nprovider = \"slow\"\n\n[[models]]\nname = \"m\"\nprovider = \"good\"\n",
        upstream.provider("slow", "timeout_ms = 300")
    );
    let app = TestApp::start_with(Backend::Sqlite, &config).await.unwrap();
    let started = Instant::now();
    let a = chat(&app, "m").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.provider, "good");
    assert_eq!(a.body["routing"]["failures"][0]["kind"], "timeout");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(upstream.chat_calls(), 1);
}

async fn stream(app: &TestApp, model: &str) -> (Vec<serde_json::Value>, Duration) {
    let started = Instant::now();
    let r = app
        .post("/api/v1/ai/chat/stream")
        .json(
            &json!({"model": model, "messages": [{"role": "user", "content": "tell me a story"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    (events(&text), started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_without_a_first_token_in_time_moves_on() {
    let app = app().await;
    let (events, took) = stream(&app, "ttft").await;
    let done = events.last().unwrap();
    assert_eq!(done["type"], "done", "{events:?}");
    assert_eq!(done["routing"]["provider"], "good");
    assert_eq!(done["routing"]["attempts"], 2);
    let failure = &done["routing"]["failures"][0];
    assert_eq!(failure["kind"], "timeout");
    assert!(failure["message"].as_str().unwrap().contains("200 ms"));
    // Far sooner than the 1.5 s the slow model needs for its first token.
    assert!(took < Duration::from_millis(1_300), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_broken_after_its_first_bytes_ends_with_an_error_not_a_retry() {
    let app = app().await;
    let (events, _) = stream(&app, "breaks").await;
    let last = events.last().unwrap();
    assert_eq!(last["type"], "error", "{events:?}");
    assert_eq!(last["kind"], "upstream_error");
    assert!(events.iter().any(|e| e["type"] == "text_delta"));
    assert!(!events.iter().any(|e| e["type"] == "done"));
    let s = status_of(&app, "snapped").await;
    assert_eq!(s["failures_total"], 1, "the broken stream fed health: {s}");
    assert_eq!(status_of(&app, "good").await["requests_total"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_provider_queues_briefly_then_fails_over() {
    let app = app().await;
    let (one, two) = tokio::join!(chat(&app, "busy"), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        chat(&app, "busy").await
    });
    assert_eq!(one.provider, "narrow", "{}", one.body);
    assert_eq!(two.provider, "good", "{}", two.body);
    let skipped = &two.body["routing"]["failures"][0];
    assert_eq!(skipped["candidate"], "narrow/single");
    assert!(skipped["kind"].is_null());
    assert!(
        skipped["message"]
            .as_str()
            .unwrap()
            .contains("max_concurrency")
    );
    assert_eq!(
        two.body["routing"]["attempts"], 1,
        "a skip is not an attempt"
    );
}
