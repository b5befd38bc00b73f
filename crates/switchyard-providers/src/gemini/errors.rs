//! Gemini's Google-RPC errors → [`ProviderError`]: the canonical `status` name decides the
//! kind where the HTTP status alone cannot (a bad API key is a 400 `INVALID_ARGUMENT`
//! with reason `API_KEY_INVALID`; an over-long prompt is a 400 "input token count …
//! exceeds"), and `RetryInfo.retryDelay` gives `retry_after` when no header does.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;
use switchyard_types::ErrorKind;

use super::wire::{ErrorBody, RpcError};
use crate::{ProviderError, classify};

/// Classify a non-2xx Gemini response.
pub fn from_response(status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError {
    let mut error = classify::from_response(status, headers, body);
    if let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) {
        if let Some(kind) = kind_of(&parsed.error) {
            error.kind = kind;
        }
        if error.retry_after.is_none() {
            error.retry_after = retry_delay(&parsed.error.details);
        }
    }
    error
}

/// An error object received inside a stream.
pub fn from_stream(rpc: &RpcError) -> ProviderError {
    let status = rpc.code;
    let fallback = status.map_or(ErrorKind::UpstreamError, |s| {
        classify::kind_of(s, &rpc.message.to_ascii_lowercase())
    });
    ProviderError {
        kind: kind_of(rpc).unwrap_or(fallback),
        message: if rpc.message.is_empty() {
            "upstream sent an error mid-stream".into()
        } else {
            rpc.message.clone()
        },
        status,
        retry_after: retry_delay(&rpc.details),
    }
}

/// The kind a canonical status name implies, when it says more than the HTTP status.
fn kind_of(rpc: &RpcError) -> Option<ErrorKind> {
    let message = rpc.message.to_ascii_lowercase();
    Some(match rpc.status.as_deref()? {
        "RESOURCE_EXHAUSTED" => ErrorKind::RateLimited,
        "UNAVAILABLE" => ErrorKind::Overloaded,
        "DEADLINE_EXCEEDED" => ErrorKind::Timeout,
        "PERMISSION_DENIED" | "UNAUTHENTICATED" => ErrorKind::Auth,
        "NOT_FOUND" => ErrorKind::NotFound,
        "INTERNAL" | "UNKNOWN" | "ABORTED" => ErrorKind::UpstreamError,
        "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" => {
            if api_key_invalid(rpc) {
                ErrorKind::Auth
            } else if too_many_tokens(&message) {
                ErrorKind::ContextLengthExceeded
            } else {
                ErrorKind::BadRequest
            }
        }
        _ => return None,
    })
}

/// `API key not valid` (HTTP 400) carries `ErrorInfo.reason = API_KEY_INVALID`.
fn api_key_invalid(rpc: &RpcError) -> bool {
    rpc.details.iter().any(|d| {
        d.get("reason")
            .and_then(Value::as_str)
            .is_some_and(|r| r.starts_with("API_KEY_"))
    }) || rpc.message.contains("API key not valid")
}

/// "The input token count (1200293) exceeds the maximum number of tokens allowed (1048576)."
fn too_many_tokens(message: &str) -> bool {
    (message.contains("token count") && message.contains("exceeds"))
        || message.contains("exceeds the maximum number of tokens")
        || message.contains("too many tokens")
        || message.contains("context window")
}

/// `RetryInfo.retryDelay` ("47s", "0.5s") from the error details.
fn retry_delay(details: &[Value]) -> Option<Duration> {
    details
        .iter()
        .filter(|d| {
            d.get("@type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.ends_with("google.rpc.RetryInfo"))
        })
        .find_map(|d| d.get("retryDelay").and_then(Value::as_str))
        .and_then(classify::parse_go_duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_and_details_refine_the_http_status() {
        let h = HeaderMap::new();
        let e = from_response(
            400,
            &h,
            br#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}"#,
        );
        assert_eq!(e.kind, ErrorKind::Auth);
        let e = from_response(
            429,
            &h,
            br#"{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.5s"}]}}"#,
        );
        assert_eq!(e.kind, ErrorKind::RateLimited);
        assert_eq!(e.retry_after, Some(Duration::from_millis(1500)));
        let e = from_response(500, &h, b"<html>oops</html>");
        assert_eq!(e.kind, ErrorKind::UpstreamError);
    }
}
