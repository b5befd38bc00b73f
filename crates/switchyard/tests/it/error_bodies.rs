//! Snapshots of the error answers of each client surface (OpenAI `/v1/chat/completions`,
//! Anthropic `/v1/messages`, native `/api/v1/ai/chat`): status, the headers a client acts
//! on and the JSON body, for a bad field, an unknown model, a missing key, a forbidden
//! model, a rate limit, a quota, upstream 500 and 429, and no provider available. They
//! pin the current behaviour so a change to the error table shows in review. Volatile
//! parts (ports, ids, waits) are redacted before the snapshot.

use serde_json::{Map, Value, json};
use switchyard_testkit::upstream::{Mode, Upstream};
use switchyard_testkit::{Backend, TestApp};

/// Two scripted upstreams (failing with 500 and 429), a disabled group, the mock.
fn catalog(fails: &Upstream, limited: &Upstream) -> String {
    format!(
        r#"{}{}
[[models]]
name = "mock-chat"
provider = "mock"

[[models]]
name = "broken-chat"
provider = "fails"

[[models]]
name = "busy-chat"
provider = "limited"

[[providers]]
name = "mock"
kind = "mock"

[[groups]]
name = "closed"
enabled = false
members = [{{ model = "mock-chat" }}]
"#,
        fails.provider("fails", ""),
        limited.provider("limited", ""),
    )
}

/// One client surface: where it is and how a chat request looks there.
#[derive(Clone, Copy)]
struct Surface {
    path: &'static str,
}

const OPENAI: Surface = Surface {
    path: "/v1/chat/completions",
};
const ANTHROPIC: Surface = Surface {
    path: "/v1/messages",
};
const NATIVE: Surface = Surface {
    path: "/api/v1/ai/chat",
};

fn body(model: &str) -> Value {
    json!({"model": model, "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]})
}

/// Status, the headers a client acts on, and the redacted JSON body.
async fn answer(response: reqwest::Response) -> Value {
    let status = response.status().as_u16();
    let mut headers = Map::new();
    for name in [
        "content-type",
        "retry-after",
        "x-ratelimit-limit-requests",
        "x-ratelimit-remaining-requests",
        "x-ratelimit-reset-requests",
    ] {
        if let Some(value) = response.headers().get(name) {
            let value = value.to_str().unwrap();
            let shown = match name {
                // Seconds until a window or period ends depend on the clock.
                "retry-after" | "x-ratelimit-reset-requests" => "[wait]".to_string(),
                _ => value.to_string(),
            };
            headers.insert(name.into(), Value::String(shown));
        }
    }
    let text = response.text().await.unwrap();
    let body: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("error body is not JSON: {text}"));
    json!({"status": status, "headers": headers, "body": redact(body)})
}

/// Replaces ports of local servers and UUIDs in every string.
fn redact(value: Value) -> Value {
    let port = regex::Regex::new(r"127\.0\.0\.1:\d+").unwrap();
    let uuid =
        regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
    fn walk(v: Value, f: &dyn Fn(&str) -> String) -> Value {
        match v {
            Value::String(s) => Value::String(f(&s)),
            Value::Array(items) => Value::Array(items.into_iter().map(|i| walk(i, f)).collect()),
            Value::Object(map) => {
                Value::Object(map.into_iter().map(|(k, v)| (k, walk(v, f))).collect())
            }
            other => other,
        }
    }
    walk(value, &|s| {
        let s = port.replace_all(s, "127.0.0.1:[port]");
        uuid.replace_all(&s, "[uuid]").into_owned()
    })
}

/// Every error case on `surface`, against a fresh gateway, as one JSON document.
async fn error_answers(surface: Surface) -> Value {
    let fails = Upstream::start().await;
    fails.set_chat(Mode::Status(500));
    let limited = Upstream::start().await;
    limited.set_chat(Mode::Status(429));
    let app = TestApp::start_with(Backend::Sqlite, &catalog(&fails, &limited))
        .await
        .unwrap();
    let post = |key: &str, body: Value| {
        app.client
            .post(app.url(surface.path))
            .bearer_auth(key)
            .json(&body)
            .send()
    };
    let (_, _, key) = app.create_key("user").await;
    let mut cases = Map::new();

    let mut bad = body("mock-chat");
    bad["temperature"] = json!("hot");
    cases.insert(
        "bad_field".into(),
        answer(post(&key, bad).await.unwrap()).await,
    );

    let r = post(&key, body("no-such-model")).await.unwrap();
    cases.insert("unknown_model".into(), answer(r).await);

    let r = app
        .client
        .post(app.url(surface.path))
        .json(&body("mock-chat"))
        .send()
        .await
        .unwrap();
    cases.insert("no_key".into(), answer(r).await);

    let (_, _, narrow) = app
        .create_key_with("user", json!({"allowed_models": ["busy-chat"]}))
        .await;
    let r = post(&narrow, body("mock-chat")).await.unwrap();
    cases.insert("forbidden_model".into(), answer(r).await);

    let (_, _, slow) = app
        .create_key_with("user", json!({"rate_limit_rpm": 1}))
        .await;
    let first = post(&slow, body("mock-chat")).await.unwrap();
    assert_eq!(first.status(), 200, "the first request is within the limit");
    let r = post(&slow, body("mock-chat")).await.unwrap();
    cases.insert("rate_limited".into(), answer(r).await);

    let (user_id, _, counted) = app.create_key("user").await;
    let quota = app
        .post("/api/v1/admin/quotas")
        .json(&json!({"scope": "user", "scope_id": user_id, "metric": "requests", "period": "day", "limit": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(quota.status(), 201);
    let first = post(&counted, body("mock-chat")).await.unwrap();
    assert_eq!(first.status(), 200, "the first request is within the quota");
    let r = post(&counted, body("mock-chat")).await.unwrap();
    cases.insert("quota_exceeded".into(), answer(r).await);

    let r = post(&key, body("broken-chat")).await.unwrap();
    cases.insert("upstream_500".into(), answer(r).await);
    assert_eq!(
        fails.chat_calls(),
        1,
        "the failing upstream was called once"
    );

    let r = post(&key, body("busy-chat")).await.unwrap();
    cases.insert("upstream_429".into(), answer(r).await);
    assert_eq!(limited.chat_calls(), 1, "the busy upstream was called once");

    let r = post(&key, body("closed")).await.unwrap();
    cases.insert("no_provider".into(), answer(r).await);

    Value::Object(cases)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_error_bodies() {
    insta::assert_json_snapshot!(error_answers(OPENAI).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_error_bodies() {
    insta::assert_json_snapshot!(error_answers(ANTHROPIC).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_error_bodies() {
    insta::assert_json_snapshot!(error_answers(NATIVE).await);
}
