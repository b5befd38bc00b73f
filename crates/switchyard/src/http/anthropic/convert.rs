//! Anthropic Messages client format ⇄ canonical model: a client's request → canonical
//! request (validated; errors name the field), and a canonical response or usage →
//! Messages response. `cache_control` becomes a canonical cache breakpoint (a user turn
//! is split after a marked block that is not its last, so the breakpoint ends a
//! canonical message; on an assistant turn it moves to the turn's last block) and
//! `thinking` the canonical `reasoning`. Fields the canonical model cannot hold
//! (`top_k`, `is_error`, server tools' results) are dropped; server tool definitions are
//! refused.

use serde_json::Value;
use switchyard_types::chat::{
    CacheBreakpoint, CacheTarget, ChatRequest, ChatResponse, ContentPart, FinishReason, Message,
    MessageRole, Reasoning, ResponseFormat, Tool, ToolCall, ToolChoice, Usage,
};
// The adapter's convention for carrying a `redacted_thinking` block through the canonical
// model; the surface must use the same one so such a block reaches Anthropic unchanged.
use switchyard_providers::anthropic::convert::REDACTED_THINKING_PREFIX;

use super::wire::{self, ContentBlock, ResponseBlock, Role};
use crate::http::error::ApiError;

/// Translate and validate a client's Messages request; errors name the field.
pub fn chat_request(req: wire::MessagesRequest) -> Result<ChatRequest, ApiError> {
    if req.max_tokens == 0 {
        return Err(ApiError::field("max_tokens", "must be at least 1"));
    }
    if req.messages.is_empty() {
        return Err(ApiError::field(
            "messages",
            "must contain at least one message",
        ));
    }
    let mut messages = Vec::new();
    let mut cache = Vec::new();
    match req.system {
        Some(wire::SystemPrompt::Text(text)) => {
            messages.push(Message::text(MessageRole::System, text));
        }
        Some(wire::SystemPrompt::Blocks(blocks)) => {
            for block in blocks {
                if let ContentBlock::Text {
                    text,
                    cache_control,
                    ..
                } = block
                {
                    messages.push(Message::text(MessageRole::System, text));
                    mark(&mut cache, cache_control.as_ref(), &messages);
                }
            }
        }
        None => {}
    }
    for message in req.messages {
        let blocks = message.content.into_blocks();
        match message.role {
            Role::User => user_messages(blocks, &mut messages, &mut cache),
            Role::Assistant => {
                let (message, cache_control) = assistant_message(blocks);
                messages.push(message);
                mark(&mut cache, cache_control.as_ref(), &messages);
            }
        }
    }
    let mut tools = Vec::with_capacity(req.tools.len());
    for (i, tool) in req.tools.into_iter().enumerate() {
        if let Some(kind) = tool.kind.filter(|k| k != "custom") {
            return Err(ApiError::field(
                format!("tools[{i}]"),
                format!("server tool `{kind}` is not supported by this gateway"),
            ));
        }
        if let Some(control) = &tool.cache_control {
            cache.push(breakpoint(
                CacheTarget::Tool { index: tools.len() },
                control,
            ));
        }
        tools.push(Tool {
            name: tool.name,
            description: tool.description,
            parameters: tool.input_schema,
        });
    }
    let response_format = req.output_config.and_then(|c| c.format).map(
        |wire::OutputFormat::JsonSchema { schema }| ResponseFormat::JsonSchema {
            name: "output".into(),
            schema,
            strict: true,
        },
    );
    Ok(ChatRequest {
        model: req.model,
        messages,
        tools,
        tool_choice: req.tool_choice.map(|c| match c {
            wire::ToolChoice::Auto { .. } => ToolChoice::Auto,
            wire::ToolChoice::Any { .. } => ToolChoice::Required,
            wire::ToolChoice::Tool { name, .. } => ToolChoice::Function { name },
            wire::ToolChoice::None => ToolChoice::None,
        }),
        response_format,
        temperature: req.temperature,
        top_p: req.top_p,
        max_output_tokens: Some(req.max_tokens),
        stop: req.stop_sequences,
        seed: None,
        stream: req.stream.unwrap_or(false),
        user: req.metadata.and_then(|m| m.user_id),
        reasoning: req.thinking.map(|t| match t {
            wire::ThinkingConfig::Enabled { budget_tokens } => Reasoning {
                effort: None,
                budget_tokens: Some(budget_tokens),
            },
            wire::ThinkingConfig::Disabled => Reasoning {
                effort: None,
                budget_tokens: Some(0),
            },
            wire::ThinkingConfig::Adaptive => Reasoning::default(),
        }),
        cache_breakpoints: cache,
    })
}

