//! The built-in `mock` provider: no network, deterministic replies derived from the
//! input, so first runs, demos and tests work offline.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use switchyard_types::chat::{
    ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, FinishReason, Message,
    MessageRole, Usage, UsageSource,
};

use crate::{ChatProvider, ProviderError, Target};

/// Settings of a mock provider (the provider's `options` table).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockOptions {
    /// Delay before each reply.
    #[serde(default)]
    pub latency_ms: u64,
    /// Length of embedding vectors.
    #[serde(default = "default_dimensions")]
    pub embedding_dimensions: usize,
}

fn default_dimensions() -> usize {
    16
}

impl MockOptions {
    /// Parse the provider's options object; the message names the bad field.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, String> {
        if value.is_null() {
            return Ok(Self {
                embedding_dimensions: default_dimensions(),
                ..Self::default()
            });
        }
        serde_json::from_value(value.clone()).map_err(|e| e.to_string())
    }
}

/// The mock adapter.
#[derive(Debug, Clone)]
pub struct MockProvider {
    options: MockOptions,
}

impl MockProvider {
    /// A mock provider with the given settings.
    pub fn new(options: MockOptions) -> Self {
        Self { options }
    }

    async fn delay(&self) {
        if self.options.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.options.latency_ms)).await;
        }
    }
}

/// FNV-1a: a stable hash so replies and ids depend only on the input.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// A rough token estimate (about four characters a token), at least one per text.
pub fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4).max(1)
}

/// The reply the mock gives to a conversation: it quotes the last user message.
pub fn reply_text(model: &str, request: &ChatRequest) -> String {
    let last_user = request
        .messages
        .iter()
        .rev()
        .find(|m| m.role == MessageRole::User)
        .map(Message::joined_text)
        .unwrap_or_default();
    format!("Mock reply from {model}: you said \"{last_user}\"")
}

#[async_trait]
impl ChatProvider for MockProvider {
    async fn chat(
        &self,
        target: Target<'_>,
        request: &ChatRequest,
    ) -> Result<ChatResponse, ProviderError> {
        self.delay().await;
        let prompt: String = request.messages.iter().map(Message::joined_text).collect();
        let text = reply_text(target.model, request);
        let usage = Usage {
            input_tokens: estimate_tokens(&prompt),
            output_tokens: estimate_tokens(&text),
            source: UsageSource::Estimated,
            ..Usage::default()
        };
        Ok(ChatResponse {
            id: format!("chatcmpl-mock-{:016x}", fnv1a(prompt.as_bytes())),
            model: target.model.to_string(),
            message: Message::text(MessageRole::Assistant, text),
            finish_reason: FinishReason::Stop,
            usage,
            created_at: switchyard_types::now_millis(),
        })
    }

    async fn embed(
        &self,
        target: Target<'_>,
        request: &EmbeddingRequest,
    ) -> Result<EmbeddingResponse, ProviderError> {
        self.delay().await;
        let dims = request
            .dimensions
            .map(|d| d as usize)
            .unwrap_or(self.options.embedding_dimensions)
            .max(1);
        let embeddings = request
            .input
            .iter()
            .map(|text| embedding_of(text, dims))
            .collect();
        let input_tokens = request.input.iter().map(|t| estimate_tokens(t)).sum();
        Ok(EmbeddingResponse {
            model: target.model.to_string(),
            embeddings,
            usage: Usage {
                input_tokens,
                source: UsageSource::Estimated,
                ..Usage::default()
            },
        })
    }
}

/// A deterministic unit-length vector derived from the text.
fn embedding_of(text: &str, dims: usize) -> Vec<f32> {
    let mut state = fnv1a(text.as_bytes()) | 1;
    let mut v: Vec<f32> = (0..dims)
        .map(|_| {
            // xorshift64: cheap, deterministic pseudo-random components.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn request(text: &str) -> ChatRequest {
        ChatRequest {
            model: "mock-chat".into(),
            messages: vec![Message::text(MessageRole::User, text)],
            ..ChatRequest::default()
        }
    }

    #[tokio::test]
    async fn replies_are_deterministic_and_quote_the_input() {
        let p = MockProvider::new(MockOptions::from_json(&serde_json::Value::Null).unwrap());
        let t = Target {
            model: "mock-chat",
            upstream_model: "mock-chat",
        };
        let a = p.chat(t, &request("hello there")).await.unwrap();
        let b = p.chat(t, &request("hello there")).await.unwrap();
        assert_eq!(a.id, b.id);
        assert_eq!(a.message, b.message);
        assert!(a.message.joined_text().contains("hello there"));
        assert_eq!(a.usage.input_tokens, 3);
        let c = p.chat(t, &request("something else")).await.unwrap();
        assert_ne!(a.id, c.id);
    }

    #[tokio::test]
    async fn embeddings_have_the_configured_dimension_and_unit_length() {
        let p = MockProvider::new(MockOptions {
            latency_ms: 0,
            embedding_dimensions: 8,
        });
        let t = Target {
            model: "mock-embed",
            upstream_model: "mock-embed",
        };
        let req = EmbeddingRequest {
            model: "mock-embed".into(),
            input: vec!["a".into(), "b".into()],
            dimensions: None,
        };
        let r = p.embed(t, &req).await.unwrap();
        assert_eq!(r.embeddings.len(), 2);
        assert_eq!(r.embeddings[0].len(), 8);
        let norm: f32 = r.embeddings[0].iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-4);
        assert_ne!(r.embeddings[0], r.embeddings[1]);
    }

    #[test]
    fn unknown_option_is_rejected_by_name() {
        let err = MockOptions::from_json(&serde_json::json!({"latency": 5})).unwrap_err();
        assert!(err.contains("latency"), "{err}");
    }
}
