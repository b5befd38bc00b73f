//! The catalog sections of the configuration file: providers, models and groups.
//! The file seeds the database with them on start; the database is the truth at run time.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use switchyard_types::{
    Capability, GroupMember, GroupStrategy, ModelKind, Pricing, ProviderKind, Secret, TaskType,
};

/// Where a provider's API key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiKeySource {
    /// `env:VAR`: read from this environment variable; store the reference, not the value.
    Env(String),
    /// A literal key from the file; store it encrypted.
    Literal(Secret<String>),
}

/// An upstream AI service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Unique name, `[a-z0-9_-]+`; models refer to it.
    #[schemars(pattern(r"^[a-z0-9_-]+$"))]
    pub name: String,
    /// Wire protocol the provider speaks.
    pub kind: ProviderKind,
    /// Base URL (`http://` or `https://`); unset: the kind's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", pattern(r"^https?://[^/?#\s]+"))]
    pub base_url: Option<String>,
    /// `env:VAR` (read from the environment) or a literal key (stored encrypted). Kept as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", length(min = 1))]
    pub api_key: Option<Secret<String>>,
    /// Upstream request timeout, in milliseconds.
    #[serde(default = "default_provider_timeout_ms")]
    #[schemars(range(min = 1))]
    pub timeout_ms: u64,
    /// Most requests in flight to this provider at once.
    #[serde(default = "default_max_concurrency")]
    #[schemars(range(min = 1))]
    pub max_concurrency: u32,
    /// Calls cost nothing; cost routing tries free-tier providers first.
    #[serde(default)]
    pub free_tier: bool,
    /// Disabled providers are kept but never routed to.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Kind-specific settings, e.g. the mock's `latency_ms`, `error_rate`, `error_kind`.
    #[serde(default)]
    pub options: serde_json::Map<String, serde_json::Value>,
    /// The key's value after `load`: the variable's value for `env:VAR`, else the literal.
    /// Not part of the file; `None` when no key is set or the provider is disabled and its variable unset.
    #[serde(skip)]
    pub resolved_api_key: Option<Secret<String>>,
}

impl ProviderConfig {
    /// A provider with every optional setting at its default.
    pub fn new(name: impl Into<String>, kind: ProviderKind) -> Self {
        Self {
            name: name.into(),
            kind,
            base_url: None,
            api_key: None,
            timeout_ms: default_provider_timeout_ms(),
            max_concurrency: default_max_concurrency(),
            free_tier: false,
            enabled: true,
            options: serde_json::Map::new(),
            resolved_api_key: None,
        }
    }

    /// How `api_key` was given: an `env:VAR` reference or a literal.
    pub fn api_key_source(&self) -> Option<ApiKeySource> {
        let key = self.api_key.as_ref()?;
        Some(match key.expose().strip_prefix("env:") {
            Some(var) => ApiKeySource::Env(var.to_string()),
            None => ApiKeySource::Literal(key.clone()),
        })
    }

    /// The base URL in effect: the configured one or the kind's default.
    pub fn effective_base_url(&self) -> &str {
        self.base_url
            .as_deref()
            .unwrap_or_else(|| self.kind.default_base_url())
    }

