//! The built-in `mock` provider: no network, deterministic replies derived from the
//! input, real streaming with configurable pacing, embeddings, images and video jobs,
//! and injectable failures — for first runs, demos, tests and benchmarks.
//! Everything is set per provider through its `options` table.

mod chat;
mod media;

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use serde::Deserialize;
use switchyard_types::ErrorKind;

use crate::{Adapters, BuildError, ProviderContext, ProviderError};

pub use crate::tokens::estimate_tokens;
pub use chat::reply_text;

/// Settings of a mock provider (its `options` table). Unknown keys are refused.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MockOptions {
    /// Delay before a reply (or before a stream's first chunk).
    pub latency_ms: u64,
    /// Chunks a streamed reply is split into (at least 1).
    pub stream_chunks: u32,
    /// Delay between stream chunks.
    pub chunk_delay_ms: u64,
    /// Length of embedding vectors.
    pub embedding_dimensions: usize,
    /// How long a mock video job takes to finish.
    pub video_duration_ms: u64,
    /// Probability (0–1) that a call fails with the injected error.
    pub error_rate: f64,
    /// HTTP status of the injected error.
    pub error_status: u16,
    /// Kind of the injected error.
    pub error_kind: ErrorKind,
    /// Seconds of `Retry-After` the injected error carries.
    pub retry_after_s: Option<u64>,
    /// Break streams after this many chunks, without their terminator.
    pub disconnect_after_chunks: Option<u32>,
    /// Accepted for compatibility with real providers' options; the mock never retries.
    pub max_retries: Option<u64>,
    /// Accepted like `max_retries`.
    pub first_byte_timeout_ms: Option<u64>,
    /// Accepted like `max_retries`.
    pub idle_timeout_ms: Option<u64>,
}

impl Default for MockOptions {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            stream_chunks: 8,
            chunk_delay_ms: 0,
            embedding_dimensions: 16,
            video_duration_ms: 3_000,
            error_rate: 0.0,
            error_status: 500,
            error_kind: ErrorKind::UpstreamError,
            retry_after_s: None,
            disconnect_after_chunks: None,
            max_retries: None,
            first_byte_timeout_ms: None,
            idle_timeout_ms: None,
        }
    }
}

impl MockOptions {
    /// Parse the provider's options object; the message names the bad field.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, String> {
        let options: Self = if value.is_null() {
            Self::default()
        } else {
            let de = value.clone();
            serde_path_to_error::deserialize(de)
                .map_err(|e| format!("{}: {}", e.path(), e.inner()))?
        };
        if !(0.0..=1.0).contains(&options.error_rate) {
            return Err("error_rate: must be between 0 and 1".into());
        }
        if options.stream_chunks == 0 {
            return Err("stream_chunks: must be at least 1".into());
        }
        if options.embedding_dimensions == 0 {
            return Err("embedding_dimensions: must be at least 1".into());
        }
        Ok(options)
    }

    fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms)
    }

    /// The injected failure, drawn with probability `error_rate`.
    fn maybe_fail(&self) -> Result<(), ProviderError> {
        if self.error_rate > 0.0 && rand::rng().random_bool(self.error_rate) {
            return Err(ProviderError {
                kind: self.error_kind,
                message: format!(
                    "mock: injected {} (HTTP {})",
                    self.error_kind, self.error_status
                ),
                status: Some(self.error_status),
                retry_after: self.retry_after_s.map(Duration::from_secs),
            });
        }
        Ok(())
    }
}

/// The mock's adapters, sharing one set of options.
pub fn adapters(ctx: ProviderContext) -> Result<Adapters, BuildError> {
    let options =
        MockOptions::from_json(&ctx.options).map_err(|message| BuildError::InvalidOptions {
            name: ctx.name.clone(),
            message,
        })?;
    let mock = Arc::new(MockProvider { options });
    Ok(Adapters {
        chat: Some(mock.clone()),
        embeddings: Some(mock.clone()),
        images: Some(mock.clone()),
        videos: Some(mock),
    })
}

/// The mock adapter.
#[derive(Debug, Clone)]
pub struct MockProvider {
    options: MockOptions,
}

impl MockProvider {
    /// A mock with the given settings.
    pub fn new(options: MockOptions) -> Self {
        Self { options }
    }
}

/// FNV-1a: a stable hash so replies and ids depend only on the input.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}
