//! Canonical request → Anthropic Messages request, and Anthropic response → canonical.
//! System messages are lifted to `system`; tool results become `tool_result` blocks in a
//! user turn; consecutive same-role turns are merged; `response_format` is emulated with a
//! system instruction unless the provider opts into `output_config`. Cache breakpoints
//! become `cache_control` on the block that ends their message (or on their tool); the
//! canonical `reasoning` becomes `thinking`.

use serde_json::{Value, json};
use switchyard_types::ErrorKind;
use switchyard_types::chat::{
    CacheTarget, ChatRequest, ChatResponse, ContentPart, FinishReason, Message, MessageRole,
    ResponseFormat, ToolCall, ToolChoice, Usage, UsageSource,
};

use super::hints::{cache_control, set_cache_control, thinking};
use super::wire::{self, ContentBlock, Role};
use super::{AnthropicOptions, JsonMode};
use crate::{ProviderError, Target};

/// Prefix marking a canonical reasoning signature that carries a `redacted_thinking`
/// block's opaque `data` (the reasoning text is then empty).
pub const REDACTED_THINKING_PREFIX: &str = "redacted_thinking:";

/// The instruction that emulates JSON mode (Anthropic has no `json_object` mode).
pub const JSON_INSTRUCTION: &str = "Respond with a single valid JSON object and nothing else: no prose before or after it, no Markdown code fences.";

fn bad_request(message: impl Into<String>) -> ProviderError {
    ProviderError::new(ErrorKind::BadRequest, message)
}

/// Build the Messages request for a canonical request.
pub fn request(
    target: Target<'_>,
    req: &ChatRequest,
    options: &AnthropicOptions,
    stream: bool,
) -> Result<wire::MessagesRequest, ProviderError> {
    let mut system = Vec::new();
    let mut messages: Vec<wire::Message> = Vec::new();
    for (index, message) in req.messages.iter().enumerate() {
        let cache = req.cache_breakpoint(CacheTarget::Message { index });
        let (role, mut blocks) = match message.role {
            MessageRole::System => {
                let before = system.len();
                system.extend(texts(&message.content).map(ContentBlock::text));
                if let (Some(bp), true) = (cache, system.len() > before) {
                    set_cache_control(system.last_mut(), bp);
                }
                continue;
            }
            MessageRole::User => (Role::User, user_blocks(&message.content)?),
            MessageRole::Assistant => (Role::Assistant, assistant_blocks(message)?),
            MessageRole::Tool => (Role::User, vec![tool_result(message)?]),
        };
        if let Some(bp) = cache {
            set_cache_control(blocks.last_mut(), bp);
        }
        if blocks.is_empty() {
            continue;
        }
        match messages.last_mut() {
            Some(wire::Message {
                role: last,
                content: wire::Content::Blocks(existing),
            }) if *last == role => existing.extend(blocks),
            _ => messages.push(wire::Message {
                role,
                content: wire::Content::Blocks(blocks),
            }),
        }
    }
    for message in &mut messages {
        // Anthropic wants a user turn's tool results before any other content.
        if let (Role::User, wire::Content::Blocks(blocks)) = (message.role, &mut message.content) {
            blocks.sort_by_key(|b| !matches!(b, ContentBlock::ToolResult { .. }));
        }
    }
    let mut output_config = None;
    match &req.response_format {
        None | Some(ResponseFormat::Text) => {}
        Some(ResponseFormat::JsonObject) => system.push(ContentBlock::text(JSON_INSTRUCTION)),
        Some(ResponseFormat::JsonSchema { schema, .. }) => match options.json_mode {
            JsonMode::OutputConfig => {
                output_config = Some(wire::OutputConfig {
                    format: Some(wire::OutputFormat::JsonSchema {
                        schema: schema.clone(),
                    }),
                    effort: None,
                });
            }
            JsonMode::SystemPrompt => system.push(ContentBlock::text(schema_instruction(schema))),
        },
    }
    let tools: Vec<wire::ToolDefinition> = req
        .tools
        .iter()
        .enumerate()
        .map(|(index, t)| wire::ToolDefinition {
            kind: None,
            name: t.name.clone(),
            description: t.description.clone(),
            input_schema: if t.parameters.is_null() {
                json!({"type": "object", "properties": {}})
            } else {
                t.parameters.clone()
            },
            cache_control: req
                .cache_breakpoint(CacheTarget::Tool { index })
                .map(cache_control),
        })
        .collect();
    // Anthropic refuses a tool_choice without tools.
    let tool_choice = req
        .tool_choice
        .as_ref()
        .filter(|_| !tools.is_empty())
        .map(tool_choice);
    let mut max_tokens = req.max_output_tokens.unwrap_or(options.default_max_tokens);
    let thinking = req.reasoning.as_ref().map(thinking);
    if let Some(wire::ThinkingConfig::Enabled { budget_tokens }) = thinking {
        // The budget counts against max_tokens and must stay below it: keep the
        // requested room for the answer on top of the budget.
        if max_tokens <= budget_tokens {
            max_tokens = max_tokens.saturating_add(budget_tokens);
        }
    }
    // Thinking refuses a non-default temperature or top_p, so they are left out.
    let thinking_on = matches!(
        thinking,
        Some(wire::ThinkingConfig::Enabled { .. } | wire::ThinkingConfig::Adaptive)
    );
    Ok(wire::MessagesRequest {
        model: target.upstream_model.to_string(),
        max_tokens,
        messages,
        system: system_prompt(system),
        tools,
        tool_choice,
        // Anthropic accepts 0–1 (OpenAI-style clients may send up to 2).
        temperature: req
            .temperature
            .filter(|_| !thinking_on)
            .map(|t| t.clamp(0.0, 1.0)),
        // Current models refuse `temperature` and `top_p` together ("use only one");
        // OpenAI-style clients often send both, so `temperature` wins.
        top_p: req
            .top_p
            .filter(|_| req.temperature.is_none() && !thinking_on),
        top_k: None,
        stop_sequences: req.stop.clone(),
        stream: stream.then_some(true),
        metadata: req.user.as_ref().map(|u| wire::Metadata {
            user_id: Some(u.clone()),
        }),
        thinking,
        output_config,
    })
}

