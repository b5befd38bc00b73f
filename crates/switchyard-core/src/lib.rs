//! Switchyard's services: the provider registry, authentication, the LLM service
//! and provider secrets. Business logic lives here; nothing here knows HTTP.

pub mod auth;
pub mod estimate;
pub mod facts;
pub mod governance;
pub mod health;
pub mod jwt;
pub mod keys;
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
