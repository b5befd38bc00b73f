//! The classification every failure carries (SPEC §3). Retry, fallback, circuit
//! breakers, metrics and HTTP status codes read this and nothing else.

use serde::{Deserialize, Serialize};

/// Normalised kind of an upstream or gateway failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    RateLimited,
    Overloaded,
    Timeout,
    Auth,
    BadRequest,
    ContextLengthExceeded,
    ContentFiltered,
    NotFound,
    UpstreamError,
}

impl ErrorKind {
    /// Only these kinds may be retried or failed over to another candidate.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::RateLimited | Self::Overloaded | Self::Timeout | Self::UpstreamError
        )
    }

    /// The stable snake_case name used in error bodies and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RateLimited => "rate_limited",
            Self::Overloaded => "overloaded",
            Self::Timeout => "timeout",
            Self::Auth => "auth",
            Self::BadRequest => "bad_request",
            Self::ContextLengthExceeded => "context_length_exceeded",
            Self::ContentFiltered => "content_filtered",
            Self::NotFound => "not_found",
            Self::UpstreamError => "upstream_error",
        }
    }

    /// The HTTP status the gateway answers with when this kind reaches the client.
    pub fn http_status(self) -> u16 {
        match self {
            Self::RateLimited => 429,
            Self::Overloaded => 503,
            Self::Timeout => 504,
            Self::Auth => 502,
            Self::BadRequest | Self::ContextLengthExceeded | Self::ContentFiltered => 400,
            Self::NotFound => 404,
            Self::UpstreamError => 502,
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_kinds_are_retryable() {
        assert!(ErrorKind::RateLimited.is_retryable());
        assert!(ErrorKind::UpstreamError.is_retryable());
        assert!(!ErrorKind::Auth.is_retryable());
        assert!(!ErrorKind::ContextLengthExceeded.is_retryable());
    }

    #[test]
    fn serde_names_match_as_str() {
        for k in [
            ErrorKind::RateLimited,
            ErrorKind::ContextLengthExceeded,
            ErrorKind::NotFound,
        ] {
            let json = serde_json::to_string(&k).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
        }
    }
}
