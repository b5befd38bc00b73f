//! Cost optimisation, fifth in the chain: where the router picks (a task type, or a
//! model name served by several providers), free-tier providers come first, then better
//! quality tiers, then lower prices. A named group keeps the order of its own strategy.

use super::{Candidates, Context, LlmError, Route, Strategy};

/// See the module documentation.
pub struct CostOptimisation;

impl Strategy for CostOptimisation {
    fn name(&self) -> &'static str {
        "cost_optimisation"
    }

    fn priority(&self) -> u8 {
        50
    }

    fn apply(&self, ctx: &Context<'_>, set: &mut Candidates) -> Result<(), LlmError> {
        if ctx.tiers.iter().all(|t| t.group.is_some()) {
            return Ok(());
        }
        for run in set.tiers_mut() {
            let grouped = run
                .first()
                .and_then(|c| ctx.tiers.get(usize::from(c.tier)))
                .is_some_and(|t| t.group.is_some());
            if !grouped {
                // Ranks were computed with `ModelEntry::cost_order` when the snapshot
                // was built.
                run.sort_by_key(|c| ctx.snapshot.card(c.index).cost_rank);
            }
        }
        Ok(())
    }

    fn note(&self, route: &Route) -> Option<String> {
        let grouped = route.tiers.iter().all(|t| t.group.is_some());
        Some(if grouped {
            "named group: its own strategy orders the members".into()
        } else {
            "free tier first, then best quality tier, then lowest price".into()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::testing::{Fixture, apply, names};
    use crate::routing::{RouteRequest, Want};
    use switchyard_types::{GroupStrategy, TaskType};

    fn priced(input: f64) -> impl FnOnce(&mut switchyard_types::Model) {
        move |m| m.pricing.input_cost_per_mtok = input
    }

    #[test]
    fn free_tier_then_quality_then_price_where_the_router_picks() {
        let s = Fixture::new()
            .with_model("dear", "m", priced(10.0))
            .with_model("cheap", "m", priced(1.0))
            .with_model("gratis", "m", priced(5.0))
            .free("gratis")
            .with_model("best", "m", |m| {
                m.quality_tier = 1;
                m.pricing.input_cost_per_mtok = 50.0
            })
            .group(
                "g",
                GroupStrategy::Priority,
                &[("dear/m", 1, 0), ("cheap/m", 1, 1)],
            )
            .build();
        let id = Fixture::identity();
        let (set, ok) = apply(
            &CostOptimisation,
            &s,
            &Fixture::chat_request("m", &id),
            true,
        );
        assert!(ok.is_ok());
        assert_eq!(names(&s, &set), ["gratis/m", "best/m", "cheap/m", "dear/m"]);

        let task = RouteRequest {
            want: Want::Task(TaskType::Chat),
            ..Fixture::chat_request("", &id)
        };
        let (set, _) = apply(&CostOptimisation, &s, &task, true);
        assert_eq!(names(&s, &set), ["gratis/m", "best/m", "cheap/m", "dear/m"]);

        // A named group is left to its own strategy.
        let (set, _) = apply(
            &CostOptimisation,
            &s,
            &Fixture::chat_request("g", &id),
            true,
        );
        assert_eq!(names(&s, &set), ["dear/m", "cheap/m"]);
    }
}