/// The instruction that emulates a JSON-schema response format.
pub fn schema_instruction(schema: &Value) -> String {
    format!(
        "Respond with a single valid JSON value that conforms to this JSON Schema, and nothing else: no prose before or after it, no Markdown code fences.\nJSON Schema: {schema}"
    )
}

fn system_prompt(mut blocks: Vec<ContentBlock>) -> Option<wire::SystemPrompt> {
    match blocks.len() {
        0 => None,
        1 => match blocks.pop() {
            Some(ContentBlock::Text {
                text,
                cache_control: None,
                ..
            }) => Some(wire::SystemPrompt::Text(text)),
            other => other.map(|b| wire::SystemPrompt::Blocks(vec![b])),
        },
        _ => Some(wire::SystemPrompt::Blocks(blocks)),
    }
}

fn tool_choice(choice: &ToolChoice) -> wire::ToolChoice {
    match choice {
        ToolChoice::Auto => wire::ToolChoice::Auto {
            disable_parallel_tool_use: None,
        },
        ToolChoice::Required => wire::ToolChoice::Any {
            disable_parallel_tool_use: None,
        },
        ToolChoice::None => wire::ToolChoice::None,
        ToolChoice::Function { name } => wire::ToolChoice::Tool {
            name: name.clone(),
            disable_parallel_tool_use: None,
        },
    }
}

/// The non-empty text parts (Anthropic refuses empty text blocks).
fn texts(parts: &[ContentPart]) -> impl Iterator<Item = String> + '_ {
    parts.iter().filter_map(|p| match p {
        ContentPart::Text { text } if !text.is_empty() => Some(text.clone()),
        _ => None,
    })
}

fn user_blocks(parts: &[ContentPart]) -> Result<Vec<ContentBlock>, ProviderError> {
    let mut blocks = Vec::new();
    for part in parts {
        match part {
            ContentPart::Text { text } if !text.is_empty() => {
                blocks.push(ContentBlock::text(text.clone()));
            }
            ContentPart::ImageUrl { url, .. } => blocks.push(ContentBlock::Image {
                source: image_source(url)?,
                cache_control: None,
            }),
            ContentPart::ImageBase64 { media_type, data } => blocks.push(ContentBlock::Image {
                source: wire::ImageSource::Base64 {
                    media_type: media_type.clone(),
                    data: data.clone(),
                },
                cache_control: None,
            }),
            ContentPart::Text { .. } | ContentPart::Reasoning { .. } => {}
        }
    }
    Ok(blocks)
}

/// An image URL: `data:<type>;base64,<data>` becomes a base64 source, others a url source.
fn image_source(url: &str) -> Result<wire::ImageSource, ProviderError> {
    let Some(rest) = url.strip_prefix("data:") else {
        return Ok(wire::ImageSource::Url {
            url: url.to_string(),
        });
    };
    let (meta, data) = rest
        .split_once(',')
        .ok_or_else(|| bad_request("an image data URI has no `,` before its data"))?;
    let media_type = meta
        .strip_suffix(";base64")
        .filter(|m| !m.is_empty())
        .ok_or_else(|| {
            bad_request("an image data URI must be `data:<media type>;base64,<data>`")
        })?;
    Ok(wire::ImageSource::Base64 {
        media_type: media_type.to_string(),
        data: data.to_string(),
    })
}

