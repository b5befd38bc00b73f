//! The request pipeline, once for every client surface (ARCHITECTURE.md, "The request
//! pipeline"): a handler decodes its client's format into a canonical request and makes
//! one call here; the gateway starts the request's meter, reserves its estimated usage
//! against the caller's quotas, routes it and fails over between candidates (through
//! [`LlmService`]), bounds it by `server.request_timeout_ms`, and settles usage, cost and
//! quotas when it ends — also when it fails or the client goes away. The handler then
//! encodes the answer. Observers ([`Observer`]) see every call: the place for prompt
//! logging, metrics and caching.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use switchyard_providers::{EventStream, tokens};
use switchyard_types::chat::{ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse};
use switchyard_types::media::{ImageRequest, ImageResponse};
use switchyard_types::{Identity, ModelKind};

use crate::error::LlmError;
use crate::governance::Governor;
use crate::llm::{LlmService, Served, Want};
use crate::media::MediaService;
pub use crate::meter::Observer;
use crate::meter::{Meter, metered};
use crate::routing::Route;
use crate::usage::UsageSink;

/// Who makes a call and how it is recorded.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub identity: &'a Identity,
    /// The request id (`x-request-id`), kept in the usage record.
    pub request_id: &'a str,
    /// The usage record's endpoint label, e.g. `chat.completions`.
    pub endpoint: &'static str,
}

/// A served answer and who served it.
#[derive(Debug)]
pub struct Answer<T> {
    pub value: T,
    pub served: Served,
}

/// An opened stream (its first event already in hand), metered to its end.
pub struct Streamed {
    pub events: EventStream,
    pub served: Served,
}

/// The observer that does nothing.
struct Silent;
impl Observer for Silent {}

/// Settings of the pipeline.
#[derive(Debug, Clone, Default)]
pub struct GatewaySettings {
    /// The longest a call may take to be answered (for a stream: to its first event).
    pub request_timeout: Option<Duration>,
}

/// The request pipeline; cheap to share behind an `Arc`.
pub struct Gateway {
    llm: Arc<LlmService>,
    governor: Arc<Governor>,
    usage: UsageSink,
    media: MediaService,
    settings: GatewaySettings,
    observer: Arc<dyn Observer>,
}

/// What the client asked for, counted before the call (for the quota reservation).
struct Estimate {
    input_tokens: u64,
    max_output: Option<u32>,
    /// Cost known up front (media priced per image), if any.
    usd: Option<f64>,
}

impl Estimate {
    /// A chat request's prompt (a quick upper bound) and requested output.
    fn chat(request: &ChatRequest) -> Self {
        Self {
            input_tokens: tokens::quick_upper_bound(request),
            max_output: request.max_output_tokens,
            usd: None,
        }
    }
}

impl Gateway {
    /// A pipeline over the given services.
    pub fn new(
        llm: Arc<LlmService>,
        governor: Arc<Governor>,
        usage: UsageSink,
        media: MediaService,
        settings: GatewaySettings,
    ) -> Self {
        Self {
            llm,
            governor,
            usage,
            media,
            settings,
            observer: Arc::new(Silent),
        }
    }

