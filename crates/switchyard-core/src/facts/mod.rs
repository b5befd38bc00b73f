//! What routing needs to know about the registry's entries, computed or created when a
//! snapshot is built: each model's [`Card`] (kinds, capabilities, availability, context
//! window, cost rank), the snapshot's [`Floor`], the [`Needs`] bit set both are compared
//! with, and each group's [`Selector`] state (round-robin counters, smooth weights).
//!
//! A leaf: it depends on `switchyard_types` only. The registry holds these facts and
//! routing reads them; the strategies that walk a snapshot (including the selectors'
//! ordering, `Selector::order` in `routing::select`) live in [`crate::routing`], above
//! the registry, so neither the registry nor this module depends on routing.

mod card;
mod needs;
mod selector;

pub use card::{Card, Floor};
pub use needs::Needs;
pub use selector::Selector;
