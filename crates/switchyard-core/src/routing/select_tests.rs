//! Distribution tests for every group strategy.

use std::collections::HashMap;
use std::time::Duration;

use switchyard_types::GroupStrategy;

use super::*;
use crate::registry::Snapshot;
use crate::routing::testing::Fixture;

/// A snapshot with group `g` of members `a`, `b`, `c`… (one provider each).
fn group(strategy: GroupStrategy, weights: &[u32]) -> Snapshot {
    let names: Vec<String> = (0..weights.len())
        .map(|i| ((b'a' + i as u8) as char).to_string())
        .collect();
    let mut f = Fixture::new();
    for n in &names {
        f = f.model(n, n);
    }
    let members: Vec<(&str, u32, i32)> = names
        .iter()
        .zip(weights)
        .map(|(n, w)| (n.as_str(), *w, 0))
        .collect();
    f.group("g", strategy, &members).build()
}

fn candidates(s: &Snapshot) -> Vec<Candidate> {
    s.route("g")
        .unwrap()
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
        .collect()
}

/// The first pick of `picks` orderings.
fn firsts(s: &Snapshot, picks: usize) -> Vec<String> {
    let selector = &s.route("g").unwrap().selector;
    (0..picks)
        .map(|_| {
            let mut c = candidates(s);
            selector.order(&mut c, s);
            s.at(c[0].index).model.name.clone()
        })
        .collect()
}

fn share(picks: &[String], name: &str) -> f64 {
    picks.iter().filter(|p| *p == name).count() as f64 / picks.len() as f64
}

#[test]
fn smooth_weighted_round_robin_follows_the_nginx_sequence() {
    let s = group(GroupStrategy::WeightedRoundRobin, &[5, 1, 1]);
    assert_eq!(firsts(&s, 14).concat(), "aabacaaaabacaa");
    let s = group(GroupStrategy::WeightedRoundRobin, &[3, 1]);
    let picks = firsts(&s, 4_000);
    assert_eq!(share(&picks, "a"), 0.75);
    // The failover order after the pick is the rest, in member order.
    let mut c = candidates(&s);
    s.route("g").unwrap().selector.order(&mut c, &s);
    assert_eq!(c.len(), 2);
}

#[test]
fn weighted_random_gives_weights_3_to_1_about_75_percent() {
    let s = group(GroupStrategy::WeightedRandom, &[3, 1]);
    let picks = firsts(&s, 20_000);
    let a = share(&picks, "a");
    assert!((a - 0.75).abs() < 0.02, "a picked {a}");
}

#[test]
fn round_robin_and_random_spread_evenly() {
    let s = group(GroupStrategy::RoundRobin, &[1, 1, 1]);
    assert_eq!(firsts(&s, 6).concat(), "abcabc");
    let s = group(GroupStrategy::Random, &[1, 1]);
    let picks = firsts(&s, 20_000);
    assert!((share(&picks, "a") - 0.5).abs() < 0.02);
}

#[test]
fn priority_always_picks_the_lowest_priority_number() {
    let s = Fixture::new()
        .model("a", "a")
        .model("b", "b")
        .group("g", GroupStrategy::Priority, &[("a", 1, 2), ("b", 1, 1)])
        .build();
    assert!(firsts(&s, 10).iter().all(|p| p == "b"));
}

#[test]
fn least_latency_prefers_the_fastest_and_explores_unmeasured_members() {
    let s = group(GroupStrategy::LeastLatency, &[1, 1, 1]);
    let members = &s.route("g").unwrap().members;
    members[0]
        .entry
        .health
        .latency
        .observe(Duration::from_millis(300));
    members[1]
        .entry
        .health
        .latency
        .observe(Duration::from_millis(100));
    assert_eq!(
        firsts(&s, 3),
        ["c", "c", "c"],
        "never measured: tried first"
    );
    members[2]
        .entry
        .health
        .latency
        .observe(Duration::from_millis(200));
    let mut c = candidates(&s);
    s.route("g").unwrap().selector.order(&mut c, &s);
    let order: Vec<_> = c
        .iter()
        .map(|c| s.at(c.index).model.name.as_str())
        .collect();
    assert_eq!(order, ["b", "c", "a"]);
}

#[tokio::test]
async fn least_busy_prefers_fewest_in_flight_and_rotates_ties() {
    let s = group(GroupStrategy::LeastBusy, &[1, 1, 1]);
    assert_eq!(firsts(&s, 3).concat(), "abc", "idle members rotate");
    let members = &s.route("g").unwrap().members;
    let options = crate::vitals::AdmitOptions {
        track: true,
        queue: Duration::from_millis(10),
        max_cooldown: Duration::from_secs(1),
    };
    let mut held = Vec::new();
    for (i, busy) in [2, 0, 1].iter().enumerate() {
        let e = &members[i].entry;
        for _ in 0..*busy {
            held.push(
                crate::vitals::admit(&e.provider.health, &e.health, &e.provider.limiter, options)
                    .await
                    .unwrap(),
            );
        }
    }
    let picks = firsts(&s, 50);
    assert!(picks.iter().all(|p| p == "b"), "{picks:?}");
    drop(held);
    let counts = firsts(&s, 30).into_iter().fold(HashMap::new(), |mut m, p| {
        *m.entry(p).or_insert(0) += 1;
        m
    });
    assert_eq!(counts.len(), 3, "all idle again: {counts:?}");
}

#[test]
fn weighted_round_robin_works_over_the_members_still_present() {
    let s = group(GroupStrategy::WeightedRoundRobin, &[3, 1, 1]);
    let selector = &s.route("g").unwrap().selector;
    // `a` filtered out (say, unhealthy): b and c alternate.
    let picks: Vec<String> = (0..4)
        .map(|_| {
            let mut c: Vec<Candidate> = candidates(&s).into_iter().skip(1).collect();
            selector.order(&mut c, &s);
            s.at(c[0].index).model.name.clone()
        })
        .collect();
    assert_eq!(picks.concat(), "bcbc");
}
