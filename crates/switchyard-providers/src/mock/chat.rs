//! The mock's chat, streaming and embeddings: deterministic output from the input.

use std::collections::VecDeque;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use switchyard_types::ErrorKind;
use switchyard_types::chat::{
    ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, FinishReason, Message,
    MessageRole, ResponseFormat, StreamEvent, ToolCall, ToolChoice, Usage, UsageSource,
};

use super::{MockProvider, fnv1a};
use crate::tokens::estimate_tokens;
use crate::{ChatProvider, EmbeddingProvider, EventStream, ProviderError, Target};

fn last_user_text(request: &ChatRequest) -> String {
    request
        .messages
        .iter()
        .rev()
        .find(|m| m.role == MessageRole::User)
        .map(Message::joined_text)
        .unwrap_or_default()
}

/// The reply the mock gives to a conversation: it quotes the last user message.
pub fn reply_text(model: &str, request: &ChatRequest) -> String {
    let last = request.messages.last();
    if let Some(m) = last.filter(|m| m.role == MessageRole::Tool) {
        return format!(
            "Mock reply from {model}: the tool returned {}",
            m.joined_text()
        );
    }
    let text = format!(
        "Mock reply from {model}: you said \"{}\"",
        last_user_text(request)
    );
    match request.response_format {
        Some(ResponseFormat::JsonObject | ResponseFormat::JsonSchema { .. }) => {
            json!({"reply": text}).to_string()
        }
        _ => text,
    }
}

/// The tool call the mock makes, if the request offers tools and the turn is the user's.
fn tool_call(request: &ChatRequest) -> Option<ToolCall> {
    if request.tools.is_empty() || matches!(request.tool_choice, Some(ToolChoice::None)) {
        return None;
    }
    if request
        .messages
        .last()
        .is_some_and(|m| m.role != MessageRole::User)
    {
        return None;
    }
    let tool = match &request.tool_choice {
        Some(ToolChoice::Function { name }) => request.tools.iter().find(|t| &t.name == name)?,
        _ => request.tools.first()?,
    };
    let text = last_user_text(request);
    let mut args = serde_json::Map::new();
    if let Some(props) = tool.parameters.get("properties").and_then(Value::as_object) {
        for (name, schema) in props {
            let value = match schema.get("type").and_then(Value::as_str) {
                Some("integer" | "number") => json!(1),
                Some("boolean") => json!(true),
                Some("array") => json!([]),
                Some("object") => json!({}),
                _ => json!(text),
            };
            args.insert(name.clone(), value);
        }
    }
    Some(ToolCall {
        id: format!(
            "call_mock_{:012x}",
            fnv1a(text.as_bytes()) & 0xffff_ffff_ffff
        ),
        name: tool.name.clone(),
        arguments: Value::Object(args).to_string(),
    })
}

fn prompt_text(request: &ChatRequest) -> String {
    request.messages.iter().map(Message::joined_text).collect()
}

fn response_for(target: Target<'_>, request: &ChatRequest) -> ChatResponse {
    let prompt = prompt_text(request);
    let (message, finish_reason, output) = match tool_call(request) {
        Some(call) => {
            let out = estimate_tokens(&call.arguments);
            let message = Message {
                role: MessageRole::Assistant,
                content: Vec::new(),
                tool_calls: vec![call],
                tool_call_id: None,
            };
            (message, FinishReason::ToolCalls, out)
        }
        None => {
            let text = reply_text(target.model, request);
            let out = estimate_tokens(&text);
            (
                Message::text(MessageRole::Assistant, text),
                FinishReason::Stop,
                out,
            )
        }
    };
    let (output, finish_reason) = match request.max_output_tokens {
        Some(max) if u64::from(max) < output => (u64::from(max), FinishReason::Length),
        _ => (output, finish_reason),
    };
    ChatResponse {
        id: format!("chatcmpl-mock-{:016x}", fnv1a(prompt.as_bytes())),
        model: target.model.to_string(),
        message,
        finish_reason,
        usage: Usage {
            input_tokens: estimate_tokens(&prompt),
            output_tokens: output,
            source: UsageSource::Estimated,
            ..Usage::default()
        },
        created_at: switchyard_types::now_millis(),
    }
}

