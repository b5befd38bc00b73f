//! Durable media tasks (images on request, videos always): the [`TaskManager`] persists
//! submissions (idempotently), an executor drives each unfinished task in exactly one
//! gateway process at a time through a renewed lease, provider-side jobs are polled with
//! backoff until a terminal state or the deadline, and every persisted change is pushed
//! as an event on the [`Bus`] (for SSE on any replica) and as a signed webhook.
//!
//! Rules: a state change is written before it is announced; every write of a driver is
//! conditional on holding the lease of an unfinished task; the provider's job id is
//! written before anything else after submission, so a restarted or other gateway
//! resumes polling that job instead of submitting again; whoever performs the terminal
//! transition (driver or canceller) writes the one usage record and the terminal event.

mod events;
mod executor;
mod manager;
mod poller;
mod recovery;
mod request;
pub mod webhooks;
mod writes;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use switchyard_store::{Bus, Store, StoreError};
use switchyard_types::{Secret, TaskStatus};
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::llm::{LlmError, LlmService};
use crate::media::{MediaError, MediaService};
use crate::registry::Registry;
use crate::usage::UsageSink;

pub use events::{TASKS_TOPIC, TaskEvent, TaskView, follow};
pub use manager::{Submission, Submitted};
pub use request::MediaRequest;

/// Seconds of video assumed for pricing when a request names no duration.
pub const DEFAULT_VIDEO_SECONDS: u32 = 5;

/// How the task system behaves; fixed at start-up.
#[derive(Debug, Clone)]
pub struct TaskSettings {
    /// How long a claimed task stays ours without renewal (renewed every third of it).
    pub lease: Duration,
    /// How often to look for claimable tasks (also woken at once by local submissions).
    pub claim_interval: Duration,
    /// Tasks driven at once by this process.
    pub max_concurrency: usize,
    /// Tasks polling one provider at once; `None`: the provider's `max_concurrency`.
    pub max_per_provider: Option<usize>,
    /// First wait between polls of a provider job; grows by half each poll.
    pub poll_initial: Duration,
    /// Longest wait between polls.
    pub poll_max: Duration,
    /// A task not finished this long after submission fails.
    pub deadline: Duration,
    /// Key of the `x-switchyard-signature` HMAC over webhook bodies.
    pub webhook_secret: Secret<String>,
    /// Deliveries of one webhook event before giving up.
    pub webhook_max_attempts: u32,
    /// Timeout of one webhook delivery.
    pub webhook_timeout: Duration,
}

impl TaskSettings {
    /// Defaults, signing webhooks with `webhook_secret`.
    pub fn new(webhook_secret: Secret<String>) -> Self {
        Self {
            lease: Duration::from_secs(30),
            claim_interval: Duration::from_secs(1),
            max_concurrency: 64,
            max_per_provider: None,
            poll_initial: Duration::from_secs(1),
            poll_max: Duration::from_secs(15),
            deadline: Duration::from_secs(3600),
            webhook_secret,
            webhook_max_attempts: 6,
            webhook_timeout: Duration::from_secs(10),
        }
    }
}

/// A duration in whole milliseconds, for the `i64` timestamps of tasks and leases.
pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Why a task operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// No such task, or not the caller's (the same answer, so existence never leaks).
    #[error("task `{id}` not found")]
    NotFound { id: String },
    /// The task already reached a terminal state.
    #[error("task `{id}` already finished ({status})")]
    Finished { id: String, status: TaskStatus },
    /// The idempotency key was used before for a different request.
    #[error("idempotency key `{key}` was already used for a different request; use a new key")]
    IdempotencyMismatch { key: String },
    /// A request field is unusable.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// A quota or budget cannot cover the task's estimated cost.
    #[error("{}", refusal.message)]
    Refused {
        refusal: Box<crate::governance::Refusal>,
    },
    #[error(transparent)]
    Llm(#[from] LlmError),
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the task system is built from.
pub struct TaskDeps {
    pub store: Store,
    pub bus: Bus,
    pub registry: Arc<Registry>,
    pub llm: Arc<LlmService>,
    pub media: MediaService,
    pub usage: UsageSink,
    pub http: switchyard_providers::HttpClient,
    /// This process's id: the owner name of its leases.
    pub owner: String,
    /// Reserves a task's estimated cost at submission and settles it at the end.
    pub governor: Arc<crate::governance::Governor>,
}

/// Submit, read, list and cancel tasks; runs the executor once started. Cheap to clone.
#[derive(Clone)]
pub struct TaskManager {
    shared: Arc<Shared>,
}

/// State shared by the manager, the executor and its drivers.
pub(crate) struct Shared {
    pub store: Store,
    pub bus: Bus,
    pub registry: Arc<Registry>,
    pub llm: Arc<LlmService>,
    pub media: MediaService,
    pub usage: UsageSink,
    pub governor: Arc<crate::governance::Governor>,
    pub owner: String,
    pub settings: TaskSettings,
    pub webhooks: webhooks::Webhooks,
    /// Tracks the executor, drivers, webhook deliveries and background cancels.
    pub tracker: TaskTracker,
    /// Fires when the gateway shuts down.
    pub stop: CancellationToken,
    /// Wakes the executor (a local submission, a finished driver).
    pub wake: Notify,
    /// Tasks this process drives, each with the token that stops its driver.
    pub driving: Mutex<HashMap<String, CancellationToken>>,
    /// Bounds the tasks this process drives at once.
    pub global: Arc<Semaphore>,
    /// Bounds the tasks polling each provider at once, by provider name.
    pub per_provider: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl TaskManager {
    /// A manager over `deps`; nothing runs until [`TaskManager::start`].
    pub fn new(deps: TaskDeps, settings: TaskSettings) -> Self {
        let tracker = TaskTracker::new();
        let stop = CancellationToken::new();
        let webhooks = webhooks::Webhooks::new(deps.http, &settings, tracker.clone(), stop.clone());
        Self {
            shared: Arc::new(Shared {
                global: Arc::new(Semaphore::new(settings.max_concurrency.max(1))),
                store: deps.store,
                bus: deps.bus,
                registry: deps.registry,
                llm: deps.llm,
                media: deps.media,
                usage: deps.usage,
                governor: deps.governor,
                owner: deps.owner,
                settings,
                webhooks,
                tracker,
                stop,
                wake: Notify::new(),
                driving: Mutex::default(),
                per_provider: Mutex::default(),
            }),
        }
    }

    /// Start the executor: resume unfinished tasks now and claim new ones from here on,
    /// until `shutdown` fires.
    pub fn start(&self, shutdown: CancellationToken) {
        let shared = self.shared.clone();
        let stop = shared.stop.clone();
        self.shared.tracker.spawn(async move {
            shutdown.cancelled().await;
            stop.cancel();
        });
        self.shared
            .tracker
            .spawn(executor::run(self.shared.clone()));
    }

    /// After shutdown began: wait until every driver stopped and released its lease and
    /// pending webhook deliveries gave up.
    pub async fn stopped(&self) {
        self.shared.stop.cancel();
        self.shared.tracker.close();
        self.shared.tracker.wait().await;
        recovery::release_all(&self.shared).await;
    }

    /// The media service tasks store their byte results with.
    pub fn media(&self) -> &MediaService {
        &self.shared.media
    }

    /// The bus events are published on.
    pub fn bus(&self) -> &Bus {
        &self.shared.bus
    }
}
