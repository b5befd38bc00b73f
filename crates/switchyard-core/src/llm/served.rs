//! What a call through the LLM service reports: who served it, how it was routed, and
//! which candidates failed or were skipped first; and the error when none answered.

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
    /// The candidates in the order they were to be tried (`provider/model`).
    pub candidates: Vec<String>,
    pub pricing: Pricing,
    /// Free-tier usage is counted but costs nothing.
    pub free_tier: bool,
    /// The routing decision: candidates considered, what each strategy removed and why.
    pub decision: Explanation,
    /// Candidates that failed or were skipped before the one that answered.
    pub failures: Vec<AttemptFailure>,
}

impl Served {
    /// The USD cost of `usage` on this model.
    pub fn cost(&self, usage: &Usage) -> f64 {
        if self.free_tier {
            0.0
        } else {
            self.pricing.token_cost(usage)
        }
    }

    pub(super) fn new(
        route: &Route,
        entry: &ModelEntry,
        calls: usize,
        failures: Vec<AttemptFailure>,
    ) -> Self {
        let decision = route.explain();
        Served {
            provider: entry.provider.provider.name.clone(),
            model: entry.model.name.clone(),
            attempts: u32::try_from(calls.max(1)).unwrap_or(u32::MAX),
            candidates: decision.order.clone(),
            pricing: entry.model.pricing.clone(),
            free_tier: entry.provider.provider.free_tier,
            decision,
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
        Some(e) => LlmError::Provider(e),
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
            LlmError::Unavailable(route.asked.clone(), reasons, None)
        }
    }
}
