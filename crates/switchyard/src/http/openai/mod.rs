//! The OpenAI-compatible surface (`/v1/chat/completions`, `/v1/embeddings`,
//! `/v1/models`): drop-in for the official SDKs with `base_url = http://HOST/v1`.

pub(crate) mod convert;
mod stream;
#[cfg(test)]
mod tests;
pub mod wire;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::json;
use switchyard_core::gateway::{Answer, Streamed};
use switchyard_core::llm::{Served, Want};
use switchyard_types::Identity;

use super::call;
use super::error::{Failure, OpenAi};
use super::extract::JsonBody;
use crate::app::AppState;

type Result<T> = std::result::Result<T, Failure<OpenAi>>;

/// Add the headers every served response carries.
pub fn served_headers(headers: &mut HeaderMap, served: &Served) {
    if let Ok(v) = HeaderValue::from_str(&served.provider) {
        headers.insert("x-switchyard-provider", v);
    }
    if let Ok(v) = HeaderValue::from_str(&served.model) {
        headers.insert("x-switchyard-model", v);
    }
}

/// POST /v1/chat/completions
pub async fn chat_completions(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
    JsonBody(body, _): JsonBody<wire::ChatCompletionRequest, OpenAi>,
) -> Result<Response> {
    let include_usage = body
        .stream_options
        .as_ref()
        .is_some_and(|o| o.include_usage);
    let request = convert::chat_request(body)?;
    let call = call(&identity, &headers, "chat.completions");
    let want = Want::Model(&request.model);
    if request.stream {
        let Streamed { events, served } = state.gateway.chat_stream(call, want, &request).await?;
        let header = stream::ChunkHeader {
            id: format!("chatcmpl-{}", uuid::Uuid::now_v7().simple()),
            model: served.model.clone(),
            created: switchyard_types::now_millis() / 1000,
            include_usage,
        };
        let mut http = stream::response(header, events);
        served_headers(http.headers_mut(), &served);
        return Ok(http);
    }
    let Answer { value, served } = state.gateway.chat(call, want, &request).await?;
    let mut http = Json(convert::chat_response(&value)).into_response();
    served_headers(http.headers_mut(), &served);
    Ok(http)
}

/// POST /v1/embeddings
pub async fn embeddings(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
    JsonBody(body, _): JsonBody<wire::EmbeddingsRequest, OpenAi>,
) -> Result<Response> {
    let base64 = body.encoding_format == Some(wire::EncodingFormat::Base64);
    let request = convert::embedding_request(body)?;
    let call = call(&identity, &headers, "embeddings");
    let want = Want::Model(&request.model);
    let Answer { value, served } = state.gateway.embed(call, want, &request).await?;
    let mut http = Json(convert::embedding_response(&value, base64)).into_response();
    served_headers(http.headers_mut(), &served);
    Ok(http)
}

/// POST /v1/images/generations
pub async fn images(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
    JsonBody(body, _): JsonBody<wire::ImagesRequest, OpenAi>,
) -> Result<Response> {
    let request = convert::image_request(body)?;
    let call = call(&identity, &headers, "images.generations");
    let Answer { value, served } = state.gateway.images(call, &request, None).await?;
    let mut http = Json(convert::image_response(&value)).into_response();
    served_headers(http.headers_mut(), &served);
    Ok(http)
}

/// GET /v1/models: every enabled model name and group a client may ask for.
pub async fn list_models(State(state): State<AppState>) -> Json<serde_json::Value> {
    let snapshot = state.registry.snapshot();
    let mut seen = std::collections::BTreeMap::new();
    for entry in snapshot.models_of_kind(None) {
        seen.entry(entry.model.name.clone()).or_insert_with(|| {
            json!({
                "id": entry.model.name,
                "object": "model",
                "created": entry.model.created_at / 1000,
                "owned_by": entry.provider.provider.name,
            })
        });
    }
    for group in snapshot.groups.values().filter(|g| g.enabled) {
        seen.entry(group.name.clone()).or_insert_with(|| {
            json!({"id": group.name, "object": "model", "created": group.created_at / 1000, "owned_by": "switchyard"})
        });
    }
    Json(json!({"object": "list", "data": seen.into_values().collect::<Vec<_>>()}))
}
