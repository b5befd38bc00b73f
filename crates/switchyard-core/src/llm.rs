//! The LLM service: route the request (`routing`: the strategy chain over the registry
//! snapshot), then call the candidates in order through [`LlmService::failover`] — each
//! call admitted by the circuits and the provider's concurrency limit, its outcome fed
//! back to health — moving on after retryable errors, up to the route's attempts. For
//! streams ([`stream`]) failover is possible only until the first event is in hand,
//! within the model's time-to-first-token deadline; after that the stream belongs to
//! the client. Media services build their calls the same way: `route` + `failover`.

mod served;
mod stream;

use std::future::Future;
use std::sync::Arc;

use switchyard_providers::{Adapters, EventStream, ProviderError, Target};
use switchyard_types::chat::{ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse};
use switchyard_types::media::{ImageRequest, ImageResponse, VideoJob, VideoRequest};
use switchyard_types::{Capability, Identity, ModelKind};

use crate::estimate;
use crate::health::{AdmitOptions, CallGuard, Refusal};
use crate::registry::{ModelEntry, Registry};
use crate::routing::{self, Needs, Route, RouteRequest, RoutingSettings};

pub use crate::routing::Want;
pub use served::{AttemptFailure, Served};

use served::{exhausted, failed, skipped};

pub use crate::error::LlmError;

/// Chat, embeddings and images over the registry, with routing and failover.
pub struct LlmService {
    registry: Arc<Registry>,
    settings: RoutingSettings,
}

impl LlmService {
    /// A service reading the given registry, with default routing settings.
    pub fn new(registry: Arc<Registry>) -> Self {
        let settings = RoutingSettings {
            health: registry.health_settings().enabled,
            ..RoutingSettings::default()
        };
        Self::with_settings(registry, settings)
    }

    /// [`LlmService::new`] with explicit routing settings.
    pub fn with_settings(registry: Arc<Registry>, settings: RoutingSettings) -> Self {
        Self { registry, settings }
    }

    /// The routing settings in force.
    pub fn settings(&self) -> &RoutingSettings {
        &self.settings
    }

    /// Route a chat request (to models that stream, with `stream`), calling no one.
    pub fn route_chat(
        &self,
        want: Want<'_>,
        request: &ChatRequest,
        stream: bool,
        identity: &Identity,
    ) -> Result<Arc<Route>, LlmError> {
        let mut needs = Needs::of_chat(request);
        if stream {
            needs = needs.with(Capability::Stream);
        }
        self.route(want, ModelKind::Chat, needs, Some(request), identity)
    }

    /// Route a request of a kind without a chat body (embeddings, images, videos).
    pub fn route_kind(
        &self,
        want: Want<'_>,
        kind: ModelKind,
        identity: &Identity,
    ) -> Result<Arc<Route>, LlmError> {
        self.route(want, kind, Needs::NONE, None, identity)
    }

    /// A chat completion over a decided route, failing over between its candidates.
    pub async fn chat_on(
        &self,
        route: &Arc<Route>,
        request: &ChatRequest,
    ) -> Result<(ChatResponse, Served), LlmError> {
        self.failover(route, |entry| {
            let chat = adapters(&entry)?.chat.clone()?;
            Some(async move {
                let mut response = chat.chat(target(&entry), request).await?;
                estimate::complete_usage(&entry.model.upstream_name, request, &mut response);
                Ok(response)
            })
        })
        .await
    }

    /// A streamed chat completion over a decided route. Candidates are tried until one
    /// produces its first event (within the model's `time_to_first_token_ms`); after
    /// that the stream belongs to the client and is never retried.
    pub async fn stream_on(
        &self,
        route: &Arc<Route>,
        request: &ChatRequest,
    ) -> Result<(EventStream, Served), LlmError> {
        stream::open(self, route, request).await
    }

    /// Embeddings over a decided route.
    pub async fn embed_on(
        &self,
        route: &Arc<Route>,
        request: &EmbeddingRequest,
    ) -> Result<(EmbeddingResponse, Served), LlmError> {
        self.failover(route, |entry| {
            let embeddings = adapters(&entry)?.embeddings.clone()?;
            Some(async move { embeddings.embed(target(&entry), request).await })
        })
        .await
    }

    /// Images over a decided route.
    pub async fn images_on(
        &self,
        route: &Arc<Route>,
        request: &ImageRequest,
    ) -> Result<(ImageResponse, Served), LlmError> {
        self.failover(route, |entry| {
            let images = adapters(&entry)?.images.clone()?;
            Some(async move { images.generate_image(target(&entry), request).await })
        })
        .await
    }

    /// Image generation, failing over like chat.
    pub async fn generate_image(
        &self,
        request: &ImageRequest,
        identity: &Identity,
    ) -> Result<(ImageResponse, Served), LlmError> {
        let want = Want::Model(&request.model);
        let route = self.route_kind(want, ModelKind::Image, identity)?;
        self.images_on(&route, request).await
    }

