//! Errors at the HTTP edge: one [`ApiError`] with a status and a field, rendered in the
//! format of the surface that received the request (native, OpenAI or Anthropic).

use std::marker::PhantomData;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use switchyard_core::auth::AuthError;
use switchyard_core::governance::Refusal;
use switchyard_core::llm::LlmError;
use switchyard_store::StoreError;
use switchyard_types::ErrorCode;

/// A failure to report to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The row of the error table: code, status and each format's type.
    pub code: ErrorCode,
    pub message: String,
    /// The request field at fault, when there is one.
    pub param: Option<String>,
    /// Seconds the client should wait before retrying.
    pub retry_after: Option<u64>,
    /// Extra response headers (e.g. rate-limit state).
    pub headers: Vec<(&'static str, String)>,
    /// What went wrong inside, for the log only (never shown to the client).
    pub detail: Option<String>,
}

/// The hidden cause of a 5xx, carried on the response for the one log line the
/// request's middleware writes.
#[derive(Debug, Clone)]
pub struct ErrorDetail(pub String);

impl ApiError {
    /// An error of `code` with a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            param: None,
            retry_after: None,
            headers: Vec::new(),
            detail: None,
        }
    }

    /// The HTTP status answered.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// This error, naming `field`.
    #[must_use]
    pub fn at(mut self, field: impl Into<String>) -> Self {
        self.param = Some(field.into());
        self
    }

    /// A 400 naming the offending field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = format!("{field}: {}", message.into());
        Self::new(ErrorCode::InvalidField, message).at(field)
    }

    /// A 404 for a missing resource.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, what)
    }

    /// A 500 whose details go to the log only (written once, by the request's
    /// middleware), never to the client.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        Self {
            detail: Some(error.to_string()),
            ..Self::new(
                ErrorCode::Internal,
                "internal error; see the gateway log for this request id",
            )
        }
    }

    /// A 401 with the reason.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    /// A 403 with the reason.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }
}

/// Whole seconds, rounded up (at least 1): a client must not come back too early.
fn whole_seconds(d: std::time::Duration) -> u64 {
    d.as_secs_f64().ceil().max(1.0) as u64
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        Self {
            retry_after: Some(whole_seconds(r.retry_after)),
            headers: r.headers.pairs(),
            ..Self::new(r.code, r.message)
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => Self::new(ErrorCode::Conflict, m),
            StoreError::InUse(m) => Self::new(ErrorCode::InUse, m),
            other => Self::internal(other),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Store(s) => Self::from(s),
            other => Self::unauthorized(other.to_string()),
        }
    }
}

impl From<LlmError> for ApiError {
    fn from(e: LlmError) -> Self {
        let code = e.code();
        let param = e.field().map(str::to_string);
        let retry_after = match &e {
            // Provider hints are whole seconds already; ours are rounded up.
            LlmError::Provider { error } => error.retry_after.map(|d| d.as_secs().max(1)),
            other => other.retry_after().map(whole_seconds),
        };
        match e {
            LlmError::Refused { refusal } => Self::from(*refusal),
            LlmError::Invalid { field, message } => Self::field(field, message),
            LlmError::Internal { message } => Self::internal(message),
            other => Self {
                param,
                retry_after,
                ..Self::new(code, other.to_string())
            },
        }
    }
}

/// A client-facing API surface; it decides how errors look.
pub trait Surface: Send + Sync + 'static {
    /// The JSON body of an error in this surface's format.
    fn body(error: &ApiError) -> serde_json::Value;
}

/// Switchyard's own format: `{"error":{"code","message","param"}}`.
pub struct Native;
/// OpenAI's format: `{"error":{"message","type","code","param"}}`.
pub struct OpenAi;

impl Surface for Native {
    fn body(e: &ApiError) -> serde_json::Value {
        json!({"error": {"code": e.code.as_str(), "message": e.message, "param": e.param}})
    }
}

impl Surface for OpenAi {
    fn body(e: &ApiError) -> serde_json::Value {
        let row = e.code.row();
        json!({"error": {"message": e.message, "type": row.openai_type, "code": row.openai_code, "param": e.param}})
    }
}

/// Anthropic's format: `{"type":"error","error":{"type","message"}}`.
pub struct Anthropic;

impl Surface for Anthropic {
    fn body(e: &ApiError) -> serde_json::Value {
        json!({"type": "error", "error": {"type": e.code.row().anthropic_type, "message": e.message}})
    }
}

/// An [`ApiError`] on its way out through surface `S`.
pub struct Failure<S>(pub ApiError, PhantomData<S>);

impl<S> From<ApiError> for Failure<S> {
    fn from(e: ApiError) -> Self {
        Self(e, PhantomData)
    }
}

impl<S> From<LlmError> for Failure<S> {
    fn from(e: LlmError) -> Self {
        Self(ApiError::from(e), PhantomData)
    }
}

impl<S: Surface> IntoResponse for Failure<S> {
    fn into_response(self) -> Response {
        let error = self.0;
        let mut response = (error.status(), Json(S::body(&error))).into_response();
        if let Some(detail) = error.detail {
            response.extensions_mut().insert(ErrorDetail(detail));
        }
        if let Some(secs) = error.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        for (name, value) in &error.headers {
            if let Ok(v) = HeaderValue::from_str(value) {
                response.headers_mut().insert(*name, v);
            }
        }
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        Failure::<Native>::from(self).into_response()
    }
}
