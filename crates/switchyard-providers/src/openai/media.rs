//! Embeddings (`POST /embeddings`) and image generation (`POST /images/generations`):
//! their wire shapes, conversion, and the provider impls on [`OpenAiClient`]. GPT image
//! models (`gpt-image-*`) always answer base64 and take no `response_format` or
//! `style`; a client that asked for a URL gets a `data:` URI.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use switchyard_types::ErrorKind;
use switchyard_types::chat::{EmbeddingRequest, EmbeddingResponse, Usage, UsageSource};
use switchyard_types::media::{GeneratedImage, ImageFormat, ImageRequest, ImageResponse};

use super::client::{Call, OpenAiClient};
use super::convert;
use super::wire::{WireUsage, null_as_default};
use crate::tokens::estimate_tokens;
use crate::{EmbeddingProvider, ImageProvider, ProviderError, Target};

/// `POST /embeddings` request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingsRequest {
    pub model: String,
    pub input: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
}

/// `POST /embeddings` response.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EmbeddingsResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub data: Vec<EmbeddingData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<WireUsage>,
}

/// One vector of an embeddings response.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EmbeddingData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    pub embedding: Vec<f32>,
}

/// `POST /images/generations` request body.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImageGenerationRequest {
    pub model: String,
    pub prompt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// `url` or `b64_json` (DALL·E only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Any other member (`background`, `output_format`, `moderation`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `POST /images/generations` response.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImagesResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<i64>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub data: Vec<ImageData>,
    /// `png`, `jpeg` or `webp` (GPT image models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<ImageUsage>,
}

/// One generated image.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImageData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b64_json: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revised_prompt: Option<String>,
}

/// Token usage of a GPT image generation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImageUsage {
    #[serde(default)]
    pub input_tokens: Option<u64>,
    #[serde(default)]
    pub output_tokens: Option<u64>,
    #[serde(default)]
    pub total_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens_details: Option<Value>,
}

/// Whether `model` is a GPT image model (always base64, no `response_format`).
pub fn is_gpt_image(model: &str) -> bool {
    let m = model.rsplit('/').next().unwrap_or(model);
    m.starts_with("gpt-image") || m.starts_with("chatgpt-image")
}

/// The upstream image request for a canonical one.
pub fn image_request(model: &str, r: &ImageRequest, send_user: bool) -> ImageGenerationRequest {
    let gpt_image = is_gpt_image(model);
    let format = match r.response_format {
        ImageFormat::Url => "url",
        ImageFormat::B64Json => "b64_json",
    };
    ImageGenerationRequest {
        model: model.to_string(),
        prompt: r.prompt.clone(),
        n: Some(r.n.max(1)),
        size: r.size.clone(),
        quality: r.quality.clone(),
        style: r.style.clone().filter(|_| !gpt_image),
        response_format: (!gpt_image).then(|| format.to_string()),
        user: r.user.clone().filter(|_| send_user),
        extra: Map::new(),
    }
}

/// The canonical response, in the format the client asked for where possible.
pub fn image_response(resp: ImagesResponse, wanted: ImageFormat) -> ImageResponse {
    let media_type = format!(
        "image/{}",
        resp.output_format
            .as_deref()
            .map_or("png", |f| if f == "jpg" { "jpeg" } else { f })
    );
    let images = resp
        .data
        .into_iter()
        .map(|d| {
            let (url, b64_json) = match (wanted, d.url, d.b64_json) {
                (ImageFormat::Url, None, Some(b64)) => {
                    (Some(format!("data:{media_type};base64,{b64}")), None)
                }
                (_, url, b64) => (url, b64),
            };
            GeneratedImage {
                media_type: b64_json.as_ref().map(|_| media_type.clone()),
                url,
                b64_json,
                revised_prompt: d.revised_prompt,
            }
        })
        .collect();
    ImageResponse {
        created_at: resp
            .created
            .map_or_else(switchyard_types::now_millis, |s| s * 1000),
        images,
        usage: resp.usage.map(|u| image_usage(&u)),
    }
}

fn image_usage(u: &ImageUsage) -> Usage {
    let cached = u
        .input_tokens_details
        .as_ref()
        .and_then(|d| d.get("cached_tokens"))
        .and_then(Value::as_u64);
    Usage {
        input_tokens: u.input_tokens.unwrap_or(0),
        output_tokens: u.output_tokens.unwrap_or(0),
        cached_input_tokens: cached.unwrap_or(0),
        source: UsageSource::Provider,
        ..Usage::default()
    }
}

/// The canonical embeddings response: vectors in input order, checked for count.
pub fn embeddings_response(
    resp: EmbeddingsResponse,
    model: &str,
    request: &EmbeddingRequest,
) -> Result<EmbeddingResponse, ProviderError> {
    let mut data = resp.data;
    if data.len() != request.input.len() {
        return Err(ProviderError::new(
            ErrorKind::UpstreamError,
            format!(
                "upstream returned {} embeddings for {} inputs",
                data.len(),
                request.input.len()
            ),
        ));
    }
    data.sort_by_key(|d| d.index);
    let usage = match resp.usage {
        Some(u) => convert::usage(&u),
        None => Usage {
            input_tokens: request.input.iter().map(|t| estimate_tokens(t)).sum(),
            source: UsageSource::Estimated,
            ..Usage::default()
        },
    };
    Ok(EmbeddingResponse {
        model: model.to_string(),
        embeddings: data.into_iter().map(|d| d.embedding).collect(),
        usage,
    })
}

#[async_trait]
impl EmbeddingProvider for OpenAiClient {
    async fn embed(
        &self,
        target: Target<'_>,
        request: &EmbeddingRequest,
    ) -> Result<EmbeddingResponse, ProviderError> {
        let body = EmbeddingsRequest {
            model: target.upstream_model.to_string(),
            input: request.input.clone(),
            encoding_format: self
                .flavor
                .embedding_encoding_format
                .then(|| "float".to_string()),
            dimensions: request.dimensions,
        };
        let resp: EmbeddingsResponse = self
            .post_json(Call::Embeddings, "/embeddings", &body)
            .await?;
        embeddings_response(resp, target.model, request)
    }
}

#[async_trait]
impl ImageProvider for OpenAiClient {
    async fn generate_image(
        &self,
        target: Target<'_>,
        request: &ImageRequest,
    ) -> Result<ImageResponse, ProviderError> {
        let body = image_request(target.upstream_model, request, self.flavor.send_user);
        let resp: ImagesResponse = self
            .post_json(Call::Images, "/images/generations", &body)
            .await?;
        Ok(image_response(resp, request.response_format))
    }
}
