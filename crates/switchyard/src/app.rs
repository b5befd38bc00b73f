//! The running gateway's shared state, built once at start-up and cloned into handlers.

use std::sync::Arc;

use switchyard_core::auth::Authenticator;
use switchyard_core::gateway::{Gateway, GatewaySettings};
use switchyard_core::governance::{AlertSettings, Governor};
use switchyard_core::jwt::JwtIssuer;
use switchyard_core::llm::LlmService;
use switchyard_core::media::MediaService;
use switchyard_core::registry::Registry;
use switchyard_core::secrets::SecretBox;
use switchyard_core::tasks::{TaskDeps, TaskManager};
use switchyard_core::usage::UsageSink;
use switchyard_providers::HttpClient;
use switchyard_store::{Bus, Counters, Store};
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::telemetry::{PromptLog, Redactor};

/// Everything a request handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The parts of [`AppState`].
pub struct Inner {
    pub config: Arc<Config>,
    pub store: Store,
    pub registry: Arc<Registry>,
    pub auth: Authenticator,
    pub llm: Arc<LlmService>,
    /// The request pipeline every AI route calls (ARCHITECTURE.md).
    pub gateway: Arc<Gateway>,
    pub secrets: SecretBox,
    pub usage: UsageSink,
    /// Pub/sub across replicas (in-process without Redis).
    pub bus: Bus,
    /// This process's id, so it can ignore its own bus messages.
    pub instance_id: String,
    /// Rate limits, quotas and budgets.
    pub governor: Arc<Governor>,
    /// Issues and verifies JWT access and refresh tokens.
    pub jwt: JwtIssuer,
    /// Durable image and video tasks (started by `serve`).
    pub tasks: TaskManager,
    /// Stored media files (byte results), served to their owners.
    pub media: MediaService,
}

/// Bus topic announcing that quotas changed.
pub const QUOTAS_TOPIC: &str = "quotas.changed";

/// Bus topic announcing that providers, models or groups changed.
pub const REGISTRY_TOPIC: &str = "registry.changed";

/// State that outlives a request and may be shared with other replicas: the usage
/// queue, the message bus and the rate/quota counters.
pub struct Shared {
    pub usage: UsageSink,
    pub bus: Bus,
    pub counters: Counters,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Wire the services over an opened store.
    pub fn new(
        config: Arc<Config>,
        store: Store,
        secrets: SecretBox,
        http: HttpClient,
        shared: Shared,
        tracker: &TaskTracker,
    ) -> Self {
        let Shared {
            usage,
            bus,
            counters,
        } = shared;
        let registry = Arc::new(Registry::with_settings(
            http.clone(),
            config.health.settings(),
        ));
        let routing = config.routing.settings(&config.health);
        let task_http = http.clone();
        let governance = &config.governance;
        let governor = Arc::new(Governor::new(
            counters,
            store.clone(),
            registry.clone(),
            AlertSettings {
                thresholds: governance.alert_thresholds.clone(),
                webhook_url: governance.alert_webhook_url.clone(),
            },
            http,
            tracker.clone(),
        ));
        let jwt = JwtIssuer::new(
            &secrets.master().derive(switchyard_core::jwt::signing_key),
            &governance.token_audience,
            governance.access_token_ttl_s,
            governance.refresh_token_ttl_s,
        );
        let instance_id = uuid::Uuid::now_v7().to_string();
        let llm = Arc::new(LlmService::with_settings(registry.clone(), routing));
        let media = MediaService::new(store.clone(), crate::media::media_dir(&config));
        let mut gateway = Gateway::new(
            llm.clone(),
            governor.clone(),
            usage.clone(),
            media.clone(),
            GatewaySettings {
                request_timeout: Some(config.server.request_timeout()),
            },
        );
        if config.log.log_prompts {
            let redactor = Redactor::new(&config.log.redact_patterns);
            gateway = gateway.with_observer(Arc::new(PromptLog::new(redactor)));
        }
        let tasks = TaskManager::new(
            TaskDeps {
                store: store.clone(),
                bus: bus.clone(),
                registry: registry.clone(),
                llm: llm.clone(),
                media: media.clone(),
                usage: usage.clone(),
                http: task_http,
                owner: instance_id.clone(),
                governor: governor.clone(),
            },
            config
                .tasks
                .settings(crate::media::webhook_secret(&config, &secrets)),
        );
        Self(Arc::new(Inner {
            tasks,
            media,
            governor,
            gateway: Arc::new(gateway),
            jwt,
            config,
            auth: Authenticator::new(store.clone(), tracker.clone()),
            llm,
            registry,
            store,
            secrets,
            usage,
            bus,
            instance_id,
        }))
    }

    /// Rebuild the registry after a change to providers, models or groups, here at once
    /// and on every other replica through the bus.
    pub async fn registry_changed(&self) -> Result<(), switchyard_store::StoreError> {
        self.reload_registry().await?;
        if let Err(error) = self.bus.publish(REGISTRY_TOPIC, &self.instance_id).await {
            // Other replicas still catch up on their periodic refresh.
            tracing::warn!(%error, "cannot announce a registry change");
        }
        Ok(())
    }

    /// Re-read quotas after a change, here and on every replica.
    pub async fn quotas_changed(&self) -> Result<(), switchyard_store::StoreError> {
        self.governor.reload_quotas().await?;
        if let Err(error) = self.bus.publish(QUOTAS_TOPIC, &self.instance_id).await {
            tracing::warn!(%error, "cannot announce a quota change");
        }
        Ok(())
    }

    /// Rebuild this process's registry from the database.
    pub async fn reload_registry(&self) -> Result<(), switchyard_store::StoreError> {
        self.registry.reload(&self.store, &self.secrets).await
    }
}
