//! The HTTP edge: one router of the operations, OpenAI-compatible and admin surfaces,
//! with request ids, tracing, body limits and authentication layered on.

pub mod admin;
pub mod anthropic;
pub mod auth;
pub mod error;
pub mod extract;
pub mod native;
pub mod openai;
pub mod ops;
pub mod selfservice;
pub mod tokens;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Request, Response};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::{Level, Span};

use self::error::{Anthropic, ApiError, Native, OpenAi};
use crate::app::AppState;

/// The one request-id header, taken from the client when it sends one.
pub const REQUEST_ID: &str = "x-request-id";

/// Build the whole application router over the shared state.
pub fn router(state: AppState) -> Router {
    let body_limit =
        usize::try_from(state.config.server.request_body_limit_bytes).unwrap_or(usize::MAX);
    let openai = Router::new()
        .route("/v1/chat/completions", post(openai::chat_completions))
        .route("/v1/embeddings", post(openai::embeddings))
        .route("/v1/images/generations", post(openai::images))
        .route("/v1/models", get(openai::list_models))
        .route_layer(from_fn_with_state(
            state.clone(),
            auth::authenticate::<OpenAi>,
        ));
    let anthropic = Router::new()
        .route("/v1/messages", post(anthropic::messages))
        .route_layer(from_fn_with_state(
            state.clone(),
            auth::authenticate::<Anthropic>,
        ));
    let native = Router::new()
        .route("/api/v1/ai/chat", post(native::chat))
        .route("/api/v1/ai/chat/stream", post(native::chat_stream))
        .route("/api/v1/ai/embeddings", post(native::embeddings))
        .route("/api/v1/ai/process", post(native::process))
        .route("/ai/process", post(native::process))
        .route("/api/v1/providers/status", get(native::providers_status))
        .route("/api/v1/ai/images", post(native::tasks::images))
        .route("/api/v1/ai/videos", post(native::tasks::videos))
        .route("/api/v1/ai/tasks", get(native::tasks::list))
        .route(
            "/api/v1/ai/tasks/{id}",
            get(native::tasks::get).delete(native::tasks::cancel),
        )
        .route("/api/v1/ai/tasks/{id}/events", get(native::tasks::events))
        .route("/api/v1/ai/media/{id}", get(native::media))
        .route("/api/v1/usage", get(admin::usage::own_report))
        .route(
            "/api/v1/keys",
            get(selfservice::list).post(selfservice::create),
        )
        .route(
            "/api/v1/keys/{id}",
            axum::routing::patch(selfservice::patch).delete(selfservice::delete),
        )
        .route_layer(from_fn_with_state(
            state.clone(),
            auth::authenticate::<Native>,
        ));
    let admin = Router::new()
        .nest("/api/v1/admin", admin::routes())
        .route_layer(from_fn(auth::require_admin))
        .route_layer(from_fn_with_state(
            state.clone(),
            auth::authenticate::<Native>,
        ));
    let ops = Router::new()
        .route("/health", get(ops::health))
        .route("/ready", get(ops::ready))
        // Public by design: they authenticate with the key or token in their body.
        .route("/api/v1/auth/token", post(tokens::token))
        .route("/api/v1/auth/refresh", post(tokens::refresh));
    let request_id = axum::http::HeaderName::from_static(REQUEST_ID);
    Router::new()
        .merge(ops)
        .merge(openai)
        .merge(anthropic)
        .merge(native)
        .merge(admin)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(make_span)
                        .on_request(())
                        .on_response(on_response)
                        .on_failure(()),
                )
                .layer(PropagateRequestIdLayer::new(request_id)),
        )
        .with_state(state)
}

/// The pipeline's view of an AI request: who calls, its request id, and the usage
/// record's endpoint label.
pub fn call<'a>(
    identity: &'a switchyard_types::Identity,
    headers: &'a axum::http::HeaderMap,
    endpoint: &'static str,
) -> switchyard_core::gateway::Call<'a> {
    switchyard_core::gateway::Call {
        identity,
        request_id: request_id(headers),
        endpoint,
    }
}

/// The request's id (set by the request-id layer before any handler runs).
pub fn request_id(headers: &axum::http::HeaderMap) -> &str {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn make_span<B>(req: &Request<B>) -> Span {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.uri().path(),
        key_id = tracing::field::Empty,
    )
}

fn on_response<B>(res: &Response<B>, latency: Duration, _span: &Span) {
    let status = res.status().as_u16();
    let ms = latency.as_secs_f64() * 1000.0;
    if res.status().is_server_error() {
        // The one log line of a 5xx, with its hidden cause when the gateway knows it.
        let detail = res
            .extensions()
            .get::<error::ErrorDetail>()
            .map(|d| d.0.as_str());
        tracing::event!(
            Level::ERROR,
            status,
            latency_ms = ms,
            detail,
            "request failed"
        );
    } else {
        tracing::event!(Level::INFO, status, latency_ms = ms, "request finished");
    }
}

async fn not_found() -> ApiError {
    ApiError::new(switchyard_types::ErrorCode::RouteNotFound, "no such route")
}
