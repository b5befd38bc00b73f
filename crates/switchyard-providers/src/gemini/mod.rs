//! The `gemini` adapter: Google's Gemini Developer API (`generativelanguage`) —
//! `generateContent`, `streamGenerateContent?alt=sse`, `embedContent` /
//! `batchEmbedContents` and Imagen `:predict` — authenticated with `x-goog-api-key`.
//! Requests are retried (per the provider's policy) only until a 2xx is accepted.

mod convert;
mod embed;
mod errors;
mod response;
mod schema;
mod stream;
mod wire;

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use switchyard_types::ErrorKind;
use switchyard_types::chat::{ChatRequest, ChatResponse};

use crate::upstream::{body_stream, parse_json, read_limited, transport_error};
use crate::{
    Adapters, BuildError, ChatProvider, EventStream, ProviderContext, ProviderError, Target,
};

/// Settings of a Gemini provider (its `options` table). Unknown keys are refused.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GeminiOptions {
    /// API version path segment added to `base_url` (unless it already ends in one).
    pub api_version: String,
    /// Ask thinking models for thought summaries (`thinkingConfig.includeThoughts`),
    /// streamed as reasoning.
    pub include_thoughts: bool,
    /// `thinkingConfig.thinkingBudget` (tokens; 0 turns thinking off where allowed).
    pub thinking_budget: Option<i64>,
    /// Sent as `safetySettings` unchanged (`[{category, threshold}]`).
    pub safety_settings: Option<serde_json::Value>,
    /// `taskType` for embeddings (`RETRIEVAL_QUERY`, `SEMANTIC_SIMILARITY`, …).
    pub embedding_task_type: Option<String>,
    /// Read by the shared retry policy.
    pub max_retries: Option<u64>,
    /// Read by the shared deadlines.
    pub first_byte_timeout_ms: Option<u64>,
    /// Read by the shared deadlines.
    pub idle_timeout_ms: Option<u64>,
}

impl Default for GeminiOptions {
    fn default() -> Self {
        Self {
            api_version: "v1beta".into(),
            include_thoughts: false,
            thinking_budget: None,
            safety_settings: None,
            embedding_task_type: None,
            max_retries: None,
            first_byte_timeout_ms: None,
            idle_timeout_ms: None,
        }
    }
}

impl GeminiOptions {
    /// Parse the provider's options object; the message names the bad field.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, String> {
        let options: Self = if value.is_null() {
            Self::default()
        } else {
            serde_path_to_error::deserialize(value.clone())
                .map_err(|e| format!("{}: {}", e.path(), e.inner()))?
        };
        if !is_api_version(&options.api_version) {
            return Err("api_version: must look like `v1` or `v1beta`".into());
        }
        if options
            .safety_settings
            .as_ref()
            .is_some_and(|s| !s.is_array())
        {
            return Err("safety_settings: must be an array".into());
        }
        Ok(options)
    }
}

fn is_api_version(v: &str) -> bool {
    v.strip_prefix('v').is_some_and(|rest| {
        let digits = rest.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
    })
}

/// Build this kind's adapters: chat, embeddings and images (Imagen).
pub fn adapters(ctx: ProviderContext) -> Result<Adapters, BuildError> {
    let options =
        GeminiOptions::from_json(&ctx.options).map_err(|message| BuildError::InvalidOptions {
            name: ctx.name.clone(),
            message,
        })?;
    let gemini = Arc::new(Gemini { ctx, options });
    Ok(Adapters {
        chat: Some(gemini.clone()),
        embeddings: Some(gemini.clone()),
        images: Some(gemini),
        videos: None,
    })
}

/// The Gemini adapter.
#[derive(Debug, Clone)]
pub struct Gemini {
    ctx: ProviderContext,
    options: GeminiOptions,
}

impl Gemini {
    /// `{base}/{version}/models/{model}:{method}`; a base already ending in a version and
    /// a model already named `models/…` / `tunedModels/…` are taken as they are.
    fn url(&self, model: &str, method: &str) -> String {
        let base = &self.ctx.base_url;
        let versioned = base.rsplit('/').next().is_some_and(is_api_version);
        let version = if versioned {
            String::new()
        } else {
            format!("/{}", self.options.api_version)
        };
        format!("{base}{version}/{}:{method}", resource(model))
    }

    /// POST a JSON body and wait for a 2xx (retrying per policy); a non-2xx becomes a
    /// classified error read from Gemini's error body.
    async fn post(
        &self,
        url: &str,
        body: Vec<u8>,
        sse: bool,
    ) -> Result<reqwest::Response, ProviderError> {
        let mut key = HeaderValue::from_str(self.ctx.require_key()?).map_err(|_| {
            ProviderError::new(
                ErrorKind::Auth,
                format!(
                    "provider `{}` has an API key that is not a valid header value",
                    self.ctx.name
                ),
            )
        })?;
        key.set_sensitive(true);
        let body = bytes::Bytes::from(body);
        self.ctx
            .retry
            .run(|| {
                let mut request = self
                    .ctx
                    .http
                    .client()
                    .post(url)
                    .header("x-goog-api-key", key.clone())
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.clone());
                if sse {
                    request = request.header("accept", "text/event-stream");
                }
                self.send(request)
            })
            .await
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ProviderError> {
        let timeouts = &self.ctx.timeouts;
        let response = tokio::time::timeout(timeouts.first_byte, request.send())
            .await
            .map_err(|_| {
                ProviderError::new(
                    ErrorKind::Timeout,
                    format!("no response within {} ms", timeouts.first_byte.as_millis()),
                )
            })?
            .map_err(transport_error)?;
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

    /// POST and parse a whole JSON answer, read within what is left of the total deadline.
    async fn call<T: DeserializeOwned>(
        &self,
        url: &str,
        body: Vec<u8>,
    ) -> Result<T, ProviderError> {
        let started = tokio::time::Instant::now();
        let response = self.post(url, body, false).await?;
        let left = self.ctx.timeouts.total.saturating_sub(started.elapsed());
        let bytes = read_limited(response, left).await?;
        parse_json(&bytes)
    }
}

/// The REST resource of a model name.
fn resource(model: &str) -> String {
    if model.contains('/') {
        model.to_string()
    } else {
        format!("models/{model}")
    }
}

fn encode<T: serde::Serialize>(body: &T) -> Result<Vec<u8>, ProviderError> {
    serde_json::to_vec(body).map_err(|e| {
        ProviderError::new(
            ErrorKind::BadRequest,
            format!("request could not be encoded: {e}"),
        )
    })
}

#[async_trait]
impl ChatProvider for Gemini {
    async fn chat(
        &self,
        target: Target<'_>,
        request: &ChatRequest,
    ) -> Result<ChatResponse, ProviderError> {
        let body = encode(&convert::to_wire(request, &self.options)?)?;
        let url = self.url(target.upstream_model, "generateContent");
        let response: wire::GenerateContentResponse = self.call(&url, body).await?;
        response::from_wire(target, response)
    }

    async fn chat_stream(
        &self,
        target: Target<'_>,
        request: &ChatRequest,
    ) -> Result<EventStream, ProviderError> {
        let body = encode(&convert::to_wire(request, &self.options)?)?;
        let url = format!(
            "{}?alt=sse",
            self.url(target.upstream_model, "streamGenerateContent")
        );
        let response = self.post(&url, body, true).await?;
        Ok(stream::events(body_stream(
            response,
            self.ctx.timeouts.idle,
        )))
    }
}
