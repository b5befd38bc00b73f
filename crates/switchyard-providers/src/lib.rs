//! Provider adapters: the traits every upstream speaks through, the factory that
//! builds one adapter per configured provider, and the built-in `mock` provider.
//! The only `match` on [`ProviderKind`] lives in [`build`].

mod error;
pub mod mock;
pub mod sse;

use std::sync::Arc;

use async_trait::async_trait;
use switchyard_types::Secret;
use switchyard_types::chat::{ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse};
use switchyard_types::{Provider, ProviderKind};

pub use error::ProviderError;

/// What a provider call needs to know about the model it serves.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The public model name the client asked for (echoed back in responses).
    pub model: &'a str,
    /// The provider's own name for the model.
    pub upstream_model: &'a str,
}

/// An upstream that answers chat and embedding requests in the canonical model.
#[async_trait]
pub trait ChatProvider: Send + Sync {
    /// One non-streaming chat completion.
    async fn chat(
        &self,
        target: Target<'_>,
        request: &ChatRequest,
    ) -> Result<ChatResponse, ProviderError>;

    /// Embeddings for every input, in order.
    async fn embed(
        &self,
        target: Target<'_>,
        request: &EmbeddingRequest,
    ) -> Result<EmbeddingResponse, ProviderError>;
}

/// Why an adapter could not be built for a provider.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("provider kind `{0}` has no adapter in this build yet")]
    Unsupported(ProviderKind),
    #[error("provider `{name}`: invalid options: {message}")]
    InvalidOptions { name: String, message: String },
}

/// Build the adapter for one provider. Called when the registry snapshot is built,
/// never on the request path.
pub fn build(
    provider: &Provider,
    _api_key: Option<Secret<String>>,
) -> Result<Arc<dyn ChatProvider>, BuildError> {
    match provider.kind {
        ProviderKind::Mock => {
            let options = mock::MockOptions::from_json(&provider.options).map_err(|message| {
                BuildError::InvalidOptions {
                    name: provider.name.clone(),
                    message,
                }
            })?;
            Ok(Arc::new(mock::MockProvider::new(options)))
        }
        other => Err(BuildError::Unsupported(other)),
    }
}
