//! The one pooled upstream HTTP client (HTTP/1.1 keep-alive and HTTP/2, rustls,
//! TCP_NODELAY) and the per-provider deadlines: time to first byte (connect included),
//! idle time between stream chunks, and total time for a whole body.

use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use rand::Rng;
use serde::de::DeserializeOwned;
use switchyard_types::ErrorKind;

use crate::{ProviderError, classify};

/// Largest error or JSON body read from an upstream.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Deadlines for one provider's calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Until the response headers arrive (includes connecting).
    pub first_byte: Duration,
    /// Longest silence between two chunks of a streamed body.
    pub idle: Duration,
    /// Whole non-streaming call, body included.
    pub total: Duration,
}

impl Timeouts {
    /// Deadlines from a provider's `timeout_ms` (the total) and optional
    /// `first_byte_timeout_ms` / `idle_timeout_ms` options.
    pub fn from_provider(timeout_ms: u64, options: &serde_json::Value) -> Self {
        let total = Duration::from_millis(timeout_ms.max(1));
        let opt = |k: &str| {
            options
                .get(k)
                .and_then(serde_json::Value::as_u64)
                .map(Duration::from_millis)
        };
        Self {
            first_byte: opt("first_byte_timeout_ms").unwrap_or(total).min(total),
            idle: opt("idle_timeout_ms").unwrap_or(total),
            total,
        }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Self::from_provider(60_000, &serde_json::Value::Null)
    }
}

/// The shared client; clone it freely (the pool is shared).
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
}

impl HttpClient {
    /// Build the pooled client. Fails only if the TLS backend cannot start.
    pub fn new() -> Result<Self, reqwest::Error> {
        let inner = reqwest::Client::builder()
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(512)
            .http2_adaptive_window(true)
            .user_agent(concat!("switchyard/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { inner })
    }

    /// The underlying client, for building requests.
    pub fn client(&self) -> &reqwest::Client {
        &self.inner
    }

    /// Send and wait for a 2xx status within the first-byte deadline; any other
    /// status becomes a classified error.
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
        timeouts: &Timeouts,
    ) -> Result<reqwest::Response, ProviderError> {
        let response = tokio::time::timeout(timeouts.first_byte, request.send())
            .await
            .map_err(|_| {
                ProviderError::new(
                    ErrorKind::Timeout,
                    format!("no response within {} ms", timeouts.first_byte.as_millis()),
                )
            })?
            .map_err(transport_error)?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let headers = response.headers().clone();
        let body = read_limited(response, timeouts.total)
            .await
            .unwrap_or_default();
        Err(classify::from_response(status, &headers, &body))
    }

    /// Send, then read and parse a JSON body within the total deadline. A body that is
    /// not the expected JSON is an `upstream_error` naming what was wrong.
    pub async fn json<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        timeouts: &Timeouts,
    ) -> Result<T, ProviderError> {
        let started = tokio::time::Instant::now();
        let response = self.send(request, timeouts).await?;
        let left = timeouts.total.saturating_sub(started.elapsed());
        let body = read_limited(response, left).await?;
        parse_json(&body)
    }
}

/// Parse an upstream JSON body; a malformed one is an `upstream_error`, never a panic.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ProviderError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        ProviderError::new(
            ErrorKind::UpstreamError,
            format!(
                "upstream sent an unexpected body (at `{}`): {}",
                e.path(),
                e.inner()
            ),
        )
    })
}

/// Read a whole body, bounded in size and time.
pub async fn read_limited(
    response: reqwest::Response,
    deadline: Duration,
) -> Result<Vec<u8>, ProviderError> {
    let read = async {
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(transport_error)?;
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(ProviderError::new(
                    ErrorKind::UpstreamError,
                    "upstream body too large",
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    };
    tokio::time::timeout(deadline, read).await.map_err(|_| {
        ProviderError::new(ErrorKind::Timeout, "upstream body did not finish in time")
    })?
}

/// The body as a stream of chunks, each within the idle deadline of the previous one.
pub fn body_stream(
    response: reqwest::Response,
    idle: Duration,
) -> impl Stream<Item = Result<Bytes, ProviderError>> + Send + Unpin + 'static {
    let inner = response.bytes_stream();
    Box::pin(futures::stream::unfold(
        (Box::pin(inner), false),
        move |(mut inner, done)| async move {
            if done {
                return None;
            }
            match tokio::time::timeout(idle, inner.next()).await {
                Err(_) => Some((
                    Err(ProviderError::new(
                        ErrorKind::Timeout,
                        format!("upstream stream idle for {} ms", idle.as_millis()),
                    )),
                    (inner, true),
                )),
                Ok(None) => None,
                Ok(Some(Ok(chunk))) => Some((Ok(chunk), (inner, false))),
                Ok(Some(Err(e))) => Some((Err(transport_error(e)), (inner, true))),
            }
        },
    ))
}

/// A connection-level failure: timeouts are `timeout`, the rest `upstream_error`.
pub fn transport_error(e: reqwest::Error) -> ProviderError {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::UpstreamError
    };
    ProviderError::new(kind, format!("upstream connection failed: {e}"))
}

/// Retry policy for one provider: how often, and how long to back off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Retries after the first attempt.
    pub max_retries: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            max_retries: 1,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(5),
        }
    }
}

impl Retry {
    /// The wait before retry number `n` (0-based): full-jitter exponential backoff,
    /// at least the upstream's `Retry-After` when it gave one.
    pub fn delay(&self, n: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self.base.saturating_mul(1u32 << n.min(16)).min(self.cap);
        let jittered = rand::rng().random_range(Duration::ZERO..=exp);
        retry_after.map_or(jittered, |ra| ra.max(jittered))
    }

    /// Run `call` until it succeeds, fails with a non-retryable kind, or retries run
    /// out. A `Retry-After` longer than the cap is not waited for: the error is returned
    /// so the caller can fail over instead.
    pub async fn run<T, F, Fut>(&self, mut call: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ProviderError>>,
    {
        let mut attempt = 0;
        loop {
            match call().await {
                Ok(v) => return Ok(v),
                Err(e) if e.is_retryable() && attempt < self.max_retries => {
                    if e.retry_after.is_some_and(|ra| ra > self.cap) {
                        return Err(e);
                    }
                    tokio::time::sleep(self.delay(attempt, e.retry_after)).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_within_the_cap_and_honours_retry_after() {
        let r = Retry {
            max_retries: 5,
            base: Duration::from_millis(100),
            cap: Duration::from_millis(400),
        };
        for n in 0..8 {
            assert!(r.delay(n, None) <= Duration::from_millis(400));
        }
        assert!(r.delay(0, Some(Duration::from_secs(2))) >= Duration::from_secs(2));
    }

    #[tokio::test]
    async fn retries_only_retryable_kinds() {
        let r = Retry {
            max_retries: 2,
            base: Duration::from_millis(1),
            cap: Duration::from_millis(2),
        };
        let mut calls = 0;
        let out: Result<(), _> = r
            .run(|| {
                calls += 1;
                async { Err(ProviderError::new(ErrorKind::Overloaded, "busy")) }
            })
            .await;
        assert!(out.is_err());
        assert_eq!(calls, 3);
        let mut calls = 0;
        let _ = r
            .run(|| {
                calls += 1;
                async { Err::<(), _>(ProviderError::new(ErrorKind::Auth, "no")) }
            })
            .await;
        assert_eq!(calls, 1);
    }
}
