//! Switchyard's services: the provider registry, authentication, the LLM service
//! and provider secrets. Business logic lives here; nothing here knows HTTP.
//!
//! The modules form layers with no cycle: leaves such as `vitals` (health state) and
//! `facts` (routing facts) are held by the `registry`; `health` (probe, status) and
//! `routing` walk a registry snapshot from above; `llm`, `meter`, `tasks` and the
//! request pipeline (`gateway`) sit on top (ARCHITECTURE.md, "Core layers"). A unit test (`layering`) reads `src/` and fails on a cycle.

pub mod auth;
pub mod error;
pub mod estimate;
pub mod facts;
pub mod gateway;
pub mod governance;
pub mod health;
pub mod jwt;
pub mod keys;
#[cfg(test)]
mod layering;
pub mod llm;
pub mod media;
pub mod meter;
pub mod registry;
pub mod routing;
pub mod secrets;
pub mod tasks;
pub mod usage;
pub mod usage_export;
pub mod vitals;
