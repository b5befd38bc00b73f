//! The reusable OpenAI-dialect client: one [`ProviderContext`], a [`Flavor`] and an
//! [`Auth`] hook that supplies the headers (and optionally the base URL) of each call.
//! OpenAI, any compatible server, the Hugging Face router and Copilot all send their
//! chat through it. Retries cover only the time before a response is accepted.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use switchyard_types::ErrorKind;
use switchyard_types::chat::{ChatRequest, ChatResponse};

use super::convert::{self, Flavor};
use super::{stream, wire};
use crate::{ChatProvider, EventStream, ProviderContext, ProviderError, Target, upstream};

/// Which call an [`Auth`] hook is asked to authorise.
#[derive(Debug, Clone, Copy)]
pub enum Call<'a> {
    /// A chat completion (Copilot reads the conversation for `X-Initiator` and images).
    Chat {
        request: &'a ChatRequest,
        stream: bool,
    },
    Embeddings,
    Images,
}

/// What one call is sent with.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// Authorization and any extra headers (mark secrets with `set_sensitive`).
    pub headers: HeaderMap,
    /// Send to this base URL instead of the provider's (no trailing slash needed).
    pub base_url: Option<String>,
}

/// Supplies each call's credentials, possibly asynchronously (e.g. exchanging a
/// long-lived token for a short-lived one first).
#[async_trait]
pub trait Auth: Send + Sync {
    /// Headers (and optionally a base URL) for one call.
    async fn credentials(&self, call: Call<'_>) -> Result<Credentials, ProviderError>;

    /// The upstream answered 401 to credentials from this hook. Return `true` to have
    /// the call repeated once with fresh credentials (after dropping a cached token).
    async fn rejected(&self) -> bool {
        false
    }
}

/// A fixed `Authorization: Bearer <key>` plus fixed extra headers.
#[derive(Debug, Clone)]
pub struct BearerAuth {
    headers: Result<HeaderMap, ProviderError>,
}

impl BearerAuth {
    /// Bearer `key` when there is one; without one, calls fail with `auth` if
    /// `required`, else go out unauthenticated. `extra` headers are added to every call.
    pub fn new(provider: &str, key: Option<&str>, required: bool, extra: HeaderMap) -> Self {
        let mut headers = extra;
        let result = match key.filter(|k| !k.is_empty()) {
            Some(key) => match HeaderValue::from_str(&format!("Bearer {key}")) {
                Ok(mut value) => {
                    value.set_sensitive(true);
                    headers.insert(AUTHORIZATION, value);
                    Ok(headers)
                }
                Err(_) => Err(ProviderError::new(
                    ErrorKind::Auth,
                    format!("provider `{provider}`: the API key is not a valid header value"),
                )),
            },
            None if required => Err(ProviderError::new(
                ErrorKind::Auth,
                format!("provider `{provider}` has no API key configured"),
            )),
            None => Ok(headers),
        };
        Self { headers: result }
    }
}

#[async_trait]
impl Auth for BearerAuth {
    async fn credentials(&self, _call: Call<'_>) -> Result<Credentials, ProviderError> {
        Ok(Credentials {
            headers: self.headers.clone()?,
            base_url: None,
        })
    }
}

/// Parse `name: value` pairs into headers; the message names the bad one.
pub fn header_map<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let n = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("`{name}` is not a valid header name"))?;
        let v = HeaderValue::from_str(value)
            .map_err(|_| format!("the value of header `{name}` is not valid"))?;
        map.insert(n, v);
    }
    Ok(map)
}

/// An OpenAI-dialect upstream. Implements chat here, embeddings and images in `media`.
pub struct OpenAiClient {
    pub(super) ctx: ProviderContext,
    pub(super) flavor: Flavor,
    auth: Arc<dyn Auth>,
}

impl OpenAiClient {
    /// A client for `ctx`'s upstream speaking `flavor`, authorised by `auth`.
    pub fn new(ctx: ProviderContext, flavor: Flavor, auth: Arc<dyn Auth>) -> Self {
        Self { ctx, flavor, auth }
    }

    /// The provider context.
    pub fn context(&self) -> &ProviderContext {
        &self.ctx
    }

