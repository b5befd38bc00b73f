//! The LLM service: resolve the requested name to candidates, call them in order, and
//! fail over on retryable errors — for streams, only until the first event is in hand,
//! so nothing has reached the client yet. Routing strategies and health arrive with
//! the routing work; until then candidates are tried in resolution order.

use std::sync::Arc;

use futures::StreamExt;
use switchyard_providers::{Adapters, EventStream, ProviderError, Target};
use switchyard_types::chat::Usage;
use switchyard_types::chat::{ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse};
use switchyard_types::media::{ImageRequest, ImageResponse};
use switchyard_types::{Identity, ModelKind, Pricing, TaskType};

use crate::estimate;
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
    #[error(
        "the prompt is about {tokens} tokens; with the requested output it exceeds every candidate's context window (largest {window})"
    )]
    ContextTooLong { tokens: u64, window: u32 },
    #[error("no enabled model declares task type `{0}`")]
    NoModelForTask(TaskType),
    #[error("no available provider for `{0}`: {1}")]
    Unavailable(String, String),
    #[error("{0}")]
    Provider(#[from] ProviderError),
}

/// What a request asks to be served by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want<'a> {
    /// A model name, `provider/model`, or a group.
    Model(&'a str),
    /// Any model declaring this task type (the router picks).
    Task(TaskType),
}

/// Which provider and model actually answered, and what it charges.
#[derive(Debug, Clone, PartialEq)]
pub struct Served {
    pub provider: String,
    pub model: String,
    pub attempts: u32,
    /// The candidates considered, in the order they were to be tried (`provider/model`).
    pub candidates: Vec<String>,
    pub pricing: Pricing,
    /// Free-tier usage is counted but costs nothing.
    pub free_tier: bool,
}

impl Served {
    /// The USD cost of `usage` on this model.
    pub fn cost(&self, usage: &Usage) -> f64 {
        if self.free_tier {
            0.0
        } else {
            self.pricing.token_cost(usage)
        }
    }
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
        self.chat_for(Want::Model(&request.model), request, identity)
            .await
    }

    /// [`LlmService::chat`] for an explicit [`Want`].
    pub async fn chat_for(
        &self,
        want: Want<'_>,
        request: &ChatRequest,
        identity: &Identity,
    ) -> Result<(ChatResponse, Served), LlmError> {
        let plan = self
            .plan(want, ModelKind::Chat, identity)?
            .fit_context(request)?;
        let mut last_error = None;
        for (attempt, entry, adapters) in plan.attempts() {
            let Some(chat) = &adapters.chat else { continue };
            match chat.chat(target(entry), request).await {
                Ok(mut response) => {
                    estimate::complete_usage(&entry.model.upstream_name, request, &mut response);
                    return Ok((response, plan.served(entry, attempt)));
                }
                Err(e) if e.is_retryable() => last_error = Some(e),
                Err(e) => return Err(e.into()),
            }
        }
        Err(plan.exhausted(last_error))
    }

    /// A streamed chat completion. Candidates are tried until one produces its first
    /// event; after that the stream belongs to the client and is never retried.
    pub async fn chat_stream(
        &self,
        request: &ChatRequest,
        identity: &Identity,
    ) -> Result<(EventStream, Served), LlmError> {
        self.chat_stream_for(Want::Model(&request.model), request, identity)
            .await
    }

    /// [`LlmService::chat_stream`] for an explicit [`Want`].
    pub async fn chat_stream_for(
        &self,
        want: Want<'_>,
        request: &ChatRequest,
        identity: &Identity,
    ) -> Result<(EventStream, Served), LlmError> {
        let plan = self
            .plan(want, ModelKind::Chat, identity)?
            .fit_context(request)?;
        let mut last_error = None;
        for (attempt, entry, adapters) in plan.attempts() {
            let Some(chat) = &adapters.chat else { continue };
            let mut stream = match chat.chat_stream(target(entry), request).await {
                Ok(s) => s,
                Err(e) if e.is_retryable() => {
                    last_error = Some(e);
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            match stream.next().await {
                Some(Err(e)) if e.is_retryable() => last_error = Some(e),
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(first)) => {
                    let whole: EventStream =
                        Box::pin(futures::stream::once(async { Ok(first) }).chain(stream));
                    let whole =
                        estimate::with_usage(whole, entry.model.upstream_name.clone(), request);
                    return Ok((whole, plan.served(entry, attempt)));
                }
                None => {
                    last_error = Some(ProviderError::new(
                        switchyard_types::ErrorKind::UpstreamError,
                        "upstream closed the stream before sending anything",
                    ));
                }
            }
        }
        Err(plan.exhausted(last_error))
    }

    /// Embeddings for every input, failing over like chat.
    pub async fn embed(
        &self,
        request: &EmbeddingRequest,
        identity: &Identity,
    ) -> Result<(EmbeddingResponse, Served), LlmError> {
        self.embed_for(Want::Model(&request.model), request, identity)
            .await
    }

    /// [`LlmService::embed`] for an explicit [`Want`].
    pub async fn embed_for(
        &self,
        want: Want<'_>,
        request: &EmbeddingRequest,
        identity: &Identity,
    ) -> Result<(EmbeddingResponse, Served), LlmError> {
        let plan = self.plan(want, ModelKind::Embedding, identity)?;
        let mut last_error = None;
        for (attempt, entry, adapters) in plan.attempts() {
            let Some(embeddings) = &adapters.embeddings else {
                continue;
            };
            match embeddings.embed(target(entry), request).await {
                Ok(response) => return Ok((response, plan.served(entry, attempt))),
                Err(e) if e.is_retryable() => last_error = Some(e),
                Err(e) => return Err(e.into()),
            }
        }
        Err(plan.exhausted(last_error))
    }

    /// Image generation, failing over like chat.
    pub async fn generate_image(
        &self,
        request: &ImageRequest,
        identity: &Identity,
    ) -> Result<(ImageResponse, Served), LlmError> {
        let plan = self.plan(Want::Model(&request.model), ModelKind::Image, identity)?;
        let mut last_error = None;
        for (attempt, entry, adapters) in plan.attempts() {
            let Some(images) = &adapters.images else {
                continue;
            };
            match images.generate_image(target(entry), request).await {
                Ok(response) => return Ok((response, plan.served(entry, attempt))),
                Err(e) if e.is_retryable() => last_error = Some(e),
                Err(e) => return Err(e.into()),
            }
        }
        Err(plan.exhausted(last_error))
    }

    /// Enabled candidates of the right kind that this identity may use, in order.
    fn plan(&self, want: Want<'_>, kind: ModelKind, identity: &Identity) -> Result<Plan, LlmError> {
        let snapshot = self.registry.snapshot();
        let name = match want {
            Want::Model(name) => name,
            Want::Task(task) => {
                let candidates: Vec<_> = snapshot
                    .models_for_task(task, kind)
                    .into_iter()
                    .filter(|e| {
                        identity.allowed_models.is_empty()
                            || identity.allowed_models.contains(&e.model.name)
                    })
                    .collect();
                if candidates.is_empty() {
                    return Err(LlmError::NoModelForTask(task));
                }
                let max_attempts = candidates.len().min(3);
                return Ok(Plan {
                    name: task.to_string(),
                    candidates,
                    max_attempts,
                });
            }
        };
        if !identity.allowed_models.is_empty() && !identity.allowed_models.iter().any(|m| m == name)
        {
            return Err(LlmError::NotAllowed(name.to_string()));
        }
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
        let candidates: Vec<_> = enabled
            .into_iter()
            .filter(|e| e.model.kinds.contains(&kind))
            .collect();
        if candidates.is_empty() {
            return Err(LlmError::WrongKind {
                model: name.to_string(),
                kind,
            });
        }
        Ok(Plan {
            name: name.to_string(),
            candidates,
            max_attempts,
        })
    }
}

