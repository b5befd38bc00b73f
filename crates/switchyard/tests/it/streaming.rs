//! Streams through the gateway from a real OpenAI-format upstream: chunks are forwarded
//! as they arrive (the first long before the last), and a client that hangs up cancels
//! the upstream request — no upstream connection is left running.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use futures::StreamExt;
use serde_json::json;
use switchyard_testkit::{Backend, TestApp};

/// Counts chunks sent and notices when the gateway drops the connection.
#[derive(Default)]
struct Upstream {
    sent: AtomicUsize,
    dropped: AtomicBool,
}

struct DropFlag(Arc<Upstream>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.dropped.store(true, Ordering::SeqCst);
    }
}

fn chunk(text: &str) -> Bytes {
    let c = json!({"id": "chatcmpl-slow", "object": "chat.completion.chunk", "created": 1, "model": "slow",
                   "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]});
    Bytes::from(format!("data: {c}\n\n"))
}

/// An OpenAI-format upstream sending `n` chunks `gap` apart, then `[DONE]`.
async fn slow_upstream(n: usize, gap: Duration) -> (String, Arc<Upstream>) {
    let state = Arc::new(Upstream::default());
    let shared = state.clone();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(move || {
            let state = shared.clone();
            async move {
                let guard = DropFlag(state.clone());
                let body = futures::stream::unfold((0usize, guard), move |(i, guard)| async move {
                    if i > n {
                        return None;
                    }
                    if i > 0 {
                        tokio::time::sleep(gap).await;
                    }
                    guard.0.sent.fetch_add(1, Ordering::SeqCst);
                    let bytes = if i == n {
                        Bytes::from_static(b"data: [DONE]\n\n")
                    } else {
                        chunk(&format!("w{i} "))
                    };
                    Some((Ok::<_, std::io::Error>(bytes), (i + 1, guard)))
                });
                axum::response::Response::builder()
                    .header("content-type", "text/event-stream")
                    .body(Body::from_stream(body))
                    .unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/v1"), state)
}

fn config(base: &str) -> String {
    format!(
        "[[providers]]\nname = \"slowpoke\"\nkind = \"openai_compatible\"\nbase_url = \"{base}\"\n\n\
         [[models]]\nname = \"slow\"\nprovider = \"slowpoke\"\ncapabilities = [\"stream\"]\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_chunk_arrives_long_before_the_last() {
    let (base, _) = slow_upstream(6, Duration::from_millis(150)).await;
    let app = TestApp::start_with(Backend::Sqlite, &config(&base))
        .await
        .unwrap();
    let started = Instant::now();
    let mut stream = app
        .post("/v1/chat/completions")
        .json(&json!({"model": "slow", "stream": true, "messages": [{"role": "user", "content": "go"}]}))
        .send()
        .await
        .unwrap()
        .bytes_stream();
    let mut first = None;
    let mut text = String::new();
    while let Some(c) = stream.next().await {
        let c = c.unwrap();
        if String::from_utf8_lossy(&c).contains("w0") {
            first.get_or_insert(started.elapsed());
        }
        text.push_str(&String::from_utf8_lossy(&c));
    }
    let total = started.elapsed();
    let first = first.expect("first chunk seen");
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    // Six 150 ms gaps follow the first chunk: it must not have waited for them.
    assert!(
        total - first >= Duration::from_millis(600),
        "first {first:?}, total {total:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_hanging_up_cancels_the_upstream_request() {
    let (base, upstream) = slow_upstream(200, Duration::from_millis(50)).await;
    let app = TestApp::start_with(Backend::Sqlite, &config(&base))
        .await
        .unwrap();
    let mut stream = app
        .post("/v1/chat/completions")
        .json(&json!({"model": "slow", "stream": true, "messages": [{"role": "user", "content": "go"}]}))
        .send()
        .await
        .unwrap()
        .bytes_stream();
    stream.next().await.unwrap().unwrap();
    stream.next().await.unwrap().unwrap();
    drop(stream);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !upstream.dropped.load(Ordering::SeqCst) {
        assert!(
            Instant::now() < deadline,
            "upstream still streaming after the client left"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let sent = upstream.sent.load(Ordering::SeqCst);
    assert!(
        sent < 100,
        "the upstream stopped early ({sent} of 200 chunks)"
    );
}
