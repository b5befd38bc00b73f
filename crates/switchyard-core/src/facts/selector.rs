//! A group selector's state: which of the seven group strategies it implements and
//! what that strategy remembers across requests — a round-robin counter, smooth
//! weighted round-robin's current weights. The registry keeps a selector across
//! snapshots while its group is unchanged. No global lock: an atomic counter, or one
//! small lock per group. Putting candidates in order (`Selector::order`) reads the
//! snapshot, so it is implemented in `routing::select`, above the registry.

use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;

use switchyard_types::GroupStrategy;

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
}
