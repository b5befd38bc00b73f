//! The strategy chain: one [`Strategy`] interface, strategies run in priority order
//! over the candidate set. A strategy removes candidates through
//! [`Candidates::remove_if`], which records what was removed and why.

use std::sync::{Arc, LazyLock};

use super::Card;
use super::{
    Candidate, CapabilityFilter, ContextWindow, CostOptimisation, HealthFilter, LlmError,
    LoadBalancing, Reason, Removal, Route, RouteRequest, Tier, UserPreference,
};
use crate::registry::Snapshot;

/// What strategies see besides the candidates.
pub struct Context<'a> {
    pub request: &'a RouteRequest<'a>,
    /// The snapshot candidates index into.
    pub snapshot: &'a Snapshot,
    /// The tiers candidates belong to (`Candidate::tier` indexes this).
    pub tiers: &'a [Tier],
    /// Now, on the health clock (milliseconds).
    pub now: u64,
    /// Whether the health filter is on.
    pub health: bool,
}

impl Context<'_> {
    /// The name or task type asked for, for error messages.
    pub fn asked(&self) -> String {
        self.request.want.label()
    }
}

/// The candidates still in the running, and those removed so far.
pub struct Candidates {
    pub list: Vec<Candidate>,
    pub removed: Vec<Removal>,
}

impl Candidates {
    /// Remove every candidate for which `why` (given the candidate and its card)
    /// gives a reason, recording it under `strategy`. Returns how many were removed.
    pub fn remove_if(
        &mut self,
        snapshot: &Snapshot,
        strategy: &'static str,
        mut why: impl FnMut(&Candidate, &Card) -> Option<Reason>,
    ) -> usize {
        let before = self.list.len();
        let removed = &mut self.removed;
        self.list.retain(|c| match why(c, snapshot.card(c.index)) {
            Some(reason) => {
                removed.push(Removal {
                    entry: Arc::clone(snapshot.at(c.index)),
                    strategy,
                    reason,
                });
                false
            }
            None => true,
        });
        before - self.list.len()
    }

    /// The removals `strategy` made.
    pub fn removed_by(&self, strategy: &'static str) -> impl Iterator<Item = &Removal> {
        self.removed.iter().filter(move |r| r.strategy == strategy)
    }

    /// The candidates of each tier, as contiguous runs in tier order.
    pub fn tiers_mut(&mut self) -> impl Iterator<Item = &mut [Candidate]> {
        self.list.chunk_by_mut(|a, b| a.tier == b.tier)
    }
}

/// One step of the routing chain.
pub trait Strategy: Send + Sync {
    /// Stable name, shown in explanations.
    fn name(&self) -> &'static str;

    /// Lower runs first.
    fn priority(&self) -> u8;

    /// Remove or reorder candidates. An error ends routing; a strategy that removes
    /// every candidate returns the error that says why.
    fn apply(&self, ctx: &Context<'_>, set: &mut Candidates) -> Result<(), LlmError>;

    /// A line on what this strategy did for `route`, beyond its removals.
    fn note(&self, route: &Route) -> Option<String> {
        let _ = route;
        None
    }
}

/// Strategies in priority order.
pub struct Chain {
    strategies: Vec<Box<dyn Strategy>>,
}

static STANDARD: LazyLock<Chain> = LazyLock::new(|| {
    Chain::new(vec![
        Box::new(LoadBalancing),
        Box::new(CostOptimisation),
        Box::new(ContextWindow),
        Box::new(CapabilityFilter),
        Box::new(HealthFilter),
        Box::new(UserPreference),
    ])
});

impl Chain {
    /// A chain of `strategies`, sorted by their priority.
    pub fn new(mut strategies: Vec<Box<dyn Strategy>>) -> Self {
        strategies.sort_by_key(|s| s.priority());
        Self { strategies }
    }

    /// The chain (README, "Routing and reliability"): user preference → health → capabilities → context window
    /// → cost → load balancing.
    pub fn standard() -> &'static Chain {
        &STANDARD
    }

    /// The strategies, in the order they run.
    pub fn strategies(&self) -> impl Iterator<Item = &dyn Strategy> {
        self.strategies.iter().map(|s| s.as_ref())
    }

    /// Run every strategy in order.
    pub fn run(&self, ctx: &Context<'_>, set: &mut Candidates) -> Result<(), LlmError> {
        for strategy in &self.strategies {
            strategy.apply(ctx, set)?;
            if set.list.is_empty() {
                return Err(LlmError::Unavailable {
                    asked: ctx.asked(),
                    reason: format!("every candidate was removed by {}", strategy.name()),
                    retry_after: None,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::testing::Fixture;

    #[test]
    fn the_standard_chain_runs_in_the_spec_order() {
        let names: Vec<_> = Chain::standard().strategies().map(|s| s.name()).collect();
        assert_eq!(
            names,
            [
                "user_preference",
                "health_filter",
                "capability_filter",
                "context_window",
                "cost_optimisation",
                "load_balancing"
            ]
        );
    }

    struct DropAll;

    impl Strategy for DropAll {
        fn name(&self) -> &'static str {
            "drop_all"
        }
        fn priority(&self) -> u8 {
            0
        }
        fn apply(&self, ctx: &Context<'_>, set: &mut Candidates) -> Result<(), LlmError> {
            set.remove_if(ctx.snapshot, "drop_all", |_, _| Some(Reason::NotAllowed));
            Ok(())
        }
    }

    #[test]
    fn a_strategy_that_empties_the_set_ends_routing_with_its_name() {
        let f = Fixture::new().model("p", "m");
        let snapshot = Arc::new(f.build());
        let chain = Chain::new(vec![Box::new(DropAll)]);
        let identity = Fixture::identity();
        let request = Fixture::chat_request("m", &identity);
        let err = crate::routing::decide_with(&chain, &snapshot, &request, &Default::default())
            .err()
            .unwrap();
        assert!(err.to_string().contains("drop_all"), "{err}");
    }
}
