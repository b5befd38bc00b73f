//! OpenAI client format ⇄ canonical model.

use base64::Engine;
use serde_json::{Value, json};
use switchyard_types::chat::{
    ChatRequest, ChatResponse, ContentPart, EmbeddingRequest, EmbeddingResponse, FinishReason,
    Message, MessageRole, Reasoning, ResponseFormat, Tool, ToolCall, ToolChoice, Usage,
};

use super::wire;
use crate::http::error::ApiError;

/// Translate and validate an OpenAI chat request; errors name the field.
pub fn chat_request(req: wire::ChatCompletionRequest) -> Result<ChatRequest, ApiError> {
    if req.model.trim().is_empty() {
        return Err(ApiError::field("model", "must not be empty"));
    }
    if req.messages.is_empty() {
        return Err(ApiError::field(
            "messages",
            "must contain at least one message",
        ));
    }
    if req.n.is_some_and(|n| n != 1) {
        return Err(ApiError::field("n", "only n = 1 is supported"));
    }
    sampling(req.temperature, req.top_p)?;
    let messages = messages(req.messages)?;
    let tools = tools(req.tools)?;
    let stop = stop(req.stop)?;
    let reasoning = match req.reasoning_effort.as_deref() {
        None => None,
        Some(name) => Some(Reasoning::from_effort_name(name).ok_or_else(|| {
            ApiError::field(
                "reasoning_effort",
                "must be none, minimal, low, medium, high or xhigh",
            )
        })?),
    };
    Ok(ChatRequest {
        model: req.model,
        messages,
        tools,
        tool_choice: req.tool_choice.map(tool_choice),
        response_format: req.response_format.map(response_format),
        temperature: req.temperature,
        top_p: req.top_p,
        max_output_tokens: req.max_completion_tokens.or(req.max_tokens),
        stop,
        seed: req.seed,
        stream: req.stream.unwrap_or(false),
        user: req.user,
        reasoning,
        cache_breakpoints: Vec::new(),
    })
}

// The pieces below are shared with the native surface, whose messages, tools and
// formats have the same JSON shapes.

/// Check `temperature` (0–2) and `top_p` (0–1).
pub(crate) fn sampling(temperature: Option<f64>, top_p: Option<f64>) -> Result<(), ApiError> {
    if let Some(t) = temperature
        && !(0.0..=2.0).contains(&t)
    {
        return Err(ApiError::field("temperature", "must be between 0 and 2"));
    }
    if let Some(p) = top_p
        && !(0.0..=1.0).contains(&p)
    {
        return Err(ApiError::field("top_p", "must be between 0 and 1"));
    }
    Ok(())
}

/// The conversation as canonical messages; errors name `messages[i]…`.
pub(crate) fn messages(messages: Vec<wire::ChatMessage>) -> Result<Vec<Message>, ApiError> {
    messages
        .into_iter()
        .enumerate()
        .map(|(i, m)| message(i, m))
        .collect()
}

/// Tool definitions as canonical tools (no `parameters` is an empty object schema).
pub(crate) fn tools(tools: Option<Vec<wire::ToolDef>>) -> Result<Vec<Tool>, ApiError> {
    tools
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            if t.function.name.trim().is_empty() {
                return Err(ApiError::field(
                    format!("tools[{i}].function.name"),
                    "must not be empty",
                ));
            }
            Ok(Tool {
                name: t.function.name,
                description: t.function.description,
                parameters: t
                    .function
                    .parameters
                    .unwrap_or_else(|| json!({"type": "object", "properties": {}})),
            })
        })
        .collect()
}

/// A `tool_choice` as canonical.
pub(crate) fn tool_choice(choice: wire::ToolChoice) -> ToolChoice {
    match choice {
        wire::ToolChoice::Mode(wire::ToolChoiceMode::Auto) => ToolChoice::Auto,
        wire::ToolChoice::Mode(wire::ToolChoiceMode::None) => ToolChoice::None,
        wire::ToolChoice::Mode(wire::ToolChoiceMode::Required) => ToolChoice::Required,
        wire::ToolChoice::Named { function } => ToolChoice::Function {
            name: function.name,
        },
    }
}

