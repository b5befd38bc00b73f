//! Why an AI call could not be answered: one error type for routing, governance,
//! failover and the gateway's own deadline. Every variant maps to one row of the
//! [`ErrorCode`] table, which decides the status and how each client format shows it
//! (ARCHITECTURE.md, "Errors").

use std::time::Duration;

use switchyard_providers::ProviderError;
use switchyard_types::{ErrorCode, ErrorKind, ModelKind, TaskType};

use crate::governance::Refusal;

/// Why the gateway could not answer an AI request.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// A request field the gateway checks itself is wrong.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("model `{model}` does not exist")]
    ModelNotFound { model: String },
    #[error("model `{model}` cannot serve {kind} requests")]
    WrongKind { model: String, kind: ModelKind },
    #[error("model `{model}` does not support {missing}")]
    Unsupported { model: String, missing: String },
    #[error("this API key may not use model `{model}`")]
    NotAllowed { model: String },
    #[error(
        "the prompt is about {tokens} tokens; with the requested output it exceeds every candidate's context window (largest {window})"
    )]
    ContextTooLong { tokens: u64, window: u32 },
    #[error("no enabled model declares task type `{task}`")]
    NoModelForTask { task: TaskType },
    /// Nothing could be called; `retry_after` says when something may be again.
    #[error("no available provider for `{asked}`: {reason}")]
    Unavailable {
        asked: String,
        reason: String,
        retry_after: Option<Duration>,
    },
    /// A rate limit, quota or budget refused the request before any upstream call.
    #[error("{}", refusal.message)]
    Refused { refusal: Box<Refusal> },
    /// `server.request_timeout_ms` passed before the answer (or a stream's first event).
    #[error("the request took longer than the gateway's limit of {} ms", after.as_millis())]
    TimedOut { after: Duration },
    /// A failure of the gateway itself (details are logged, not shown).
    #[error("internal error: {message}")]
    Internal { message: String },
    /// The last candidate's failure.
    #[error("{error}")]
    Provider {
        #[from]
        error: ProviderError,
    },
}

impl LlmError {
    /// A 400 naming `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The row of the error table this error answers with.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { .. } => ErrorCode::InvalidField,
            Self::ModelNotFound { .. } => ErrorCode::ModelNotFound,
            Self::WrongKind { .. } => ErrorCode::WrongModelKind,
            Self::Unsupported { .. } => ErrorCode::UnsupportedCapability,
            Self::NotAllowed { .. } => ErrorCode::ModelNotAllowed,
            Self::ContextTooLong { .. } => ErrorCode::ContextLengthExceeded,
            Self::NoModelForTask { .. } => ErrorCode::NoModelForTask,
            Self::Unavailable { .. } => ErrorCode::NoProvider,
            Self::Refused { refusal } => refusal.code,
            Self::TimedOut { .. } => ErrorCode::Timeout,
            Self::Internal { .. } => ErrorCode::Internal,
            Self::Provider { error } => error.kind.into(),
        }
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        self.code().status()
    }

    /// The request field at fault, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::ModelNotFound { .. }
            | Self::WrongKind { .. }
            | Self::Unsupported { .. }
            | Self::NotAllowed { .. } => Some("model"),
            Self::ContextTooLong { .. } => Some("messages"),
            Self::NoModelForTask { .. } => Some("task_type"),
            _ => None,
        }
    }

    /// How long the client should wait before retrying, when that is known.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Unavailable { retry_after, .. } => *retry_after,
            Self::Refused { refusal } => Some(refusal.retry_after),
            Self::Provider { error } => error.retry_after,
            _ => None,
        }
    }

    /// The failure kind recorded in usage, for failures of a provider or of health.
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            Self::Provider { error } => Some(error.kind),
            Self::Refused { .. } => Some(ErrorKind::RateLimited),
            Self::TimedOut { .. } => Some(ErrorKind::Timeout),
            _ => None,
        }
    }
}

impl From<Refusal> for LlmError {
    fn from(refusal: Refusal) -> Self {
        Self::Refused {
            refusal: Box::new(refusal),
        }
    }
}