fn assistant_blocks(message: &Message) -> Result<Vec<ContentBlock>, ProviderError> {
    let mut blocks = Vec::new();
    for part in &message.content {
        match part {
            ContentPart::Reasoning {
                text,
                signature: Some(signature),
            } => blocks.push(match signature.strip_prefix(REDACTED_THINKING_PREFIX) {
                Some(data) => ContentBlock::RedactedThinking {
                    data: data.to_string(),
                },
                None => ContentBlock::Thinking {
                    thinking: text.clone(),
                    signature: signature.clone(),
                },
            }),
            ContentPart::Text { text } if !text.is_empty() => {
                blocks.push(ContentBlock::text(text.clone()));
            }
            // Unsigned reasoning (another provider's) cannot be replayed; assistant turns
            // carry no images.
            _ => {}
        }
    }
    for call in &message.tool_calls {
        blocks.push(ContentBlock::ToolUse {
            id: call.id.clone(),
            name: call.name.clone(),
            input: tool_input(call)?,
            cache_control: None,
        });
    }
    Ok(blocks)
}

/// A tool call's arguments as the JSON object Anthropic requires.
pub fn tool_input(call: &ToolCall) -> Result<Value, ProviderError> {
    if call.arguments.trim().is_empty() {
        return Ok(json!({}));
    }
    let value: Value = serde_json::from_str(&call.arguments).map_err(|e| {
        bad_request(format!(
            "tool call `{}` ({}): arguments are not valid JSON: {e}",
            call.id, call.name
        ))
    })?;
    if !value.is_object() {
        return Err(bad_request(format!(
            "tool call `{}` ({}): arguments must be a JSON object",
            call.id, call.name
        )));
    }
    Ok(value)
}

fn tool_result(message: &Message) -> Result<ContentBlock, ProviderError> {
    let id = message
        .tool_call_id
        .clone()
        .ok_or_else(|| bad_request("a tool message has no tool_call_id"))?;
    let has_images = message.content.iter().any(|p| {
        matches!(
            p,
            ContentPart::ImageUrl { .. } | ContentPart::ImageBase64 { .. }
        )
    });
    let content = if has_images {
        Some(wire::Content::Blocks(user_blocks(&message.content)?))
    } else {
        let text: String = texts(&message.content).collect();
        (!text.is_empty()).then_some(wire::Content::Text(text))
    };
    Ok(ContentBlock::ToolResult {
        tool_use_id: id,
        content,
        is_error: None,
        cache_control: None,
    })
}

/// Translate a Messages response; `model` is the public name the client asked for.
pub fn response(target: Target<'_>, resp: wire::MessagesResponse) -> ChatResponse {
    let mut content = Vec::new();
    let mut tool_calls = Vec::new();
    for block in resp.content {
        match block {
            ContentBlock::Text { text, .. } => content.push(ContentPart::Text { text }),
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
                id, name, input, ..
            } => tool_calls.push(ToolCall {
                id,
                name,
                arguments: if input.is_null() {
                    "{}".into()
                } else {
                    input.to_string()
                },
            }),
            ContentBlock::Image { .. }
            | ContentBlock::ToolResult { .. }
            | ContentBlock::Unknown => {}
        }
    }
    ChatResponse {
        id: resp.id,
        model: target.model.to_string(),
        message: Message {
            role: MessageRole::Assistant,
            content,
            tool_calls,
            tool_call_id: None,
        },
        finish_reason: finish_reason(resp.stop_reason),
        usage: usage(&resp.usage),
        created_at: switchyard_types::now_millis(),
    }
}

/// The canonical finish reason for a stop reason.
pub fn finish_reason(stop: Option<wire::StopReason>) -> FinishReason {
    use wire::StopReason as S;
    match stop {
        Some(S::MaxTokens | S::ModelContextWindowExceeded) => FinishReason::Length,
        Some(S::ToolUse) => FinishReason::ToolCalls,
        Some(S::Refusal) => FinishReason::ContentFilter,
        Some(S::EndTurn | S::StopSequence | S::PauseTurn | S::Unknown) | None => FinishReason::Stop,
    }
}

/// Canonical usage: `input_tokens` is the whole prompt (uncached + cache reads + cache
/// writes), with the cache figures as its subsets; `reasoning_tokens` is
/// `output_tokens_details.thinking_tokens` (a part of `output_tokens`) when reported.
pub fn usage(u: &wire::Usage) -> Usage {
    let read = u.cache_read_input_tokens.unwrap_or(0);
    let write = u.cache_creation_input_tokens.unwrap_or(0);
    Usage {
        input_tokens: u.input_tokens + read + write,
        output_tokens: u.output_tokens,
        cached_input_tokens: read,
        cache_creation_input_tokens: write,
        reasoning_tokens: u
            .output_tokens_details
            .as_ref()
            .and_then(|d| d.thinking_tokens)
            .unwrap_or(0),
        source: UsageSource::Provider,
    }
}
