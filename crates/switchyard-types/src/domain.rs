//! Domain model: providers, models, groups, tasks, identities and their enums.
//! Enum names here are the serde names of the config file and the HTTP API and the strings stored in the database.

use serde::{Deserialize, Serialize};

use crate::Millis;

/// Defines a fieldless enum whose variants have one stable snake_case name, used by
/// serde, the database and error messages alike.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable name of this variant.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownVariant {
                        kind: stringify!($name),
                        value: s.to_string(),
                        expected: &[$($text),+],
                    }),
                }
            }
        }
    };
}

/// A string that names no variant of an enum; the message lists the accepted names.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown {kind} `{value}`, expected one of: {}", expected.join(", "))]
pub struct UnknownVariant {
    pub kind: &'static str,
    pub value: String,
    pub expected: &'static [&'static str],
}

named_enum!(
    /// The wire protocol a provider speaks; chosen once when the registry is built.
    ProviderKind {
        OpenAi = "openai",
        Anthropic = "anthropic",
        Gemini = "gemini",
        HuggingFace = "huggingface",
        Copilot = "copilot",
        OpenAiCompatible = "openai_compatible",
        Runway = "runway",
        Mock = "mock",
    }
);

impl ProviderKind {
    /// The base URL used when a provider of this kind sets none.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Self::OpenAi => "https://api.openai.com/v1",
            Self::Anthropic => "https://api.anthropic.com",
            Self::Gemini => "https://generativelanguage.googleapis.com",
            Self::HuggingFace => "https://router.huggingface.co/v1",
            Self::Copilot => "https://api.githubcopilot.com",
            Self::OpenAiCompatible => "http://127.0.0.1:11434/v1",
            Self::Runway => "https://api.dev.runwayml.com",
            Self::Mock => "mock://local",
        }
    }
}

named_enum!(
    /// What a model produces.
    ModelKind {
        Chat = "chat",
        Embedding = "embedding",
        Image = "image",
        Video = "video",
    }
);

named_enum!(
    /// Optional abilities of a chat model, checked by the capability filter.
    Capability {
        Stream = "stream",
        Tools = "tools",
        Vision = "vision",
        JsonMode = "json_mode",
        Reasoning = "reasoning",
    }
);

named_enum!(
    /// The kinds of work a request may name instead of a model.
    TaskType {
        Chat = "chat",
        CodeGeneration = "code_generation",
        CodeCompletion = "code_completion",
        Summarization = "summarization",
        Translation = "translation",
        Classification = "classification",
        SentimentAnalysis = "sentiment_analysis",
        QuestionAnswering = "question_answering",
        Extraction = "extraction",
        Embedding = "embedding",
        ImageGeneration = "image_generation",
        VideoGeneration = "video_generation",
    }
);

named_enum!(
    /// How a group picks among its members.
    GroupStrategy {
        Priority = "priority",
        RoundRobin = "round_robin",
        WeightedRoundRobin = "weighted_round_robin",
        Random = "random",
        WeightedRandom = "weighted_random",
        LeastLatency = "least_latency",
        LeastBusy = "least_busy",
    }
);

named_enum!(
    /// What a caller may do: admin everything, service the AI routes, user their own things.
    Role {
        Admin = "admin",
        Service = "service",
        User = "user",
    }
);

named_enum!(
    /// Lifecycle of a durable task.
    TaskStatus {
        Queued = "queued",
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
        Cancelled = "cancelled",
    }
);

impl TaskStatus {
    /// Terminal states never change again.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

named_enum!(
    /// What a quota counts.
    QuotaMetric {
        Requests = "requests",
        Tokens = "tokens",
        Usd = "usd",
    }
);

named_enum!(
    /// Calendar-aligned period a quota resets on.
    QuotaPeriod {
        Minute = "minute",
        Hour = "hour",
        Day = "day",
        Month = "month",
    }
);

named_enum!(
    /// Whom a quota applies to.
    QuotaScope {
        Key = "key",
        User = "user",
        Team = "team",
        Model = "model",
    }
);

/// Prices of a model in USD. Token prices are per million tokens.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Pricing {
    #[serde(default)]
    pub input_cost_per_mtok: f64,
    #[serde(default)]
    pub output_cost_per_mtok: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input_cost_per_mtok: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_per_image: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_per_video_second: Option<f64>,
}

