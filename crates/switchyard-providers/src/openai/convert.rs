//! Canonical ⇄ OpenAI Chat Completions: the request sent upstream (shaped by a
//! [`Flavor`]), the whole response read back, usage and finish reasons. Reasoning parts
//! of earlier turns are not sent (Chat Completions has no field for them).

use serde::Deserialize;
use serde_json::Value;
use switchyard_types::ErrorKind;
use switchyard_types::chat::{
    ChatRequest, ChatResponse, ContentPart, FinishReason, Message, MessageRole, ReasoningEffort,
    ResponseFormat, Tool, ToolCall, ToolChoice, Usage, UsageSource,
};

use super::wire;
use crate::ProviderError;
use crate::tokens::estimate_tokens;

/// Which request member carries the output-token limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxTokensField {
    /// `max_completion_tokens` (OpenAI now; required by its reasoning models).
    MaxCompletionTokens,
    /// `max_tokens` (compatible servers, Copilot, the Hugging Face router).
    MaxTokens,
}

/// How an assistant turn that only made tool calls sends its empty `content`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolCallContent {
    /// `"content": null`, as OpenAI documents it.
    Null,
    /// `"content": ""` (Ollama rejects `null`).
    Empty,
    /// No `content` member at all.
    Omit,
}

/// The dialect differences between OpenAI and the servers that imitate it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flavor {
    /// Which member carries `max_output_tokens`.
    pub max_tokens_field: MaxTokensField,
    /// Ask for a final usage chunk on streams (`stream_options.include_usage`).
    pub stream_usage: bool,
    /// Send the canonical `user` (end-user id) upstream.
    pub send_user: bool,
    /// The `content` of an assistant turn that only made tool calls.
    pub tool_call_content: ToolCallContent,
    /// Send `encoding_format: "float"` with embeddings requests.
    pub embedding_encoding_format: bool,
    /// Send the canonical `reasoning` as `reasoning_effort` (OpenAI's o-series and GPT-5).
    pub reasoning_effort: bool,
}

impl Flavor {
    /// OpenAI itself.
    pub fn openai() -> Self {
        Self {
            max_tokens_field: MaxTokensField::MaxCompletionTokens,
            stream_usage: true,
            send_user: true,
            tool_call_content: ToolCallContent::Null,
            embedding_encoding_format: true,
            reasoning_effort: true,
        }
    }

    /// A generic OpenAI-compatible server (Ollama, vLLM, llama.cpp, Groq, …).
    pub fn compatible() -> Self {
        Self {
            max_tokens_field: MaxTokensField::MaxTokens,
            stream_usage: true,
            send_user: false,
            tool_call_content: ToolCallContent::Empty,
            embedding_encoding_format: false,
            reasoning_effort: false,
        }
    }
}

/// The upstream request for a canonical one, addressed to `model` (the provider's name).
/// Cache breakpoints are not sent: OpenAI caches prompt prefixes automatically.
pub fn chat_request(
    model: &str,
    request: &ChatRequest,
    flavor: &Flavor,
    stream: bool,
) -> wire::ChatCompletionRequest {
    let (max_tokens, max_completion_tokens) = match flavor.max_tokens_field {
        MaxTokensField::MaxTokens => (request.max_output_tokens, None),
        MaxTokensField::MaxCompletionTokens => (None, request.max_output_tokens),
    };
    wire::ChatCompletionRequest {
        model: model.to_string(),
        messages: request
            .messages
            .iter()
            .map(|m| message(m, flavor))
            .collect(),
        tools: request.tools.iter().map(tool).collect(),
        tool_choice: request.tool_choice.as_ref().map(tool_choice),
        response_format: request.response_format.as_ref().map(response_format),
        temperature: request.temperature,
        top_p: request.top_p,
        max_tokens,
        max_completion_tokens,
        stop: (!request.stop.is_empty()).then(|| wire::Stop::Many(request.stop.clone())),
        seed: request.seed,
        stream: stream.then_some(true),
        stream_options: (stream && flavor.stream_usage).then_some(wire::StreamOptions {
            include_usage: true,
        }),
        n: None,
        user: request.user.clone().filter(|_| flavor.send_user),
        reasoning_effort: flavor
            .reasoning_effort
            .then(|| reasoning_effort(request))
            .flatten(),
        extra: serde_json::Map::new(),
    }
}

/// `reasoning_effort` for a request: its effort, else the level its budget falls into;
/// none when reasoning is off (`budget_tokens: 0`) or not asked for.
fn reasoning_effort(request: &ChatRequest) -> Option<String> {
    let r = request.reasoning.as_ref()?;
    let effort = match (r.effort, r.budget_tokens) {
        (_, Some(0)) => return None,
        (Some(effort), _) => effort,
        (None, Some(budget)) => ReasoningEffort::from_budget(budget),
        (None, None) => return None,
    };
    Some(effort.as_str().to_string())
}

