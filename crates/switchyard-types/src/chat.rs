//! Canonical request and response types. Client formats translate to these and
//! provider adapters translate from them: N + M translators, never N × M.

use serde::{Deserialize, Serialize};

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageRole {
    System,
    User,
    Assistant,
    Tool,
}

/// One piece of message content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    Text {
        text: String,
    },
    /// An image by URL (http(s) or a `data:` URI).
    ImageUrl {
        url: String,
        detail: Option<String>,
    },
    /// An image given inline as base64 bytes.
    ImageBase64 {
        media_type: String,
        data: String,
    },
    /// Model reasoning ("thinking") carried through a conversation.
    Reasoning {
        text: String,
        signature: Option<String>,
    },
}

/// A tool call the assistant made; `arguments` is a JSON document as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// One conversation turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: MessageRole,
    pub content: Vec<ContentPart>,
    /// Tool calls made by an assistant turn.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// For a `tool` turn: the call this result answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    /// A message with a single text part.
    pub fn text(role: MessageRole, text: impl Into<String>) -> Self {
        Self {
            role,
            content: vec![ContentPart::Text { text: text.into() }],
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }

    /// The message's text parts joined together.
    pub fn joined_text(&self) -> String {
        let mut out = String::new();
        for part in &self.content {
            if let ContentPart::Text { text } = part {
                out.push_str(text);
            }
        }
        out
    }
}

/// A function the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub description: Option<String>,
    /// JSON Schema of the arguments.
    pub parameters: serde_json::Value,
}

/// Whether and which tool the model must call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolChoice {
    Auto,
    None,
    Required,
    Function { name: String },
}

/// Structured-output request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat {
    Text,
    JsonObject,
    JsonSchema {
        name: String,
        schema: serde_json::Value,
        strict: bool,
    },
}

/// The canonical chat request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ChatRequest {
    /// What the client asked for: a model, `provider/model`, or a group name.
    pub model: String,
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(default)]
    pub stream: bool,
    /// The end user on whose behalf the request is made (for provider abuse tracking).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// How much the model should reason before answering; `None` leaves it to the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Reasoning>,
    /// Prompt-cache breakpoints (Anthropic's `cache_control`). Only adapters with explicit
    /// prompt caching use them; OpenAI and Gemini cache prefixes automatically and ignore them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cache_breakpoints: Vec<CacheBreakpoint>,
}

/// A request's reasoning ("thinking") setting. Adapters take `budget_tokens` if the
/// provider counts in tokens and `effort` if it counts in levels, converting the other
/// one when only that is given. `budget_tokens: Some(0)` turns reasoning off; both `None`
/// means reasoning on at the provider's own (adaptive) depth.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reasoning {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<ReasoningEffort>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_tokens: Option<u32>,
}

impl Reasoning {
    /// An OpenAI-style `reasoning_effort` name: `none` turns reasoning off, `minimal`
    /// counts as low and `xhigh` as high; `None` for an unknown name.
    pub fn from_effort_name(name: &str) -> Option<Self> {
        let effort = match name {
            "none" => {
                return Some(Self {
                    effort: None,
                    budget_tokens: Some(0),
                });
            }
            "minimal" | "low" => ReasoningEffort::Low,
            "medium" => ReasoningEffort::Medium,
            "high" | "xhigh" => ReasoningEffort::High,
            _ => return None,
        };
        Some(Self {
            effort: Some(effort),
            budget_tokens: None,
        })
    }
}

/// A coarse reasoning level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasoningEffort {
    Low,
    Medium,
    High,
}

impl ReasoningEffort {
    /// The token budget that stands for this level (low 1024, medium 4096, high 16384).
    pub fn budget_tokens(self) -> u32 {
        match self {
            Self::Low => 1024,
            Self::Medium => 4096,
            Self::High => 16384,
        }
    }

    /// The level a token budget falls into (below 4096 low, below 16384 medium, else high).
    pub fn from_budget(budget_tokens: u32) -> Self {
        match budget_tokens {
            0..4096 => Self::Low,
            4096..16384 => Self::Medium,
            _ => Self::High,
        }
    }

    /// The level's wire name (`low`, `medium`, `high`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

/// A prompt-cache breakpoint: the prompt up to and including `at` may be cached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheBreakpoint {
    pub at: CacheTarget,
    /// The cache entry's lifetime as the client gave it (Anthropic: `5m` or `1h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
}

/// Where a cache breakpoint sits: after the last content block of
/// `messages[index]` (system messages included), or after `tools[index]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CacheTarget {
    Message { index: usize },
    Tool { index: usize },
}

impl ChatRequest {
    /// The breakpoint placed on `target`, if any.
    pub fn cache_breakpoint(&self, target: CacheTarget) -> Option<&CacheBreakpoint> {
        self.cache_breakpoints.iter().find(|b| b.at == target)
    }
}

/// Why generation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    Stop,
    Length,
    ToolCalls,
    ContentFilter,
}

/// Where a usage figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum UsageSource {
    #[default]
    Provider,
    Estimated,
}

/// Token counts of one response.
///
/// `input_tokens` counts ALL prompt tokens, including those read from or written to a
/// prompt cache; `cached_input_tokens` and `cache_creation_input_tokens` are subsets of
/// it (OpenAI and Gemini report it this way; Anthropic adapters add their
/// `cache_read_input_tokens` and `cache_creation_input_tokens` into it). Likewise
/// `output_tokens` includes `reasoning_tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Of `input_tokens`, those served from the provider's prompt cache.
    #[serde(default)]
    pub cached_input_tokens: u64,
    /// Of `input_tokens`, those written to the provider's prompt cache.
    #[serde(default)]
    pub cache_creation_input_tokens: u64,
    /// Of `output_tokens`, those spent on reasoning.
    #[serde(default)]
    pub reasoning_tokens: u64,
    #[serde(default)]
    pub source: UsageSource,
}

impl Usage {
    /// Input plus output tokens.
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }
}

/// The canonical chat response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    /// The upstream's response id, or one the gateway made.
    pub id: String,
    /// The model that answered (the public name).
    pub model: String,
    pub message: Message,
    pub finish_reason: FinishReason,
    pub usage: Usage,
    pub created_at: crate::Millis,
}

/// One event of a streamed chat response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    TextDelta {
        text: String,
    },
    ReasoningDelta {
        text: String,
    },
    /// A new tool call begins (index identifies it in later argument deltas).
    ToolCallStart {
        index: u32,
        id: String,
        name: String,
    },
    ToolCallDelta {
        index: u32,
        arguments: String,
    },
    Finish {
        reason: FinishReason,
    },
    Usage {
        usage: Usage,
    },
    Error {
        kind: crate::ErrorKind,
        message: String,
    },
}

/// Canonical embeddings request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingRequest {
    pub model: String,
    pub input: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
}

/// Canonical embeddings response: one vector per input, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingResponse {
    pub model: String,
    pub embeddings: Vec<Vec<f32>>,
    pub usage: Usage,
}