impl Pricing {
    /// USD cost of one response's tokens. Cached input is billed at the cached price
    /// when the model has one, else at the input price.
    pub fn token_cost(&self, usage: &crate::chat::Usage) -> f64 {
        let cached = usage.cached_input_tokens.min(usage.input_tokens);
        let fresh = usage.input_tokens - cached;
        let cached_price = self
            .cached_input_cost_per_mtok
            .unwrap_or(self.input_cost_per_mtok);
        (fresh as f64 * self.input_cost_per_mtok
            + cached as f64 * cached_price
            + usage.output_tokens as f64 * self.output_cost_per_mtok)
            / 1_000_000.0
    }
}

/// An upstream AI service. Its API key is write-only: only whether one is set is visible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provider {
    pub id: String,
    pub name: String,
    pub kind: ProviderKind,
    /// Base URL; `None` means the kind's default.
    pub base_url: Option<String>,
    /// True when a key is configured (by `env:` reference or stored encrypted).
    pub has_api_key: bool,
    pub timeout_ms: u64,
    pub max_concurrency: u32,
    pub free_tier: bool,
    pub enabled: bool,
    /// Kind-specific settings (for example the mock's latency and failure injection).
    pub options: serde_json::Value,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl Provider {
    /// The base URL in effect: the configured one or the kind's default.
    pub fn effective_base_url(&self) -> &str {
        self.base_url
            .as_deref()
            .unwrap_or_else(|| self.kind.default_base_url())
    }
}

/// A model as clients see it: a public name served by one provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub id: String,
    pub provider_id: String,
    /// Name of the serving provider (denormalised for display and routing).
    pub provider: String,
    pub name: String,
    /// The provider's own name for the model.
    pub upstream_name: String,
    pub kinds: Vec<ModelKind>,
    pub capabilities: Vec<Capability>,
    pub task_types: Vec<TaskType>,
    pub context_window: u32,
    pub max_output_tokens: u32,
    #[serde(flatten)]
    pub pricing: Pricing,
    pub quality_tier: u8,
    /// Streams that send no first event within this many milliseconds fail over to the
    /// next candidate; `None`: no deadline beyond the provider's timeouts.
    #[serde(default)]
    pub time_to_first_token_ms: Option<u64>,
    pub enabled: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl Model {
    /// `provider/name`, the name that selects exactly this model.
    pub fn qualified_name(&self) -> String {
        format!("{}/{}", self.provider, self.name)
    }
}

/// One member of a group: a model name (or `provider/model`) with its weight and priority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupMember {
    pub model: String,
    #[serde(default = "default_weight")]
    pub weight: u32,
    #[serde(default)]
    pub priority: i32,
}

fn default_weight() -> u32 {
    1
}

