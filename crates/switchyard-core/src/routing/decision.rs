//! A routing decision explains itself: what was considered, what each strategy removed
//! and why, and the final order. Removals are recorded cheaply on the hot path (an
//! entry, a strategy name, a small reason) and rendered into text only when asked.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use switchyard_types::ModelKind;

use super::{Chain, Needs, Route};
use crate::registry::ModelEntry;

/// Why a strategy removed a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The API key may not use it.
    NotAllowed,
    /// Its provider's adapters could not be built.
    Unavailable,
    /// The provider's circuit is open.
    ProviderOpen { retry_in_ms: u64 },
    /// The model's circuit at this provider is open.
    ModelOpen { retry_in_ms: u64 },
    /// The model answered 429 with a `Retry-After` that has not run out.
    CoolingDown { retry_in_ms: u64 },
    /// It does not produce this kind.
    WrongKind(ModelKind),
    /// It lacks capabilities the request uses.
    Lacks(Needs),
    /// The prompt plus the requested output does not fit its window.
    ContextTooSmall { tokens: u64, room: u64 },
}

impl Reason {
    /// The reason as a sentence about `entry`.
    pub fn render(&self, entry: &ModelEntry) -> String {
        match self {
            Self::NotAllowed => "not among this API key's allowed models".into(),
            Self::Unavailable => match &entry.provider.adapters {
                Err(message) => format!("provider unavailable: {message}"),
                Ok(_) => "provider unavailable".into(),
            },
            Self::ProviderOpen { retry_in_ms } => {
                format!("provider circuit open (retry in {retry_in_ms} ms)")
            }
            Self::ModelOpen { retry_in_ms } => {
                format!("model circuit open (retry in {retry_in_ms} ms)")
            }
            Self::CoolingDown { retry_in_ms } => {
                format!("rate limited upstream; cooling down for {retry_in_ms} ms")
            }
            Self::WrongKind(kind) => format!("does not produce {kind}"),
            Self::Lacks(missing) => format!("lacks {missing}"),
            Self::ContextTooSmall { tokens, room } => {
                format!("prompt of about {tokens} tokens exceeds the {room} tokens left for it")
            }
        }
    }
}

/// One candidate removed by one strategy.
#[derive(Clone)]
pub struct Removal {
    pub entry: Arc<ModelEntry>,
    pub strategy: &'static str,
    pub reason: Reason,
}

/// A removed candidate, rendered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemovedView {
    pub candidate: String,
    pub reason: String,
}

/// What one strategy did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepView {
    pub strategy: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<RemovedView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The whole decision, rendered for responses and logs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Explanation {
    /// Every candidate the chain started with (`provider/model`).
    pub considered: Vec<String>,
    /// Each strategy in the order it ran.
    pub chain: Vec<StepView>,
    /// The order candidates were to be tried in.
    pub order: Vec<String>,
}

impl Route {
    /// Render the decision (off the hot path: once a request has been served).
    pub fn explain(&self) -> Explanation {
        let order = self.order();
        let mut considered = order.clone();
        considered.extend(self.removed.iter().map(|r| r.entry.model.qualified_name()));
        let chain = Chain::standard()
            .strategies()
            .map(|s| StepView {
                strategy: s.name(),
                removed: self
                    .removed
                    .iter()
                    .filter(|r| r.strategy == s.name())
                    .map(|r| RemovedView {
                        candidate: r.entry.model.qualified_name(),
                        reason: r.reason.render(&r.entry),
                    })
                    .collect(),
                note: s.note(self),
            })
            .collect();
        Explanation {
            considered,
            chain,
            order,
        }
    }

    /// A one-line summary for the debug log, rendered only if the line is written.
    pub fn summary(&self) -> RouteSummary<'_> {
        RouteSummary(self)
    }
}

/// See [`Route::summary`].
pub struct RouteSummary<'a>(&'a Route);

impl fmt::Display for RouteSummary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let route = self.0;
        write!(f, "`{}` → [", route.asked)?;
        for (i, c) in route.candidates.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            let entry = route.entry(c);
            write!(f, "{}/{}", entry.provider.provider.name, entry.model.name)?;
        }
        write!(f, "] (max {} attempts)", route.max_attempts)?;
        for r in &route.removed {
            write!(
                f,
                "; {} removed {}/{}: {}",
                r.strategy,
                r.entry.provider.provider.name,
                r.entry.model.name,
                r.reason.render(&r.entry)
            )?;
        }
        Ok(())
    }
}
