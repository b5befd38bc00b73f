//! Calls to the classic `hf-inference` task endpoints. One call = one deadline (the
//! provider's total timeout): attempts are retried per the provider's policy while it
//! lasts, and a "model is currently loading" 503 (`estimated_time`) is waited out —
//! `min(estimated_time, 10 s)` between polls — unless the estimate outlasts what is left
//! of the deadline, which fails at once as `overloaded` (so the caller can fail over).

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;
use switchyard_types::ErrorKind;
use tokio::time::Instant;

use super::wire;
use crate::upstream::{read_limited, transport_error};
use crate::{ProviderContext, ProviderError, classify};

/// Shortest wait before polling a loading model again.
const MIN_LOADING_WAIT: Duration = Duration::from_millis(100);
/// Longest wait between two polls of a loading model.
const MAX_LOADING_WAIT: Duration = Duration::from_secs(10);
/// The wait when a loading answer gives no `estimated_time`.
const DEFAULT_LOADING_WAIT: Duration = Duration::from_secs(1);

/// A 2xx answer, read whole.
#[derive(Debug)]
pub struct Answer {
    /// The `Content-Type` (empty when none was sent).
    pub content_type: String,
    pub body: Vec<u8>,
}

/// Extra per-call request headers.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallOptions {
    /// Sent as `Accept`.
    pub accept: Option<&'static str>,
    /// Send `x-use-cache: false` (identical requests would get the cached answer).
    pub no_cache: bool,
}

enum Failure {
    /// The model is loading; the server estimates how long it needs.
    Loading {
        error: ProviderError,
        estimated: Duration,
    },
    Other(ProviderError),
}

/// The task-endpoint caller of one provider.
pub struct TaskClient {
    ctx: ProviderContext,
    base: String,
    headers: Result<HeaderMap, ProviderError>,
}

impl TaskClient {
    /// Calls to `{base}/{model}…` with `headers` (authorization included).
    pub fn new(
        ctx: ProviderContext,
        base: &str,
        headers: Result<HeaderMap, ProviderError>,
    ) -> Self {
        Self {
            ctx,
            base: base.trim_end_matches('/').to_string(),
            headers,
        }
    }

    /// `{base}/{model}{suffix}`.
    pub fn url(&self, model: &str, suffix: &str) -> String {
        format!("{}/{model}{suffix}", self.base)
    }

    /// POST a JSON body and read the whole 2xx answer within the call's deadline.
    pub async fn post(
        &self,
        url: &str,
        body: &impl Serialize,
        options: CallOptions,
    ) -> Result<Answer, ProviderError> {
        let body = Bytes::from(serde_json::to_vec(body).map_err(|e| {
            ProviderError::new(
                ErrorKind::BadRequest,
                format!("request could not be encoded: {e}"),
            )
        })?);
        let deadline = Instant::now() + self.ctx.timeouts.total;
        let mut retries = 0;
        loop {
            let error = match self.attempt(url, &body, options, deadline).await {
                Ok(answer) => return Ok(answer),
                Err(Failure::Loading { error, estimated }) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    let wait = estimated.clamp(MIN_LOADING_WAIT, MAX_LOADING_WAIT);
                    if estimated > left || wait >= left {
                        return Err(still_loading(error, estimated, left));
                    }
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Err(Failure::Other(e)) => e,
            };
            let retry = &self.ctx.retry;
            if !error.is_retryable()
                || retries >= retry.max_retries
                || error.retry_after.is_some_and(|ra| ra > retry.cap)
            {
                return Err(error);
            }
            let wait = retry.delay(retries, error.retry_after);
            if wait >= deadline.saturating_duration_since(Instant::now()) {
                return Err(error);
            }
            tokio::time::sleep(wait).await;
            retries += 1;
        }
    }