    /// The dialect this client speaks.
    pub fn flavor(&self) -> &Flavor {
        &self.flavor
    }

    /// The exact body a chat call sends.
    pub fn chat_body(
        &self,
        target: Target<'_>,
        request: &ChatRequest,
        stream: bool,
    ) -> wire::ChatCompletionRequest {
        convert::chat_request(target.upstream_model, request, &self.flavor, stream)
    }

    /// POST `body` to `path` until a 2xx is accepted (retrying retryable failures).
    pub async fn post(
        &self,
        call: Call<'_>,
        path: &str,
        body: &impl Serialize,
    ) -> Result<reqwest::Response, ProviderError> {
        let body = &encode(body)?;
        self.ctx
            .retry
            .run(|| async move { self.attempt(call, path, body).await })
            .await
    }

    /// POST and parse the JSON answer, the whole call within the total deadline.
    pub async fn post_json<T: DeserializeOwned>(
        &self,
        call: Call<'_>,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ProviderError> {
        let body = &encode(body)?;
        self.ctx
            .retry
            .run(|| async move {
                let started = tokio::time::Instant::now();
                let response = self.attempt(call, path, body).await?;
                let left = self.ctx.timeouts.total.saturating_sub(started.elapsed());
                let bytes = upstream::read_limited(response, left).await?;
                upstream::parse_json(&bytes)
            })
            .await
    }

    /// One attempt; a 401 is retried once when the auth hook asks for it.
    async fn attempt(
        &self,
        call: Call<'_>,
        path: &str,
        body: &Bytes,
    ) -> Result<reqwest::Response, ProviderError> {
        let mut refreshed = false;
        loop {
            let creds = self.auth.credentials(call).await?;
            let base = creds.base_url.as_deref().unwrap_or(&self.ctx.base_url);
            let url = format!("{}{path}", base.trim_end_matches('/'));
            let request = self
                .ctx
                .http
                .client()
                .post(url)
                .header(CONTENT_TYPE, "application/json")
                .headers(creds.headers)
                .body(body.clone());
            match self.ctx.http.send(request, &self.ctx.timeouts).await {
                Err(e) if e.status == Some(401) && !refreshed && self.auth.rejected().await => {
                    refreshed = true;
                }
                Err(e) => return Err(refine(e)),
                Ok(response) => return Ok(response),
            }
        }
    }
}

fn encode(body: &impl Serialize) -> Result<Bytes, ProviderError> {
    serde_json::to_vec(body).map(Bytes::from).map_err(|e| {
        ProviderError::new(
            ErrorKind::BadRequest,
            format!("request could not be encoded: {e}"),
        )
    })
}

/// Provider-specific refinements of the generic classification: llama.cpp's context
/// overflow (`exceed_context_size_error`) is a 400 the generic rules call `bad_request`.
fn refine(mut e: ProviderError) -> ProviderError {
    let lower = e.message.to_ascii_lowercase();
    if e.kind == ErrorKind::BadRequest
        && (lower.contains("exceeds the available context size")
            || lower.contains("exceed_context_size"))
    {
        e.kind = ErrorKind::ContextLengthExceeded;
    }
    e
}

#[async_trait]
impl ChatProvider for OpenAiClient {
    async fn chat(
        &self,
        target: Target<'_>,
        request: &ChatRequest,
    ) -> Result<ChatResponse, ProviderError> {
        let body = self.chat_body(target, request, false);
        let call = Call::Chat {
            request,
            stream: false,
        };
        let completion: wire::ChatCompletion =
            self.post_json(call, "/chat/completions", &body).await?;
        convert::chat_response(completion, target.model, request)
    }

    async fn chat_stream(
        &self,
        target: Target<'_>,
        request: &ChatRequest,
    ) -> Result<EventStream, ProviderError> {
        let body = self.chat_body(target, request, true);
        let call = Call::Chat {
            request,
            stream: true,
        };
        let response = self.post(call, "/chat/completions", &body).await?;
        if !stream::is_event_stream(&response) {
            let bytes = upstream::read_limited(response, self.ctx.timeouts.total).await?;
            return stream::from_whole_body(&bytes, request);
        }
        Ok(stream::events(response, self.ctx.timeouts.idle))
    }
}
