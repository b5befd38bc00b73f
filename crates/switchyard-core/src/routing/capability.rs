//! Capability filter, third in the chain: drops candidates that do not produce the
//! requested kind or lack a capability the request uses (tools, vision, JSON mode,
//! streaming). A model streams only if it declares `stream`.

use super::{Candidates, Context, LlmError, Needs, Reason, Route, Strategy};

/// See the module documentation.
pub struct CapabilityFilter;

const NAME: &str = "capability_filter";

impl Strategy for CapabilityFilter {
    fn name(&self) -> &'static str {
        NAME
    }

    fn priority(&self) -> u8 {
        30
    }

    fn apply(&self, ctx: &Context<'_>, set: &mut Candidates) -> Result<(), LlmError> {
        let kind = ctx.request.kind;
        let needs = ctx.request.needs;
        if ctx.snapshot.floor().covers(kind, needs) {
            return Ok(());
        }
        set.remove_if(ctx.snapshot, NAME, |_, card| {
            if !card.produces(kind) {
                return Some(Reason::WrongKind(kind));
            }
            let missing = needs.without(card.capabilities);
            (!missing.is_empty()).then_some(Reason::Lacks(missing))
        });
        if !set.list.is_empty() {
            return Ok(());
        }
        let mut missing = Needs::NONE;
        for r in set.removed_by(NAME) {
            if let Reason::Lacks(m) = r.reason {
                missing = missing.union(m);
            }
        }
        Err(if missing.is_empty() {
            LlmError::WrongKind {
                model: ctx.asked(),
                kind,
            }
        } else {
            LlmError::Unsupported {
                model: ctx.asked(),
                missing: missing.to_string(),
            }
        })
    }

    fn note(&self, route: &Route) -> Option<String> {
        Some(format!("needs {} with {}", route.kind, route.needs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::testing::{Fixture, apply, names};
    use crate::routing::{RouteRequest, Want};
    use switchyard_types::{Capability, GroupStrategy, ModelKind};

    #[test]
    fn models_lacking_a_needed_capability_or_kind_are_dropped() {
        let s = Fixture::new()
            .with_model("a", "plain", |m| m.capabilities.clear())
            .with_model("b", "tooled", |m| {
                m.capabilities = vec![Capability::Stream, Capability::Tools]
            })
            .with_model("c", "vectors", |m| m.kinds = vec![ModelKind::Embedding])
            .group(
                "g",
                GroupStrategy::Priority,
                &[("plain", 1, 0), ("tooled", 1, 0), ("vectors", 1, 0)],
            )
            .build();
        let id = Fixture::identity();
        let needs = Needs::NONE.with(Capability::Tools).with(Capability::Stream);
        let request = RouteRequest {
            needs,
            ..Fixture::chat_request("g", &id)
        };
        let (set, ok) = apply(&CapabilityFilter, &s, &request, true);
        assert!(ok.is_ok());
        assert_eq!(names(&s, &set), ["b/tooled"]);
        assert_eq!(
            set.removed[0].reason.render(&set.removed[0].entry),
            "lacks stream, tools"
        );
        assert_eq!(set.removed[1].reason, Reason::WrongKind(ModelKind::Chat));

        let request = RouteRequest {
            want: Want::Model("plain"),
            ..request
        };
        let (_, err) = apply(&CapabilityFilter, &s, &request, true);
        assert!(
            matches!(&err, Err(LlmError::Unsupported { model, missing }) if model == "plain" && missing == "stream, tools"),
            "{err:?}"
        );
        let request = RouteRequest {
            want: Want::Model("vectors"),
            needs: Needs::NONE,
            ..request
        };
        let (_, err) = apply(&CapabilityFilter, &s, &request, true);
        assert!(matches!(err, Err(LlmError::WrongKind { .. })));
    }
}