    /// Submit a provider-side video job, failing over like chat (issue 6, tasks).
    pub async fn submit_video(
        &self,
        request: &VideoRequest,
        identity: &Identity,
    ) -> Result<(VideoJob, Served), LlmError> {
        let want = Want::Model(&request.model);
        let route = self.route(want, ModelKind::Video, Needs::NONE, None, identity)?;
        self.failover(&route, |entry| {
            let videos = adapters(&entry)?.videos.clone()?;
            Some(async move { videos.submit_video(target(&entry), request).await })
        })
        .await
    }

    /// The candidate a media request of `kind` would be tried on first, without calling
    /// it: checks the name, the kind and the key's permissions, and gives the pricing to
    /// estimate a task's cost with (issue 6, tasks).
    pub fn preview(
        &self,
        model: &str,
        kind: ModelKind,
        identity: &Identity,
    ) -> Result<Served, LlmError> {
        let route = self.route_kind(Want::Model(model), kind, identity)?;
        Self::first_offer(&route)
    }

    /// The first of a decided route's candidates whose provider offers the route's
    /// kind, as it would be served (its pricing prices a request up front).
    pub fn first_offer(route: &Arc<Route>) -> Result<Served, LlmError> {
        let kind = route.kind;
        let offers = |a: &Adapters| match kind {
            ModelKind::Image => a.images.is_some(),
            ModelKind::Video => a.videos.is_some(),
            ModelKind::Chat => a.chat.is_some(),
            ModelKind::Embedding => a.embeddings.is_some(),
        };
        route
            .candidates
            .iter()
            .find(|c| adapters(route.entry(c)).is_some_and(offers))
            .map(|c| Served::new(route, route.entry(c), 1, Vec::new()))
            .ok_or_else(|| exhausted(route, None, &[]))
    }

    /// Route a request: the candidates to try, in order, with the explanation.
    pub fn route(
        &self,
        want: Want<'_>,
        kind: ModelKind,
        needs: Needs,
        chat: Option<&ChatRequest>,
        identity: &Identity,
    ) -> Result<Arc<Route>, LlmError> {
        let snapshot = self.registry.snapshot();
        let request = RouteRequest {
            want,
            kind,
            needs,
            identity,
            chat,
        };
        match routing::decide(&snapshot, &request, &self.settings) {
            Ok(route) => {
                tracing::debug!(target: "switchyard::routing", decision = %route.summary(), "routing decision");
                Ok(Arc::new(route))
            }
            Err(error) => {
                tracing::debug!(target: "switchyard::routing", asked = %want.label(), %error, "no route");
                Err(error)
            }
        }
    }

    /// Call `route`'s candidates in order until one succeeds: `call` builds the call for
    /// a candidate (`None` when its provider lacks the capability, which skips it).
    /// Each call is admitted by the circuits and the concurrency limit, and its outcome
    /// feeds health. Retryable errors move on, up to the route's attempts; other errors
    /// are returned at once.
    pub async fn failover<T, F, Fut>(
        &self,
        route: &Arc<Route>,
        mut call: F,
    ) -> Result<(T, Served), LlmError>
    where
        F: FnMut(Arc<ModelEntry>) -> Option<Fut>,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let mut failures = Vec::new();
        let mut last_error = None;
        let mut calls = 0;
        for candidate in &route.candidates {
            if calls >= route.max_attempts {
                break;
            }
            let entry = route.entry(candidate);
            let Some(future) = call(entry.clone()) else {
                failures.push(skipped(
                    entry,
                    format!("provider offers no {} adapter", route.kind),
                ));
                continue;
            };
            let guard = match self.admit(entry).await {
                Ok(guard) => guard,
                Err(refusal) => {
                    failures.push(skipped(entry, refusal.to_string()));
                    continue;
                }
            };
            calls += 1;
            match future.await {
                Ok(value) => {
                    guard.succeeded();
                    return Ok((value, Served::new(route, entry, calls, failures)));
                }
                Err(error) => {
                    guard.failed(&error);
                    if !error.is_retryable() {
                        return Err(error.into());
                    }
                    failures.push(failed(entry, &error));
                    last_error = Some(error);
                }
            }
        }
        Err(exhausted(route, last_error, &failures))
    }

    /// Admit one call to `entry` (circuits, cooldown, concurrency permit).
    pub async fn admit(&self, entry: &ModelEntry) -> Result<CallGuard, Refusal> {
        let health = self.registry.health_settings();
        let options = AdmitOptions {
            track: self.settings.health,
            queue: self.settings.queue_timeout,
            max_cooldown: health.max_cooldown,
        };
        crate::health::admit(
            &entry.provider.health,
            &entry.health,
            &entry.provider.limiter,
            options,
        )
        .await
    }
}

/// The adapters of an entry's provider, when they could be built.
pub fn adapters(entry: &ModelEntry) -> Option<&Adapters> {
    entry.provider.adapters.as_ref().ok()
}

/// What a provider call needs to know about the model it serves.
pub fn target(entry: &ModelEntry) -> Target<'_> {
    Target {
        model: &entry.model.name,
        upstream_model: &entry.model.upstream_name,
    }
}
