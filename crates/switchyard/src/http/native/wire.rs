//! The native API's request and response shapes. Messages, tools and formats use the
//! widely known OpenAI shapes; the native additions are `task_type`, `provider`,
//! `routing` and `usage.cost_usd`.

use serde::{Deserialize, Serialize};
use switchyard_types::TaskType;

use crate::http::openai::wire;

/// `POST /api/v1/ai/chat` (and `/chat/stream`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatBody {
    /// A model, `provider/model`, or group; or leave it out and name a `task_type`.
    pub model: Option<String>,
    pub task_type: Option<TaskType>,
    /// Prefer this provider for `model` (same as asking for `provider/model`).
    pub provider: Option<String>,
    pub messages: Vec<wire::ChatMessage>,
    pub tools: Option<Vec<wire::ToolDef>>,
    pub tool_choice: Option<wire::ToolChoice>,
    pub response_format: Option<wire::ResponseFormat>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_tokens: Option<u32>,
    pub stop: Option<wire::Stop>,
    pub seed: Option<i64>,
    pub user: Option<String>,
}

/// `POST /api/v1/ai/embeddings`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingsBody {
    pub model: Option<String>,
    pub input: wire::EmbeddingInput,
    pub dimensions: Option<u32>,
}

/// `POST /api/v1/ai/process`: a task-type request; the router picks the model.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessBody {
    pub task_type: TaskType,
    /// Text, or `{"question","context"}` for question answering, or chat messages.
    pub input: serde_json::Value,
    #[serde(default)]
    pub options: ProcessOptions,
}

/// Options of a process request.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessOptions {
    /// Pin a model instead of letting the router choose.
    pub model: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    /// For `translation`: the language to translate into (default English).
    pub target_language: Option<String>,
    /// For `classification`: the labels to choose from.
    pub labels: Option<Vec<String>>,
}

/// The `routing` object of native responses.
#[derive(Debug, Serialize)]
pub struct Routing {
    pub provider: String,
    pub model: String,
    pub attempts: u32,
    pub candidates: Vec<String>,
    pub reason: String,
    /// The strategy chain's decision: candidates considered, what each strategy removed and why.
    pub decision: switchyard_core::routing::Explanation,
    /// Candidates that failed or were skipped before the one that answered.
    pub failures: Vec<switchyard_core::llm::AttemptFailure>,
}

/// The `usage` object of native responses.
#[derive(Debug, Serialize)]
pub struct NativeUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub total_tokens: u64,
    pub cached_input_tokens: u64,
    pub reasoning_tokens: u64,
    pub cost_usd: f64,
    /// `provider` when the upstream reported the figures, `estimated` otherwise.
    pub source: switchyard_types::chat::UsageSource,
}
