//! The `copilot` adapter: GitHub Copilot's chat (and embeddings) API, which speaks the
//! OpenAI dialect at `{endpoints.api}/chat/completions` (no `/v1`) with a short-lived
//! Copilot token. The provider's API key is a GitHub OAuth token (`gho_…`, from the
//! device flow), exchanged at `token_url` by [`auth::CopilotAuth`]; a failed exchange
//! fails only the call that needed it (`auth`, or `upstream_error` for 5xx).
//!
//! Options (unknown keys are refused): `token_url` (default
//! `https://api.github.com/copilot_internal/v2/token`), the editor identity sent on
//! both calls — `editor_version` (`vscode/1.95.0`), `editor_plugin_version`
//! (`copilot-chat/0.29.0`), `user_agent` (`GitHubCopilotChat/0.29.0`), `api_version`
//! (`x-github-api-version`, `2025-05-01`) — and on chat `integration_id`
//! (`copilot-integration-id`, `vscode-chat`), `openai_intent` (`conversation-panel`);
//! `headers` (extra chat headers), the dialect overrides `max_tokens_field`,
//! `stream_usage`, `tool_call_content`, and the generic `max_retries`,
//! `first_byte_timeout_ms`, `idle_timeout_ms`. `base_url` is used only when the token
//! names no `endpoints.api`.

pub mod auth;
mod wire;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use switchyard_types::ErrorKind;
use switchyard_types::chat::{ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse};

use crate::openai::{Flavor, MaxTokensField, OpenAiClient, ToolCallContent, header_map};
use crate::{
    Adapters, BuildError, ChatProvider, EmbeddingProvider, EventStream, ProviderContext,
    ProviderError, Target,
};

/// The default token exchange endpoint.
pub const DEFAULT_TOKEN_URL: &str = "https://api.github.com/copilot_internal/v2/token";

/// Settings of a Copilot provider (its `options` table).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CopilotOptions {
    /// Where the GitHub token is exchanged for a Copilot token.
    pub token_url: String,
    /// `editor-version`.
    pub editor_version: String,
    /// `editor-plugin-version`.
    pub editor_plugin_version: String,
    /// `user-agent`.
    pub user_agent: String,
    /// `x-github-api-version`.
    pub api_version: String,
    /// `copilot-integration-id` (chat; an unknown id is refused upstream).
    pub integration_id: String,
    /// `openai-intent` (chat).
    pub openai_intent: String,
    /// Extra headers for every chat call.
    pub headers: BTreeMap<String, String>,
    /// Overrides the output-limit field (default `max_tokens`).
    pub max_tokens_field: Option<MaxTokensField>,
    /// Overrides whether streams ask for a usage chunk (default yes).
    pub stream_usage: Option<bool>,
    /// Overrides how a tool-call-only assistant turn sends its content (default `null`).
    pub tool_call_content: Option<ToolCallContent>,
    /// Read by the shared retry policy.
    pub max_retries: Option<u64>,
    /// Read by the shared deadlines.
    pub first_byte_timeout_ms: Option<u64>,
    /// Read by the shared deadlines.
    pub idle_timeout_ms: Option<u64>,
}

impl Default for CopilotOptions {
    fn default() -> Self {
        Self {
            token_url: DEFAULT_TOKEN_URL.into(),
            editor_version: "vscode/1.95.0".into(),
            editor_plugin_version: "copilot-chat/0.29.0".into(),
            user_agent: "GitHubCopilotChat/0.29.0".into(),
            api_version: "2025-05-01".into(),
            integration_id: "vscode-chat".into(),
            openai_intent: "conversation-panel".into(),
            headers: BTreeMap::new(),
            max_tokens_field: None,
            stream_usage: None,
            tool_call_content: None,
            max_retries: None,
            first_byte_timeout_ms: None,
            idle_timeout_ms: None,
        }
    }
}

