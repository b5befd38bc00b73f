//! Provider adapters: small capability traits (chat, embeddings, images, video jobs),
//! one folder per provider kind translating the canonical model to its wire format,
//! the shared SSE codec, upstream HTTP client and error classification, and the
//! built-in `mock`. The only `match` on [`ProviderKind`] lives in [`build`] (and, for the
//! free health-probe call, in [`probe::prober`]).

pub mod anthropic;
pub mod classify;
pub mod copilot;
mod error;
pub mod gemini;
pub mod huggingface;
pub mod jobs;
pub mod mock;
pub mod openai;
pub mod probe;
pub mod runway;
pub mod sse;
pub mod tokens;
pub mod upstream;

use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use futures::Stream;
use switchyard_types::chat::{
    ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, StreamEvent,
};
use switchyard_types::media::{ImageRequest, ImageResponse, JobStatus, VideoJob, VideoRequest};
use switchyard_types::{Provider, ProviderKind, Secret};

pub use error::ProviderError;
pub use upstream::{HttpClient, Retry, Timeouts};

/// What a provider call needs to know about the model it serves.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The public model name the client asked for (echoed back in responses).
    pub model: &'a str,
    /// The provider's own name for the model.
    pub upstream_model: &'a str,
}

/// Canonical stream events as the upstream sends them. The stream ends after
/// `Finish` (and `Usage` when known); a stream that stops without its terminator ends
/// with an `Err` (truncated), never silently.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<StreamEvent, ProviderError>> + Send>>;

/// Chat completions, whole or streamed.
#[async_trait]
pub trait ChatProvider: Send + Sync {
    /// One non-streaming completion.
    async fn chat(
        &self,
        target: Target<'_>,
        request: &ChatRequest,
    ) -> Result<ChatResponse, ProviderError>;

    /// Open a stream. Returns once the upstream accepted the request (a 2xx status), so
    /// failures before the first byte can still be retried or failed over.
    async fn chat_stream(
        &self,
        target: Target<'_>,
        request: &ChatRequest,
    ) -> Result<EventStream, ProviderError>;
}

/// Embeddings.
#[async_trait]
pub trait EmbeddingProvider: Send + Sync {
    /// One vector per input, in order.
    async fn embed(
        &self,
        target: Target<'_>,
        request: &EmbeddingRequest,
    ) -> Result<EmbeddingResponse, ProviderError>;
}

/// Synchronous image generation.
#[async_trait]
pub trait ImageProvider: Send + Sync {
    /// Generate `request.n` images.
    async fn generate_image(
        &self,
        target: Target<'_>,
        request: &ImageRequest,
    ) -> Result<ImageResponse, ProviderError>;
}

/// Long-running video jobs on the provider's side.
#[async_trait]
pub trait VideoProvider: Send + Sync {
    /// Submit a job; returns the provider's job id.
    async fn submit_video(
        &self,
        target: Target<'_>,
        request: &VideoRequest,
    ) -> Result<VideoJob, ProviderError>;

    /// Poll a job's state.
    async fn poll_video(&self, job_id: &str) -> Result<JobStatus, ProviderError>;

    /// Ask the provider to cancel a job (best effort).
    async fn cancel_video(&self, job_id: &str) -> Result<(), ProviderError>;
}

/// The capabilities one provider offers; `None` where it has none.
#[derive(Clone, Default)]
pub struct Adapters {
    pub chat: Option<Arc<dyn ChatProvider>>,
    pub embeddings: Option<Arc<dyn EmbeddingProvider>>,
    pub images: Option<Arc<dyn ImageProvider>>,
    pub videos: Option<Arc<dyn VideoProvider>>,
}

/// Everything an adapter needs to call its upstream, fixed when the registry is built.
#[derive(Debug, Clone)]
pub struct ProviderContext {
    /// The provider's configured name (for messages).
    pub name: String,
    /// Base URL without a trailing slash.
    pub base_url: String,
    pub api_key: Option<Secret<String>>,
    pub http: HttpClient,
    pub timeouts: Timeouts,
    pub retry: Retry,
    /// Kind-specific options (the provider's `options` object).
    pub options: serde_json::Value,
}

impl ProviderContext {
    /// The context for one provider row.
    pub fn new(provider: &Provider, api_key: Option<Secret<String>>, http: &HttpClient) -> Self {
        let options = provider.options.clone();
        let max_retries = options
            .get("max_retries")
            .and_then(serde_json::Value::as_u64)
            .map_or(Retry::default().max_retries, |n| n.min(10) as u32);
        Self {
            name: provider.name.clone(),
            base_url: provider
                .effective_base_url()
                .trim_end_matches('/')
                .to_string(),
            api_key,
            http: http.clone(),
            timeouts: Timeouts::from_provider(provider.timeout_ms, &options),
            retry: Retry {
                max_retries,
                ..Retry::default()
            },
            options,
        }
    }

    /// `base_url` + `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The API key, or an `auth` error naming the provider when none is configured.
    pub fn require_key(&self) -> Result<&str, ProviderError> {
        self.api_key
            .as_ref()
            .map(|k| k.expose().as_str())
            .ok_or_else(|| {
                ProviderError::new(
                    switchyard_types::ErrorKind::Auth,
                    format!("provider `{}` has no API key configured", self.name),
                )
            })
    }
}

/// Why an adapter could not be built for a provider.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("provider kind `{0}` has no adapter in this build yet")]
    Unsupported(ProviderKind),
    #[error("provider `{name}`: invalid options: {message}")]
    InvalidOptions { name: String, message: String },
}

/// Build the adapters for one provider. Called when the registry snapshot is built,
/// never on the request path.
pub fn build(
    provider: &Provider,
    api_key: Option<Secret<String>>,
    http: &HttpClient,
) -> Result<Adapters, BuildError> {
    let ctx = ProviderContext::new(provider, api_key, http);
    match provider.kind {
        ProviderKind::Mock => mock::adapters(ctx),
        ProviderKind::OpenAi => openai::adapters(ctx),
        ProviderKind::OpenAiCompatible => openai::compatible_adapters(ctx),
        ProviderKind::Anthropic => anthropic::adapters(ctx),
        ProviderKind::Gemini => gemini::adapters(ctx),
        ProviderKind::HuggingFace => huggingface::adapters(ctx),
        ProviderKind::Copilot => copilot::adapters(ctx),
        ProviderKind::Runway => runway::adapters(ctx),
    }
}
