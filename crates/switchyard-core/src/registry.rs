//! The provider registry: an immutable snapshot of providers (with their adapters,
//! probes, health and concurrency limits), models and groups (with their selectors),
//! built from the database and swapped atomically. Readers on the request path never
//! take a lock. State that lives across requests — health, in-flight counts, a group's
//! round-robin position — is carried into the next snapshot for what did not change.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arc_swap::ArcSwap;
use switchyard_providers::HttpClient;
use switchyard_providers::probe::prober;
use switchyard_store::{ProviderSecret, Store, StoreError};
use switchyard_types::{Group, Model, ModelKind, Provider, Secret, TaskType};

use crate::facts::{Card, Floor, Selector};
use crate::secrets::SecretBox;
use crate::vitals::{HealthSettings, ModelHealth, ProviderHealth};

mod entries;

pub use entries::{GroupRoute, Member, ModelEntry, ProviderEntry};

/// One consistent view of everything routable.
#[derive(Default)]
pub struct Snapshot {
    pub models: Vec<Arc<ModelEntry>>,
    pub groups: HashMap<String, Group>,
    pub providers: Vec<Arc<ProviderEntry>>,
    /// Routing facts of `models[i]` at `cards[i]`.
    cards: Vec<Card>,
    floor: Floor,
    routes: HashMap<String, Arc<GroupRoute>>,
    // Indices into `models`.
    by_name: HashMap<String, Vec<u32>>,
    by_qualified: HashMap<String, u32>,
    by_task: HashMap<(TaskType, ModelKind), Vec<u32>>,
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
    /// Build a snapshot from providers (with their adapters), models and groups,
    /// keeping the health and selector state of `previous` for what is unchanged.
    pub fn build(
        previous: Option<&Snapshot>,
        settings: &HealthSettings,
        providers: Vec<ProviderEntry>,
        models: Vec<Model>,
        groups: Vec<Group>,
    ) -> Self {
        let empty = Snapshot::default();
        let previous = previous.unwrap_or(&empty);
        let old_providers: HashMap<&str, &Arc<ProviderEntry>> = previous
            .providers
            .iter()
            .map(|p| (p.provider.id.as_str(), p))
            .collect();
        let old_models: HashMap<&str, &Arc<ModelEntry>> = previous
            .models
            .iter()
            .map(|m| (m.model.id.as_str(), m))
            .collect();

        let mut snapshot = Snapshot::default();
        let mut by_id = HashMap::new();
        for mut entry in providers {
            match old_providers.get(entry.provider.id.as_str()) {
                Some(old) => {
                    entry.health = old.health.clone();
                    if old.provider.max_concurrency == entry.provider.max_concurrency {
                        entry.limiter = old.limiter.clone();
                    }
                }
                None => entry.health = Arc::new(ProviderHealth::new(settings)),
            }
            let entry = Arc::new(entry);
            by_id.insert(entry.provider.id.clone(), entry.clone());
            snapshot.providers.push(entry);
        }
        let mut entries = Vec::with_capacity(models.len());
        for model in models {
            let Some(provider) = by_id.get(&model.provider_id) else {
                continue;
            };
            let health = old_models
                .get(model.id.as_str())
                .map(|old| old.health.clone())
                .unwrap_or_else(|| Arc::new(ModelHealth::new(settings)));
            entries.push(ModelEntry {
                model,
                provider: provider.clone(),
                health,
            });
        }
        // Rank every model in cost order, so cost routing compares two integers.
        let mut order: Vec<usize> = (0..entries.len()).collect();
        order.sort_by(|a, b| ModelEntry::cost_order(&entries[*a], &entries[*b]));
        let mut ranks = vec![0u32; entries.len()];
        for (rank, i) in order.into_iter().enumerate() {
            ranks[i] = u32::try_from(rank).unwrap_or(u32::MAX);
        }
        for (entry, rank) in entries.into_iter().zip(ranks) {
            snapshot.cards.push(Card::new(
                &entry.model,
                entry.is_enabled(),
                entry.provider.adapters.is_err(),
                rank,
            ));
            let index = u32::try_from(snapshot.models.len()).unwrap_or(u32::MAX);
            snapshot
                .by_name
                .entry(entry.model.name.clone())
                .or_default()
                .push(index);
            snapshot
                .by_qualified
                .insert(entry.model.qualified_name(), index);
            if entry.is_enabled() {
                for task in &entry.model.task_types {
                    for kind in &entry.model.kinds {
                        snapshot
                            .by_task
                            .entry((*task, *kind))
                            .or_default()
                            .push(index);
                    }
                }
            }
            snapshot.models.push(Arc::new(entry));
        }
        snapshot.floor = Floor::of(&snapshot.cards);
        for list in snapshot.by_task.values_mut() {
            list.sort_by_key(|i| snapshot.cards[*i as usize].cost_rank);
        }
        for group in groups {
            let route = snapshot.group_route(group, previous);
            snapshot
                .groups
                .insert(route.group.name.clone(), route.group.clone());
            snapshot
                .routes
                .insert(route.group.name.clone(), Arc::new(route));
        }
        snapshot
    }

