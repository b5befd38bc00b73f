//! Resolution, before the chain: the name asked for becomes the enabled candidates —
//! a group's members (then each fallback group's, as later tiers), the providers of a
//! model name (an implicit group), one `provider/model`, or every model declaring a
//! task type — and the number of attempts allowed.

use std::sync::Arc;

use super::{Candidate, LlmError, RouteRequest, RoutingSettings, Tier, Want};
use crate::registry::{GroupRoute, Snapshot};

/// Candidates in tier order, the tiers, and `max_attempts`.
pub(crate) fn resolve(
    snapshot: &Snapshot,
    request: &RouteRequest<'_>,
    settings: &RoutingSettings,
) -> Result<(Vec<Candidate>, Vec<Tier>, usize), LlmError> {
    match request.want {
        Want::Model(name) => match snapshot.route(name) {
            Some(route) => group(snapshot, name, route),
            None => models(snapshot, name),
        },
        Want::Task(task) => {
            let list: Vec<Candidate> = snapshot
                .indices_for_task(task, request.kind)
                .iter()
                .enumerate()
                .map(|(i, index)| Candidate {
                    index: *index,
                    tier: 0,
                    slot: slot(i),
                    weight: 1,
                    priority: 0,
                })
                .collect();
            if list.is_empty() {
                return Err(LlmError::NoModelForTask { task });
            }
            let attempts = list.len().min(settings.default_max_attempts).max(1);
            Ok((list, vec![Tier { group: None }], attempts))
        }
    }
}

fn slot(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

fn group(
    snapshot: &Snapshot,
    name: &str,
    route: &Arc<GroupRoute>,
) -> Result<(Vec<Candidate>, Vec<Tier>, usize), LlmError> {
    if !route.group.enabled {
        return Err(LlmError::Unavailable {
            asked: name.to_string(),
            reason: "the group is disabled".into(),
            retry_after: None,
        });
    }
    let mut list = Vec::with_capacity(route.members.len());
    let mut tiers = vec![Tier {
        group: Some(route.clone()),
    }];
    push_members(&mut list, route, 0);
    for fallback in &route.group.fallback_groups {
        let Ok(tier) = u8::try_from(tiers.len()) else {
            break;
        };
        let Some(fb) = snapshot.route(fallback).filter(|r| r.group.enabled) else {
            continue;
        };
        tiers.push(Tier {
            group: Some(fb.clone()),
        });
        push_members(&mut list, fb, tier);
    }
    if list.is_empty() {
        return Err(LlmError::ModelNotFound {
            model: name.to_string(),
        });
    }
    let attempts = route.group.max_attempts.max(1) as usize;
    Ok((list, tiers, attempts))
}

/// The group's enabled members not already listed (a model in a group and in its
/// fallback group is tried once).
fn push_members(list: &mut Vec<Candidate>, route: &GroupRoute, tier: u8) {
    for (i, m) in route.members.iter().enumerate() {
        if !m.entry.is_enabled() || list.iter().any(|c| c.index == m.index) {
            continue;
        }
        list.push(Candidate {
            index: m.index,
            tier,
            slot: slot(i),
            weight: m.weight,
            priority: m.priority,
        });
    }
}

fn models(snapshot: &Snapshot, name: &str) -> Result<(Vec<Candidate>, Vec<Tier>, usize), LlmError> {
    let list: Vec<Candidate> = snapshot
        .indices_named(name)
        .iter()
        .filter(|i| snapshot.card(**i).enabled)
        .enumerate()
        .map(|(i, index)| Candidate {
            index: *index,
            tier: 0,
            slot: slot(i),
            weight: 1,
            priority: 0,
        })
        .collect();
    if list.is_empty() {
        return Err(LlmError::ModelNotFound {
            model: name.to_string(),
        });
    }
    // An implicit group tries each of its providers once.
    let attempts = list.len();
    Ok((list, vec![Tier { group: None }], attempts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::testing::Fixture;
    use switchyard_types::{GroupStrategy, ModelKind, TaskType};

    fn names(s: &Snapshot, list: &[Candidate]) -> Vec<String> {
        list.iter()
            .map(|c| format!("{}:{}", c.tier, s.at(c.index).model.qualified_name()))
            .collect()
    }

    #[test]
    fn groups_bring_their_fallback_groups_as_later_tiers() {
        let f = Fixture::new()
            .model("a", "x")
            .model("b", "y")
            .model("c", "z")
            .group("main", GroupStrategy::Priority, &[("x", 1, 0), ("y", 1, 1)])
            .fallbacks("main", &["backup"])
            .group(
                "backup",
                GroupStrategy::Priority,
                &[("y", 1, 0), ("z", 1, 0)],
            )
            .attempts("main", 4);
        let s = f.build();
        let id = Fixture::identity();
        let (list, tiers, attempts) =
            resolve(&s, &Fixture::chat_request("main", &id), &Default::default()).unwrap();
        assert_eq!(names(&s, &list), ["0:a/x", "0:b/y", "1:c/z"]);
        assert_eq!(tiers.len(), 2);
        assert_eq!(attempts, 4);
    }

    #[test]
    fn a_model_name_at_several_providers_is_an_implicit_group() {
        let f = Fixture::new()
            .model("a", "m")
            .model("b", "m")
            .disabled_model("c", "m");
        let s = f.build();
        let id = Fixture::identity();
        let (list, _, attempts) =
            resolve(&s, &Fixture::chat_request("m", &id), &Default::default()).unwrap();
        assert_eq!(names(&s, &list), ["0:a/m", "0:b/m"]);
        assert_eq!(attempts, 2);
        let (list, _, _) =
            resolve(&s, &Fixture::chat_request("b/m", &id), &Default::default()).unwrap();
        assert_eq!(names(&s, &list), ["0:b/m"]);
        let err = resolve(&s, &Fixture::chat_request("c/m", &id), &Default::default());
        assert!(matches!(err, Err(LlmError::ModelNotFound { model: _ })));
    }

    #[test]
    fn task_types_take_every_declaring_model_and_a_default_attempt_budget() {
        let f = Fixture::new()
            .model("a", "m1")
            .model("a", "m2")
            .model("b", "m3")
            .model("b", "m4");
        let s = f.build();
        let id = Fixture::identity();
        let request = RouteRequest {
            want: Want::Task(TaskType::Chat),
            ..Fixture::chat_request("", &id)
        };
        let (list, _, attempts) = resolve(&s, &request, &Default::default()).unwrap();
        assert_eq!(list.len(), 4);
        assert_eq!(attempts, 3);
        let request = RouteRequest {
            want: Want::Task(TaskType::Translation),
            kind: ModelKind::Chat,
            ..request
        };
        assert!(matches!(
            resolve(&s, &request, &Default::default()),
            Err(LlmError::NoModelForTask {
                task: TaskType::Translation
            })
        ));
    }
}
