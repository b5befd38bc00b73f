//! What a call through the LLM service reports: who served it, how it was routed, and
//! which candidates failed or were skipped first; and the error when none answered.

use std::sync::Arc;

use serde::Serialize;
use switchyard_providers::ProviderError;
use switchyard_types::chat::Usage;
use switchyard_types::{ErrorKind, Pricing};

use super::LlmError;
use crate::registry::ModelEntry;
use crate::routing::{Explanation, Route};

/// A candidate that was tried and failed, or skipped when its turn came.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttemptFailure {
    /// `provider/model`.
    pub candidate: String,
    /// The classified upstream error; `None` when the candidate was skipped uncalled.
    pub kind: Option<ErrorKind>,
    pub message: String,
}

/// Which provider and model actually answered, what it charges, and how it was chosen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Served {
    pub provider: String,
    pub model: String,
    /// Upstream calls made, the successful one included.
    pub attempts: u32,
    pub pricing: Pricing,
    /// Free-tier usage is counted but costs nothing.
    pub free_tier: bool,
    /// The routing decision, kept unrendered: only the native API shows it, so its
    /// text is built there, on demand, not for every request.
    route: Option<RouteRef>,
    /// Candidates that failed or were skipped before the one that answered.
    pub failures: Vec<AttemptFailure>,
}

/// A shared routing decision; compared by identity.
#[derive(Clone)]
struct RouteRef(Arc<Route>);

impl std::fmt::Debug for RouteRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.summary())
    }
}

impl PartialEq for RouteRef {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Served {
    /// The candidates in the order they were to be tried (`provider/model`).
    pub fn candidates(&self) -> Vec<String> {
        self.route.as_ref().map(|r| r.0.order()).unwrap_or_default()
    }

    /// The routing decision: candidates considered, what each strategy removed and why.
    pub fn decision(&self) -> Explanation {
        self.route
            .as_ref()
            .map(|r| r.0.explain())
            .unwrap_or_default()
    }

    /// The USD cost of `usage` on this model.
    pub fn cost(&self, usage: &Usage) -> f64 {
        if self.free_tier {
            0.0
        } else {
            self.pricing.token_cost(usage)
        }
    }

    pub(super) fn new(
        route: &Arc<Route>,
        entry: &ModelEntry,
        calls: usize,
        failures: Vec<AttemptFailure>,
    ) -> Self {
        Served {
            provider: entry.provider.provider.name.clone(),
            model: entry.model.name.clone(),
            attempts: u32::try_from(calls.max(1)).unwrap_or(u32::MAX),
            pricing: entry.model.pricing.clone(),
            free_tier: entry.provider.provider.free_tier,
            route: Some(RouteRef(route.clone())),
            failures,
        }
    }
}

pub(super) fn skipped(entry: &ModelEntry, why: String) -> AttemptFailure {
    AttemptFailure {
        candidate: entry.model.qualified_name(),
        kind: None,
        message: why,
    }
}

pub(super) fn failed(entry: &ModelEntry, error: &ProviderError) -> AttemptFailure {
    AttemptFailure {
        candidate: entry.model.qualified_name(),
        kind: Some(error.kind),
        message: error.message.clone(),
    }
}

/// The error when no candidate answered: the last upstream error, else why none was
/// called.
pub(super) fn exhausted(
    route: &Route,
    last_error: Option<ProviderError>,
    failures: &[AttemptFailure],
) -> LlmError {
    match last_error {
        Some(error) => LlmError::Provider { error },
        None => {
            let reasons: Vec<String> = failures
                .iter()
                .map(|f| format!("{}: {}", f.candidate, f.message))
                .collect();
            let reasons = if reasons.is_empty() {
                "its providers do not offer this capability".to_string()
            } else {
                reasons.join("; ")
            };
            LlmError::Unavailable {
                asked: route.asked.clone(),
                reason: reasons,
                retry_after: None,
            }
        }
    }
}