/// A `response_format` as canonical.
pub(crate) fn response_format(format: wire::ResponseFormat) -> ResponseFormat {
    match format {
        wire::ResponseFormat::Text => ResponseFormat::Text,
        wire::ResponseFormat::JsonObject => ResponseFormat::JsonObject,
        wire::ResponseFormat::JsonSchema { json_schema } => ResponseFormat::JsonSchema {
            name: json_schema.name,
            schema: json_schema.schema.unwrap_or(Value::Null),
            strict: json_schema.strict.unwrap_or(false),
        },
    }
}

/// `stop` as a list of at most 4 sequences.
pub(crate) fn stop(stop: Option<wire::Stop>) -> Result<Vec<String>, ApiError> {
    match stop {
        None => Ok(Vec::new()),
        Some(wire::Stop::One(s)) => Ok(vec![s]),
        Some(wire::Stop::Many(v)) if v.len() > 4 => {
            Err(ApiError::field("stop", "at most 4 stop sequences"))
        }
        Some(wire::Stop::Many(v)) => Ok(v),
    }
}

fn message(i: usize, m: wire::ChatMessage) -> Result<Message, ApiError> {
    let text_only = |role, content| {
        Ok(Message {
            role,
            content: content_parts(i, content)?,
            tool_calls: Vec::new(),
            tool_call_id: None,
        })
    };
    match m {
        wire::ChatMessage::System { content } | wire::ChatMessage::Developer { content } => {
            text_only(MessageRole::System, content)
        }
        wire::ChatMessage::User { content } => text_only(MessageRole::User, content),
        wire::ChatMessage::Tool {
            tool_call_id,
            content,
        } => Ok(Message {
            role: MessageRole::Tool,
            content: content_parts(i, content)?,
            tool_calls: Vec::new(),
            tool_call_id: Some(tool_call_id),
        }),
        wire::ChatMessage::Assistant {
            content,
            tool_calls,
        } => Ok(Message {
            role: MessageRole::Assistant,
            content: match content {
                Some(c) => content_parts(i, c)?,
                None => Vec::new(),
            },
            tool_calls: tool_calls
                .unwrap_or_default()
                .into_iter()
                .map(|c| ToolCall {
                    id: c.id,
                    name: c.function.name,
                    arguments: c.function.arguments,
                })
                .collect(),
            tool_call_id: None,
        }),
    }
}

fn content_parts(i: usize, content: wire::Content) -> Result<Vec<ContentPart>, ApiError> {
    match content {
        wire::Content::Text(text) => Ok(vec![ContentPart::Text { text }]),
        wire::Content::Parts(parts) => parts
            .into_iter()
            .enumerate()
            .map(|(j, p)| match p {
                wire::ContentPart::Text { text } => Ok(ContentPart::Text { text }),
                wire::ContentPart::ImageUrl { image_url } => {
                    if let Some(rest) = image_url.url.strip_prefix("data:") {
                        let (media_type, data) = rest.split_once(";base64,").ok_or_else(|| {
                            ApiError::field(
                                format!("messages[{i}].content[{j}].image_url.url"),
                                "a data URI must look like data:<media-type>;base64,<data>",
                            )
                        })?;
                        Ok(ContentPart::ImageBase64 {
                            media_type: media_type.to_string(),
                            data: data.to_string(),
                        })
                    } else {
                        Ok(ContentPart::ImageUrl {
                            url: image_url.url,
                            detail: image_url.detail,
                        })
                    }
                }
            })
            .collect(),
    }
}

/// OpenAI's name of a finish reason.
pub fn finish_reason(r: FinishReason) -> &'static str {
    match r {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
        FinishReason::ToolCalls => "tool_calls",
        FinishReason::ContentFilter => "content_filter",
    }
}

/// The OpenAI `chat.completion` object for a canonical response.
pub fn chat_response(r: &ChatResponse) -> Value {
    let text = r.message.joined_text();
    let mut message = json!({
        "role": "assistant",
        "content": if text.is_empty() && !r.message.tool_calls.is_empty() { Value::Null } else { Value::String(text) },
        "refusal": null,
    });
    if !r.message.tool_calls.is_empty() {
        message["tool_calls"] = r
            .message
            .tool_calls
            .iter()
            .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}))
            .collect();
    }
    json!({
        "id": r.id,
        "object": "chat.completion",
        "created": r.created_at / 1000,
        "model": r.model,
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish_reason(r.finish_reason)}],
        "usage": usage_json(&r.usage),
    })
}