impl CopilotOptions {
    /// Parse the provider's options object; the message names the bad field.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, String> {
        if value.is_null() {
            return Ok(Self::default());
        }
        let options: Self = serde_path_to_error::deserialize(value.clone())
            .map_err(|e| format!("{}: {}", e.path(), e.inner()))?;
        let url = options.token_url.as_str();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err("token_url: must be an http(s) URL".into());
        }
        Ok(options)
    }

    /// The dialect: a compatible server that takes `max_tokens` and `content: null`.
    pub fn flavor(&self) -> Flavor {
        let base = Flavor::compatible();
        Flavor {
            max_tokens_field: self.max_tokens_field.unwrap_or(base.max_tokens_field),
            stream_usage: self.stream_usage.unwrap_or(base.stream_usage),
            tool_call_content: self.tool_call_content.unwrap_or(ToolCallContent::Null),
            ..base
        }
    }

    fn identity(&self) -> [(&str, &str); 4] {
        [
            ("editor-version", &self.editor_version),
            ("editor-plugin-version", &self.editor_plugin_version),
            ("user-agent", &self.user_agent),
            ("x-github-api-version", &self.api_version),
        ]
    }

    /// The fixed headers of the token exchange.
    pub fn exchange_headers(&self) -> Result<HeaderMap, String> {
        let mut pairs = vec![("accept", "application/json")];
        pairs.extend(self.identity());
        pairs.push(("x-vscode-user-agent-library-version", "electron-fetch"));
        header_map(pairs)
    }

    /// The fixed headers of every chat call (the token and per-call ones are added).
    pub fn chat_headers(&self) -> Result<HeaderMap, String> {
        let mut pairs = vec![
            ("copilot-integration-id", self.integration_id.as_str()),
            ("openai-intent", self.openai_intent.as_str()),
            ("x-vscode-user-agent-library-version", "electron-fetch"),
        ];
        pairs.extend(self.identity());
        pairs.extend(self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        header_map(pairs).map_err(|e| format!("headers: {e}"))
    }
}

/// Build a Copilot provider's adapters (chat and embeddings). Nothing is fetched here:
/// the first call exchanges the token.
pub fn adapters(ctx: ProviderContext) -> Result<Adapters, BuildError> {
    let invalid = |message: String| BuildError::InvalidOptions {
        name: ctx.name.clone(),
        message,
    };
    let options = CopilotOptions::from_json(&ctx.options).map_err(invalid)?;
    let exchange = options.exchange_headers().map_err(invalid)?;
    let chat = options.chat_headers().map_err(invalid)?;
    let auth = auth::CopilotAuth::new(&ctx, options.token_url.clone(), exchange, chat);
    let client = OpenAiClient::new(ctx, options.flavor(), Arc::new(auth));
    let copilot = Arc::new(Copilot { client });
    Ok(Adapters {
        chat: Some(copilot.clone()),
        embeddings: Some(copilot),
        images: None,
        videos: None,
    })
}

/// The adapter: the OpenAI-dialect client with Copilot's error refinements.
pub struct Copilot {
    client: OpenAiClient,
}

/// Copilot's own error codes: `model_max_prompt_tokens_exceeded` ("prompt token count
/// of N exceeds the limit of M") is a context overflow, `model_not_supported` an
/// unknown model.
fn refine(mut e: ProviderError) -> ProviderError {
    let lower = e.message.to_ascii_lowercase();
    if e.kind == ErrorKind::BadRequest {
        if lower.contains("model_max_prompt_tokens_exceeded")
            || (lower.contains("prompt token count") && lower.contains("exceeds the limit"))
        {
            e.kind = ErrorKind::ContextLengthExceeded;
        } else if lower.contains("model_not_supported")
            || lower.contains("requested model is not supported")
        {
            e.kind = ErrorKind::NotFound;
        }
    }
    e
}

#[async_trait]
impl ChatProvider for Copilot {
    async fn chat(
        &self,
        target: Target<'_>,
        request: &ChatRequest,
    ) -> Result<ChatResponse, ProviderError> {
        self.client.chat(target, request).await.map_err(refine)
    }

    async fn chat_stream(
        &self,
        target: Target<'_>,
        request: &ChatRequest,
    ) -> Result<EventStream, ProviderError> {
        self.client
            .chat_stream(target, request)
            .await
            .map_err(refine)
    }
}

#[async_trait]
impl EmbeddingProvider for Copilot {
    async fn embed(
        &self,
        target: Target<'_>,
        request: &EmbeddingRequest,
    ) -> Result<EmbeddingResponse, ProviderError> {
        self.client.embed(target, request).await.map_err(refine)
    }
}
