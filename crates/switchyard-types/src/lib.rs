//! Switchyard's shared vocabulary: the domain model, the canonical API types every
//! client format and provider translates through, error kinds and secrets. No I/O.

pub mod chat;
pub mod domain;
pub mod error;
pub mod media;
pub mod secret;

pub use domain::*;
pub use error::{ErrorCode, ErrorKind};
pub use secret::Secret;

/// Milliseconds since the Unix epoch: the one time representation in storage and APIs.
pub type Millis = i64;

/// Current wall-clock time in milliseconds since the Unix epoch.
pub fn now_millis() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