/// A breakpoint at `at` from a block's `cache_control` (`{"type": "ephemeral", "ttl"?}`).
fn breakpoint(at: CacheTarget, control: &Value) -> CacheBreakpoint {
    CacheBreakpoint {
        at,
        ttl: control
            .get("ttl")
            .and_then(Value::as_str)
            .map(str::to_string),
    }
}

/// Record a breakpoint after the last message so far if its block had `cache_control`.
fn mark(cache: &mut Vec<CacheBreakpoint>, control: Option<&Value>, messages: &[Message]) {
    if let (Some(control), Some(index)) = (control, messages.len().checked_sub(1)) {
        cache.push(breakpoint(CacheTarget::Message { index }, control));
    }
}

fn image_part(source: wire::ImageSource) -> ContentPart {
    match source {
        wire::ImageSource::Base64 { media_type, data } => {
            ContentPart::ImageBase64 { media_type, data }
        }
        wire::ImageSource::Url { url } => ContentPart::ImageUrl { url, detail: None },
    }
}

/// A user turn: each `tool_result` becomes a `tool` message, the rest user messages,
/// in their order.
fn user_messages(
    blocks: Vec<ContentBlock>,
    out: &mut Vec<Message>,
    cache: &mut Vec<CacheBreakpoint>,
) {
    let mut pending = Vec::new();
    let flush = |pending: &mut Vec<ContentPart>, out: &mut Vec<Message>| {
        if !pending.is_empty() {
            out.push(Message {
                role: MessageRole::User,
                content: std::mem::take(pending),
                tool_calls: Vec::new(),
                tool_call_id: None,
            });
        }
    };
    for block in blocks {
        match block {
            ContentBlock::Text {
                text,
                cache_control,
                ..
            } => {
                pending.push(ContentPart::Text { text });
                if cache_control.is_some() {
                    flush(&mut pending, out);
                    mark(cache, cache_control.as_ref(), out);
                }
            }
            ContentBlock::Image {
                source,
                cache_control,
            } => {
                pending.push(image_part(source));
                if cache_control.is_some() {
                    flush(&mut pending, out);
                    mark(cache, cache_control.as_ref(), out);
                }
            }
            ContentBlock::ToolResult {
                tool_use_id,
                content,
                cache_control,
                ..
            } => {
                flush(&mut pending, out);
                let content = content
                    .map(wire::Content::into_blocks)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|b| match b {
                        ContentBlock::Text { text, .. } => Some(ContentPart::Text { text }),
                        ContentBlock::Image { source, .. } => Some(image_part(source)),
                        _ => None,
                    })
                    .collect();
                out.push(Message {
                    role: MessageRole::Tool,
                    content,
                    tool_calls: Vec::new(),
                    tool_call_id: Some(tool_use_id),
                });
                mark(cache, cache_control.as_ref(), out);
            }
            _ => {}
        }
    }
    flush(&mut pending, out);
}