    /// `timeout_ms` as a duration.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

/// A model as clients see it: a public name served by one provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ModelConfig {
    /// Public name clients ask for: letters, digits, `.`, `:`, `-`, `_` (no `/`: `provider/model` is the qualified form).
    #[schemars(pattern(r"^[A-Za-z0-9.:_-]+$"))]
    pub name: String,
    /// Name of the provider serving it.
    pub provider: String,
    /// The provider's own name for the model; unset: `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", length(min = 1))]
    pub upstream_name: Option<String>,
    /// What the model produces.
    #[serde(default = "default_kinds")]
    #[schemars(length(min = 1))]
    pub kinds: Vec<ModelKind>,
    /// Optional abilities checked by the capability filter; a request using tools, images, JSON mode or streaming goes only to models declaring them. Unset: `["stream"]` for chat models, else none.
    #[serde(default = "default_capabilities")]
    pub capabilities: Vec<Capability>,
    /// Task types it may be routed for. Unset: `["chat"]`, or for a model without the `chat` kind the task types of its kinds.
    #[serde(default = "default_task_types")]
    pub task_types: Vec<TaskType>,
    /// Context window, in tokens.
    #[serde(default = "default_context_window")]
    #[schemars(range(min = 1))]
    pub context_window: u32,
    /// Most output tokens per request; at most `context_window` for chat models.
    #[serde(default = "default_max_output_tokens")]
    #[schemars(range(min = 1))]
    pub max_output_tokens: u32,
    /// USD per million input tokens.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub input_cost_per_mtok: f64,
    /// USD per million output tokens.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub output_cost_per_mtok: f64,
    /// USD per million cached input tokens; unset: the input price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "f64", range(min = 0))]
    pub cached_input_cost_per_mtok: Option<f64>,
    /// USD per generated image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "f64", range(min = 0))]
    pub cost_per_image: Option<f64>,
    /// USD per second of generated video.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "f64", range(min = 0))]
    pub cost_per_video_second: Option<f64>,
    /// 1 best .. 5 cheapest; used by cost routing.
    #[serde(default = "default_quality_tier")]
    #[schemars(range(min = 1, max = 5))]
    pub quality_tier: u8,
    /// Deadline for a stream's first event, in milliseconds: a stream that sends nothing by then is abandoned for the next candidate. Unset: no deadline beyond the provider's timeouts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u64", range(min = 1))]
    pub time_to_first_token_ms: Option<u64>,
    /// Disabled models are kept but never routed to.
    #[serde(default = "default_true")]
    pub enabled: bool,
}

impl ModelConfig {
    /// A chat model with every optional setting at its default.
    pub fn new(name: impl Into<String>, provider: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            provider: provider.into(),
            upstream_name: None,
            kinds: default_kinds(),
            capabilities: default_capabilities(),
            task_types: default_task_types(),
            context_window: default_context_window(),
            max_output_tokens: default_max_output_tokens(),
            input_cost_per_mtok: 0.0,
            output_cost_per_mtok: 0.0,
            cached_input_cost_per_mtok: None,
            cost_per_image: None,
            cost_per_video_second: None,
            quality_tier: default_quality_tier(),
            time_to_first_token_ms: None,
            enabled: true,
        }
    }

    /// The model's prices.
    pub fn pricing(&self) -> Pricing {
        Pricing {
            input_cost_per_mtok: self.input_cost_per_mtok,
            output_cost_per_mtok: self.output_cost_per_mtok,
            cached_input_cost_per_mtok: self.cached_input_cost_per_mtok,
            cost_per_image: self.cost_per_image,
            cost_per_video_second: self.cost_per_video_second,
        }
    }

    /// The name sent upstream: `upstream_name`, else `name`.
    pub fn effective_upstream_name(&self) -> &str {
        self.upstream_name.as_deref().unwrap_or(&self.name)
    }

    /// `provider/name`, the name that selects exactly this model.
    pub fn qualified_name(&self) -> String {
        format!("{}/{}", self.provider, self.name)
    }
}

/// A named set of models a client may ask for as its model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct GroupConfig {
    /// Unique name, distinct from every model name.
    #[schemars(pattern(r"^[A-Za-z0-9.:_-]+$"))]
    pub name: String,
    /// How a member is picked.
    #[serde(default = "default_strategy")]
    pub strategy: GroupStrategy,
    /// Model names (or `provider/model`) with weight (≥ 1) and priority (lower first).
    #[schemars(length(min = 1))]
    pub members: Vec<GroupMember>,
    /// Groups tried, in order, when every member failed.
    #[serde(default)]
    pub fallback_groups: Vec<String>,
    /// Most upstream attempts per request, fallbacks included (1..=10).
    #[serde(default = "default_max_attempts")]
    #[schemars(range(min = 1, max = 10))]
    pub max_attempts: u32,
    /// Disabled groups are kept but not served.
    #[serde(default = "default_true")]
    pub enabled: bool,
}

fn default_true() -> bool {
    true
}
fn default_provider_timeout_ms() -> u64 {
    60_000
}
fn default_max_concurrency() -> u32 {
    256
}
fn default_kinds() -> Vec<ModelKind> {
    vec![ModelKind::Chat]
}
fn default_capabilities() -> Vec<Capability> {
    vec![Capability::Stream]
}
fn default_task_types() -> Vec<TaskType> {
    vec![TaskType::Chat]
}
fn default_context_window() -> u32 {
    8192
}
fn default_max_output_tokens() -> u32 {
    4096
}
fn default_quality_tier() -> u8 {
    3
}
fn default_strategy() -> GroupStrategy {
    GroupStrategy::Priority
}
fn default_max_attempts() -> u32 {
    3
}
