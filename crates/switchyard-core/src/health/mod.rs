//! Health services that walk the registry's snapshot: [`probe`] checks idle providers
//! with their free call, [`status`] reports every provider's and model's health. They
//! sit above the registry; the state they read and feed (breakers, windows, latency,
//! in-flight counts, cooldowns) lives in the leaf [`crate::vitals`] that the registry
//! holds, and is re-exported here so `health::…` names keep working.

pub mod probe;
pub mod status;

pub use crate::vitals::*;
