//! The provider registry: an immutable snapshot of providers (with their adapters),
//! models and groups, built from the database and swapped atomically. Readers on the
//! request path never take a lock.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arc_swap::ArcSwap;
use switchyard_providers::{Adapters, HttpClient};
use switchyard_store::{ProviderSecret, Store, StoreError};
use switchyard_types::{Group, Model, ModelKind, Provider, Secret, TaskType};

use crate::secrets::SecretBox;

/// A provider with the adapters built for it (or why none could be built).
pub struct ProviderEntry {
    pub provider: Provider,
    pub adapters: Result<Adapters, String>,
}

/// A model with the provider that serves it.
pub struct ModelEntry {
    pub model: Model,
    pub provider: Arc<ProviderEntry>,
}

impl ModelEntry {
    /// True when both the model and its provider are enabled.
    pub fn is_enabled(&self) -> bool {
        self.model.enabled && self.provider.provider.enabled
    }
}

/// One consistent view of everything routable.
#[derive(Default)]
pub struct Snapshot {
    pub models: Vec<Arc<ModelEntry>>,
    pub groups: HashMap<String, Group>,
    by_name: HashMap<String, Vec<Arc<ModelEntry>>>,
    by_qualified: HashMap<String, Arc<ModelEntry>>,
}

/// What a requested name resolved to.
pub enum Resolved {
    /// The name is a model (served by one or several providers) or `provider/model`.
    Models(Vec<Arc<ModelEntry>>),
    /// The name is a group; members are resolved in priority order.
    Group {
        group: Group,
        members: Vec<Arc<ModelEntry>>,
    },
    /// Nothing is called that.
    Unknown,
}

impl Snapshot {
    /// Build a snapshot from providers (with their adapters), models and groups.
    pub fn build(providers: Vec<ProviderEntry>, models: Vec<Model>, groups: Vec<Group>) -> Self {
        let providers: HashMap<String, Arc<ProviderEntry>> = providers
            .into_iter()
            .map(|p| (p.provider.id.clone(), Arc::new(p)))
            .collect();
        let mut snapshot = Snapshot::default();
        for model in models {
            let Some(provider) = providers.get(&model.provider_id) else {
                continue;
            };
            let entry = Arc::new(ModelEntry {
                model,
                provider: provider.clone(),
            });
            snapshot
                .by_name
                .entry(entry.model.name.clone())
                .or_default()
                .push(entry.clone());
            snapshot
                .by_qualified
                .insert(entry.model.qualified_name(), entry.clone());
            snapshot.models.push(entry);
        }
        snapshot.groups = groups.into_iter().map(|g| (g.name.clone(), g)).collect();
        snapshot
    }

    /// Resolve a client's model string: `provider/model`, a model name, or a group.
    pub fn resolve(&self, name: &str) -> Resolved {
        if let Some(group) = self.groups.get(name) {
            let mut members = group.members.clone();
            members.sort_by_key(|m| m.priority);
            let entries = members
                .iter()
                .flat_map(|m| self.models_named(&m.model))
                .collect();
            return Resolved::Group {
                group: group.clone(),
                members: entries,
            };
        }
        let found = self.models_named(name);
        if found.is_empty() {
            Resolved::Unknown
        } else {
            Resolved::Models(found)
        }
    }

    /// Every entry a model name or `provider/model` names (no groups).
    pub fn models_named(&self, name: &str) -> Vec<Arc<ModelEntry>> {
        if let Some(entry) = self.by_qualified.get(name) {
            return vec![entry.clone()];
        }
        self.by_name.get(name).cloned().unwrap_or_default()
    }

    /// Enabled models that declare `task` and can produce `kind`, cheapest adequate
    /// first: free-tier providers, then better quality tiers, then lower prices.
    pub fn models_for_task(&self, task: TaskType, kind: ModelKind) -> Vec<Arc<ModelEntry>> {
        let mut found: Vec<_> = self
            .models_of_kind(Some(kind))
            .filter(|e| e.model.task_types.contains(&task))
            .cloned()
            .collect();
        found.sort_by(|a, b| {
            let price = |e: &ModelEntry| {
                e.model.pricing.input_cost_per_mtok + e.model.pricing.output_cost_per_mtok
            };
            b.provider
                .provider
                .free_tier
                .cmp(&a.provider.provider.free_tier)
                .then(a.model.quality_tier.cmp(&b.model.quality_tier))
                .then(price(a).total_cmp(&price(b)))
        });
        found
    }

    /// Enabled models of a kind, for listings such as GET /v1/models.
    pub fn models_of_kind(
        &self,
        kind: Option<ModelKind>,
    ) -> impl Iterator<Item = &Arc<ModelEntry>> {
        self.models
            .iter()
            .filter(move |e| e.is_enabled() && kind.is_none_or(|k| e.model.kinds.contains(&k)))
    }
}

/// Holds the current snapshot; rebuilt after admin changes and periodically.
pub struct Registry {
    current: ArcSwap<Snapshot>,
    loaded: AtomicBool,
    http: HttpClient,
}

impl Registry {
    /// An empty registry whose adapters share `http`; `ready()` is false until the
    /// first successful load.
    pub fn new(http: HttpClient) -> Self {
        Self {
            current: ArcSwap::from_pointee(Snapshot::default()),
            loaded: AtomicBool::new(false),
            http,
        }
    }

    /// The current snapshot (a cheap pointer copy, no lock).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Whether a snapshot has been loaded from the database at least once.
    pub fn ready(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    /// Rebuild the snapshot from the database and swap it in.
    pub async fn reload(&self, store: &Store, secrets: &SecretBox) -> Result<(), StoreError> {
        let providers = store.providers().list_all().await?;
        let mut entries = Vec::with_capacity(providers.len());
        for provider in providers {
            let adapters = match api_key_of(store, secrets, &provider).await? {
                Ok(key) => switchyard_providers::build(&provider, key, &self.http)
                    .map_err(|e| e.to_string()),
                Err(message) => Err(message),
            };
            if let Err(message) = &adapters {
                tracing::warn!(provider = %provider.name, %message, "provider unavailable");
            }
            entries.push(ProviderEntry { provider, adapters });
        }
        let models = store.models().list_all().await?;
        let groups = store.groups().list_all().await?;
        self.current
            .store(Arc::new(Snapshot::build(entries, models, groups)));
        self.loaded.store(true, Ordering::Release);
        Ok(())
    }
}

/// The provider's API key in clear (memory only), or why it cannot be had.
async fn api_key_of(
    store: &Store,
    secrets: &SecretBox,
    provider: &Provider,
) -> Result<Result<Option<Secret<String>>, String>, StoreError> {
    Ok(match store.providers().secret(&provider.id).await? {
        None => Ok(None),
        Some(ProviderSecret::Env(var)) => match std::env::var(&var) {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(_) => Err(format!(
                "environment variable `{var}` for its API key is not set"
            )),
        },
        Some(ProviderSecret::Encrypted(sealed)) => secrets
            .open(&sealed)
            .map(Some)
            .map_err(|e| format!("stored API key cannot be decrypted: {e}")),
    })
}
