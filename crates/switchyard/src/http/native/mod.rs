//! The native API (`/api/v1/ai/*`): unified chat (whole or streamed), embeddings,
//! task-type processing, and media with durable tasks ([`tasks`]). Responses add
//! `routing` and `usage.cost_usd`.

mod convert;
mod media;
mod process;
mod status;
mod stream;
pub mod tasks;
pub mod wire;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};
use switchyard_core::gateway::{Answer, Streamed};
use switchyard_core::llm::{Served, Want};
use switchyard_types::Identity;
use switchyard_types::chat::{ChatResponse, Usage};

use self::wire::{ChatBody, EmbeddingsBody, NativeUsage, Routing};
use super::call;
use super::error::{Failure, Native};
use super::extract::JsonBody;
use super::openai::served_headers;
use crate::app::AppState;

pub use media::media;
pub use process::process;
pub use status::providers_status;

type Result<T> = std::result::Result<T, Failure<Native>>;

/// The routing explanation of a served request.
pub fn routing(served: &Served, want: Want<'_>) -> Routing {
    let reason = match want {
        Want::Model(name) if name == served.model => format!("`{name}` was asked for by name"),
        Want::Model(name) => format!(
            "`{name}` resolved to {} candidate(s)",
            served.candidates().len()
        ),
        Want::Task(task) => format!(
            "task type `{task}`: free tier first, then best quality tier, then lowest price"
        ),
    };
    let reason = match served.failures.len() {
        0 => reason,
        n => format!("{reason}; answered after {n} candidate(s) failed or were skipped"),
    };
    Routing {
        provider: served.provider.clone(),
        model: served.model.clone(),
        attempts: served.attempts,
        candidates: served.candidates(),
        reason,
        decision: served.decision(),
        failures: served.failures.clone(),
    }
}

/// The native usage object, priced for the model that answered.
pub fn usage(served: &Served, u: &Usage) -> NativeUsage {
    NativeUsage {
        input_tokens: u.input_tokens,
        output_tokens: u.output_tokens,
        total_tokens: u.total_tokens(),
        cached_input_tokens: u.cached_input_tokens,
        reasoning_tokens: u.reasoning_tokens,
        cost_usd: served.cost(u),
        source: u.source,
    }
}

/// The native JSON body of a chat response.
pub fn chat_json(r: &ChatResponse, served: &Served, want: Want<'_>) -> Value {
    let tool_calls: Vec<Value> = r
        .message
        .tool_calls
        .iter()
        .map(|c| {
            let arguments = serde_json::from_str::<Value>(&c.arguments)
                .unwrap_or_else(|_| Value::String(c.arguments.clone()));
            json!({"id": c.id, "name": c.name, "arguments": arguments})
        })
        .collect();
    json!({
        "id": r.id,
        "model": r.model,
        "provider": served.provider,
        "message": {"role": "assistant", "content": r.message.joined_text(), "tool_calls": tool_calls},
        "finish_reason": r.finish_reason,
        "usage": usage(served, &r.usage),
        "routing": routing(served, want),
        "created_at": r.created_at,
    })
}

fn want<'a>(model: &'a Option<String>, task: Option<switchyard_types::TaskType>) -> Want<'a> {
    match (model, task) {
        (Some(m), _) => Want::Model(m),
        (None, Some(t)) => Want::Task(t),
        (None, None) => Want::Model(""),
    }
}

/// POST /api/v1/ai/chat
pub async fn chat(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
    JsonBody(body, _): JsonBody<ChatBody>,
) -> Result<Response> {
    let (request, model, task) = convert::chat_request(body)?;
    let want = want(&model, task);
    let call = call(&identity, &headers, "ai.chat");
    let Answer { value, served } = state.gateway.chat(call, want, &request).await?;
    let mut http = Json(chat_json(&value, &served, want)).into_response();
    served_headers(http.headers_mut(), &served);
    Ok(http)
}

/// POST /api/v1/ai/chat/stream: canonical events as SSE, then a `done` event with
/// routing and priced usage.
pub async fn chat_stream(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
    JsonBody(body, _): JsonBody<ChatBody>,
) -> Result<Response> {
    let (mut request, model, task) = convert::chat_request(body)?;
    request.stream = true;
    let want = want(&model, task);
    let call = call(&identity, &headers, "ai.chat.stream");
    let Streamed { events, served } = state.gateway.chat_stream(call, want, &request).await?;
    let routing = routing(&served, want);
    let mut http = stream::response(events, served.clone(), routing);
    served_headers(http.headers_mut(), &served);
    Ok(http)
}

/// POST /api/v1/ai/embeddings
pub async fn embeddings(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
    JsonBody(body, _): JsonBody<EmbeddingsBody>,
) -> Result<Response> {
    let asked = body.model.is_some();
    let request = convert::embedding_request(body)?;
    let want = if asked {
        Want::Model(&request.model)
    } else {
        Want::Task(switchyard_types::TaskType::Embedding)
    };
    let call = call(&identity, &headers, "ai.embeddings");
    let Answer {
        value: response,
        served,
    } = state.gateway.embed(call, want, &request).await?;
    let mut http = Json(json!({
        "model": response.model,
        "provider": served.provider,
        "embeddings": response.embeddings,
        "usage": usage(&served, &response.usage),
        "routing": routing(&served, want),
    }))
    .into_response();
    served_headers(http.headers_mut(), &served);
    Ok(http)
}
