//! Group selectors: the seven group strategies, each putting a group's remaining
//! candidates in preference order (the first is the pick; the rest are the failover
//! order). The state that lives across requests — a round-robin counter, smooth
//! weighted round-robin's current weights — is the [`Selector`] of the leaf
//! [`crate::facts`], which the registry keeps across snapshots while the group is
//! unchanged; the ordering, which reads the snapshot, is here.

use std::sync::Mutex;
use std::sync::atomic::Ordering;

use rand::Rng;
use rand::seq::SliceRandom;

use super::Candidate;
use crate::registry::Snapshot;

pub use crate::facts::Selector;

impl Selector {
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