    /// Let `observer` see every call.
    #[must_use]
    pub fn with_observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = observer;
        self
    }

    /// One chat completion.
    pub async fn chat(
        &self,
        call: Call<'_>,
        want: Want<'_>,
        request: &ChatRequest,
    ) -> Result<Answer<ChatResponse>, LlmError> {
        self.observer.chat_request(call.endpoint, request);
        let route = self.llm.route_chat(want, request, false, call.identity);
        let (response, served, mut meter) = self
            .run(
                &call,
                want,
                route,
                Estimate::chat(request),
                |route| async move { self.llm.chat_on(&route, request).await },
            )
            .await?;
        meter.usage(&response.usage);
        meter.first_token();
        meter.finish(200, None);
        Ok(Answer {
            value: response,
            served,
        })
    }

    /// A streamed chat completion: the stream is returned once its first event is in
    /// hand (failover happens before that), metered until it ends or is dropped.
    pub async fn chat_stream(
        &self,
        call: Call<'_>,
        want: Want<'_>,
        request: &ChatRequest,
    ) -> Result<Streamed, LlmError> {
        self.observer.chat_request(call.endpoint, request);
        let route = self.llm.route_chat(want, request, true, call.identity);
        let (events, served, meter) = self
            .run(
                &call,
                want,
                route,
                Estimate::chat(request),
                |route| async move { self.llm.stream_on(&route, request).await },
            )
            .await?;
        Ok(Streamed {
            events: metered(events, meter),
            served,
        })
    }

    /// Embeddings for every input.
    pub async fn embed(
        &self,
        call: Call<'_>,
        want: Want<'_>,
        request: &EmbeddingRequest,
    ) -> Result<Answer<EmbeddingResponse>, LlmError> {
        let estimate = Estimate {
            input_tokens: request.input.iter().map(|t| tokens::estimate(t)).sum(),
            max_output: None,
            usd: None,
        };
        let route = self
            .llm
            .route_kind(want, ModelKind::Embedding, call.identity);
        let (response, served, mut meter) = self
            .run(&call, want, route, estimate, |route| async move {
                self.llm.embed_on(&route, request).await
            })
            .await?;
        meter.usage(&response.usage);
        meter.finish(200, None);
        Ok(Answer {
            value: response,
            served,
        })
    }

    /// Generated images, priced per image. With `keep_for` (the owner's user id),
    /// images returned as bytes are stored and replaced by gateway URLs.
    pub async fn images(
        &self,
        call: Call<'_>,
        request: &ImageRequest,
        keep_for: Option<&str>,
    ) -> Result<Answer<ImageResponse>, LlmError> {
        let want = Want::Model(&request.model);
        let route = self.llm.route_kind(want, ModelKind::Image, call.identity);
        // The first candidate's price per image is the reservation; a route none of
        // whose providers can draw is refused before anything is reserved.
        let usd = match route.as_ref().map(LlmService::first_offer) {
            Ok(Ok(first)) if !first.free_tier => {
                first.pricing.cost_per_image.unwrap_or(0.0) * f64::from(request.n)
            }
            Ok(Err(error)) => {
                self.refused(&call, want, error.status());
                return Err(error);
            }
            _ => 0.0,
        };
        let estimate = Estimate {
            input_tokens: 0,
            max_output: None,
            usd: Some(usd),
        };
        let (mut response, served, mut meter) = self
            .run(&call, want, route, estimate, |route| async move {
                self.llm.images_on(&route, request).await
            })
            .await?;
        if let Some(usage) = &response.usage {
            meter.usage(usage);
        }
        meter.images(response.images.len());
        if let Some(owner) = keep_for
            && let Err(error) = self
                .media
                .keep_images(&mut response, Some(owner), None, false)
                .await
        {
            let error = LlmError::Internal {
                message: error.to_string(),
            };
            return Err(failed(meter, error));
        }
        meter.finish(200, None);
        Ok(Answer {
            value: response,
            served,
        })
    }

    /// The steps every call shares: refuse (and record) what routing could not place,
    /// admit the estimate, make the call within the request timeout, record a failure.
    /// On success the meter is handed back open, knowing who served, for the caller to
    /// add the answer's usage and finish.
    async fn run<T, F, Fut>(
        &self,
        call: &Call<'_>,
        want: Want<'_>,
        route: Result<Arc<Route>, LlmError>,
        estimate: Estimate,
        work: F,
    ) -> Result<(T, Served, Meter), LlmError>
    where
        F: FnOnce(Arc<Route>) -> Fut,
        Fut: Future<Output = Result<(T, Served), LlmError>>,
    {
        let route = route.inspect_err(|error| self.refused(call, want, error.status()))?;
        let mut meter = self.admit(call, want, &estimate).await?;
        match self.bounded(work(route)).await {
            Ok((value, served)) => {
                meter.served(&served);
                Ok((value, served, meter))
            }
            Err(error) => Err(failed(meter, error)),
        }
    }

    /// Record a request refused before admission (bad input that a handler or routing
    /// found) with its HTTP `status`: one usage record, no quota touched, no cost.
    pub fn refused(&self, call: &Call<'_>, want: Want<'_>, status: u16) {
        let meter = Meter::start(
            &self.usage,
            call.request_id,
            call.identity,
            call.endpoint,
            &want.label(),
        );
        meter.finish(status, None);
    }

    /// Start the meter, hold a usage-queue slot, and reserve the estimate against the
    /// caller's quotas. A refusal is recorded (429) and returned.
    async fn admit(
        &self,
        call: &Call<'_>,
        want: Want<'_>,
        estimate: &Estimate,
    ) -> Result<Meter, LlmError> {
        let label = want.label();
        let mut meter = Meter::start(
            &self.usage,
            call.request_id,
            call.identity,
            call.endpoint,
            &label,
        )
        .observed_by(self.observer.clone());
        meter.reserve_slot().await;
        let admitted = match estimate.usd {
            Some(usd) => self.governor.admit_usd(call.identity, &label, usd).await,
            None => {
                self.governor
                    .admit(
                        call.identity,
                        &label,
                        estimate.input_tokens,
                        estimate.max_output,
                    )
                    .await
            }
        };
        match admitted {
            Ok(admission) => {
                meter.hold(admission);
                Ok(meter)
            }
            Err(refusal) => {
                let error = LlmError::from(refusal);
                meter.finish(error.status(), error.kind());
                Err(error)
            }
        }
    }

    /// Run `work` within `server.request_timeout_ms`.
    async fn bounded<T>(
        &self,
        work: impl Future<Output = Result<T, LlmError>>,
    ) -> Result<T, LlmError> {
        match self.settings.request_timeout {
            Some(after) => tokio::time::timeout(after, work)
                .await
                .unwrap_or(Err(LlmError::TimedOut { after })),
            None => work.await,
        }
    }
}

/// Record a failed call on its meter and hand the error back.
fn failed(meter: Meter, error: LlmError) -> LlmError {
    meter.finish(error.status(), error.kind());
    error
}
