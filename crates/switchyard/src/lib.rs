//! The Switchyard gateway: command line, configuration, HTTP surfaces, start-up and
//! shutdown. Services live in `switchyard-core`; this crate wires them to the world.

pub mod app;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod http;
pub mod media;
pub mod serve;
pub mod telemetry;
