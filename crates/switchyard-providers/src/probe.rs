//! Health probes: one free call per provider kind that has one (listing models), used
//! by the health monitor only for providers that carry no traffic. Kinds without a free
//! call get no probe, so a probe never costs money.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use switchyard_types::{Provider, ProviderKind, Secret};

use crate::{HttpClient, ProviderError, Timeouts};

/// A cheap liveness check of one provider.
#[async_trait]
pub trait Probe: Send + Sync {
    /// `Ok` when the provider answered the free call with a 2xx status.
    async fn probe(&self) -> Result<(), ProviderError>;
}

/// The probe for a provider, or `None` when its kind has no free call to make.
pub fn prober(
    provider: &Provider,
    api_key: Option<&Secret<String>>,
    http: &HttpClient,
) -> Option<Arc<dyn Probe>> {
    let base = provider.effective_base_url().trim_end_matches('/');
    let key = api_key.map(|k| k.expose().as_str());
    let (path, auth): (&str, Vec<(&str, String)>) = match provider.kind {
        ProviderKind::Mock => return Some(Arc::new(AlwaysUp)),
        ProviderKind::OpenAi | ProviderKind::OpenAiCompatible => (
            "/models",
            key.map(|k| vec![("authorization", format!("Bearer {k}"))])
                .unwrap_or_default(),
        ),
        ProviderKind::Anthropic => (
            "/v1/models",
            key.map(|k| {
                vec![
                    ("x-api-key", k.to_string()),
                    ("anthropic-version", "2023-06-01".to_string()),
                ]
            })
            .unwrap_or_default(),
        ),
        ProviderKind::Gemini => (
            "/v1beta/models",
            key.map(|k| vec![("x-goog-api-key", k.to_string())])
                .unwrap_or_default(),
        ),
        ProviderKind::HuggingFace | ProviderKind::Copilot | ProviderKind::Runway => return None,
    };
    let mut headers = HeaderMap::new();
    for (name, value) in auth {
        let mut value = HeaderValue::from_str(&value).ok()?;
        value.set_sensitive(true);
        headers.insert(HeaderName::from_static(name), value);
    }
    Some(Arc::new(ModelsList {
        url: format!("{base}{path}"),
        headers,
        http: http.clone(),
    }))
}

/// The built-in mock is always up.
struct AlwaysUp;

#[async_trait]
impl Probe for AlwaysUp {
    async fn probe(&self) -> Result<(), ProviderError> {
        Ok(())
    }
}

/// `GET {base}/models`-style listing; free at every provider that has one.
struct ModelsList {
    url: String,
    headers: HeaderMap,
    http: HttpClient,
}

#[async_trait]
impl Probe for ModelsList {
    async fn probe(&self) -> Result<(), ProviderError> {
        let timeouts = Timeouts {
            first_byte: Duration::from_secs(10),
            idle: Duration::from_secs(10),
            total: Duration::from_secs(10),
        };
        let request = self
            .http
            .client()
            .get(&self.url)
            .headers(self.headers.clone());
        self.http.send(request, &timeouts).await.map(drop)
    }
}