/// An assistant turn, and the `cache_control` of its last marked block.
fn assistant_message(blocks: Vec<ContentBlock>) -> (Message, Option<Value>) {
    let mut content = Vec::new();
    let mut tool_calls = Vec::new();
    let mut cache = None;
    for block in blocks {
        match block {
            ContentBlock::Text {
                text,
                cache_control,
                ..
            } => {
                content.push(ContentPart::Text { text });
                cache = cache_control.or(cache);
            }
            ContentBlock::Thinking {
                thinking,
                signature,
            } => content.push(ContentPart::Reasoning {
                text: thinking,
                signature: (!signature.is_empty()).then_some(signature),
            }),
            ContentBlock::RedactedThinking { data } => content.push(ContentPart::Reasoning {
                text: String::new(),
                signature: Some(format!("{REDACTED_THINKING_PREFIX}{data}")),
            }),
            ContentBlock::ToolUse {
                id,
                name,
                input,
                cache_control,
            } => {
                tool_calls.push(ToolCall {
                    id,
                    name,
                    arguments: input.to_string(),
                });
                cache = cache_control.or(cache);
            }
            _ => {}
        }
    }
    let message = Message {
        role: MessageRole::Assistant,
        content,
        tool_calls,
        tool_call_id: None,
    };
    (message, cache)
}

/// A canonical response as a Messages response (its id prefixed `msg_` if it is not).
pub fn chat_response(resp: &ChatResponse) -> wire::MessagesResponse {
    let mut content = Vec::new();
    for part in &resp.message.content {
        match part {
            ContentPart::Text { text } if !text.is_empty() => {
                content.push(ResponseBlock::Text { text: text.clone() });
            }
            ContentPart::Reasoning { text, signature } => {
                let signature = signature.clone().unwrap_or_default();
                content.push(match signature.strip_prefix(REDACTED_THINKING_PREFIX) {
                    Some(data) => ResponseBlock::RedactedThinking {
                        data: data.to_string(),
                    },
                    None => ResponseBlock::Thinking {
                        thinking: text.clone(),
                        signature,
                    },
                });
            }
            _ => {}
        }
    }
    for call in &resp.message.tool_calls {
        let input = serde_json::from_str::<Value>(&call.arguments)
            .ok()
            .filter(Value::is_object)
            .unwrap_or_else(|| Value::Object(serde_json::Map::new()));
        content.push(ResponseBlock::ToolUse {
            id: call.id.clone(),
            name: call.name.clone(),
            input,
        });
    }
    let id = if resp.id.starts_with("msg_") {
        resp.id.clone()
    } else {
        format!("msg_{}", resp.id)
    };
    wire::MessagesResponse {
        id,
        kind: "message",
        role: Role::Assistant,
        model: resp.model.clone(),
        content,
        stop_reason: Some(stop_reason(resp.finish_reason)),
        stop_sequence: None,
        usage: usage(&resp.usage),
    }
}

/// The stop reason for a canonical finish reason.
pub fn stop_reason(reason: FinishReason) -> wire::StopReason {
    match reason {
        FinishReason::Stop => wire::StopReason::EndTurn,
        FinishReason::Length => wire::StopReason::MaxTokens,
        FinishReason::ToolCalls => wire::StopReason::ToolUse,
        FinishReason::ContentFilter => wire::StopReason::Refusal,
    }
}

/// Canonical usage in Anthropic's terms: `input_tokens` excludes the cache reads and writes.
pub fn usage(u: &Usage) -> wire::Usage {
    wire::Usage {
        input_tokens: u
            .input_tokens
            .saturating_sub(u.cached_input_tokens)
            .saturating_sub(u.cache_creation_input_tokens),
        output_tokens: u.output_tokens,
        cache_creation_input_tokens: Some(u.cache_creation_input_tokens),
        cache_read_input_tokens: Some(u.cached_input_tokens),
        output_tokens_details: (u.reasoning_tokens > 0).then_some(wire::OutputTokensDetails {
            thinking_tokens: u.reasoning_tokens,
        }),
    }
}
