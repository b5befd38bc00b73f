//! Group selectors: the seven group strategies, each putting a group's remaining
//! candidates in preference order (the first is the pick; the rest are the failover
//! order). State that lives across requests — a round-robin counter, smooth weighted
//! round-robin's current weights — sits in the selector, which the registry keeps
//! across snapshots while the group is unchanged. No global lock: an atomic counter,
//! or one small lock per group.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::Rng;
use rand::seq::SliceRandom;
use switchyard_types::GroupStrategy;

use super::Candidate;
use crate::registry::Snapshot;

/// One group's strategy and its state.
#[derive(Debug)]
pub enum Selector {
    /// Lowest `priority` first; declaration order among equals.
    Priority,
    /// Each request starts one member further along.
    RoundRobin { next: AtomicUsize },
    /// nginx's smooth weighted round-robin: over any `Σ weights` picks each member is
    /// chosen `weight` times, evenly interleaved.
    WeightedRoundRobin { current: Mutex<Vec<i64>> },
    /// A uniformly random order.
    Random,
    /// Members drawn one after another with probability proportional to weight.
    WeightedRandom,
    /// Lowest decayed average latency first; members never measured first of all.
    LeastLatency,
    /// Fewest calls in flight first; ties rotate.
    LeastBusy { next: AtomicUsize },
}

impl Selector {
    /// A selector for a group of `members` members.
    pub fn new(strategy: GroupStrategy, members: usize) -> Self {
        match strategy {
            GroupStrategy::Priority => Self::Priority,
            GroupStrategy::RoundRobin => Self::RoundRobin {
                next: AtomicUsize::new(0),
            },
            GroupStrategy::WeightedRoundRobin => Self::WeightedRoundRobin {
                current: Mutex::new(vec![0; members]),
            },
            GroupStrategy::Random => Self::Random,
            GroupStrategy::WeightedRandom => Self::WeightedRandom,
            GroupStrategy::LeastLatency => Self::LeastLatency,
            GroupStrategy::LeastBusy => Self::LeastBusy {
                next: AtomicUsize::new(0),
            },
        }
    }

    /// The strategy this selector implements.
    pub fn strategy(&self) -> GroupStrategy {
        match self {
            Self::Priority => GroupStrategy::Priority,
            Self::RoundRobin { .. } => GroupStrategy::RoundRobin,
            Self::WeightedRoundRobin { .. } => GroupStrategy::WeightedRoundRobin,
            Self::Random => GroupStrategy::Random,
            Self::WeightedRandom => GroupStrategy::WeightedRandom,
            Self::LeastLatency => GroupStrategy::LeastLatency,
            Self::LeastBusy { .. } => GroupStrategy::LeastBusy,
        }
    }

    /// Put `candidates` (members of this selector's group, indices into `snapshot`) in
    /// preference order.
    pub fn order(&self, candidates: &mut [Candidate], snapshot: &Snapshot) {
        let n = candidates.len();
        if n < 2 {
            if let (Self::WeightedRoundRobin { current }, Some(only)) = (self, candidates.first()) {
                // Keep the weights moving so the sequence resumes correctly later.
                smooth_pick(current, std::slice::from_ref(only));
            }
            return;
        }
        match self {
            Self::Priority => candidates.sort_by_key(|c| c.priority),
            Self::RoundRobin { next } => {
                candidates.rotate_left(next.fetch_add(1, Ordering::Relaxed) % n);
            }
            Self::WeightedRoundRobin { current } => {
                let pick = smooth_pick(current, candidates);
                candidates[..=pick].rotate_right(1);
            }
            Self::Random => candidates.shuffle(&mut rand::rng()),
            Self::WeightedRandom => {
                let mut rng = rand::rng();
                for i in 0..n - 1 {
                    let total: u64 = candidates[i..].iter().map(|c| u64::from(c.weight)).sum();
                    let mut r = rng.random_range(0..total.max(1));
                    let mut pick = i;
                    for (j, c) in candidates.iter().enumerate().skip(i) {
                        let w = u64::from(c.weight);
                        if r < w {
                            pick = j;
                            break;
                        }
                        r -= w;
                    }
                    candidates.swap(i, pick);
                }
            }
            Self::LeastLatency => candidates.sort_by(|a, b| {
                let ms = |c: &Candidate| snapshot.at(c.index).health.latency.get().unwrap_or(0.0);
                ms(a).total_cmp(&ms(b))
            }),
            Self::LeastBusy { next } => {
                candidates.rotate_left(next.fetch_add(1, Ordering::Relaxed) % n);
                candidates.sort_by_key(|c| snapshot.at(c.index).health.in_flight());
            }
        }
    }
}

/// One step of smooth weighted round-robin over the present candidates; returns the
/// index (into `candidates`) of the pick.
fn smooth_pick(current: &Mutex<Vec<i64>>, candidates: &[Candidate]) -> usize {
    let mut current = current
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut total = 0i64;
    let mut best: Option<(usize, i64)> = None;
    for (i, c) in candidates.iter().enumerate() {
        let slot = usize::from(c.slot);
        if slot >= current.len() {
            current.resize(slot + 1, 0);
        }
        let weight = i64::from(c.weight.max(1));
        current[slot] += weight;
        total += weight;
        if best.is_none_or(|(_, w)| current[slot] > w) {
            best = Some((i, current[slot]));
        }
    }
    let Some((pick, _)) = best else { return 0 };
    if let Some(slot) = candidates.get(pick).map(|c| usize::from(c.slot)) {
        current[slot] -= total;
    }
    pick
}

#[cfg(test)]
#[path = "select_tests.rs"]
mod tests;