/// One canonical message on the wire.
pub fn message(m: &Message, flavor: &Flavor) -> wire::ChatMessage {
    let text = m.joined_text();
    let (role, content) = match m.role {
        MessageRole::System => (wire::Role::System, wire::MessageContent::Text(text)),
        MessageRole::Tool => (wire::Role::Tool, wire::MessageContent::Text(text)),
        MessageRole::User => (wire::Role::User, user_content(m, text)),
        MessageRole::Assistant => {
            let content = if !text.is_empty() || m.tool_calls.is_empty() {
                wire::MessageContent::Text(text)
            } else {
                match flavor.tool_call_content {
                    ToolCallContent::Null => wire::MessageContent::Null,
                    ToolCallContent::Empty => wire::MessageContent::Text(String::new()),
                    ToolCallContent::Omit => wire::MessageContent::Omitted,
                }
            };
            (wire::Role::Assistant, content)
        }
    };
    wire::ChatMessage {
        role,
        content,
        name: None,
        tool_calls: m
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
        tool_call_id: match m.role {
            MessageRole::Tool => Some(m.tool_call_id.clone().unwrap_or_default()),
            _ => None,
        },
    }
}

/// A user turn: a plain string unless it carries images.
fn user_content(m: &Message, text: String) -> wire::MessageContent {
    let has_image = m.content.iter().any(|p| {
        matches!(
            p,
            ContentPart::ImageUrl { .. } | ContentPart::ImageBase64 { .. }
        )
    });
    if !has_image {
        return wire::MessageContent::Text(text);
    }
    let parts = m
        .content
        .iter()
        .filter_map(|p| match p {
            ContentPart::Text { text } => Some(wire::ContentPart::Text { text: text.clone() }),
            ContentPart::ImageUrl { url, detail } => Some(wire::ContentPart::ImageUrl {
                image_url: wire::ImageUrl {
                    url: url.clone(),
                    detail: detail.clone(),
                },
            }),
            ContentPart::ImageBase64 { media_type, data } => Some(wire::ContentPart::ImageUrl {
                image_url: wire::ImageUrl {
                    url: format!("data:{media_type};base64,{data}"),
                    detail: None,
                },
            }),
            ContentPart::Reasoning { .. } => None,
        })
        .collect();
    wire::MessageContent::Parts(parts)
}

fn tool(t: &Tool) -> wire::ToolDef {
    wire::ToolDef {
        kind: "function".into(),
        function: wire::FunctionDef {
            name: t.name.clone(),
            description: t.description.clone(),
            parameters: (!t.parameters.is_null()).then(|| t.parameters.clone()),
            strict: None,
        },
    }
}

fn tool_choice(c: &ToolChoice) -> wire::ToolChoice {
    match c {
        ToolChoice::Auto => wire::ToolChoice::Mode(wire::ToolChoiceMode::Auto),
        ToolChoice::None => wire::ToolChoice::Mode(wire::ToolChoiceMode::None),
        ToolChoice::Required => wire::ToolChoice::Mode(wire::ToolChoiceMode::Required),
        ToolChoice::Function { name } => wire::ToolChoice::Named(wire::NamedToolChoice {
            kind: "function".into(),
            function: wire::NamedFunction { name: name.clone() },
        }),
    }
}

fn response_format(f: &ResponseFormat) -> wire::ResponseFormat {
    match f {
        ResponseFormat::Text => wire::ResponseFormat::Text,
        ResponseFormat::JsonObject => wire::ResponseFormat::JsonObject,
        ResponseFormat::JsonSchema {
            name,
            schema,
            strict,
        } => wire::ResponseFormat::JsonSchema {
            json_schema: wire::JsonSchemaFormat {
                name: name.clone(),
                schema: Some(schema.clone()),
                strict: Some(*strict),
            },
        },
    }
}

