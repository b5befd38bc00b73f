//! A scripted OpenAI-format upstream for gateway tests: a real HTTP server on
//! 127.0.0.1:0 answering `POST /v1/chat/completions` and `GET /v1/models` in a [`Mode`]
//! that can be switched while it runs, counting the calls it receives.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

/// How the upstream answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 200 with a completion.
    Ok,
    /// This status with an OpenAI error body.
    Status(u16),
    /// Wait this long, then answer 200.
    Slow(Duration),
}

#[derive(Debug)]
struct Script {
    chat: Mutex<Mode>,
    models: Mutex<Mode>,
    chat_calls: AtomicUsize,
    model_calls: AtomicUsize,
}

/// A running scripted upstream on 127.0.0.1.
#[derive(Clone)]
pub struct Upstream {
    /// `http://127.0.0.1:PORT/v1`, for a provider's `base_url`.
    pub base: String,
    script: Arc<Script>,
}

async fn answer(mode: Mode) -> Response {
    match mode {
        Mode::Ok => {}
        Mode::Slow(wait) => tokio::time::sleep(wait).await,
        Mode::Status(status) => {
            let status = StatusCode::from_u16(status).unwrap();
            let body = json!({"error": {"message": "scripted failure", "type": "server_error"}});
            return (status, axum::Json(body)).into_response();
        }
    }
    axum::Json(json!({
        "id": "chatcmpl-scripted", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello from upstream"},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
    }))
    .into_response()
}

impl Upstream {
    /// Start answering `Ok` to chat and to the models listing.
    pub async fn start() -> Self {
        let script = Arc::new(Script {
            chat: Mutex::new(Mode::Ok),
            models: Mutex::new(Mode::Ok),
            chat_calls: AtomicUsize::new(0),
            model_calls: AtomicUsize::new(0),
        });
        let (chat, models) = (script.clone(), script.clone());
        let app = Router::new()
            .route(
                "/v1/chat/completions",
                post(move || {
                    let s = chat.clone();
                    async move {
                        s.chat_calls.fetch_add(1, Ordering::SeqCst);
                        let mode = *s.chat.lock().unwrap();
                        answer(mode).await
                    }
                }),
            )
            .route(
                "/v1/models",
                get(move || {
                    let s = models.clone();
                    async move {
                        s.model_calls.fetch_add(1, Ordering::SeqCst);
                        let mode = *s.models.lock().unwrap();
                        match mode {
                            Mode::Status(status) => {
                                StatusCode::from_u16(status).unwrap().into_response()
                            }
                            _ => axum::Json(json!({"object": "list", "data": []})).into_response(),
                        }
                    }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base: format!("http://{addr}/v1"),
            script,
        }
    }

    /// Change how chat calls are answered.
    pub fn set_chat(&self, mode: Mode) {
        *self.script.chat.lock().unwrap() = mode;
    }

    /// Change how the models listing (the health probe) is answered.
    pub fn set_models(&self, mode: Mode) {
        *self.script.models.lock().unwrap() = mode;
    }

    /// Chat calls received so far.
    pub fn chat_calls(&self) -> usize {
        self.script.chat_calls.load(Ordering::SeqCst)
    }

    /// Models-listing calls (probes) received so far.
    pub fn model_calls(&self) -> usize {
        self.script.model_calls.load(Ordering::SeqCst)
    }

    /// A `[[providers]]` entry of kind `openai_compatible` pointing here, without retries.
    pub fn provider(&self, name: &str, extra: &str) -> String {
        format!(
            "[[providers]]\nname = \"{name}\"\nkind = \"openai_compatible\"\nbase_url = \"{}\"\noptions = {{ max_retries = 0 }}\n{extra}\n",
            self.base
        )
    }
}
