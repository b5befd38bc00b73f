//! What routing reads of a model, packed into 16 bytes and kept in one array per
//! snapshot (indexed like its models), so the chain's filters read a few cache lines
//! rather than chase every entry. Built by the registry from the model and what it
//! knows of the provider; this module never sees a registry entry.

use switchyard_types::{Model, ModelKind};

use super::Needs;

/// A model's routing facts, computed when the snapshot is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Card {
    kinds: u8,
    /// The model's capabilities.
    pub capabilities: Needs,
    /// Its provider's adapters could not be built.
    pub unavailable: bool,
    /// The model and its provider are enabled.
    pub enabled: bool,
    pub context_window: u32,
    /// Position in the snapshot's cost order (the registry's `ModelEntry::cost_order`; 0
    /// comes first).
    pub cost_rank: u32,
}

fn kind_bit(kind: ModelKind) -> u8 {
    match kind {
        ModelKind::Chat => 1,
        ModelKind::Embedding => 2,
        ModelKind::Image => 4,
        ModelKind::Video => 8,
    }
}

impl Card {
    /// The card of `model`, ranked `cost_rank`. `enabled`: the model and its provider
    /// are enabled; `unavailable`: its provider's adapters could not be built.
    pub fn new(model: &Model, enabled: bool, unavailable: bool, cost_rank: u32) -> Self {
        Self {
            kinds: model.kinds.iter().fold(0, |k, kind| k | kind_bit(*kind)),
            capabilities: model
                .capabilities
                .iter()
                .fold(Needs::NONE, |set, c| set.with(*c)),
            unavailable,
            enabled,
            context_window: model.context_window,
            cost_rank,
        }
    }

    /// Whether the model produces `kind`.
    pub fn produces(&self, kind: ModelKind) -> bool {
        self.kinds & kind_bit(kind) != 0
    }
}

/// What every model of a snapshot has in common, so a filter can tell at once that it
/// could remove nothing (the usual case) and skip its pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Floor {
    kinds: u8,
    capabilities: Needs,
    /// The smallest context window.
    pub context_window: u32,
    /// Whether some provider's adapters could not be built.
    pub any_unavailable: bool,
}

impl Default for Floor {
    fn default() -> Self {
        Self {
            kinds: 0,
            capabilities: Needs::NONE,
            context_window: 0,
            any_unavailable: false,
        }
    }
}

impl Floor {
    /// The floor of `cards`.
    pub fn of(cards: &[Card]) -> Self {
        let Some(first) = cards.first() else {
            return Self::default();
        };
        cards.iter().fold(
            Self {
                kinds: first.kinds,
                capabilities: first.capabilities,
                context_window: first.context_window,
                any_unavailable: false,
            },
            |f, c| Self {
                kinds: f.kinds & c.kinds,
                capabilities: f.capabilities.intersection(c.capabilities),
                context_window: f.context_window.min(c.context_window),
                any_unavailable: f.any_unavailable || c.unavailable,
            },
        )
    }

    /// Whether every model produces `kind` with all of `needs`.
    pub fn covers(&self, kind: ModelKind, needs: Needs) -> bool {
        self.kinds & kind_bit(kind) != 0 && needs.without(self.capabilities).is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::testing::Fixture;
    use switchyard_types::Capability;

    #[test]
    fn the_floor_is_what_every_model_has() {
        let s = Fixture::new()
            .with_model("a", "x", |m| {
                m.capabilities = vec![Capability::Stream, Capability::Tools];
                m.context_window = 1_000
            })
            .model("b", "y")
            .build();
        let floor = s.floor();
        assert_eq!(floor.context_window, 1_000);
        assert!(floor.covers(ModelKind::Chat, Needs::NONE.with(Capability::Stream)));
        assert!(!floor.covers(ModelKind::Chat, Needs::NONE.with(Capability::Tools)));
        assert!(!floor.covers(ModelKind::Embedding, Needs::NONE));
        assert!(!floor.any_unavailable);
        assert!(
            Fixture::new()
                .model("c", "z")
                .broken("c")
                .build()
                .floor()
                .any_unavailable
        );
        assert!(s.card(0).produces(ModelKind::Chat));
    }
}
