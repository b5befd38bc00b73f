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

/// A failure to report to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable machine-readable code (for example `invalid_field`, `model_not_found`).
    pub code: &'static str,
    pub message: String,
    /// The request field at fault, when there is one.
    pub param: Option<String>,
    /// Seconds the client should wait before retrying.
    pub retry_after: Option<u64>,
    /// Extra response headers (e.g. rate-limit state).
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            param: None,
            retry_after: None,
            headers: Vec::new(),
        }
    }

    /// A 400 naming the offending field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = format!("{field}: {}", message.into());
        Self {
            param: Some(field),
            ..Self::new(StatusCode::BAD_REQUEST, "invalid_field", message)
        }
    }

    /// A 404 for a missing resource.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", what)
    }

    /// A 500 whose details go to the log only, never to the client.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "internal error; see the gateway log for this request id",
        )
    }

    /// A 401 with the reason.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// A 403 with the reason.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        Self {
            retry_after: Some(r.retry_after.as_secs_f64().ceil().max(1.0) as u64),
            headers: r.headers.pairs(),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, r.code, r.message)
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => Self::new(StatusCode::CONFLICT, "conflict", m),
            StoreError::InUse(m) => Self::new(StatusCode::CONFLICT, "in_use", m),
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
        let message = e.to_string();
        match e {
            LlmError::ModelNotFound(_) => Self {
                param: Some("model".into()),
                ..Self::new(StatusCode::NOT_FOUND, "model_not_found", message)
            },
            LlmError::WrongKind { .. } => Self {
                param: Some("model".into()),
                ..Self::new(StatusCode::BAD_REQUEST, "wrong_model_kind", message)
            },
            LlmError::Unsupported { .. } => Self {
                param: Some("model".into()),
                ..Self::new(StatusCode::BAD_REQUEST, "unsupported_capability", message)
            },
            LlmError::ContextTooLong { .. } => Self {
                param: Some("messages".into()),
                ..Self::new(StatusCode::BAD_REQUEST, "context_length_exceeded", message)
            },
            LlmError::NoModelForTask(_) => Self {
                param: Some("task_type".into()),
                ..Self::new(StatusCode::NOT_FOUND, "no_model_for_task", message)
            },
            LlmError::NotAllowed(_) => Self {
                param: Some("model".into()),
                ..Self::new(StatusCode::FORBIDDEN, "model_not_allowed", message)
            },
            LlmError::Unavailable(_, _, retry) => Self {
                // Whole seconds, rounded up: the client must not come back too early.
                retry_after: retry.map(|d| d.as_secs_f64().ceil().max(1.0) as u64),
                ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "no_provider", message)
            },
            LlmError::Provider(p) => Self {
                retry_after: p.retry_after.map(|d| d.as_secs().max(1)),
                ..Self::new(
                    StatusCode::from_u16(p.kind.http_status()).unwrap_or(StatusCode::BAD_GATEWAY),
                    p.kind.as_str(),
                    message,
                )
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
        json!({"error": {"code": e.code, "message": e.message, "param": e.param}})
    }
}

impl Surface for OpenAi {
    fn body(e: &ApiError) -> serde_json::Value {
        let kind = match e.status.as_u16() {
            401 => "authentication_error",
            403 => "permission_error",
            404 if e.code == "model_not_found" => "invalid_request_error",
            404 => "not_found_error",
            429 => "rate_limit_error",
            s if s >= 500 => "server_error",
            _ => "invalid_request_error",
        };
        let code = match e.code {
            "unauthorized" => "invalid_api_key",
            other => other,
        };
        json!({"error": {"message": e.message, "type": kind, "code": code, "param": e.param}})
    }
}

/// Anthropic's format: `{"type":"error","error":{"type","message"}}`.
pub struct Anthropic;

impl Anthropic {
    /// Anthropic's error type for an HTTP status.
    pub fn error_type(status: u16) -> &'static str {
        match status {
            400 | 415 | 422 => "invalid_request_error",
            401 => "authentication_error",
            403 => "permission_error",
            404 => "not_found_error",
            413 => "request_too_large",
            429 => "rate_limit_error",
            503 | 529 => "overloaded_error",
            504 => "timeout_error",
            _ => "api_error",
        }
    }
}

impl Surface for Anthropic {
    fn body(e: &ApiError) -> serde_json::Value {
        json!({"type": "error", "error": {"type": Self::error_type(e.status.as_u16()), "message": e.message}})
    }
}

/// An [`ApiError`] on its way out through surface `S`.
pub struct Failure<S>(pub ApiError, PhantomData<S>);

impl<S> From<ApiError> for Failure<S> {
    fn from(e: ApiError) -> Self {
        Self(e, PhantomData)
    }
}

impl<S: Surface> IntoResponse for Failure<S> {
    fn into_response(self) -> Response {
        let error = self.0;
        let mut response = (error.status, Json(S::body(&error))).into_response();
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
