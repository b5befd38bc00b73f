//! A fake Runway API for task tests: a real HTTP server on 127.0.0.1:0 speaking
//! Runway's wire format (create text/image-to-video, poll `GET /v1/tasks/{id}`, cancel
//! `DELETE /v1/tasks/{id}`), whose jobs run on the wall clock — so they progress while
//! a gateway is down — and which counts every submission, poll and cancel. A prompt
//! containing `[fail]` makes the job fail halfway with a safety failure code.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
struct Job {
    started: Instant,
    fails: bool,
    cancelled: bool,
    body: Value,
}

#[derive(Debug, Default)]
struct Books {
    jobs: HashMap<String, Job>,
    submissions: Vec<Value>,
    polls: usize,
    cancels: Vec<String>,
}

#[derive(Clone)]
struct Fake {
    books: Arc<Mutex<Books>>,
    duration: Duration,
}

/// The running fake.
pub struct FakeRunway {
    /// `http://127.0.0.1:PORT`: the provider's `base_url`.
    pub base_url: String,
    fake: Fake,
}

impl FakeRunway {
    /// Start a fake whose jobs take `duration` from submission to success.
    pub async fn start(duration: Duration) -> Self {
        let fake = Fake {
            books: Arc::default(),
            duration,
        };
        let app = axum::Router::new()
            .route("/v1/text_to_video", post(create))
            .route("/v1/image_to_video", post(create))
            .route("/v1/tasks/{id}", get(poll).delete(cancel))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Runway");
        let addr = listener.local_addr().expect("fake Runway address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base_url: format!("http://{addr}"),
            fake,
        }
    }

    /// TOML for a `runway` provider named `name` pointing here, with a model `model`.
    pub fn provider_toml(&self, name: &str, model: &str) -> String {
        format!(
            "[[providers]]\nname = \"{name}\"\nkind = \"runway\"\nbase_url = \"{}\"\napi_key = \"key_fake_runway_0123456789\"\n\n\
             [[models]]\nname = \"{model}\"\nprovider = \"{name}\"\nupstream_name = \"gen4_turbo\"\nkinds = [\"video\"]\ntask_types = [\"video_generation\"]\ncost_per_video_second = 0.05\n",
            self.base_url
        )
    }

    /// Every create body received, in order.
    pub fn submissions(&self) -> Vec<Value> {
        self.books().submissions.clone()
    }

    /// How many polls were answered.
    pub fn polls(&self) -> usize {
        self.books().polls
    }

    /// The task ids cancelled, in order.
    pub fn cancels(&self) -> Vec<String> {
        self.books().cancels.clone()
    }

    fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        self.fake
            .books
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn lock(fake: &Fake) -> std::sync::MutexGuard<'_, Books> {
    fake.books
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn create(State(fake): State<Fake>, Json(body): Json<Value>) -> Response {
    let id = uuid::Uuid::now_v7().to_string();
    let fails = body["promptText"]
        .as_str()
        .is_some_and(|p| p.contains("[fail]"));
    let mut books = lock(&fake);
    books.submissions.push(body.clone());
    books.jobs.insert(
        id.clone(),
        Job {
            started: Instant::now(),
            fails,
            cancelled: false,
            body,
        },
    );
    Json(json!({"id": id})).into_response()
}

async fn poll(State(fake): State<Fake>, Path(id): Path<String>) -> Response {
    let mut books = lock(&fake);
    books.polls += 1;
    let Some(job) = books.jobs.get(&id).cloned() else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "Task not found"})),
        )
            .into_response();
    };
    let created = "2024-11-15T03:34:51.751Z";
    let fraction = job.started.elapsed().as_secs_f64() / fake.duration.as_secs_f64().max(0.001);
    let body = if job.cancelled {
        json!({"id": id, "createdAt": created, "status": "CANCELLED"})
    } else if job.fails && fraction >= 0.5 {
        json!({"id": id, "createdAt": created, "status": "FAILED", "failure": "The prompt was flagged", "failureCode": "SAFETY.INPUT.TEXT"})
    } else if fraction >= 1.0 {
        let ratio = job.body["ratio"].as_str().unwrap_or("1280:720").to_string();
        json!({"id": id, "createdAt": created, "status": "SUCCEEDED", "output": [format!("https://cdn.fake-runway.test/{id}.mp4?ratio={ratio}")]})
    } else if fraction < 0.1 {
        json!({"id": id, "createdAt": created, "status": "PENDING"})
    } else {
        json!({"id": id, "createdAt": created, "status": "RUNNING", "progress": (fraction * 100.0).floor() / 100.0})
    };
    Json(body).into_response()
}

async fn cancel(State(fake): State<Fake>, Path(id): Path<String>) -> Response {
    let mut books = lock(&fake);
    books.cancels.push(id.clone());
    match books.jobs.get_mut(&id) {
        Some(job) => {
            job.cancelled = true;
            StatusCode::NO_CONTENT.into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "Task not found"})),
        )
            .into_response(),
    }
}
