//! The adapters' integration tests, one binary: each adapter against a scripted upstream
//! (`common`) replaying recorded wire shapes from `tests/data/`.

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