/// Split text into `n` pieces of nearly equal character counts (no empty pieces).
fn split_text(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let n = n.clamp(1, chars.len().max(1));
    let size = chars.len().div_ceil(n).max(1);
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

/// The events of a streamed reply, in order.
fn stream_events(response: &ChatResponse, chunks: usize) -> VecDeque<StreamEvent> {
    let mut events = VecDeque::new();
    let text = response.message.joined_text();
    if !text.is_empty() {
        events.extend(
            split_text(&text, chunks)
                .into_iter()
                .map(|text| StreamEvent::TextDelta { text }),
        );
    }
    for (i, call) in response.message.tool_calls.iter().enumerate() {
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        events.push_back(StreamEvent::ToolCallStart {
            index,
            id: call.id.clone(),
            name: call.name.clone(),
        });
        for piece in split_text(&call.arguments, chunks.min(4)) {
            events.push_back(StreamEvent::ToolCallDelta {
                index,
                arguments: piece,
            });
        }
    }
    events.push_back(StreamEvent::Finish {
        reason: response.finish_reason,
    });
    events.push_back(StreamEvent::Usage {
        usage: response.usage.clone(),
    });
    events
}

#[async_trait]
impl ChatProvider for MockProvider {
    async fn chat(
        &self,
        target: Target<'_>,
        request: &ChatRequest,
    ) -> Result<ChatResponse, ProviderError> {
        tokio::time::sleep(self.options.latency()).await;
        self.options.maybe_fail()?;
        Ok(response_for(target, request))
    }

    async fn chat_stream(
        &self,
        target: Target<'_>,
        request: &ChatRequest,
    ) -> Result<EventStream, ProviderError> {
        self.options.maybe_fail()?;
        let response = response_for(target, request);
        let events = stream_events(&response, self.options.stream_chunks as usize);
        let first = self.options.latency();
        let gap = Duration::from_millis(self.options.chunk_delay_ms);
        let disconnect_after = self.options.disconnect_after_chunks.map(|n| n as usize);
        let stream =
            futures::stream::unfold((events, 0usize), move |(mut events, sent)| async move {
                if disconnect_after.is_some_and(|n| sent >= n) && !events.is_empty() {
                    let error = ProviderError::new(
                        ErrorKind::UpstreamError,
                        "mock: connection dropped mid-stream",
                    );
                    return Some((Err(error), (VecDeque::new(), sent)));
                }
                let event = events.pop_front()?;
                let wait = if sent == 0 {
                    first
                } else if matches!(
                    event,
                    StreamEvent::TextDelta { .. } | StreamEvent::ToolCallDelta { .. }
                ) {
                    gap
                } else {
                    Duration::ZERO
                };
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                Some((Ok(event), (events, sent + 1)))
            });
        Ok(Box::pin(stream))
    }
}

#[async_trait]
impl EmbeddingProvider for MockProvider {
    async fn embed(
        &self,
        target: Target<'_>,
        request: &EmbeddingRequest,
    ) -> Result<EmbeddingResponse, ProviderError> {
        tokio::time::sleep(self.options.latency()).await;
        self.options.maybe_fail()?;
        let dims = request
            .dimensions
            .map_or(self.options.embedding_dimensions, |d| d as usize)
            .max(1);
        Ok(EmbeddingResponse {
            model: target.model.to_string(),
            embeddings: request
                .input
                .iter()
                .map(|t| embedding_of(t, dims))
                .collect(),
            usage: Usage {
                input_tokens: request.input.iter().map(|t| estimate_tokens(t)).sum(),
                source: UsageSource::Estimated,
                ..Usage::default()
            },
        })
    }
}

/// A deterministic unit-length vector derived from the text.
fn embedding_of(text: &str, dims: usize) -> Vec<f32> {
    let mut state = fnv1a(text.as_bytes()) | 1;
    let mut v: Vec<f32> = (0..dims)
        .map(|_| {
            // xorshift64: cheap, deterministic pseudo-random components.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}
