//! The `anthropic` adapter: chat and streaming over the Messages API
//! (`POST /v1/messages`, `x-api-key`, `anthropic-version`). Anthropic offers no
//! embeddings or images, so only [`ChatProvider`] is implemented. The gateway's
//! Anthropic-format client surface lives in the `switchyard` crate (`http/anthropic`).

pub mod convert;
pub mod errors;
pub mod hints;
pub mod stream;
pub mod wire;

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde::Deserialize;
use switchyard_types::ErrorKind;
use switchyard_types::chat::{ChatRequest, ChatResponse};

use crate::upstream::{self, read_limited};
use crate::{
    Adapters, BuildError, ChatProvider, EventStream, ProviderContext, ProviderError, Target,
};

/// The API version sent when the provider's options name none.
pub const DEFAULT_VERSION: &str = "2023-06-01";

/// How a JSON-schema `response_format` is requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonMode {
    /// A system instruction carrying the schema (works with every model).
    #[default]
    SystemPrompt,
    /// Anthropic's `output_config.format` structured outputs (newer models only).
    OutputConfig,
}

/// Settings of an `anthropic` provider (its `options` table). Unknown keys are refused.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnthropicOptions {
    /// `max_tokens` when the request sets no `max_output_tokens` (Anthropic requires one).
    pub default_max_tokens: u32,
    /// The `anthropic-version` header.
    pub anthropic_version: String,
    /// Features sent in the `anthropic-beta` header (comma-joined).
    pub anthropic_beta: Vec<String>,
    /// How a JSON-schema response format is requested (`json_object` is always emulated).
    pub json_mode: JsonMode,
    /// Read by [`ProviderContext`]; accepted here.
    pub max_retries: Option<u64>,
    /// Read by [`ProviderContext`]; accepted here.
    pub first_byte_timeout_ms: Option<u64>,
    /// Read by [`ProviderContext`]; accepted here.
    pub idle_timeout_ms: Option<u64>,
}

impl Default for AnthropicOptions {
    fn default() -> Self {
        Self {
            default_max_tokens: 4096,
            anthropic_version: DEFAULT_VERSION.into(),
            anthropic_beta: Vec::new(),
            json_mode: JsonMode::SystemPrompt,
            max_retries: None,
            first_byte_timeout_ms: None,
            idle_timeout_ms: None,
        }
    }
}

impl AnthropicOptions {
    /// Parse the provider's options object; the message names the bad field.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, String> {
        let options: Self = if value.is_null() {
            Self::default()
        } else {
            serde_path_to_error::deserialize(value.clone())
                .map_err(|e| format!("{}: {}", e.path(), e.inner()))?
        };
        if options.default_max_tokens == 0 {
            return Err("default_max_tokens: must be at least 1".into());
        }
        if HeaderValue::from_str(&options.anthropic_version).is_err() {
            return Err("anthropic_version: not a valid header value".into());
        }
        if HeaderValue::from_str(&options.anthropic_beta.join(",")).is_err() {
            return Err("anthropic_beta: not a valid header value".into());
        }
        Ok(options)
    }
}

/// Build this kind's adapters (chat only).
pub fn adapters(ctx: ProviderContext) -> Result<Adapters, BuildError> {
    let options = AnthropicOptions::from_json(&ctx.options).map_err(|message| {
        BuildError::InvalidOptions {
            name: ctx.name.clone(),
            message,
        }
    })?;
    // The API lives under `/v1`; accept a base URL configured with or without it.
    let url = if ctx.base_url.ends_with("/v1") {
        ctx.url("/messages")
    } else {
        ctx.url("/v1/messages")
    };
    Ok(Adapters {
        chat: Some(Arc::new(AnthropicProvider { ctx, options, url })),
        ..Adapters::default()
    })
}

/// The Anthropic Messages adapter.
#[derive(Debug, Clone)]
pub struct AnthropicProvider {
    ctx: ProviderContext,
    options: AnthropicOptions,
    /// The Messages endpoint.
    url: String,
}

impl AnthropicProvider {
    /// Serialize a request body once (it is re-sent as is on retries).
    fn body(request: &wire::MessagesRequest) -> Result<Bytes, ProviderError> {
        serde_json::to_vec(request).map(Bytes::from).map_err(|e| {
            ProviderError::new(
                ErrorKind::BadRequest,
                format!("request cannot be encoded: {e}"),
            )
        })
    }

    /// Send one attempt and wait for a 2xx within the first-byte deadline; any other
    /// status is classified with Anthropic's error body in view.
    async fn send(&self, body: &Bytes) -> Result<reqwest::Response, ProviderError> {
        let mut key = HeaderValue::from_str(self.ctx.require_key()?).map_err(|_| {
            ProviderError::new(
                ErrorKind::Auth,
                format!(
                    "provider `{}`: the API key is not a valid header value",
                    self.ctx.name
                ),
            )
        })?;
        key.set_sensitive(true);
        let mut request = self
            .ctx
            .http
            .client()
            .post(&self.url)
            .header("x-api-key", key)
            .header("anthropic-version", self.options.anthropic_version.as_str())
            .header(CONTENT_TYPE, "application/json")
            .body(body.clone());
        if !self.options.anthropic_beta.is_empty() {
            request = request.header("anthropic-beta", self.options.anthropic_beta.join(","));
        }
        let timeouts = &self.ctx.timeouts;
        let response = tokio::time::timeout(timeouts.first_byte, request.send())
            .await
            .map_err(|_| {
                ProviderError::new(
                    ErrorKind::Timeout,
                    format!("no response within {} ms", timeouts.first_byte.as_millis()),
                )
            })?
            .map_err(upstream::transport_error)?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let headers = response.headers().clone();
        let body = read_limited(response, timeouts.total)
            .await
            .unwrap_or_default();
        Err(errors::from_response(status, &headers, &body))
    }
}

#[async_trait]
impl ChatProvider for AnthropicProvider {
    async fn chat(
        &self,
        target: Target<'_>,
        request: &ChatRequest,
    ) -> Result<ChatResponse, ProviderError> {
        let body = Self::body(&convert::request(target, request, &self.options, false)?)?;
        let response: wire::MessagesResponse = self
            .ctx
            .retry
            .run(|| async {
                let started = tokio::time::Instant::now();
                let response = self.send(&body).await?;
                let left = self.ctx.timeouts.total.saturating_sub(started.elapsed());
                upstream::parse_json(&read_limited(response, left).await?)
            })
            .await?;
        Ok(convert::response(target, response))
    }

    async fn chat_stream(
        &self,
        target: Target<'_>,
        request: &ChatRequest,
    ) -> Result<EventStream, ProviderError> {
        let body = Self::body(&convert::request(target, request, &self.options, true)?)?;
        let response = self.ctx.retry.run(|| self.send(&body)).await?;
        Ok(stream::events(response, self.ctx.timeouts.idle))
    }
}
