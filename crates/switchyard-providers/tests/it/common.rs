//! A scripted upstream for adapter tests: a real HTTP server on 127.0.0.1:0 that answers
//! each request with the next scripted reply — status, headers and body bytes exactly as
//! given, optionally in timed chunks or cut off mid-body — and records what it received.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

/// One request as the upstream received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Recorded {
    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A scripted reply.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Body pieces, each sent after its delay.
    pub chunks: Vec<(Duration, Vec<u8>)>,
    /// Drop the connection after the chunks instead of ending the body.
    pub disconnect: bool,
    /// Wait this long before sending the status line.
    pub delay: Duration,
}

impl Reply {
    /// A JSON body.
    pub fn json(status: u16, body: &str) -> Self {
        Self::raw(status, "application/json", body.as_bytes())
    }

    /// Any body with a content type.
    pub fn raw(status: u16, content_type: &str, body: &[u8]) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            chunks: vec![(Duration::ZERO, body.to_vec())],
            disconnect: false,
            delay: Duration::ZERO,
        }
    }

    /// An SSE body sent one piece per chunk (each piece exactly as given, e.g.
    /// `"data: {...}\n\n"`), with `gap` between pieces.
    pub fn sse(pieces: &[&str], gap: Duration) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            chunks: pieces
                .iter()
                .map(|p| (gap, p.as_bytes().to_vec()))
                .collect(),
            disconnect: false,
            delay: Duration::ZERO,
        }
    }

    /// An SSE body from a recorded transcript, one event (ending in a blank line) per chunk.
    pub fn sse_transcript(text: &str, gap: Duration) -> Self {
        let pieces: Vec<String> = text.split_inclusive("\n\n").map(str::to_string).collect();
        let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
        Self::sse(&refs, gap)
    }

    /// Add a response header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Cut the connection after the body pieces.
    pub fn then_disconnect(mut self) -> Self {
        self.disconnect = true;
        self
    }

    /// Wait before answering at all.
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// The running scripted upstream.
pub struct MockUpstream {
    pub base_url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    replies: Arc<Mutex<VecDeque<Reply>>>,
}

impl MockUpstream {
    /// Start a server answering with `replies` in order (the last one repeats).
    pub async fn start(replies: Vec<Reply>) -> Self {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let replies = Arc::new(Mutex::new(VecDeque::from(replies)));
        let (req_log, script) = (requests.clone(), replies.clone());
        let app = axum::Router::new().fallback(move |req: Request| {
            let req_log = req_log.clone();
            let script = script.clone();
            async move { answer(req, req_log, script).await }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        #[expect(
            clippy::disallowed_methods,
            reason = "a mock upstream for the test's lifetime; the runtime ends it"
        )]
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base_url: format!("http://{addr}"),
            requests,
            replies,
        }
    }

    /// Everything received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// Replace the remaining script.
    pub fn script(&self, replies: Vec<Reply>) {
        *self.replies.lock().unwrap() = VecDeque::from(replies);
    }
}

async fn answer(
    req: Request,
    log: Arc<Mutex<Vec<Recorded>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    log.lock().unwrap().push(Recorded {
        method: parts.method.to_string(),
        uri: parts.uri.to_string(),
        headers: parts.headers.clone(),
        body: body.to_vec(),
    });
    let reply = {
        let mut s = script.lock().unwrap();
        if s.len() > 1 {
            s.pop_front()
        } else {
            s.front().cloned()
        }
    };
    let Some(reply) = reply else {
        return Response::builder()
            .status(500)
            .body(Body::from("no scripted reply"))
            .unwrap();
    };
    tokio::time::sleep(reply.delay).await;
    let disconnect = reply.disconnect;
    let chunks = reply.chunks.clone();
    let stream = futures::stream::unfold(
        (chunks.into_iter(), false),
        move |(mut it, done)| async move {
            if done {
                return None;
            }
            match it.next() {
                Some((delay, bytes)) => {
                    tokio::time::sleep(delay).await;
                    Some((Ok::<Bytes, std::io::Error>(Bytes::from(bytes)), (it, false)))
                }
                None if disconnect => Some((
                    Err(std::io::Error::other("scripted disconnect")),
                    (it, true),
                )),
                None => None,
            }
        },
    );
    let mut builder = Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
    for (k, v) in &reply.headers {
        builder = builder.header(k, v);
    }
    builder.body(Body::from_stream(stream)).unwrap()
}

/// A provider row of `kind` at `base_url` with `options`, as the registry would read it
/// (10 s timeout, 10 concurrent calls, enabled), named after its kind.
pub fn provider_row(
    kind: switchyard_types::ProviderKind,
    base_url: &str,
    options: serde_json::Value,
) -> switchyard_types::Provider {
    switchyard_types::Provider {
        id: format!("p-{}", kind.as_str()),
        name: kind.as_str().to_string(),
        kind,
        base_url: Some(base_url.into()),
        has_api_key: true,
        timeout_ms: 10_000,
        max_concurrency: 10,
        free_tier: false,
        enabled: true,
        options,
        created_at: 0,
        updated_at: 0,
    }
}

/// The adapters built for `row` with an API key, as the registry would build them.
pub fn adapters(
    row: &switchyard_types::Provider,
    key: Option<&str>,
) -> switchyard_providers::Adapters {
    let key = key.map(|k| switchyard_types::Secret::new(k.to_string()));
    switchyard_providers::build(row, key, &switchyard_providers::HttpClient::new().unwrap())
        .unwrap()
}
