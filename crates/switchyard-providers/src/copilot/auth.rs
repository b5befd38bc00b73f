//! Copilot credentials: the GitHub token (the provider's API key) is exchanged for a
//! short-lived Copilot token, cached until `min(refresh_in, expires_at − now)` minus a
//! 60 s margin. Refreshes are single-flight: callers that waited while another call
//! exchanged take its result (token or error) instead of exchanging again. A 401 from
//! chat drops the cached token so the retried call exchanges anew. Each chat call
//! carries the editor headers, `x-initiator` (`user` when the last message is the
//! user's, else `agent`) and `copilot-vision-request: true` when an image is present.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use switchyard_types::chat::{ChatRequest, ContentPart, MessageRole};
use switchyard_types::{ErrorKind, Secret};
use tokio::time::Instant;

use super::wire::TokenResponse;
use crate::openai::{Auth, Call, Credentials};
use crate::upstream::{parse_json, read_limited};
use crate::{HttpClient, ProviderContext, ProviderError, Timeouts};

/// How long before the upstream's refresh time (or expiry) a token is replaced.
const MARGIN_SECS: i64 = 60;
/// The lifetime assumed when the exchange answer gives neither time.
const DEFAULT_LIFETIME_SECS: i64 = 600;

/// A Copilot token ready to send.
#[derive(Debug)]
struct CopilotToken {
    bearer: HeaderValue,
    api_base: String,
    refresh_at: Instant,
}

/// What the exchanges have left behind.
#[derive(Debug, Default)]
struct State {
    token: Option<Arc<CopilotToken>>,
    /// Exchanges finished (each success or failure counts).
    exchanges: u64,
    /// The outcome of the last exchange when it failed.
    last_error: Option<ProviderError>,
}

/// The Copilot [`Auth`] hook.
pub struct CopilotAuth {
    provider: String,
    github_token: Option<Secret<String>>,
    token_url: String,
    http: HttpClient,
    timeouts: Timeouts,
    exchange_headers: HeaderMap,
    chat_headers: HeaderMap,
    fallback_base: String,
    state: Mutex<State>,
    refresh: tokio::sync::Mutex<()>,
}

impl CopilotAuth {
    /// A hook exchanging `ctx`'s API key at `token_url`; chat goes to the token's
    /// `endpoints.api`, else to `ctx.base_url`.
    pub fn new(
        ctx: &ProviderContext,
        token_url: String,
        exchange_headers: HeaderMap,
        chat_headers: HeaderMap,
    ) -> Self {
        Self {
            provider: ctx.name.clone(),
            github_token: ctx.api_key.clone(),
            token_url,
            http: ctx.http.clone(),
            timeouts: ctx.timeouts,
            exchange_headers,
            chat_headers,
            fallback_base: ctx.base_url.clone(),
            state: Mutex::new(State::default()),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn fresh(&self) -> Option<Arc<CopilotToken>> {
        let state = self.state();
        state
            .token
            .as_ref()
            .filter(|t| Instant::now() < t.refresh_at)
            .cloned()
    }

    /// The cached token, or a new one from a single-flight exchange.
    async fn token(&self) -> Result<Arc<CopilotToken>, ProviderError> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let seen = self.state().exchanges;
        let _refreshing = self.refresh.lock().await;
        {
            let state = self.state();
            if state.exchanges != seen {
                // Another call exchanged while this one waited: share its outcome.
                if let Some(e) = &state.last_error {
                    return Err(e.clone());
                }
                if let Some(token) = &state.token {
                    return Ok(token.clone());
                }
            }
        }
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let outcome = self.exchange().await.map(Arc::new);
        let mut state = self.state();
        state.exchanges += 1;
        match &outcome {
            Ok(token) => {
                state.token = Some(token.clone());
                state.last_error = None;
            }
            Err(e) => state.last_error = Some(e.clone()),
        }
        outcome
    }

    async fn exchange(&self) -> Result<CopilotToken, ProviderError> {
        let github = self
            .github_token
            .as_ref()
            .map(|k| k.expose().as_str())
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                ProviderError::new(
                    ErrorKind::Auth,
                    format!(
                        "provider `{}` has no GitHub token configured (its API key)",
                        self.provider
                    ),
                )
            })?;
        let mut authorization = HeaderValue::from_str(&format!("token {github}"))
            .map_err(|_| self.auth_error("the GitHub token is not a valid header value"))?;
        authorization.set_sensitive(true);
        let request = self
            .http
            .client()
            .get(&self.token_url)
            .headers(self.exchange_headers.clone())
            .header(AUTHORIZATION, authorization);
        let started = Instant::now();
        let response = self
            .http
            .send(request, &self.timeouts)
            .await
            .map_err(|e| self.exchange_error(e))?;
        let left = self.timeouts.total.saturating_sub(started.elapsed());
        let body = read_limited(response, left)
            .await
            .map_err(|e| self.exchange_error(e))?;
        let answer: TokenResponse = parse_json(&body).map_err(|e| self.exchange_error(e))?;
        if answer.token.trim().is_empty() {
            return Err(self.auth_error("the token exchange answered an empty token"));
        }
        let mut bearer = HeaderValue::from_str(&format!("Bearer {}", answer.token.trim()))
            .map_err(|_| self.auth_error("the Copilot token is not a valid header value"))?;
        bearer.set_sensitive(true);
        let api_base = answer
            .endpoints
            .and_then(|e| e.api)
            .map(|api| api.trim().trim_end_matches('/').to_string())
            .filter(|api| !api.is_empty())
            .unwrap_or_else(|| self.fallback_base.clone());
        Ok(CopilotToken {
            bearer,
            api_base,
            refresh_at: Instant::now() + lifetime(answer.refresh_in, answer.expires_at),
        })
    }

    fn auth_error(&self, what: &str) -> ProviderError {
        ProviderError::new(
            ErrorKind::Auth,
            format!("provider `{}`: {what}", self.provider),
        )
    }

    /// An exchange failure: 4xx (no Copilot access, bad token) is `auth`, 429 stays
    /// `rate_limited`, 5xx is `upstream_error`; transport failures keep their kind.
    fn exchange_error(&self, mut e: ProviderError) -> ProviderError {
        match e.status {
            Some(429) => {}
            Some(s) if s >= 500 => e.kind = ErrorKind::UpstreamError,
            Some(_) => e.kind = ErrorKind::Auth,
            None => {}
        }
        e.message = format!(
            "provider `{}`: Copilot token exchange failed: {}",
            self.provider, e.message
        );
        e
    }
}

