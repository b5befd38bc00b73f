//! The Anthropic-compatible surface (`POST /v1/messages`): drop-in for the official
//! Anthropic SDKs and coding agents, served by any provider.

pub(crate) mod convert;
mod stream;
#[cfg(test)]
mod tests;
pub mod wire;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use switchyard_core::gateway::{Answer, Streamed};
use switchyard_core::llm::Want;
use switchyard_types::Identity;

use super::call;
use super::error::{Anthropic, Failure};
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
    let request = convert::chat_request(body)?;
    let stream = request.stream;
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
    let mut http = Json(convert::chat_response(&response)).into_response();
    served_headers(http.headers_mut(), &served);
    Ok(http)
}