    fn group_route(&self, group: Group, previous: &Snapshot) -> GroupRoute {
        let mut declared = group.members.clone();
        declared.sort_by_key(|m| m.priority);
        let members: Vec<Member> = declared
            .iter()
            .flat_map(|m| {
                self.indices_named(&m.model).iter().map(|index| Member {
                    entry: self.models[*index as usize].clone(),
                    index: *index,
                    weight: m.weight.max(1),
                    priority: m.priority,
                })
            })
            .collect();
        let selector = match previous.routes.get(&group.name) {
            Some(old) if old.same_shape(group.strategy, &members) => old.selector.clone(),
            _ => Arc::new(Selector::new(group.strategy, members.len())),
        };
        GroupRoute {
            group,
            members,
            selector,
        }
    }

    /// The routable form of a group.
    pub fn route(&self, name: &str) -> Option<&Arc<GroupRoute>> {
        self.routes.get(name)
    }

    /// Resolve a client's model string: `provider/model`, a model name, or a group.
    pub fn resolve(&self, name: &str) -> Resolved {
        if let Some(route) = self.routes.get(name) {
            return Resolved::Group {
                group: route.group.clone(),
                members: route.members.iter().map(|m| m.entry.clone()).collect(),
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
        self.entries(self.indices_named(name))
    }

    /// Indices into [`Snapshot::models`] of what [`Snapshot::models_named`] names.
    pub fn indices_named(&self, name: &str) -> &[u32] {
        if let Some(index) = self.by_qualified.get(name) {
            return std::slice::from_ref(index);
        }
        self.by_name
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Enabled models that declare `task` and can produce `kind`, cheapest adequate
    /// first: free-tier providers, then better quality tiers, then lower prices.
    pub fn models_for_task(&self, task: TaskType, kind: ModelKind) -> Vec<Arc<ModelEntry>> {
        self.entries(self.indices_for_task(task, kind))
    }

    /// Indices into [`Snapshot::models`] of what [`Snapshot::models_for_task`] finds.
    pub fn indices_for_task(&self, task: TaskType, kind: ModelKind) -> &[u32] {
        self.by_task
            .get(&(task, kind))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The entry at `index` of [`Snapshot::models`].
    pub fn entry(&self, index: u32) -> Option<&Arc<ModelEntry>> {
        self.models.get(index as usize)
    }

    /// The entry at an index taken from this snapshot (routing candidates, members).
    pub fn at(&self, index: u32) -> &Arc<ModelEntry> {
        &self.models[index as usize]
    }

    /// The routing facts of the entry at an index taken from this snapshot.
    pub fn card(&self, index: u32) -> &Card {
        &self.cards[index as usize]
    }

    /// What all models have in common (lets filters skip a pass that removes nothing).
    pub fn floor(&self) -> &Floor {
        &self.floor
    }

    fn entries(&self, indices: &[u32]) -> Vec<Arc<ModelEntry>> {
        indices
            .iter()
            .filter_map(|i| self.entry(*i).cloned())
            .collect()
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
    settings: HealthSettings,
}

impl Registry {
    /// An empty registry whose adapters share `http`, with default health settings;
    /// `ready()` is false until the first successful load.
    pub fn new(http: HttpClient) -> Self {
        Self::with_settings(http, HealthSettings::default())
    }

    /// [`Registry::new`] with explicit health settings.
    pub fn with_settings(http: HttpClient, settings: HealthSettings) -> Self {
        Self {
            current: ArcSwap::from_pointee(Snapshot::default()),
            loaded: AtomicBool::new(false),
            http,
            settings,
        }
    }

    /// How health is learned and used.
    pub fn health_settings(&self) -> &HealthSettings {
        &self.settings
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
            let (adapters, probe) = match api_key_of(store, secrets, &provider).await? {
                Ok(key) => {
                    let probe = prober(&provider, key.as_ref(), &self.http);
                    let adapters = switchyard_providers::build(&provider, key, &self.http)
                        .map_err(|e| e.to_string());
                    (adapters, probe)
                }
                Err(message) => (Err(message), None),
            };
            if let Err(message) = &adapters {
                tracing::warn!(provider = %provider.name, %message, "provider unavailable");
            }
            let mut entry = ProviderEntry::new(provider, adapters);
            entry.probe = probe;
            entries.push(entry);
        }
        let models = store.models().list_all().await?;
        let groups = store.groups().list_all().await?;
        let previous = self.current.load();
        let next = Snapshot::build(Some(&previous), &self.settings, entries, models, groups);
        self.current.store(Arc::new(next));
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

#[cfg(test)]
mod tests;
