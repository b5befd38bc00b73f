//! The opposite direction of [`super::convert`]: an OpenAI wire request → canonical, and
//! a canonical response → an OpenAI wire completion. For a client-facing OpenAI
//! surface and for round-trip checks; no validation happens here.

use serde_json::Value;
use switchyard_types::chat::{
    ChatRequest, ChatResponse, ContentPart, FinishReason, Message, MessageRole, Reasoning,
    ResponseFormat, Tool, ToolCall, ToolChoice,
};

use super::wire;

/// A wire request as canonical (`max_completion_tokens` wins over `max_tokens`).
pub fn chat_request(req: wire::ChatCompletionRequest) -> ChatRequest {
    ChatRequest {
        model: req.model,
        messages: req.messages.into_iter().map(message).collect(),
        tools: req
            .tools
            .into_iter()
            .map(|t| Tool {
                name: t.function.name,
                description: t.function.description,
                parameters: t.function.parameters.unwrap_or(Value::Null),
            })
            .collect(),
        tool_choice: req.tool_choice.map(|c| match c {
            wire::ToolChoice::Mode(wire::ToolChoiceMode::Auto) => ToolChoice::Auto,
            wire::ToolChoice::Mode(wire::ToolChoiceMode::None) => ToolChoice::None,
            wire::ToolChoice::Mode(wire::ToolChoiceMode::Required) => ToolChoice::Required,
            wire::ToolChoice::Named(n) => ToolChoice::Function {
                name: n.function.name,
            },
        }),
        response_format: req.response_format.map(|f| match f {
            wire::ResponseFormat::Text => ResponseFormat::Text,
            wire::ResponseFormat::JsonObject => ResponseFormat::JsonObject,
            wire::ResponseFormat::JsonSchema { json_schema } => ResponseFormat::JsonSchema {
                name: json_schema.name,
                schema: json_schema.schema.unwrap_or(Value::Null),
                strict: json_schema.strict.unwrap_or(false),
            },
        }),
        temperature: req.temperature,
        top_p: req.top_p,
        max_output_tokens: req.max_completion_tokens.or(req.max_tokens),
        stop: req.stop.map(wire::Stop::into_vec).unwrap_or_default(),
        seed: req.seed,
        stream: req.stream.unwrap_or(false),
        user: req.user,
        reasoning: req
            .reasoning_effort
            .as_deref()
            .and_then(Reasoning::from_effort_name),
        cache_breakpoints: Vec::new(),
    }
}

/// A wire message as canonical; `developer` counts as `system`.
pub fn message(m: wire::ChatMessage) -> Message {
    let role = match m.role {
        wire::Role::System | wire::Role::Developer => MessageRole::System,
        wire::Role::User => MessageRole::User,
        wire::Role::Assistant => MessageRole::Assistant,
        wire::Role::Tool | wire::Role::Function => MessageRole::Tool,
    };
    let content = match m.content {
        wire::MessageContent::Omitted | wire::MessageContent::Null => Vec::new(),
        wire::MessageContent::Text(text) => vec![ContentPart::Text { text }],
        wire::MessageContent::Parts(parts) => parts.into_iter().map(part).collect(),
    };
    Message {
        role,
        content,
        tool_calls: m
            .tool_calls
            .into_iter()
            .map(|c| ToolCall {
                id: c.id,
                name: c.function.name,
                arguments: c.function.arguments,
            })
            .collect(),
        tool_call_id: m.tool_call_id,
    }
}

/// A content part; a base64 `data:` URI becomes an inline image.
fn part(p: wire::ContentPart) -> ContentPart {
    match p {
        wire::ContentPart::Text { text } => ContentPart::Text { text },
        wire::ContentPart::ImageUrl { image_url } => {
            let inline = image_url
                .url
                .strip_prefix("data:")
                .and_then(|rest| rest.split_once(";base64,"));
            match (inline, &image_url.detail) {
                (Some((media_type, data)), None) => ContentPart::ImageBase64 {
                    media_type: media_type.to_string(),
                    data: data.to_string(),
                },
                _ => ContentPart::ImageUrl {
                    url: image_url.url,
                    detail: image_url.detail,
                },
            }
        }
    }
}

/// The wire name of a finish reason.
pub fn finish_reason(r: FinishReason) -> &'static str {
    match r {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
        FinishReason::ToolCalls => "tool_calls",
        FinishReason::ContentFilter => "content_filter",
    }
}

/// A canonical response as a wire completion (`object: "chat.completion"`).
pub fn completion(r: &ChatResponse) -> wire::ChatCompletion {
    let mut reasoning = String::new();
    for p in &r.message.content {
        if let ContentPart::Reasoning { text, .. } = p {
            reasoning.push_str(text);
        }
    }
    let text = r.message.joined_text();
    let u = &r.usage;
    wire::ChatCompletion {
        id: Some(r.id.clone()),
        object: Some("chat.completion".into()),
        created: Some(r.created_at / 1000),
        model: Some(r.model.clone()),
        choices: vec![wire::Choice {
            index: 0,
            message: wire::ResponseMessage {
                role: Some("assistant".into()),
                content: (!text.is_empty() || r.message.tool_calls.is_empty())
                    .then_some(Value::String(text)),
                refusal: None,
                reasoning_content: (!reasoning.is_empty()).then_some(reasoning),
                reasoning: None,
                tool_calls: r
                    .message
                    .tool_calls
                    .iter()
                    .map(|c| wire::ToolCall {
                        id: c.id.clone(),
                        kind: "function".into(),
                        function: wire::FunctionCall {
                            name: c.name.clone(),
                            arguments: c.arguments.clone(),
                        },
                    })
                    .collect(),
            },
            finish_reason: Some(finish_reason(r.finish_reason).into()),
        }],
        usage: Some(wire::WireUsage {
            prompt_tokens: Some(u.input_tokens),
            completion_tokens: Some(u.output_tokens),
            total_tokens: Some(u.total_tokens()),
            prompt_tokens_details: Some(wire::PromptTokensDetails {
                cached_tokens: Some(u.cached_input_tokens),
                cache_write_tokens: (u.cache_creation_input_tokens > 0)
                    .then_some(u.cache_creation_input_tokens),
                audio_tokens: None,
            }),
            completion_tokens_details: Some(wire::CompletionTokensDetails {
                reasoning_tokens: Some(u.reasoning_tokens),
                ..wire::CompletionTokensDetails::default()
            }),
            prompt_cache_hit_tokens: None,
            prompt_cache_miss_tokens: None,
        }),
    }
}
