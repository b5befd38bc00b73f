//! The classification every failure carries (ARCHITECTURE.md, "Errors"). Retry, fallback, circuit
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

/// Every error the gateway answers with, one row each: the stable `code` in error
/// bodies, the HTTP status, the error `type` of the OpenAI and Anthropic formats, and a
/// low-cardinality label for metrics. Every surface renders errors from this table
/// (ARCHITECTURE.md, "Errors").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// A request field is missing, malformed or out of range.
    InvalidField,
    /// The body is not the JSON the route expects.
    InvalidBody,
    /// The body is not JSON at all.
    InvalidJson,
    /// A query parameter is unknown, repeated or malformed.
    InvalidQuery,
    /// The body is not `application/json`.
    UnsupportedMediaType,
    /// The body is over `server.request_body_limit_bytes`.
    BodyTooLarge,
    /// No or an unknown credential.
    Unauthorized,
    /// The caller's role may not do this.
    Forbidden,
    /// The caller's key may not use the model.
    ModelNotAllowed,
    /// The resource does not exist (or is not the caller's).
    NotFound,
    /// No such route.
    RouteNotFound,
    /// No model, group or provider/model of that name.
    ModelNotFound,
    /// No enabled model declares the task type.
    NoModelForTask,
    /// The model serves another kind of request.
    WrongModelKind,
    /// The model lacks a capability the request uses.
    UnsupportedCapability,
    /// The prompt (plus the requested output) exceeds the context window.
    ContextLengthExceeded,
    /// A name or other unique field is taken.
    Conflict,
    /// The resource is still referenced.
    InUse,
    /// The task has already finished.
    TaskFinished,
    /// An idempotency key was reused for a different request.
    IdempotencyKeyReused,
    /// A rate limit (the gateway's or the provider's) is reached.
    RateLimited,
    /// A quota or budget is used up.
    QuotaExceeded,
    /// Every candidate is refused for health, or none could be called.
    NoProvider,
    /// The provider is overloaded.
    Overloaded,
    /// The provider (or the gateway's request deadline) timed out.
    Timeout,
    /// The provider refused the gateway's credentials.
    UpstreamAuth,
    /// The provider refused the request as malformed.
    UpstreamBadRequest,
    /// The provider's content filter refused the request or the answer.
    ContentFiltered,
    /// The provider failed.
    UpstreamError,
    /// A bug or an unavailable dependency; details are in the log only.
    Internal,
}

/// One row of the [`ErrorCode`] table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorRow {
    /// The stable code in error bodies.
    pub code: &'static str,
    /// The HTTP status answered.
    pub status: u16,
    /// OpenAI's `error.type`.
    pub openai_type: &'static str,
    /// OpenAI's `error.code` (the code, except where OpenAI's own clients expect another).
    pub openai_code: &'static str,
    /// Anthropic's `error.type`.
    pub anthropic_type: &'static str,
    /// A low-cardinality label for metrics and logs.
    pub label: &'static str,
}

const fn row(
    code: &'static str,
    status: u16,
    openai_type: &'static str,
    anthropic_type: &'static str,
    label: &'static str,
) -> ErrorRow {
    ErrorRow {
        code,
        status,
        openai_type,
        openai_code: code,
        anthropic_type,
        label,
    }
}

const INVALID: &str = "invalid_request_error";

impl ErrorCode {
    /// Every code, for tests and documentation.
    pub const ALL: [ErrorCode; 30] = [
        Self::InvalidField,
        Self::InvalidBody,
        Self::InvalidJson,
        Self::InvalidQuery,
        Self::UnsupportedMediaType,
        Self::BodyTooLarge,
        Self::Unauthorized,
        Self::Forbidden,
        Self::ModelNotAllowed,
        Self::NotFound,
        Self::RouteNotFound,
        Self::ModelNotFound,
        Self::NoModelForTask,
        Self::WrongModelKind,
        Self::UnsupportedCapability,
        Self::ContextLengthExceeded,
        Self::Conflict,
        Self::InUse,
        Self::TaskFinished,
        Self::IdempotencyKeyReused,
        Self::RateLimited,
        Self::QuotaExceeded,
        Self::NoProvider,
        Self::Overloaded,
        Self::Timeout,
        Self::UpstreamAuth,
        Self::UpstreamBadRequest,
        Self::ContentFiltered,
        Self::UpstreamError,
        Self::Internal,
    ];