/// The ordered candidates for one request.
struct Plan {
    name: String,
    candidates: Vec<Arc<ModelEntry>>,
    max_attempts: usize,
}

impl Plan {
    /// Candidates whose adapters were built, numbered, up to `max_attempts`.
    fn attempts(&self) -> impl Iterator<Item = (usize, &ModelEntry, &Adapters)> {
        self.candidates
            .iter()
            .filter_map(|e| e.provider.adapters.as_ref().ok().map(|a| (e.as_ref(), a)))
            .take(self.max_attempts)
            .enumerate()
            .map(|(i, (e, a))| (i, e, a))
    }

    /// Drop candidates whose context window cannot hold the prompt plus the requested
    /// output; if none is left, the request is too long for all of them.
    fn fit_context(mut self, request: &ChatRequest) -> Result<Self, LlmError> {
        let wanted_output = u64::from(request.max_output_tokens.unwrap_or(0));
        let mut largest = 0;
        let mut counted = 0;
        self.candidates.retain(|c| {
            let window = c.model.context_window;
            largest = largest.max(window);
            let room = u64::from(window).saturating_sub(wanted_output);
            match estimate::prompt_tokens_if_tight(&c.model.upstream_name, request, room) {
                None => true,
                Some(tokens) => {
                    counted = tokens;
                    tokens <= room
                }
            }
        });
        if self.candidates.is_empty() {
            return Err(LlmError::ContextTooLong {
                tokens: counted,
                window: largest,
            });
        }
        Ok(self)
    }

    fn served(&self, entry: &ModelEntry, attempt: usize) -> Served {
        Served {
            provider: entry.provider.provider.name.clone(),
            model: entry.model.name.clone(),
            attempts: u32::try_from(attempt + 1).unwrap_or(u32::MAX),
            candidates: self
                .candidates
                .iter()
                .map(|c| c.model.qualified_name())
                .collect(),
            pricing: entry.model.pricing.clone(),
            free_tier: entry.provider.provider.free_tier,
        }
    }

    fn exhausted(&self, last_error: Option<ProviderError>) -> LlmError {
        match last_error {
            Some(e) => LlmError::Provider(e),
            None => {
                let reasons: Vec<String> = self
                    .candidates
                    .iter()
                    .filter_map(|c| c.provider.adapters.as_ref().err().cloned())
                    .collect();
                let reasons = if reasons.is_empty() {
                    "its providers do not offer this capability".to_string()
                } else {
                    reasons.join("; ")
                };
                LlmError::Unavailable(self.name.clone(), reasons)
            }
        }
    }
}

fn target(entry: &ModelEntry) -> Target<'_> {
    Target {
        model: &entry.model.name,
        upstream_model: &entry.model.upstream_name,
    }
}