/// A named set of models a client may ask for as if it were one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub strategy: GroupStrategy,
    pub members: Vec<GroupMember>,
    pub fallback_groups: Vec<String>,
    pub max_attempts: u32,
    pub enabled: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A long-running generation job (image or video), persisted in `ai_tasks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub user_id: Option<String>,
    pub key_id: Option<String>,
    pub task_type: TaskType,
    pub status: TaskStatus,
    pub progress: u8,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub provider_job_id: Option<String>,
    pub request: serde_json::Value,
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
    pub attempts: u32,
    pub idempotency_key: Option<String>,
    pub callback_url: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub finished_at: Option<Millis>,
    /// Team of the owner at submission, for accounting.
    pub team_id: Option<String>,
    /// Request id of the submission, carried into the usage record.
    pub request_id: Option<String>,
    /// USD cost estimated at submission.
    pub estimated_cost_usd: Option<f64>,
    /// USD cost settled at the end (zero when failed or cancelled).
    pub cost_usd: Option<f64>,
    /// When polling gives up and the task fails.
    pub deadline_at: Option<Millis>,
}

/// A team groups users for quotas and reporting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A person or system that owns API keys, tasks and usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub team_id: Option<String>,
    pub role: Role,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// An API key's public record; the secret itself is shown once at creation and stored hashed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    /// The non-secret start of the key, shown so people can tell their keys apart.
    pub prefix: String,
    pub role: Role,
    pub user_id: String,
    pub expires_at: Option<Millis>,
    /// Models or groups this key may use; empty means all.
    pub allowed_models: Vec<String>,
    pub enabled: bool,
    pub last_used_at: Option<Millis>,
    pub created_at: Millis,
    /// Requests per minute; `None` for no limit.
    pub rate_limit_rpm: Option<u32>,
    /// Tokens per minute; `None` for no limit.
    pub rate_limit_tpm: Option<u32>,
}

/// Who is calling, resolved once by the authentication middleware.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Identity {
    pub key_id: String,
    pub user_id: String,
    pub team_id: Option<String>,
    pub role: Role,
    pub allowed_models: Vec<String>,
    /// The key's requests-per-minute limit.
    pub rate_limit_rpm: Option<u32>,
    /// The key's tokens-per-minute limit.
    pub rate_limit_tpm: Option<u32>,
}

impl Identity {
    /// Admins may do everything; service keys the AI routes; users their own things.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// One served request, as accounted for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageRecord {
    pub id: String,
    pub request_id: String,
    pub key_id: Option<String>,
    pub user_id: Option<String>,
    pub team_id: Option<String>,
    pub model: String,
    pub provider: String,
    pub endpoint: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cached_input_tokens: u64,
    pub reasoning_tokens: u64,
    pub cost_usd: f64,
    pub latency_ms: u64,
    pub ttft_ms: Option<u64>,
    /// HTTP status returned to the client.
    pub status: u16,
    pub error_kind: Option<crate::ErrorKind>,
    pub created_at: Millis,
}

/// A limit on requests, tokens or spend for a key, user, team or model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quota {
    pub id: String,
    pub scope: QuotaScope,
    pub scope_id: String,
    pub metric: QuotaMetric,
    pub period: QuotaPeriod,
    pub limit: f64,
    /// In shadow mode a limit only reports, it never refuses.
    pub shadow: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_names_round_trip_through_str_and_serde() {
        for k in ProviderKind::ALL {
            let parsed: ProviderKind = k.as_str().parse().unwrap_or(ProviderKind::Mock);
            assert_eq!(parsed, *k);
            assert_eq!(
                serde_json::to_string(k).unwrap_or_default(),
                format!("\"{}\"", k.as_str())
            );
        }
        assert_eq!(
            GroupStrategy::WeightedRoundRobin.as_str(),
            "weighted_round_robin"
        );
        assert_eq!(TaskType::SentimentAnalysis.as_str(), "sentiment_analysis");
    }

    #[test]
    fn token_cost_bills_cached_input_at_its_own_price() {
        let p = Pricing {
            input_cost_per_mtok: 2.0,
            output_cost_per_mtok: 8.0,
            cached_input_cost_per_mtok: Some(0.5),
            ..Pricing::default()
        };
        let u = crate::chat::Usage {
            input_tokens: 1_000_000,
            cached_input_tokens: 400_000,
            output_tokens: 500_000,
            ..Default::default()
        };
        // 600k fresh × 2 + 400k cached × 0.5 + 500k out × 8, per million.
        assert!((p.token_cost(&u) - (1.2 + 0.2 + 4.0)).abs() < 1e-9);
        let no_cache_price = Pricing {
            cached_input_cost_per_mtok: None,
            ..p
        };
        assert!((no_cache_price.token_cost(&u) - (2.0 + 4.0)).abs() < 1e-9);
    }

    #[test]
    fn unknown_names_list_the_expected_ones() {
        let err = "gpt".parse::<ProviderKind>().err().map(|e| e.to_string());
        let msg = err.unwrap_or_default();
        assert!(msg.contains("openai_compatible"), "{msg}");
        assert!(msg.contains("`gpt`"), "{msg}");
    }
}
