//! Gemini embeddings (`:embedContent` for one input, `:batchEmbedContents` for several,
//! `outputDimensionality` for `dimensions`) and Imagen images (`:predict`, base64 only).
//! Gemini reports no token usage for either; embedding usage is estimated.

use async_trait::async_trait;
use switchyard_types::ErrorKind;
use switchyard_types::chat::{EmbeddingRequest, EmbeddingResponse, Usage, UsageSource};
use switchyard_types::media::{GeneratedImage, ImageFormat, ImageRequest, ImageResponse};

use super::wire::{
    BatchEmbedContentsRequest, BatchEmbedContentsResponse, Content, EmbedContentRequest,
    EmbedContentResponse, Part, PredictInstance, PredictParameters, PredictRequest,
    PredictResponse,
};
use super::{Gemini, encode, resource};
use crate::{EmbeddingProvider, ImageProvider, ProviderError, Target};

#[async_trait]
impl EmbeddingProvider for Gemini {
    async fn embed(
        &self,
        target: Target<'_>,
        request: &EmbeddingRequest,
    ) -> Result<EmbeddingResponse, ProviderError> {
        let model = target.upstream_model;
        let entry = |text: &String| EmbedContentRequest {
            model: resource(model),
            content: Content {
                role: None,
                parts: vec![Part {
                    text: Some(text.clone()),
                    ..Part::default()
                }],
            },
            task_type: self.options.embedding_task_type.clone(),
            output_dimensionality: request.dimensions,
        };
        let embeddings = match request.input.as_slice() {
            [] => {
                return Err(ProviderError::new(
                    ErrorKind::BadRequest,
                    "an embeddings request needs at least one input",
                ));
            }
            [one] => {
                let url = self.url(model, "embedContent");
                let answer: EmbedContentResponse = self.call(&url, encode(&entry(one))?).await?;
                vec![answer.embedding.values]
            }
            many => {
                let body = BatchEmbedContentsRequest {
                    requests: many.iter().map(entry).collect(),
                };
                let url = self.url(model, "batchEmbedContents");
                let answer: BatchEmbedContentsResponse = self.call(&url, encode(&body)?).await?;
                answer.embeddings.into_iter().map(|e| e.values).collect()
            }
        };
        if embeddings.len() != request.input.len() {
            return Err(ProviderError::new(
                ErrorKind::UpstreamError,
                format!(
                    "Gemini returned {} embeddings for {} inputs",
                    embeddings.len(),
                    request.input.len()
                ),
            ));
        }
        let input_tokens = request
            .input
            .iter()
            .map(|t| crate::tokens::estimate(t))
            .sum();
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

#[async_trait]
impl ImageProvider for Gemini {
    async fn generate_image(
        &self,
        target: Target<'_>,
        request: &ImageRequest,
    ) -> Result<ImageResponse, ProviderError> {
        let body = PredictRequest {
            instances: vec![PredictInstance {
                prompt: request.prompt.clone(),
            }],
            parameters: PredictParameters {
                sample_count: request.n.max(1),
                aspect_ratio: request.size.as_deref().and_then(aspect_ratio),
            },
        };
        let url = self.url(target.upstream_model, "predict");
        let answer: PredictResponse = self.call(&url, encode(&body)?).await?;
        let images: Vec<GeneratedImage> = answer
            .predictions
            .into_iter()
            .filter_map(|p| {
                let data = p.bytes_base64_encoded.filter(|d| !d.is_empty())?;
                let media_type = p.mime_type.unwrap_or_else(|| "image/png".into());
                Some(GeneratedImage {
                    url: (request.response_format == ImageFormat::Url)
                        .then(|| format!("data:{media_type};base64,{data}")),
                    b64_json: Some(data),
                    media_type: Some(media_type),
                    revised_prompt: None,
                })
            })
            .collect();
        if images.is_empty() {
            return Err(ProviderError::new(
                ErrorKind::ContentFiltered,
                "Imagen returned no images (all were filtered)",
            ));
        }
        Ok(ImageResponse {
            created_at: switchyard_types::now_millis(),
            images,
            usage: None,
        })
    }
}

/// The Imagen aspect ratio nearest to a `WIDTHxHEIGHT` size.
fn aspect_ratio(size: &str) -> Option<&'static str> {
    let (w, h) = size.split_once(['x', 'X', ':'])?;
    let (w, h): (f64, f64) = (w.trim().parse().ok()?, h.trim().parse().ok()?);
    if w <= 0.0 || h <= 0.0 {
        return None;
    }
    let ratio = w / h;
    [
        ("1:1", 1.0),
        ("3:4", 0.75),
        ("4:3", 4.0 / 3.0),
        ("9:16", 9.0 / 16.0),
        ("16:9", 16.0 / 9.0),
    ]
    .into_iter()
    .min_by(|a, b| (a.1 - ratio).abs().total_cmp(&(b.1 - ratio).abs()))
    .map(|(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_map_to_the_nearest_aspect_ratio() {
        assert_eq!(aspect_ratio("1024x1024"), Some("1:1"));
        assert_eq!(aspect_ratio("1792x1024"), Some("16:9"));
        assert_eq!(aspect_ratio("1024x1536"), Some("3:4"));
        assert_eq!(aspect_ratio("big"), None);
    }
}
