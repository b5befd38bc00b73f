//! The LLM service: resolve the requested name to candidates, call them in order, and
//! fail over on retryable errors. Routing strategies and health arrive with the routing
//! work; until then candidates are tried in resolution order.

use std::sync::Arc;

use switchyard_providers::{ProviderError, Target};
use switchyard_types::chat::{ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse};
use switchyard_types::{Identity, ModelKind};

use crate::registry::{ModelEntry, Registry, Resolved};

/// Why the service could not answer.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("model `{0}` does not exist")]
    ModelNotFound(String),
    #[error("model `{model}` cannot serve {kind} requests")]
    WrongKind { model: String, kind: ModelKind },
    #[error("this API key may not use model `{0}`")]
    NotAllowed(String),
    #[error("no available provider for `{0}`: {1}")]
    Unavailable(String, String),
    #[error("{0}")]
    Provider(#[from] ProviderError),
}

/// Which provider and model actually answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub provider: String,
    pub model: String,
    pub attempts: u32,
}

/// Chat and embeddings over the registry.
pub struct LlmService {
    registry: Arc<Registry>,
}

impl LlmService {
    /// A service reading the given registry.
    pub fn new(registry: Arc<Registry>) -> Self {
        Self { registry }
    }

    /// One chat completion, failing over between candidates on retryable errors.
    pub async fn chat(
        &self,
        request: &ChatRequest,
        identity: &Identity,
    ) -> Result<(ChatResponse, Served), LlmError> {
        let (candidates, max_attempts) =
            self.candidates(&request.model, ModelKind::Chat, identity)?;
        let mut last_error = None;
        for (attempt, entry) in candidates.iter().take(max_attempts).enumerate() {
            let Ok(adapter) = &entry.provider.adapter else {
                continue;
            };
            let target = Target {
                model: &entry.model.name,
                upstream_model: &entry.model.upstream_name,
            };
            match adapter.chat(target, request).await {
                Ok(response) => return Ok((response, served(entry, attempt))),
                Err(e) if e.is_retryable() => last_error = Some(e),
                Err(e) => return Err(e.into()),
            }
        }
        Err(exhausted(&request.model, &candidates, last_error))
    }

    /// Embeddings for every input, failing over like chat.
    pub async fn embed(
        &self,
        request: &EmbeddingRequest,
        identity: &Identity,
    ) -> Result<(EmbeddingResponse, Served), LlmError> {
        let (candidates, max_attempts) =
            self.candidates(&request.model, ModelKind::Embedding, identity)?;
        let mut last_error = None;
        for (attempt, entry) in candidates.iter().take(max_attempts).enumerate() {
            let Ok(adapter) = &entry.provider.adapter else {
                continue;
            };
            let target = Target {
                model: &entry.model.name,
                upstream_model: &entry.model.upstream_name,
            };
            match adapter.embed(target, request).await {
                Ok(response) => return Ok((response, served(entry, attempt))),
                Err(e) if e.is_retryable() => last_error = Some(e),
                Err(e) => return Err(e.into()),
            }
        }
        Err(exhausted(&request.model, &candidates, last_error))
    }

    /// Enabled candidates of the right kind that this identity may use, in order.
    fn candidates(
        &self,
        name: &str,
        kind: ModelKind,
        identity: &Identity,
    ) -> Result<(Vec<Arc<ModelEntry>>, usize), LlmError> {
        if !identity.allowed_models.is_empty() && !identity.allowed_models.iter().any(|m| m == name)
        {
            return Err(LlmError::NotAllowed(name.to_string()));
        }
        let snapshot = self.registry.snapshot();
        let (found, max_attempts) = match snapshot.resolve(name) {
            Resolved::Unknown => return Err(LlmError::ModelNotFound(name.to_string())),
            Resolved::Models(found) => {
                let n = found.len();
                (found, n.max(1))
            }
            Resolved::Group { group, members } => (members, group.max_attempts.max(1) as usize),
        };
        let enabled: Vec<_> = found.into_iter().filter(|e| e.is_enabled()).collect();
        if enabled.is_empty() {
            return Err(LlmError::ModelNotFound(name.to_string()));
        }
        let of_kind: Vec<_> = enabled
            .into_iter()
            .filter(|e| e.model.kinds.contains(&kind))
            .collect();
        if of_kind.is_empty() {
            return Err(LlmError::WrongKind {
                model: name.to_string(),
                kind,
            });
        }
        Ok((of_kind, max_attempts))
    }
}

fn served(entry: &ModelEntry, attempt: usize) -> Served {
    Served {
        provider: entry.provider.provider.name.clone(),
        model: entry.model.name.clone(),
        attempts: u32::try_from(attempt + 1).unwrap_or(u32::MAX),
    }
}

fn exhausted(
    name: &str,
    candidates: &[Arc<ModelEntry>],
    last_error: Option<ProviderError>,
) -> LlmError {
    match last_error {
        Some(e) => LlmError::Provider(e),
        None => {
            let reasons: Vec<String> = candidates
                .iter()
                .filter_map(|c| c.provider.adapter.as_ref().err().cloned())
                .collect();
            LlmError::Unavailable(name.to_string(), reasons.join("; "))
        }
    }
}
