//! The running gateway's shared state, built once at start-up and cloned into handlers.

use std::sync::Arc;

use switchyard_core::auth::Authenticator;
use switchyard_core::llm::LlmService;
use switchyard_core::registry::Registry;
use switchyard_core::secrets::SecretBox;
use switchyard_core::usage::UsageSink;
use switchyard_providers::HttpClient;
use switchyard_store::Store;

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
        usage: UsageSink,
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
        }))
    }

    /// Rebuild the registry after a change to providers, models or groups.
    pub async fn registry_changed(&self) -> Result<(), switchyard_store::StoreError> {
        self.registry.reload(&self.store, &self.secrets).await
    }
}
