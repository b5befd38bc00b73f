//! The running gateway's shared state, built once at start-up and cloned into handlers.

use std::sync::Arc;

use switchyard_core::auth::Authenticator;
use switchyard_core::llm::LlmService;
use switchyard_core::registry::Registry;
use switchyard_core::secrets::SecretBox;
use switchyard_core::usage::UsageSink;
use switchyard_providers::HttpClient;
use switchyard_store::{Bus, Store};

use crate::config::Config;

/// Everything a request handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The parts of [`AppState`].
pub struct Inner {
    pub config: Arc<Config>,
    pub store: Store,
    pub registry: Arc<Registry>,
    pub auth: Authenticator,
    pub llm: LlmService,
    pub secrets: SecretBox,
    pub usage: UsageSink,
    /// Pub/sub across replicas (in-process without Redis).
    pub bus: Bus,
    /// This process's id, so it can ignore its own bus messages.
    pub instance_id: String,
}

/// Bus topic announcing that providers, models or groups changed.
pub const REGISTRY_TOPIC: &str = "registry.changed";

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
        usage: UsageSink,
        bus: Bus,
    ) -> Self {
        let registry = Arc::new(Registry::new(http));
        Self(Arc::new(Inner {
            config,
            auth: Authenticator::new(store.clone()),
            llm: LlmService::new(registry.clone()),
            registry,
            store,
            secrets,
            usage,
            bus,
            instance_id: uuid::Uuid::new_v4().to_string(),
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

    /// Rebuild this process's registry from the database.
    pub async fn reload_registry(&self) -> Result<(), switchyard_store::StoreError> {
        self.registry.reload(&self.store, &self.secrets).await
    }
}
