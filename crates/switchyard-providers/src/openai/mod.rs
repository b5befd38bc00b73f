//! The `openai` and `openai_compatible` adapters: Chat Completions (whole and
//! streamed), embeddings and image generation over one reusable [`OpenAiClient`], and
//! (for `openai` only) Sora videos as provider-side jobs ([`videos`]).
//! Other adapters that speak the OpenAI chat dialect (the Hugging Face router, Copilot)
//! build an [`OpenAiClient`] with their own [`Flavor`] and [`Auth`] hook.
//!
//! Options (the provider's `options` table; unknown keys are refused):
//! `organization` / `project` (sent as `OpenAI-Organization` / `OpenAI-Project`),
//! `headers` (extra headers for every call, e.g. OpenRouter's `HTTP-Referer`),
//! `max_tokens_field` (`max_tokens` | `max_completion_tokens`), `stream_usage` (send
//! `stream_options.include_usage`; turn off for Mistral), `send_user`,
//! `tool_call_content` (`null` | `empty` | `omit`), plus the generic `max_retries`,
//! `first_byte_timeout_ms`, `idle_timeout_ms`.

mod client;
pub mod convert;
pub mod media;
pub mod stream;
pub mod videos;
pub mod wire;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;

use crate::{Adapters, BuildError, ProviderContext, VideoProvider};

pub use client::{Auth, BearerAuth, Call, Credentials, OpenAiClient, header_map};
pub use convert::{Flavor, MaxTokensField, ToolCallContent};

/// The options both kinds accept.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpenAiOptions {
    /// Sent as `OpenAI-Organization`.
    pub organization: Option<String>,
    /// Sent as `OpenAI-Project`.
    pub project: Option<String>,
    /// Extra headers for every call.
    pub headers: BTreeMap<String, String>,
    /// Overrides the kind's output-limit field.
    pub max_tokens_field: Option<MaxTokensField>,
    /// Overrides whether streams ask for a usage chunk.
    pub stream_usage: Option<bool>,
    /// Overrides whether the end-user id is sent.
    pub send_user: Option<bool>,
    /// Overrides how a tool-call-only assistant turn sends its empty content.
    pub tool_call_content: Option<ToolCallContent>,
    /// Read by the shared retry policy.
    pub max_retries: Option<u64>,
    /// Read by the shared deadlines.
    pub first_byte_timeout_ms: Option<u64>,
    /// Read by the shared deadlines.
    pub idle_timeout_ms: Option<u64>,
}

impl OpenAiOptions {
    /// Parse a provider's options object; the message names the bad field.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, String> {
        if value.is_null() {
            return Ok(Self::default());
        }
        serde_path_to_error::deserialize(value.clone())
            .map_err(|e| format!("{}: {}", e.path(), e.inner()))
    }

    /// `base` with this table's overrides applied.
    pub fn flavor(&self, base: Flavor) -> Flavor {
        Flavor {
            max_tokens_field: self.max_tokens_field.unwrap_or(base.max_tokens_field),
            stream_usage: self.stream_usage.unwrap_or(base.stream_usage),
            send_user: self.send_user.unwrap_or(base.send_user),
            tool_call_content: self.tool_call_content.unwrap_or(base.tool_call_content),
            ..base
        }
    }

    /// The fixed headers: `headers`, then organization and project.
    pub fn extra_headers(&self) -> Result<reqwest::header::HeaderMap, String> {
        let mut pairs: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if let Some(org) = &self.organization {
            pairs.push(("openai-organization", org));
        }
        if let Some(project) = &self.project {
            pairs.push(("openai-project", project));
        }
        header_map(pairs).map_err(|e| format!("headers: {e}"))
    }
}

/// Build OpenAI's adapters (an API key is required), Sora videos included.
pub fn adapters(ctx: ProviderContext) -> Result<Adapters, BuildError> {
    build(ctx, Flavor::openai(), true, true)
}

/// Build the adapters for any OpenAI-compatible server (the API key is optional).
pub fn compatible_adapters(ctx: ProviderContext) -> Result<Adapters, BuildError> {
    build(ctx, Flavor::compatible(), false, false)
}

fn build(
    ctx: ProviderContext,
    base: Flavor,
    key_required: bool,
    with_videos: bool,
) -> Result<Adapters, BuildError> {
    let invalid = |message: String| BuildError::InvalidOptions {
        name: ctx.name.clone(),
        message,
    };
    let options = OpenAiOptions::from_json(&ctx.options).map_err(invalid)?;
    let extra = options.extra_headers().map_err(invalid)?;
    let key = ctx.api_key.as_ref().map(|k| k.expose().as_str());
    let auth: Arc<dyn Auth> = Arc::new(BearerAuth::new(&ctx.name, key, key_required, extra));
    let videos = with_videos.then(|| {
        Arc::new(videos::OpenAiVideos::new(ctx.clone(), auth.clone())) as Arc<dyn VideoProvider>
    });
    let client = Arc::new(OpenAiClient::new(ctx, options.flavor(base), auth));
    Ok(Adapters {
        chat: Some(client.clone()),
        embeddings: Some(client.clone()),
        images: Some(client),
        videos,
    })
}