    async fn attempt(
        &self,
        url: &str,
        body: &Bytes,
        options: CallOptions,
        deadline: Instant,
    ) -> Result<Answer, Failure> {
        let left = || deadline.saturating_duration_since(Instant::now());
        let timeout = ProviderError::new(
            ErrorKind::Timeout,
            format!(
                "no complete answer within {} ms",
                self.ctx.timeouts.total.as_millis()
            ),
        );
        let headers = self.headers.clone().map_err(Failure::Other)?;
        let mut request = self
            .ctx
            .http
            .client()
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .headers(headers)
            .body(body.clone());
        if let Some(accept) = options.accept {
            request = request.header(ACCEPT, accept);
        }
        if options.no_cache {
            request = request.header(
                HeaderName::from_static("x-use-cache"),
                HeaderValue::from_static("false"),
            );
        }
        let first_byte = self.ctx.timeouts.first_byte.min(left());
        let response = tokio::time::timeout(first_byte, request.send())
            .await
            .map_err(|_| Failure::Other(timeout.clone()))?
            .map_err(|e| Failure::Other(transport_error(e)))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let read = read_limited(response, left()).await;
        if (200..300).contains(&status) {
            let body = read.map_err(Failure::Other)?;
            return Ok(Answer { content_type, body });
        }
        let body = read.unwrap_or_default();
        let error = refine(classify::from_response(status, &headers, &body));
        match loading_estimate(status, &body) {
            Some(estimated) => Err(Failure::Loading { error, estimated }),
            None => Err(Failure::Other(error)),
        }
    }
}

/// How long a "model is currently loading" answer asks to wait, if it is one.
fn loading_estimate(status: u16, body: &[u8]) -> Option<Duration> {
    if status != 503 {
        return None;
    }
    let parsed: wire::ErrorBody = serde_json::from_slice(body).ok()?;
    let says_loading = parsed
        .error
        .as_ref()
        .and_then(serde_json::Value::as_str)
        .is_some_and(|m| m.to_ascii_lowercase().contains("currently loading"));
    match parsed.estimated_time {
        Some(secs) if secs.is_finite() && secs >= 0.0 => {
            Some(Duration::from_secs_f64(secs.min(3600.0)))
        }
        _ if says_loading => Some(DEFAULT_LOADING_WAIT),
        _ => None,
    }
}

fn still_loading(mut error: ProviderError, estimated: Duration, left: Duration) -> ProviderError {
    error.kind = ErrorKind::Overloaded;
    error.retry_after = Some(estimated);
    error.message = format!(
        "{} (estimated {:.1} s, but only {} ms of the call's deadline are left)",
        error.message,
        estimated.as_secs_f64(),
        left.as_millis()
    );
    error
}

/// Hugging Face refinements of the generic classification: TGI's input-length
/// validation is a context overflow, and exhausted monthly credits (402) are a quota
/// limit another provider may not have.
pub fn refine(mut e: ProviderError) -> ProviderError {
    let lower = e.message.to_ascii_lowercase();
    if matches!(e.kind, ErrorKind::BadRequest)
        && (lower.contains("`inputs` tokens + `max_new_tokens` must be")
            || lower.contains("`inputs` must have less than"))
    {
        e.kind = ErrorKind::ContextLengthExceeded;
    }
    if e.status == Some(402) || lower.contains("exceeded your monthly included credits") {
        e.kind = ErrorKind::RateLimited;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loading_answers_are_recognised() {
        let body = br#"{"error":"Model facebook/bart-large-cnn is currently loading","estimated_time":20.0}"#;
        assert_eq!(loading_estimate(503, body), Some(Duration::from_secs(20)));
        assert_eq!(
            loading_estimate(503, br#"{"error":"Model x is currently loading"}"#),
            Some(DEFAULT_LOADING_WAIT)
        );
        assert_eq!(
            loading_estimate(503, br#"{"error":"Service Unavailable"}"#),
            None
        );
        assert_eq!(loading_estimate(500, body), None);
        assert_eq!(loading_estimate(503, b"<html>"), None);
    }
}
