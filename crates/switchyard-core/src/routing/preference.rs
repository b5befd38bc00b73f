//! User preference, first in the chain: the caller's explicit choice (a model, a group,
//! or `provider/model`, already resolved) within what their API key allows. A key
//! restricted to some models may name only those; for a task type, only the allowed
//! models stay.

use super::{Candidates, Context, LlmError, Reason, Strategy, Want};
use crate::routing::Route;

/// See the module documentation.
pub struct UserPreference;

const NAME: &str = "user_preference";

impl Strategy for UserPreference {
    fn name(&self) -> &'static str {
        NAME
    }

    fn priority(&self) -> u8 {
        10
    }

    fn apply(&self, ctx: &Context<'_>, set: &mut Candidates) -> Result<(), LlmError> {
        let allowed = &ctx.request.identity.allowed_models;
        if allowed.is_empty() {
            return Ok(());
        }
        match ctx.request.want {
            Want::Model(name) => {
                if !allowed.iter().any(|m| m == name) {
                    return Err(LlmError::NotAllowed {
                        model: name.to_string(),
                    });
                }
            }
            Want::Task(task) => {
                let snapshot = ctx.snapshot;
                set.remove_if(snapshot, NAME, |c, _| {
                    let model = &snapshot.at(c.index).model;
                    let ok = allowed
                        .iter()
                        .any(|a| *a == model.name || *a == model.qualified_name());
                    (!ok).then_some(Reason::NotAllowed)
                });
                if set.list.is_empty() {
                    return Err(LlmError::NoModelForTask { task });
                }
            }
        }
        Ok(())
    }

    fn note(&self, route: &Route) -> Option<String> {
        Some(match route.task {
            Some(task) => format!("task type `{task}`: every enabled model declaring it"),
            None if route.tiers.first().is_some_and(|t| t.group.is_some()) => {
                format!("asked for group `{}`", route.asked)
            }
            None => format!("asked for `{}` by name", route.asked),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::testing::{Fixture, apply};
    use crate::routing::{Candidates, RouteRequest};
    use switchyard_types::TaskType;

    fn run(
        snapshot: &crate::registry::Snapshot,
        request: &RouteRequest<'_>,
    ) -> (Candidates, Result<(), LlmError>) {
        apply(&UserPreference, snapshot, request, true)
    }

    #[test]
    fn a_restricted_key_may_name_only_its_models() {
        let s = Fixture::new().model("a", "m").model("a", "n").build();
        let mut id = Fixture::identity();
        let (set, ok) = run(&s, &Fixture::chat_request("m", &id));
        assert!(ok.is_ok());
        assert_eq!(set.list.len(), 1);
        id.allowed_models = vec!["n".into()];
        let (_, err) = run(&s, &Fixture::chat_request("m", &id));
        assert!(
            matches!(&err, Err(LlmError::NotAllowed { model }) if model == "m"),
            "{err:?}"
        );
        let (_, ok) = run(&s, &Fixture::chat_request("n", &id));
        assert!(ok.is_ok());
    }

    #[test]
    fn a_task_keeps_only_the_allowed_models_and_says_why() {
        let s = Fixture::new().model("a", "m").model("b", "n").build();
        let mut id = Fixture::identity();
        id.allowed_models = vec!["b/n".into()];
        let request = RouteRequest {
            want: Want::Task(TaskType::Chat),
            ..Fixture::chat_request("", &id)
        };
        let (set, ok) = run(&s, &request);
        assert!(ok.is_ok());
        assert_eq!(set.list.len(), 1);
        assert_eq!(s.at(set.list[0].index).model.qualified_name(), "b/n");
        assert_eq!(set.removed.len(), 1);
        assert_eq!(set.removed[0].reason, Reason::NotAllowed);
        let mut other = Fixture::identity();
        other.allowed_models = vec!["other".into()];
        let request = RouteRequest {
            identity: &other,
            ..request
        };
        let (_, err) = run(&s, &request);
        assert!(
            matches!(
                err,
                Err(LlmError::NoModelForTask {
                    task: TaskType::Chat
                })
            ),
            "{err:?}"
        );
    }
}
