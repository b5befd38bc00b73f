//! Media and tasks on the native API: `POST /api/v1/ai/images` (synchronous, or a task
//! with `"async": true`), `POST /api/v1/ai/videos` (always `202` with a task), the
//! caller's tasks (`GET /api/v1/ai/tasks`, `GET`/`DELETE /api/v1/ai/tasks/{id}`) and
//! their progress as SSE (`GET /api/v1/ai/tasks/{id}/events`). Another user's task
//! answers 404, never 403, so its existence does not leak.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::json;
use switchyard_core::gateway::Answer;
use switchyard_core::llm::Want;
use switchyard_core::tasks::{MediaRequest, Submission, TaskError, TaskView, follow};
use switchyard_types::media::{ImageFormat, ImageRequest, VideoRequest};
use switchyard_types::{ErrorCode, Identity, ModelKind, TaskType};

use super::super::admin::{ListQuery, ListResponse};
use super::super::error::{ApiError, Failure, Native};
use super::super::extract::{JsonBody, QueryParams};
use super::super::openai::served_headers;
use super::super::{call, request_id};
use super::routing;
use crate::app::AppState;

type Result<T> = std::result::Result<T, Failure<Native>>;

/// Most images one request may ask for.
const MAX_IMAGES: u32 = 10;

/// `POST /api/v1/ai/images`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagesBody {
    /// A model, `provider/model` or group; default: the first image-generation model.
    pub model: Option<String>,
    pub prompt: String,
    pub n: Option<u32>,
    pub size: Option<String>,
    pub quality: Option<String>,
    pub style: Option<String>,
    pub response_format: Option<ImageFormat>,
    pub user: Option<String>,
    /// Run as a task and answer `202` at once.
    #[serde(rename = "async", default)]
    pub run_async: bool,
    pub callback_url: Option<String>,
    pub idempotency_key: Option<String>,
}

/// `POST /api/v1/ai/videos`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VideosBody {
    /// A model, `provider/model` or group; default: the first video-generation model.
    pub model: Option<String>,
    pub prompt: String,
    /// An image to animate (URL or data URI).
    pub image_url: Option<String>,
    pub duration_seconds: Option<u32>,
    /// `WIDTHxHEIGHT` or `WIDTH:HEIGHT`.
    pub size: Option<String>,
    pub callback_url: Option<String>,
    pub idempotency_key: Option<String>,
}

/// The HTTP error for a task failure.
pub fn task_error(e: TaskError) -> ApiError {
    match e {
        TaskError::NotFound { .. } => ApiError::not_found(e.to_string()),
        TaskError::Finished { .. } => ApiError::new(ErrorCode::TaskFinished, e.to_string()),
        TaskError::IdempotencyMismatch { .. } => {
            ApiError::new(ErrorCode::IdempotencyKeyReused, e.to_string()).at("idempotency_key")
        }
        TaskError::Invalid { field, message } => ApiError::field(field, message),
        TaskError::Llm(e) => ApiError::from(e),
        TaskError::Refused { refusal } => ApiError::from(*refusal),
        TaskError::Media(e) => ApiError::internal(e),
        TaskError::Store(e) => ApiError::from(e),
    }
}

/// POST /api/v1/ai/images
pub async fn images(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
    JsonBody(body, _): JsonBody<ImagesBody>,
) -> Result<Response> {
    let n = body.n.unwrap_or(1);
    if n == 0 || n > MAX_IMAGES {
        return Err(ApiError::field("n", format!("must be between 1 and {MAX_IMAGES}")).into());
    }
    let model = match body.model {
        Some(m) => m,
        None => state
            .tasks
            .default_model(TaskType::ImageGeneration, ModelKind::Image)
            .map_err(task_error)?,
    };
    let request = ImageRequest {
        model,
        prompt: body.prompt,
        n,
        size: body.size,
        quality: body.quality,
        style: body.style,
        response_format: body.response_format.unwrap_or_default(),
        user: body.user,
    };
    let key = idempotency_key(&headers, body.idempotency_key)?;
    if body.run_async {
        let submission = submission(
            &headers,
            MediaRequest::Image(request),
            body.callback_url,
            key,
        );
        return submit(&state, &identity, submission).await;
    }
    for (field, given) in [
        ("callback_url", body.callback_url.is_some()),
        ("idempotency_key", key.is_some()),
    ] {
        if given {
            return Err(ApiError::field(field, "needs \"async\": true").into());
        }
    }
    if request.prompt.trim().is_empty() {
        return Err(ApiError::field("prompt", "must not be empty").into());
    }
    // Bytes become files served back at an authenticated URL unless base64 was asked for.
    let keep_for =
        (request.response_format == ImageFormat::Url).then_some(identity.user_id.as_str());
    let call = call(&identity, &headers, "ai.images");
    let Answer {
        value: response,
        served,
    } = state.gateway.images(call, &request, keep_for).await?;
    let cost = served.pricing.cost_per_image.unwrap_or(0.0) * response.images.len() as f64;
    let mut http = Json(json!({
        "object": "image_generation",
        "created_at": response.created_at,
        "model": served.model,
        "provider": served.provider,
        "images": response.images,
        "usage": {"images": response.images.len(), "cost_usd": if served.free_tier { 0.0 } else { cost }},
        "routing": routing(&served, Want::Model(&request.model)),
    }))
    .into_response();
    served_headers(http.headers_mut(), &served);
    Ok(http)
}