    /// This code's row of the table.
    pub const fn row(self) -> ErrorRow {
        match self {
            Self::InvalidField => row("invalid_field", 400, INVALID, INVALID, "invalid_request"),
            Self::InvalidBody => row("invalid_body", 400, INVALID, INVALID, "invalid_request"),
            Self::InvalidJson => row("invalid_json", 400, INVALID, INVALID, "invalid_request"),
            Self::InvalidQuery => row("invalid_query", 400, INVALID, INVALID, "invalid_request"),
            Self::UnsupportedMediaType => row(
                "unsupported_media_type",
                415,
                INVALID,
                INVALID,
                "invalid_request",
            ),
            Self::BodyTooLarge => row(
                "body_too_large",
                413,
                INVALID,
                "request_too_large",
                "invalid_request",
            ),
            Self::Unauthorized => ErrorRow {
                // OpenAI's SDKs raise AuthenticationError on this code.
                openai_code: "invalid_api_key",
                ..row(
                    "unauthorized",
                    401,
                    "authentication_error",
                    "authentication_error",
                    "unauthorized",
                )
            },
            Self::Forbidden => row(
                "forbidden",
                403,
                "permission_error",
                "permission_error",
                "forbidden",
            ),
            Self::ModelNotAllowed => row(
                "model_not_allowed",
                403,
                "permission_error",
                "permission_error",
                "forbidden",
            ),
            Self::NotFound => row(
                "not_found",
                404,
                "not_found_error",
                "not_found_error",
                "not_found",
            ),
            Self::RouteNotFound => row(
                "route_not_found",
                404,
                "not_found_error",
                "not_found_error",
                "not_found",
            ),
            // OpenAI answers an unknown model as an invalid request.
            Self::ModelNotFound => row(
                "model_not_found",
                404,
                INVALID,
                "not_found_error",
                "not_found",
            ),
            Self::NoModelForTask => row(
                "no_model_for_task",
                404,
                "not_found_error",
                "not_found_error",
                "not_found",
            ),
            Self::WrongModelKind => {
                row("wrong_model_kind", 400, INVALID, INVALID, "invalid_request")
            }
            Self::UnsupportedCapability => row(
                "unsupported_capability",
                400,
                INVALID,
                INVALID,
                "invalid_request",
            ),
            Self::ContextLengthExceeded => row(
                "context_length_exceeded",
                400,
                INVALID,
                INVALID,
                "context_length",
            ),
            Self::Conflict => row("conflict", 409, INVALID, "api_error", "conflict"),
            Self::InUse => row("in_use", 409, INVALID, "api_error", "conflict"),
            Self::TaskFinished => row("task_finished", 409, INVALID, "api_error", "conflict"),
            Self::IdempotencyKeyReused => row(
                "idempotency_key_reused",
                409,
                INVALID,
                "api_error",
                "conflict",
            ),
            Self::RateLimited => row(
                "rate_limited",
                429,
                "rate_limit_error",
                "rate_limit_error",
                "rate_limited",
            ),
            Self::QuotaExceeded => row(
                "quota_exceeded",
                429,
                "rate_limit_error",
                "rate_limit_error",
                "quota_exceeded",
            ),
            Self::NoProvider => row(
                "no_provider",
                503,
                "server_error",
                "overloaded_error",
                "no_provider",
            ),
            Self::Overloaded => row(
                "overloaded",
                503,
                "server_error",
                "overloaded_error",
                "overloaded",
            ),
            Self::Timeout => row("timeout", 504, "server_error", "timeout_error", "timeout"),
            Self::UpstreamAuth => row("auth", 502, "server_error", "api_error", "upstream_auth"),
            Self::UpstreamBadRequest => {
                row("bad_request", 400, INVALID, INVALID, "invalid_request")
            }
            Self::ContentFiltered => row(
                "content_filtered",
                400,
                INVALID,
                INVALID,
                "content_filtered",
            ),
            Self::UpstreamError => row(
                "upstream_error",
                502,
                "server_error",
                "api_error",
                "upstream_error",
            ),
            Self::Internal => row(
                "internal_error",
                500,
                "server_error",
                "api_error",
                "internal",
            ),
        }
    }

    /// The stable code in error bodies.
    pub const fn as_str(self) -> &'static str {
        self.row().code
    }

    /// The HTTP status answered.
    pub const fn status(self) -> u16 {
        self.row().status
    }
}

impl From<ErrorKind> for ErrorCode {
    /// How a classified provider failure reaches the client.
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::RateLimited => Self::RateLimited,
            ErrorKind::Overloaded => Self::Overloaded,
            ErrorKind::Timeout => Self::Timeout,
            ErrorKind::Auth => Self::UpstreamAuth,
            ErrorKind::BadRequest => Self::UpstreamBadRequest,
            ErrorKind::ContextLengthExceeded => Self::ContextLengthExceeded,
            ErrorKind::ContentFiltered => Self::ContentFiltered,
            ErrorKind::NotFound => Self::NotFound,
            ErrorKind::UpstreamError => Self::UpstreamError,
        }
    }
}

impl std::fmt::Display for ErrorCode {
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
    fn provider_kinds_keep_their_code_and_status() {
        for kind in [
            ErrorKind::RateLimited,
            ErrorKind::Overloaded,
            ErrorKind::Timeout,
            ErrorKind::Auth,
            ErrorKind::BadRequest,
            ErrorKind::ContextLengthExceeded,
            ErrorKind::ContentFiltered,
            ErrorKind::NotFound,
            ErrorKind::UpstreamError,
        ] {
            let code = ErrorCode::from(kind);
            assert_eq!(code.as_str(), kind.as_str());
            assert_eq!(code.status(), kind.http_status());
        }
    }

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            let row = code.row();
            assert!((400..600).contains(&row.status));
            assert!(!row.label.is_empty());
        }
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
