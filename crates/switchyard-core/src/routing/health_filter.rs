//! Health filter, second in the chain: drops candidates whose provider could not be
//! built, whose provider or model circuit is open, or whose model is cooling down
//! after a rate limit. A circuit whose cooldown is over stays in: its next call is a
//! half-open trial (admitted or refused when the call is made).

use super::{Candidates, Context, LlmError, Reason, Route, Strategy};

/// See the module documentation.
pub struct HealthFilter;

const NAME: &str = "health_filter";

impl Strategy for HealthFilter {
    fn name(&self) -> &'static str {
        NAME
    }

    fn priority(&self) -> u8 {
        20
    }

    fn apply(&self, ctx: &Context<'_>, set: &mut Candidates) -> Result<(), LlmError> {
        let now = ctx.now;
        // Nothing anywhere is open or cooling down: only unbuildable providers can go.
        let health = ctx.health && now < crate::vitals::trouble_until();
        if !health && !ctx.snapshot.floor().any_unavailable {
            return Ok(());
        }
        let snapshot = ctx.snapshot;
        set.remove_if(snapshot, NAME, |c, card| {
            if card.unavailable {
                return Some(Reason::Unavailable);
            }
            if !health {
                return None;
            }
            let entry = snapshot.at(c.index);
            if let Some(retry_in_ms) = entry.provider.health.breaker.retry_in(now) {
                return Some(Reason::ProviderOpen { retry_in_ms });
            }
            if let Some(retry_in_ms) = entry.health.breaker.retry_in(now) {
                return Some(Reason::ModelOpen { retry_in_ms });
            }
            entry
                .health
                .cooling_down(now)
                .map(|retry_in_ms| Reason::CoolingDown { retry_in_ms })
        });
        if set.list.is_empty() {
            let reasons: Vec<String> = set
                .removed_by(NAME)
                .map(|r| {
                    format!(
                        "{}: {}",
                        r.entry.model.qualified_name(),
                        r.reason.render(&r.entry)
                    )
                })
                .collect();
            // Every candidate waits out a cooldown: say when the first one ends.
            let retry_in_ms = set
                .removed_by(NAME)
                .map(|r| match r.reason {
                    Reason::ProviderOpen { retry_in_ms }
                    | Reason::ModelOpen { retry_in_ms }
                    | Reason::CoolingDown { retry_in_ms } => Some(retry_in_ms),
                    _ => None,
                })
                .collect::<Option<Vec<u64>>>()
                .and_then(|waits| waits.into_iter().min());
            return Err(LlmError::Unavailable {
                asked: ctx.asked(),
                reason: reasons.join("; "),
                retry_after: retry_in_ms.map(std::time::Duration::from_millis),
            });
        }
        Ok(())
    }

    fn note(&self, _route: &Route) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::routing::testing::{Fixture, apply, names};
    use crate::vitals::{Admission, Verdict, now_ms};

    #[test]
    fn open_circuits_cooldowns_and_broken_providers_are_dropped() {
        let s = Fixture::new()
            .model("a", "m")
            .model("b", "m")
            .model("c", "m")
            .model("d", "m")
            .broken("d")
            .model("e", "m")
            .build();
        let by = |p: &str| s.models_named(&format!("{p}/m"))[0].clone();
        let now = now_ms();
        for _ in 0..5 {
            by("a")
                .provider
                .health
                .breaker
                .record(Admission::Normal, Verdict::Failure, true, now);
            by("b")
                .health
                .breaker
                .record(Admission::Normal, Verdict::Failure, true, now);
        }
        by("c").health.cool_down(now, Duration::from_secs(60));
        let id = Fixture::identity();
        let (set, ok) = apply(&HealthFilter, &s, &Fixture::chat_request("m", &id), true);
        assert!(ok.is_ok());
        assert_eq!(names(&s, &set), ["e/m"]);
        let reasons: Vec<_> = set.removed.iter().map(|r| r.reason).collect();
        assert!(matches!(reasons[0], Reason::ProviderOpen { .. }));
        assert!(matches!(reasons[1], Reason::ModelOpen { .. }));
        assert!(matches!(reasons[2], Reason::CoolingDown { .. }));
        assert_eq!(reasons[3], Reason::Unavailable);
        assert!(
            set.removed[3]
                .reason
                .render(&set.removed[3].entry)
                .contains("no key")
        );

        // Health off: only the unbuildable provider goes.
        let (set, _) = apply(&HealthFilter, &s, &Fixture::chat_request("m", &id), false);
        assert_eq!(names(&s, &set), ["a/m", "b/m", "c/m", "e/m"]);

        // Nothing healthy left: unavailable, with every reason.
        let (_, err) = apply(&HealthFilter, &s, &Fixture::chat_request("a/m", &id), true);
        let err = err.unwrap_err().to_string();
        assert!(err.contains("a/m: provider circuit open"), "{err}");
    }
}
