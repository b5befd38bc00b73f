//! The gateway's integration tests, one binary: real gateways on port 0 over fresh
//! SQLite or PostgreSQL databases (PostgreSQL cases skip when the server is unreachable,
//! except under `CI=true`), the built binary for CLI and crash tests, scripted upstreams.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "integration tests: a failed assumption is a failed test (clippy.toml allows the same in #[test] functions and test modules), and mock upstreams live on the test's runtime"
)]

mod routing_support;
mod tasks_support;

mod cli;
mod config;
mod error_bodies;
mod governance;
mod http_admin;
mod http_anthropic;
mod http_anthropic_hints;
mod http_native;
mod http_ops;
mod pipeline;
mod replicas;
mod routing_breaker;
mod routing_failover;
mod routing_groups;
mod seed_and_ready;
mod streaming;
mod tasks_budget;
mod tasks_events;
mod tasks_kill;
mod tasks_lifecycle;
mod tasks_media;
mod tasks_replicas;
mod usage;
mod usage_analytics;
