//! The `huggingface` adapter. Chat goes to the Inference Providers router
//! (`{base_url}/chat/completions`, OpenAI dialect, through the shared
//! [`OpenAiClient`]); the classic `hf-inference` task endpoints
//! (`{task_endpoint_base}/{model}`) serve embeddings (`…/pipeline/feature-extraction`),
//! images (text-to-image) and, for models listed in `task_models`, chat as
//! summarization. All calls send `Authorization: Bearer <HF token>`.
//!
//! Options (unknown keys are refused): `task_endpoint_base` (default
//! `https://router.huggingface.co/hf-inference/models`), `task_models` (upstream model
//! name → task, today only `"summarization"`: those models answer chat requests by
//! summarizing the last user message), `bill_to` (sent as `X-HF-Bill-To`), `headers`
//! (extra headers for every call), the OpenAI dialect overrides `max_tokens_field`,
//! `stream_usage`, `tool_call_content`, plus the generic `max_retries`,
//! `first_byte_timeout_ms`, `idle_timeout_ms`.

mod convert;
mod tasks;
mod wire;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde::Deserialize;
use switchyard_types::ErrorKind;
use switchyard_types::chat::{
    ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, Usage, UsageSource,
};
use switchyard_types::media::{ImageRequest, ImageResponse};

use crate::openai::{
    BearerAuth, Flavor, MaxTokensField, OpenAiClient, OpenAiOptions, ToolCallContent,
};
use crate::tokens::estimate_tokens;
use crate::upstream::parse_json;
use crate::{
    Adapters, BuildError, ChatProvider, EmbeddingProvider, EventStream, ImageProvider,
    ProviderContext, ProviderError, Target,
};
use tasks::{CallOptions, TaskClient};

/// The default base of the classic task endpoints.
pub const DEFAULT_TASK_ENDPOINT_BASE: &str = "https://router.huggingface.co/hf-inference/models";

/// A classic task a model listed in `task_models` answers chat requests with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChatTask {
    /// `summarization`: the last user message is summarized.
    Summarization,
}

/// Settings of a Hugging Face provider (its `options` table).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HuggingFaceOptions {
    /// Where the classic task endpoints live (`{base}/{model}`).
    pub task_endpoint_base: String,
    /// Models served by a classic task instead of the router's chat.
    pub task_models: BTreeMap<String, ChatTask>,
    /// Sent as `X-HF-Bill-To` (bill an Enterprise/Team organization).
    pub bill_to: Option<String>,
    /// Extra headers for every call.
    pub headers: BTreeMap<String, String>,
    /// Overrides the router dialect's output-limit field (default `max_tokens`).
    pub max_tokens_field: Option<MaxTokensField>,
    /// Overrides whether router streams ask for a usage chunk (default yes).
    pub stream_usage: Option<bool>,
    /// Overrides how a tool-call-only assistant turn sends its content (default `""`).
    pub tool_call_content: Option<ToolCallContent>,
    /// Read by the shared retry policy.
    pub max_retries: Option<u64>,
    /// Read by the shared deadlines.
    pub first_byte_timeout_ms: Option<u64>,
    /// Read by the shared deadlines.
    pub idle_timeout_ms: Option<u64>,
}

impl Default for HuggingFaceOptions {
    fn default() -> Self {
        Self {
            task_endpoint_base: DEFAULT_TASK_ENDPOINT_BASE.into(),
            task_models: BTreeMap::new(),
            bill_to: None,
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

impl HuggingFaceOptions {
    /// Parse the provider's options object; the message names the bad field.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, String> {
        if value.is_null() {
            return Ok(Self::default());
        }
        let options: Self = serde_path_to_error::deserialize(value.clone())
            .map_err(|e| format!("{}: {}", e.path(), e.inner()))?;
        let base = options.task_endpoint_base.as_str();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err("task_endpoint_base: must be an http(s) URL".into());
        }
        Ok(options)
    }

    /// The same settings in the shape the OpenAI-dialect client reads.
    fn openai(&self) -> OpenAiOptions {
        let mut headers = self.headers.clone();
        if let Some(org) = &self.bill_to {
            headers.insert("x-hf-bill-to".into(), org.clone());
        }
        OpenAiOptions {
            headers,
            max_tokens_field: self.max_tokens_field,
            stream_usage: self.stream_usage,
            tool_call_content: self.tool_call_content,
            ..OpenAiOptions::default()
        }
    }
}

/// Build a Hugging Face provider's adapters (chat, embeddings, images).
pub fn adapters(ctx: ProviderContext) -> Result<Adapters, BuildError> {
    let invalid = |message: String| BuildError::InvalidOptions {
        name: ctx.name.clone(),
        message,
    };
    let options = HuggingFaceOptions::from_json(&ctx.options).map_err(invalid)?;
    let openai = options.openai();
    let extra = openai.extra_headers().map_err(invalid)?;
    let key = ctx.api_key.as_ref().map(|k| k.expose().as_str());
    let task_headers = bearer_headers(&ctx.name, key, extra.clone());
    let auth = BearerAuth::new(&ctx.name, key, true, extra);
    let tasks = TaskClient::new(ctx.clone(), &options.task_endpoint_base, task_headers);
    let router = OpenAiClient::new(ctx, openai.flavor(Flavor::compatible()), Arc::new(auth));
    let hf = Arc::new(HuggingFace {
        router,
        tasks,
        task_models: options.task_models,
    });
    Ok(Adapters {
        chat: Some(hf.clone()),
        embeddings: Some(hf.clone()),
        images: Some(hf),
        videos: None,
    })
}

/// `Authorization: Bearer <token>` plus the fixed extra headers, or why not.
fn bearer_headers(
    provider: &str,
    key: Option<&str>,
    mut headers: HeaderMap,
) -> Result<HeaderMap, ProviderError> {
    let key = key.filter(|k| !k.is_empty()).ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Auth,
            format!("provider `{provider}` has no API key configured"),
        )
    })?;
    let mut value = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
        ProviderError::new(
            ErrorKind::Auth,
            format!("provider `{provider}`: the API key is not a valid header value"),
        )
    })?;
    value.set_sensitive(true);
    headers.insert(AUTHORIZATION, value);
    Ok(headers)
}

