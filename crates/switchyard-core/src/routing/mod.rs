//! Routing (ARCHITECTURE.md, "The request pipeline", step 3): the requested model, group or task type resolves to candidates
//! (a group's fallback groups as later tiers), which then pass one chain of strategies
//! in priority order — user preference, health filter, capability filter, context
//! window, cost optimisation, load balancing. Each strategy may remove candidates
//! (saying why) or reorder them; the result is the order to try them in, with an
//! explanation. Group selectors keep their state across requests and snapshots.
//!
//! Routing sits above the registry: it reads a snapshot's entries, their cards and
//! selector state (the leaf [`crate::facts`]) and their health (the leaf
//! [`crate::vitals`]). Nothing below it depends on it; `Card`, `Floor`, `Needs` and
//! `select::Selector` are re-exported from `facts` so their routing paths keep working.

mod balance;
mod capability;
mod chain;
mod context;
mod cost;
mod decision;
mod health_filter;
mod preference;
mod resolve;
pub mod select;
#[cfg(test)]
pub(crate) mod testing;

use std::sync::Arc;
use std::time::Duration;

use switchyard_types::chat::ChatRequest;
use switchyard_types::{Identity, ModelKind, TaskType};

use crate::registry::{GroupRoute, ModelEntry, Snapshot};
use crate::vitals::now_ms;

pub use crate::facts::{Card, Floor, Needs};
pub use balance::LoadBalancing;
pub use capability::CapabilityFilter;
pub use chain::{Candidates, Chain, Context, Strategy};
pub use context::ContextWindow;
pub use cost::CostOptimisation;
pub use decision::{Explanation, Reason, Removal, RemovedView, StepView};
pub use health_filter::HealthFilter;
pub use preference::UserPreference;

/// What a request asks to be served by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want<'a> {
    /// A model name, `provider/model`, or a group.
    Model(&'a str),
    /// Any model declaring this task type (the router picks).
    Task(TaskType),
}

impl Want<'_> {
    /// The name to report: the model or group asked for, or the task type.
    pub fn label(&self) -> String {
        match self {
            Want::Model(name) => (*name).to_string(),
            Want::Task(task) => task.to_string(),
        }
    }
}

/// Everything routing needs to know about one request.
#[derive(Debug, Clone, Copy)]
pub struct RouteRequest<'a> {
    pub want: Want<'a>,
    /// What must be produced (chat, embedding, image, video).
    pub kind: ModelKind,
    /// Abilities the request uses (tools, vision, JSON mode, streaming).
    pub needs: Needs,
    pub identity: &'a Identity,
    /// The chat request, for the context-window check.
    pub chat: Option<&'a ChatRequest>,
}

/// Routing settings fixed at start-up.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingSettings {
    /// Attempts for a task type or a model served by several providers (groups set
    /// their own `max_attempts`).
    pub default_max_attempts: usize,
    /// Longest wait for a provider's concurrency permit before failing over.
    pub queue_timeout: Duration,
    /// Whether the health filter drops open circuits and cooling-down models.
    pub health: bool,
}

impl Default for RoutingSettings {
    fn default() -> Self {
        Self {
            default_max_attempts: 3,
            queue_timeout: Duration::from_millis(100),
            health: true,
        }
    }
}

/// One model at one provider that may serve the request: an index into the
/// snapshot's models (no reference count to touch on the hot path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Position in [`Snapshot::models`].
    pub index: u32,
    /// 0 for what was asked for; 1, 2… for the group's fallback groups in order.
    pub tier: u8,
    /// Index among its group's members (selector state is kept per slot).
    pub slot: u16,
    pub weight: u32,
    pub priority: i32,
}

/// One tier of candidates: the group it came from, if any.
#[derive(Clone)]
pub struct Tier {
    pub group: Option<Arc<GroupRoute>>,
}

pub use crate::error::LlmError;

/// The outcome of routing: candidates in the order to try them, and why.
pub struct Route {
    /// The snapshot the candidates index into (kept alive for the request).
    pub snapshot: Arc<Snapshot>,
    /// The model, group or task type asked for.
    pub asked: String,
    pub task: Option<TaskType>,
    pub kind: ModelKind,
    pub needs: Needs,
    pub candidates: Vec<Candidate>,
    pub tiers: Vec<Tier>,
    /// Most upstream calls to make.
    pub max_attempts: usize,
    /// Candidates removed on the way, by which strategy and why.
    pub removed: Vec<Removal>,
}

impl Route {
    /// The model entry of a candidate.
    pub fn entry(&self, candidate: &Candidate) -> &Arc<ModelEntry> {
        self.snapshot.at(candidate.index)
    }

    /// The candidates' entries, in order.
    pub fn entries(&self) -> impl Iterator<Item = &Arc<ModelEntry>> {
        self.candidates.iter().map(|c| self.entry(c))
    }

    /// `provider/model` of every candidate, in order.
    pub fn order(&self) -> Vec<String> {
        self.entries().map(|e| e.model.qualified_name()).collect()
    }
}

/// Route one request through the standard chain.
pub fn decide(
    snapshot: &Arc<Snapshot>,
    request: &RouteRequest<'_>,
    settings: &RoutingSettings,
) -> Result<Route, LlmError> {
    decide_with(Chain::standard(), snapshot, request, settings)
}

/// Route one request through `chain`.
pub fn decide_with(
    chain: &Chain,
    snapshot: &Arc<Snapshot>,
    request: &RouteRequest<'_>,
    settings: &RoutingSettings,
) -> Result<Route, LlmError> {
    let (list, tiers, max_attempts) = resolve::resolve(snapshot, request, settings)?;
    let mut set = Candidates {
        list,
        removed: Vec::new(),
    };
    let ctx = Context {
        request,
        snapshot,
        tiers: &tiers,
        now: now_ms(),
        health: settings.health,
    };
    chain.run(&ctx, &mut set)?;
    Ok(Route {
        snapshot: snapshot.clone(),
        asked: request.want.label(),
        task: match request.want {
            Want::Task(task) => Some(task),
            Want::Model(_) => None,
        },
        kind: request.kind,
        needs: request.needs,
        candidates: set.list,
        tiers,
        max_attempts,
        removed: set.removed,
    })
}
