//! Switchyard's services: the provider registry, authentication, the LLM service
//! and provider secrets. Business logic lives here; nothing here knows HTTP.

pub mod auth;
pub mod estimate;
pub mod keys;
pub mod llm;
pub mod meter;
pub mod registry;
pub mod secrets;
pub mod usage;
