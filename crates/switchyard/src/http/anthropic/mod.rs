//! The Anthropic-compatible surface (`POST /v1/messages`): drop-in for the official
//! Anthropic SDKs and coding agents, served by any provider.

mod stream;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use switchyard_core::gateway::{Answer, Streamed};
use switchyard_core::llm::Want;
use switchyard_providers::anthropic::{surface, wire};
use switchyard_types::Identity;

use super::call;
use super::error::{Anthropic, ApiError, Failure};
use super::extract::JsonBody;
use super::openai::served_headers;
use crate::app::AppState;

type Result<T> = std::result::Result<T, Failure<Anthropic>>;

/// POST /v1/messages
pub async fn messages(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
    JsonBody(body, _): JsonBody<wire::MessagesRequest, Anthropic>,
) -> Result<Response> {
    let stream = body.stream.unwrap_or(false);
    if body.max_tokens == 0 {
        return Err(ApiError::field("max_tokens", "must be at least 1").into());
    }
    if body.messages.is_empty() {
        return Err(ApiError::field("messages", "must contain at least one message").into());
    }
    let mut request =
        surface::to_canonical_request(body).map_err(|e| ApiError::field(e.field, e.message))?;
    request.stream = stream;
    let call = call(&identity, &headers, "messages");
    let want = Want::Model(&request.model);
    if stream {
        let Streamed { events, served } = state.gateway.chat_stream(call, want, &request).await?;
        let id = format!("msg_{}", uuid::Uuid::now_v7().simple());
        let mut http = stream::response(id, served.model.clone(), events);
        served_headers(http.headers_mut(), &served);
        return Ok(http);
    }
    let Answer {
        value: response,
        served,
    } = state.gateway.chat(call, want, &request).await?;
    let mut wire = surface::to_wire_response(&response);
    if !wire.id.starts_with("msg_") {
        wire.id = format!("msg_{}", wire.id);
    }
    let mut http = Json(wire).into_response();
    served_headers(http.headers_mut(), &served);
    Ok(http)
}