/// The adapter: the router for chat, the task endpoints for the rest.
pub struct HuggingFace {
    router: OpenAiClient,
    tasks: TaskClient,
    task_models: BTreeMap<String, ChatTask>,
}

impl HuggingFace {
    async fn summarize(
        &self,
        target: Target<'_>,
        request: &ChatRequest,
    ) -> Result<ChatResponse, ProviderError> {
        let body = convert::summarization_request(request)?;
        let url = self.tasks.url(target.upstream_model, "");
        let answer = self.tasks.post(&url, &body, CallOptions::default()).await?;
        let summary: wire::SummarizationResponse = parse_json(&answer.body)?;
        convert::summary_response(summary, target.model, request)
    }
}

#[async_trait]
impl ChatProvider for HuggingFace {
    async fn chat(
        &self,
        target: Target<'_>,
        request: &ChatRequest,
    ) -> Result<ChatResponse, ProviderError> {
        match self.task_models.get(target.upstream_model) {
            Some(ChatTask::Summarization) => self.summarize(target, request).await,
            None => self
                .router
                .chat(target, request)
                .await
                .map_err(tasks::refine),
        }
    }

    async fn chat_stream(
        &self,
        target: Target<'_>,
        request: &ChatRequest,
    ) -> Result<EventStream, ProviderError> {
        match self.task_models.get(target.upstream_model) {
            Some(ChatTask::Summarization) => Ok(convert::whole_events(
                self.summarize(target, request).await?,
            )),
            None => self
                .router
                .chat_stream(target, request)
                .await
                .map_err(tasks::refine),
        }
    }
}

#[async_trait]
impl EmbeddingProvider for HuggingFace {
    async fn embed(
        &self,
        target: Target<'_>,
        request: &EmbeddingRequest,
    ) -> Result<EmbeddingResponse, ProviderError> {
        let body = wire::TaskRequest::<_, ()> {
            inputs: &request.input,
            parameters: None,
        };
        let url = self
            .tasks
            .url(target.upstream_model, "/pipeline/feature-extraction");
        let answer = self.tasks.post(&url, &body, CallOptions::default()).await?;
        let value: serde_json::Value = parse_json(&answer.body)?;
        Ok(EmbeddingResponse {
            model: target.model.to_string(),
            embeddings: convert::embeddings(&value, request.input.len())?,
            usage: Usage {
                input_tokens: request.input.iter().map(|t| estimate_tokens(t)).sum(),
                source: UsageSource::Estimated,
                ..Usage::default()
            },
        })
    }
}

#[async_trait]
impl ImageProvider for HuggingFace {
    async fn generate_image(
        &self,
        target: Target<'_>,
        request: &ImageRequest,
    ) -> Result<ImageResponse, ProviderError> {
        let parameters = convert::image_size(request.size.as_deref())?;
        let body = wire::TaskRequest {
            inputs: &request.prompt,
            parameters: (parameters != wire::TextToImageParameters::default())
                .then_some(parameters),
        };
        let url = self.tasks.url(target.upstream_model, "");
        let n = request.n.max(1);
        // One image per call; identical calls would be answered from the cache.
        let options = CallOptions {
            accept: Some("image/png"),
            no_cache: n > 1,
        };
        let mut images = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let answer = self.tasks.post(&url, &body, options).await?;
            images.push(convert::generated_image(
                &answer.content_type,
                &answer.body,
                request.response_format,
            )?);
        }
        Ok(ImageResponse {
            created_at: switchyard_types::now_millis(),
            images,
            usage: None,
        })
    }
}