/// The canonical response for a whole completion; `model` is the public name echoed
/// back. Usage the server did not report is estimated (and marked so).
pub fn chat_response(
    completion: wire::ChatCompletion,
    model: &str,
    request: &ChatRequest,
) -> Result<ChatResponse, ProviderError> {
    let wire::ChatCompletion {
        id,
        created,
        choices,
        usage: wire_usage,
        ..
    } = completion;
    let choice = choices
        .into_iter()
        .min_by_key(|c| c.index)
        .ok_or_else(|| ProviderError::new(ErrorKind::UpstreamError, "upstream sent no choices"))?;
    let m = choice.message;
    let mut content = Vec::new();
    if let Some(text) = m
        .reasoning_content
        .or(m.reasoning)
        .filter(|t| !t.is_empty())
    {
        content.push(ContentPart::Reasoning {
            text,
            signature: None,
        });
    }
    let mut text = String::new();
    collect_content(m.content.as_ref(), &mut text, &mut content);
    if text.is_empty() {
        text = m.refusal.unwrap_or_default();
    }
    if !text.is_empty() || m.tool_calls.is_empty() {
        content.push(ContentPart::Text { text });
    }
    let tool_calls: Vec<ToolCall> = m
        .tool_calls
        .into_iter()
        .enumerate()
        .map(|(i, c)| ToolCall {
            id: if c.id.is_empty() {
                format!("call_{i}")
            } else {
                c.id
            },
            name: c.function.name,
            arguments: c.function.arguments,
        })
        .collect();
    let finish_reason = finish(choice.finish_reason.as_deref(), !tool_calls.is_empty());
    let message = Message {
        role: MessageRole::Assistant,
        content,
        tool_calls,
        tool_call_id: None,
    };
    let usage = match wire_usage {
        Some(u) => usage(&u),
        None => estimated_usage(request, &message),
    };
    Ok(ChatResponse {
        id: id
            .filter(|i| !i.is_empty())
            .unwrap_or_else(|| format!("chatcmpl-{:024x}", rand::random::<u128>() >> 32)),
        model: model.to_string(),
        message,
        finish_reason,
        usage,
        created_at: created.map_or_else(switchyard_types::now_millis, |s| s * 1000),
    })
}

/// Text and reasoning out of a `content` that is a string or an array of parts
/// (Mistral sends `{"type":"thinking","thinking":[{"type":"text","text":…}]}` parts).
fn collect_content(value: Option<&Value>, text: &mut String, parts: &mut Vec<ContentPart>) {
    match value {
        Some(Value::String(s)) => text.push_str(s),
        Some(Value::Array(items)) => {
            for item in items {
                match item.get("type").and_then(Value::as_str) {
                    Some("thinking" | "reasoning") => {
                        let mut reasoning = String::new();
                        let inner = item.get("thinking").or_else(|| item.get("text"));
                        collect_content(inner, &mut reasoning, &mut Vec::new());
                        if !reasoning.is_empty() {
                            parts.push(ContentPart::Reasoning {
                                text: reasoning,
                                signature: None,
                            });
                        }
                    }
                    _ => match item {
                        Value::String(s) => text.push_str(s),
                        _ => {
                            if let Some(t) = item.get("text").and_then(Value::as_str) {
                                text.push_str(t);
                            }
                        }
                    },
                }
            }
        }
        _ => {}
    }
}

/// A finish reason; `stop` with tool calls made counts as `tool_calls` (OpenAI answers
/// `stop` when `tool_choice` named the function; older Ollama always does).
pub fn finish(reason: Option<&str>, made_tool_calls: bool) -> FinishReason {
    match reason {
        Some("length") => FinishReason::Length,
        Some("content_filter") => FinishReason::ContentFilter,
        Some("tool_calls" | "function_call") => FinishReason::ToolCalls,
        _ if made_tool_calls => FinishReason::ToolCalls,
        _ => FinishReason::Stop,
    }
}

/// Canonical usage from the wire: `input_tokens` is `prompt_tokens` as reported
/// (cached and cache-write tokens included), exactly as the provider counted.
pub fn usage(u: &wire::WireUsage) -> Usage {
    let prompt = u.prompt_tokens_details.as_ref();
    let input = u.prompt_tokens.unwrap_or(0);
    let output = u
        .completion_tokens
        .or_else(|| u.total_tokens.map(|t| t.saturating_sub(input)))
        .unwrap_or(0);
    Usage {
        input_tokens: input,
        output_tokens: output,
        cached_input_tokens: prompt
            .and_then(|d| d.cached_tokens)
            .filter(|n| *n > 0)
            .or(u.prompt_cache_hit_tokens)
            .unwrap_or(0),
        cache_creation_input_tokens: prompt.and_then(|d| d.cache_write_tokens).unwrap_or(0),
        reasoning_tokens: u
            .completion_tokens_details
            .as_ref()
            .and_then(|d| d.reasoning_tokens)
            .unwrap_or(0),
        source: UsageSource::Provider,
    }
}

/// A rough count for a server that reported no usage.
pub fn estimated_usage(request: &ChatRequest, reply: &Message) -> Usage {
    let prompt: String = request.messages.iter().map(Message::joined_text).collect();
    let mut output = reply.joined_text();
    for call in &reply.tool_calls {
        output.push_str(&call.name);
        output.push_str(&call.arguments);
    }
    Usage {
        input_tokens: estimate_tokens(&prompt),
        output_tokens: estimate_tokens(&output),
        source: UsageSource::Estimated,
        ..Usage::default()
    }
}
