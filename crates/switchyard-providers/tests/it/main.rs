//! The adapters' integration tests, one binary: each adapter against a scripted upstream
//! (`common`) replaying recorded wire shapes from `tests/data/`.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests: a failed assumption is a failed test (clippy.toml allows the same in #[test] functions and test modules)"
)]

mod common;

mod anthropic;
mod copilot;
mod gemini;
mod huggingface;
mod mock;
mod openai;
mod openai_compatible;
mod openai_videos;
mod requests;
mod runway;
