//! The registry's entries: a provider with its adapters, probe, health and concurrency
//! limit; a model with its provider and health; a group resolved for routing.

use std::sync::Arc;

use switchyard_providers::Adapters;
use switchyard_providers::probe::Probe;
use switchyard_types::{Group, GroupStrategy, Model, Provider};
use tokio::sync::Semaphore;

use crate::facts::Selector;
use crate::vitals::{HealthSettings, ModelHealth, ProviderHealth};

/// A provider with the adapters built for it (or why none could be built).
pub struct ProviderEntry {
    pub provider: Provider,
    pub adapters: Result<Adapters, String>,
    /// The free health check, for kinds that have one.
    pub probe: Option<Arc<dyn Probe>>,
    /// Learned health; carried across snapshots.
    pub health: Arc<ProviderHealth>,
    /// `max_concurrency` permits; carried across snapshots while the limit is unchanged.
    pub limiter: Arc<Semaphore>,
}

impl ProviderEntry {
    /// An entry with fresh health and a limiter of the provider's `max_concurrency`.
    pub fn new(provider: Provider, adapters: Result<Adapters, String>) -> Self {
        let limiter = Arc::new(Semaphore::new(provider.max_concurrency.max(1) as usize));
        Self {
            provider,
            adapters,
            probe: None,
            health: Arc::new(ProviderHealth::new(&HealthSettings::default())),
            limiter,
        }
    }
}

/// A model with the provider that serves it.
pub struct ModelEntry {
    pub model: Model,
    pub provider: Arc<ProviderEntry>,
    /// Learned health of this model at this provider; carried across snapshots.
    pub health: Arc<ModelHealth>,
}

impl ModelEntry {
    /// True when both the model and its provider are enabled.
    pub fn is_enabled(&self) -> bool {
        self.model.enabled && self.provider.provider.enabled
    }

    /// The cost-routing order: free-tier providers, then better quality tiers, then
    /// lower prices.
    pub fn cost_order(a: &ModelEntry, b: &ModelEntry) -> std::cmp::Ordering {
        let price = |e: &ModelEntry| {
            e.model.pricing.input_cost_per_mtok + e.model.pricing.output_cost_per_mtok
        };
        b.provider
            .provider
            .free_tier
            .cmp(&a.provider.provider.free_tier)
            .then(a.model.quality_tier.cmp(&b.model.quality_tier))
            .then(price(a).total_cmp(&price(b)))
    }
}

/// One member of a group, resolved to a model entry.
#[derive(Clone)]
pub struct Member {
    pub entry: Arc<ModelEntry>,
    /// The entry's index in [`Snapshot::models`].
    pub index: u32,
    pub weight: u32,
    pub priority: i32,
}

/// A group ready to route: its members resolved and sorted by priority, and the
/// selector whose state (counters, weights) lives across requests.
pub struct GroupRoute {
    pub group: Group,
    pub members: Vec<Member>,
    pub selector: Arc<Selector>,
}

impl GroupRoute {
    /// Whether `other` picks among the same members the same way (so its selector state
    /// may be kept).
    pub(super) fn same_shape(&self, strategy: GroupStrategy, members: &[Member]) -> bool {
        self.group.strategy == strategy
            && self.members.len() == members.len()
            && self.members.iter().zip(members).all(|(a, b)| {
                a.entry.model.id == b.entry.model.id
                    && a.weight == b.weight
                    && a.priority == b.priority
            })
    }
}
