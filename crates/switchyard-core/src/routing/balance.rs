//! Load balancing, last in the chain: within each tier that came from a group, the
//! group's selector puts the candidates in its preference order. Tiers without a group
//! keep the cost order.

use super::{Candidates, Context, LlmError, Route, Strategy};

/// See the module documentation.
pub struct LoadBalancing;

impl Strategy for LoadBalancing {
    fn name(&self) -> &'static str {
        "load_balancing"
    }

    fn priority(&self) -> u8 {
        60
    }

    fn apply(&self, ctx: &Context<'_>, set: &mut Candidates) -> Result<(), LlmError> {
        if ctx.tiers.iter().all(|t| t.group.is_none()) {
            return Ok(());
        }
        for run in set.tiers_mut() {
            let group = run
                .first()
                .and_then(|c| ctx.tiers.get(usize::from(c.tier)))
                .and_then(|t| t.group.as_ref());
            if let Some(group) = group {
                group.selector.order(run, ctx.snapshot);
            }
        }
        Ok(())
    }

    fn note(&self, route: &Route) -> Option<String> {
        let parts: Vec<String> = route
            .tiers
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let g = t.group.as_ref()?;
                let role = if i == 0 { "group" } else { "fallback group" };
                Some(format!("{role} `{}`: {}", g.group.name, g.group.strategy))
            })
            .collect();
        Some(if parts.is_empty() {
            "no group: cost order kept".into()
        } else {
            parts.join("; ")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::testing::{Fixture, apply, names};
    use switchyard_types::GroupStrategy;

    #[test]
    fn each_tier_is_ordered_by_its_own_group() {
        let s = Fixture::new()
            .model("a", "x")
            .model("b", "y")
            .model("c", "z")
            .model("d", "w")
            .group(
                "main",
                GroupStrategy::RoundRobin,
                &[("x", 1, 0), ("y", 1, 0)],
            )
            .fallbacks("main", &["spare"])
            .group(
                "spare",
                GroupStrategy::Priority,
                &[("z", 1, 5), ("w", 1, 1)],
            )
            .build();
        let id = Fixture::identity();
        let (first, ok) = apply(
            &LoadBalancing,
            &s,
            &Fixture::chat_request("main", &id),
            true,
        );
        assert!(ok.is_ok());
        let (second, _) = apply(
            &LoadBalancing,
            &s,
            &Fixture::chat_request("main", &id),
            true,
        );
        // Round robin rotates the first tier; the fallback tier stays in priority order.
        assert_eq!(names(&s, &first), ["a/x", "b/y", "d/w", "c/z"]);
        assert_eq!(names(&s, &second), ["b/y", "a/x", "d/w", "c/z"]);
    }
}