/// POST /api/v1/ai/videos: always a task.
pub async fn videos(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
    JsonBody(body, _): JsonBody<VideosBody>,
) -> Result<Response> {
    let model = match body.model {
        Some(m) => m,
        None => state
            .tasks
            .default_model(TaskType::VideoGeneration, ModelKind::Video)
            .map_err(task_error)?,
    };
    if body.duration_seconds == Some(0) {
        return Err(ApiError::field("duration_seconds", "must be at least 1").into());
    }
    let request = VideoRequest {
        model,
        prompt: body.prompt,
        image_url: body.image_url,
        duration_seconds: body.duration_seconds,
        size: body.size,
    };
    let key = idempotency_key(&headers, body.idempotency_key)?;
    let submission = submission(
        &headers,
        MediaRequest::Video(request),
        body.callback_url,
        key,
    );
    submit(&state, &identity, submission).await
}

fn submission(
    headers: &HeaderMap,
    request: MediaRequest,
    callback_url: Option<String>,
    idempotency_key: Option<String>,
) -> Submission {
    Submission {
        request,
        idempotency_key,
        callback_url,
        request_id: request_id(headers).to_string(),
    }
}

/// The key from the body or the `Idempotency-Key` header (they must agree).
fn idempotency_key(
    headers: &HeaderMap,
    body: Option<String>,
) -> std::result::Result<Option<String>, ApiError> {
    let header = headers
        .get("idempotency-key")
        .map(|v| v.to_str().map(str::to_string))
        .transpose()
        .map_err(|_| ApiError::field("idempotency-key", "must be visible ASCII"))?;
    match (header, body) {
        (Some(h), Some(b)) if h != b => Err(ApiError::field(
            "idempotency_key",
            "differs from the Idempotency-Key header",
        )),
        (h, b) => Ok(b.or(h)),
    }
}

async fn submit(state: &AppState, identity: &Identity, submission: Submission) -> Result<Response> {
    let submitted = state
        .tasks
        .submit(submission, identity)
        .await
        .map_err(task_error)?;
    let mut http = (StatusCode::ACCEPTED, Json(TaskView::from(&submitted.task))).into_response();
    let h = http.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/ai/tasks/{}", submitted.task.id)) {
        h.insert(header::LOCATION, v);
    }
    if submitted.replayed {
        h.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(http)
}

/// GET /api/v1/ai/tasks: the caller's own tasks, oldest first.
pub async fn list(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ListResponse<TaskView>>> {
    let page = q.page()?;
    let paged = state
        .tasks
        .list(&identity, page)
        .await
        .map_err(task_error)?;
    let paged = switchyard_store::Paged {
        items: paged.items.iter().map(TaskView::from).collect(),
        total: paged.total,
    };
    Ok(Json(ListResponse::new(paged, page)))
}

/// GET /api/v1/ai/tasks/{id}
pub async fn get(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<String>,
) -> Result<Json<TaskView>> {
    let task = state.tasks.get(&id, &identity).await.map_err(task_error)?;
    Ok(Json(TaskView::from(&task)))
}

/// DELETE /api/v1/ai/tasks/{id}: cancel.
pub async fn cancel(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<String>,
) -> Result<Json<TaskView>> {
    let task = state
        .tasks
        .cancel(&id, &identity)
        .await
        .map_err(task_error)?;
    Ok(Json(TaskView::from(&task)))
}

/// GET /api/v1/ai/tasks/{id}/events: `event: task.<status>` with the task as data,
/// starting with its current state and ending after the terminal one.
pub async fn events(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<String>,
) -> Result<Response> {
    let events = follow(&state.tasks, &id, &identity)
        .await
        .map_err(task_error)?;
    let stream = events.map(|e| {
        let event = Event::default().event(e.event.as_str());
        Ok::<_, Infallible>(
            event
                .json_data(&e.task)
                .unwrap_or_else(|_| Event::default().comment("unencodable event")),
        )
    });
    let sse = Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)));
    let mut http = sse.into_response();
    http.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(http)
}