/// OpenAI's `usage` object.
pub fn usage_json(u: &Usage) -> Value {
    json!({
        "prompt_tokens": u.input_tokens,
        "completion_tokens": u.output_tokens,
        "total_tokens": u.total_tokens(),
        "prompt_tokens_details": {"cached_tokens": u.cached_input_tokens},
        "completion_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
    })
}

/// Translate and validate an OpenAI embeddings request.
pub fn embedding_request(req: wire::EmbeddingsRequest) -> Result<EmbeddingRequest, ApiError> {
    embedding(req.model, req.input, req.dimensions)
}

/// An embedding request from its parts (shared with the native surface): 1 to 2048
/// inputs, `dimensions` at least 1.
pub(crate) fn embedding(
    model: String,
    input: wire::EmbeddingInput,
    dimensions: Option<u32>,
) -> Result<EmbeddingRequest, ApiError> {
    let input = match input {
        wire::EmbeddingInput::One(s) => vec![s],
        wire::EmbeddingInput::Many(v) => v,
    };
    if input.is_empty() {
        return Err(ApiError::field("input", "must not be empty"));
    }
    if input.len() > 2048 {
        return Err(ApiError::field("input", "at most 2048 inputs per request"));
    }
    if dimensions == Some(0) {
        return Err(ApiError::field("dimensions", "must be at least 1"));
    }
    Ok(EmbeddingRequest {
        model,
        input,
        dimensions,
    })
}

/// The OpenAI embeddings list for a canonical response.
pub fn embedding_response(r: &EmbeddingResponse, base64: bool) -> Value {
    let data: Vec<Value> = r
        .embeddings
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let embedding = if base64 {
                let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                json!(v)
            };
            json!({"object": "embedding", "index": i, "embedding": embedding})
        })
        .collect();
    json!({
        "object": "list",
        "data": data,
        "model": r.model,
        "usage": {"prompt_tokens": r.usage.input_tokens, "total_tokens": r.usage.input_tokens},
    })
}

/// Translate and validate an OpenAI images request.
pub fn image_request(
    req: wire::ImagesRequest,
) -> Result<switchyard_types::media::ImageRequest, ApiError> {
    use switchyard_types::media::{ImageFormat, ImageRequest};
    if req.prompt.trim().is_empty() {
        return Err(ApiError::field("prompt", "must not be empty"));
    }
    let n = req.n.unwrap_or(1);
    if !(1..=10).contains(&n) {
        return Err(ApiError::field("n", "must be between 1 and 10"));
    }
    if let Some(size) = &req.size {
        let ok = size
            .split_once('x')
            .is_some_and(|(w, h)| w.parse::<u32>().is_ok() && h.parse::<u32>().is_ok());
        if !ok && size != "auto" {
            return Err(ApiError::field(
                "size",
                "must look like 1024x1024 or be `auto`",
            ));
        }
    }
    Ok(ImageRequest {
        model: req.model,
        prompt: req.prompt,
        n,
        size: req.size,
        quality: req.quality,
        style: req.style,
        response_format: match req.response_format {
            Some(wire::ImageResponseFormat::B64Json) => ImageFormat::B64Json,
            _ => ImageFormat::Url,
        },
        user: req.user,
    })
}

/// The OpenAI images response for a canonical one.
pub fn image_response(r: &switchyard_types::media::ImageResponse) -> Value {
    let data: Vec<Value> = r
        .images
        .iter()
        .map(|i| {
            let mut item = serde_json::Map::new();
            if let Some(url) = &i.url {
                item.insert("url".into(), json!(url));
            }
            if let Some(b64) = &i.b64_json {
                item.insert("b64_json".into(), json!(b64));
            }
            if let Some(p) = &i.revised_prompt {
                item.insert("revised_prompt".into(), json!(p));
            }
            Value::Object(item)
        })
        .collect();
    json!({"created": r.created_at / 1000, "data": data})
}