/// How long a token is used: until `refresh_in` or `expires_at`, whichever is sooner,
/// less the margin (zero when that is already past).
fn lifetime(refresh_in: Option<i64>, expires_at: Option<i64>) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let by_refresh = refresh_in.map(|s| s.saturating_sub(MARGIN_SECS));
    let by_expiry = expires_at.map(|at| at.saturating_sub(now).saturating_sub(MARGIN_SECS));
    let secs = by_refresh
        .into_iter()
        .chain(by_expiry)
        .min()
        .unwrap_or(DEFAULT_LIFETIME_SECS);
    Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}

/// `user` when the last message is the user's (a turn the user started), else `agent`.
pub fn initiator(request: &ChatRequest) -> &'static str {
    match request.messages.last().map(|m| m.role) {
        Some(MessageRole::User) => "user",
        _ => "agent",
    }
}

/// Whether any message carries an image.
pub fn has_images(request: &ChatRequest) -> bool {
    request.messages.iter().any(|m| {
        m.content.iter().any(|p| {
            matches!(
                p,
                ContentPart::ImageUrl { .. } | ContentPart::ImageBase64 { .. }
            )
        })
    })
}

/// A random (version 4) UUID for `x-request-id`.
fn request_id() -> String {
    let mut n = rand::random::<u128>();
    n = (n & !(0xF << 76)) | (0x4 << 76);
    n = (n & !(0x3 << 62)) | (0x2 << 62);
    let hex = format!("{n:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[async_trait]
impl Auth for CopilotAuth {
    async fn credentials(&self, call: Call<'_>) -> Result<Credentials, ProviderError> {
        let token = self.token().await?;
        let mut headers = self.chat_headers.clone();
        headers.insert(AUTHORIZATION, token.bearer.clone());
        if let Ok(id) = HeaderValue::from_str(&request_id()) {
            headers.insert(HeaderName::from_static("x-request-id"), id);
        }
        if let Call::Chat { request, .. } = call {
            headers.insert(
                HeaderName::from_static("x-initiator"),
                HeaderValue::from_static(initiator(request)),
            );
            if has_images(request) {
                headers.insert(
                    HeaderName::from_static("copilot-vision-request"),
                    HeaderValue::from_static("true"),
                );
            }
        }
        Ok(Credentials {
            headers,
            base_url: Some(token.api_base.clone()),
        })
    }

    async fn rejected(&self) -> bool {
        self.state().token = None;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_take_the_sooner_time_less_the_margin() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        assert_eq!(lifetime(Some(1500), None), Duration::from_secs(1440));
        let by_expiry = lifetime(Some(1500), Some(now + 600));
        assert!(by_expiry <= Duration::from_secs(540) && by_expiry >= Duration::from_secs(538));
        assert_eq!(lifetime(Some(0), Some(now + 1800)), Duration::ZERO);
        assert_eq!(lifetime(Some(1500), Some(now - 10)), Duration::ZERO);
        assert_eq!(lifetime(None, None), Duration::from_secs(600));
    }

    #[test]
    fn request_ids_are_version_4_uuids() {
        let id = request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
    }
}
