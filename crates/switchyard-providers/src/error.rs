//! The error every adapter returns: a classified kind plus what the upstream said.

use std::time::Duration;

use switchyard_types::ErrorKind;

/// A failed provider call, already classified: retry, failover and breakers read the kind (ARCHITECTURE.md, "Errors").
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct ProviderError {
    pub kind: ErrorKind,
    pub message: String,
    /// The upstream's HTTP status, when there was one.
    pub status: Option<u16>,
    /// How long the upstream asked us to wait (`Retry-After`).
    pub retry_after: Option<Duration>,
}

impl ProviderError {
    /// An error of `kind` with a message and no upstream status.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            status: None,
            retry_after: None,
        }
    }

    /// Whether retrying or failing over may help.
    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }
}
