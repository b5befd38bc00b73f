//! Registry rebuilds keep the state of what did not change; the task index.

use std::sync::Arc;
use std::time::Duration;

use switchyard_types::GroupStrategy;

use super::*;
use crate::routing::Candidate;
use crate::routing::testing::Fixture;

fn first_pick(s: &Snapshot, group: &str) -> String {
    let route = s.route(group).unwrap();
    let mut c: Vec<Candidate> = route
        .members
        .iter()
        .enumerate()
        .map(|(i, m)| Candidate {
            index: m.index,
            tier: 0,
            slot: i as u16,
            weight: m.weight,
            priority: m.priority,
        })
        .collect();
    route.selector.order(&mut c, s);
    s.at(c[0].index).model.name.clone()
}

#[test]
fn selector_health_and_limits_survive_rebuilds_of_unchanged_parts() {
    let mut f = Fixture::new()
        .model("a", "x")
        .model("b", "y")
        .group(
            "kept",
            GroupStrategy::RoundRobin,
            &[("x", 1, 0), ("y", 1, 0)],
        )
        .group(
            "changed",
            GroupStrategy::RoundRobin,
            &[("x", 1, 0), ("y", 1, 0)],
        );
    let one = f.build();
    assert_eq!(first_pick(&one, "kept"), "x");
    assert_eq!(first_pick(&one, "changed"), "x");
    let x = one.models_named("a/x")[0].clone();
    x.health.latency.observe(Duration::from_millis(42));

    // The `changed` group gets new weights; provider `b` a new concurrency limit.
    f.groups[1].members[0].weight = 5;
    f.providers[1].max_concurrency = 99;
    let two = f.build_on(Some(&one));
    assert_eq!(first_pick(&two, "kept"), "y", "round robin went on");
    assert_eq!(
        first_pick(&two, "changed"),
        "x",
        "a changed group starts afresh"
    );
    assert!(Arc::ptr_eq(
        &one.route("kept").unwrap().selector,
        &two.route("kept").unwrap().selector
    ));
    let x2 = two.models_named("a/x")[0].clone();
    assert!(!Arc::ptr_eq(&x, &x2), "a new snapshot has new entries…");
    assert!(Arc::ptr_eq(&x.health, &x2.health), "…sharing the health");
    assert_eq!(x2.health.latency.get(), Some(42.0));
    assert!(Arc::ptr_eq(&x.provider.health, &x2.provider.health));
    assert!(Arc::ptr_eq(&x.provider.limiter, &x2.provider.limiter));
    let y = one.models_named("b/y")[0].clone();
    let y2 = two.models_named("b/y")[0].clone();
    assert!(!Arc::ptr_eq(&y.provider.limiter, &y2.provider.limiter));
    assert_eq!(y2.provider.limiter.available_permits(), 99);
    assert!(Arc::ptr_eq(&y.provider.health, &y2.provider.health));
}

#[test]
fn tasks_are_indexed_cheapest_adequate_first_and_disabled_models_left_out() {
    let s = Fixture::new()
        .with_model("paid", "best", |m| {
            m.quality_tier = 1;
            m.pricing.input_cost_per_mtok = 3.0
        })
        .model("gratis", "ok")
        .free("gratis")
        .disabled_model("gratis", "off")
        .build();
    let found: Vec<String> = s
        .models_for_task(
            switchyard_types::TaskType::Chat,
            switchyard_types::ModelKind::Chat,
        )
        .iter()
        .map(|e| e.model.qualified_name())
        .collect();
    assert_eq!(found, ["gratis/ok", "paid/best"]);
    assert!(matches!(s.resolve("nothing"), Resolved::Unknown));
}
