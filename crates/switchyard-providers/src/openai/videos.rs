//! OpenAI videos (Sora) as provider-side jobs: `POST /videos` creates one, `GET
//! /videos/{id}` polls it, `DELETE /videos/{id}` cancels (deletes) it. The finished
//! video sits behind the API key at `GET /videos/{id}/content`, so a completed poll
//! downloads it and hands it on as a `data:` URL for the gateway to store and serve.

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde::{Deserialize, Serialize};
use switchyard_types::ErrorKind;
use switchyard_types::media::{JobState, JobStatus, VideoJob, VideoRequest};

use super::client::{Auth, Call};
use crate::jobs::{self, create_with_retry};
use crate::{ProviderContext, ProviderError, Target, VideoProvider, upstream};

/// `POST /videos` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateVideo {
    pub model: String,
    pub prompt: String,
    /// Seconds, as a string (`"4"`, `"8"`, `"12"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<String>,
    /// `WIDTHxHEIGHT`, e.g. `1280x720`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_reference: Option<InputReference>,
}

/// An image the video starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputReference {
    pub image_url: String,
}

/// The video object every call answers with.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Video {
    pub id: String,
    /// `queued`, `in_progress`, `completed` or `failed`.
    pub status: String,
    #[serde(default)]
    pub progress: Option<f64>,
    #[serde(default)]
    pub error: Option<VideoError>,
}

/// Why a video failed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct VideoError {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

/// The create body for a canonical request.
pub fn create_body(target: Target<'_>, request: &VideoRequest) -> CreateVideo {
    CreateVideo {
        model: target.upstream_model.to_string(),
        prompt: request.prompt.clone(),
        seconds: request.duration_seconds.map(|s| s.to_string()),
        size: request.size.as_ref().map(|s| s.replace(':', "x")),
        input_reference: request
            .image_url
            .clone()
            .map(|image_url| InputReference { image_url }),
    }
}

/// The normalised status of a polled video (outputs are added once downloaded).
pub fn status(video: &Video) -> JobStatus {
    let error = video
        .error
        .as_ref()
        .map(|e| match (e.code.as_deref(), e.message.as_deref()) {
            (Some(code), Some(m)) if jobs::is_safety_failure(code) => {
                format!("content filtered by the provider's safety system ({code}): {m}")
            }
            (Some(code), Some(m)) => format!("{m} ({code})"),
            (None, Some(m)) => m.to_string(),
            (Some(code), None) => format!("openai video error {code}"),
            (None, None) => "openai reported a video error".to_string(),
        });
    let progress = video.progress.map(|p| jobs::percent(p, false));
    jobs::job_status(&video.status, progress, Vec::new(), error)
}

/// OpenAI's video jobs.
pub struct OpenAiVideos {
    ctx: ProviderContext,
    auth: Arc<dyn Auth>,
}

impl OpenAiVideos {
    /// Videos over `ctx`, with the credentials of `auth` (those of image calls).
    pub fn new(ctx: ProviderContext, auth: Arc<dyn Auth>) -> Self {
        Self { ctx, auth }
    }

    async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> Result<reqwest::RequestBuilder, ProviderError> {
        let creds = self.auth.credentials(Call::Images).await?;
        let base = creds.base_url.as_deref().unwrap_or(&self.ctx.base_url);
        let url = format!("{}{path}", base.trim_end_matches('/'));
        let headers: HeaderMap = creds.headers;
        Ok(self.ctx.http.client().request(method, url).headers(headers))
    }

    async fn get_video(&self, job_id: &str) -> Result<Video, ProviderError> {
        let path = format!("/videos/{job_id}");
        self.ctx
            .retry
            .run(|| async {
                let call = self.request(reqwest::Method::GET, &path).await?;
                self.ctx.http.json(call, &self.ctx.timeouts).await
            })
            .await
    }

    /// The finished video's bytes as a `data:` URL.
    async fn download(&self, job_id: &str) -> Result<String, ProviderError> {
        let path = format!("/videos/{job_id}/content?variant=video");
        self.ctx
            .retry
            .run(|| async {
                let call = self.request(reqwest::Method::GET, &path).await?;
                let response = self.ctx.http.send(call, &self.ctx.timeouts).await?;
                let media_type = response
                    .headers()
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.split(';').next())
                    .map_or("video/mp4", str::trim)
                    .to_string();
                let bytes = upstream::read_limited(response, self.ctx.timeouts.total).await?;
                if bytes.is_empty() {
                    return Err(ProviderError::new(
                        ErrorKind::UpstreamError,
                        "openai sent an empty video",
                    ));
                }
                let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
                Ok(format!("data:{media_type};base64,{b64}"))
            })
            .await
    }
}

#[async_trait]
impl VideoProvider for OpenAiVideos {
    async fn submit_video(
        &self,
        target: Target<'_>,
        request: &VideoRequest,
    ) -> Result<VideoJob, ProviderError> {
        let body = create_body(target, request);
        let video: Video = create_with_retry(&self.ctx.retry, || async {
            let call = self
                .request(reqwest::Method::POST, "/videos")
                .await?
                .header(CONTENT_TYPE, "application/json")
                .json(&body);
            self.ctx.http.json(call, &self.ctx.timeouts).await
        })
        .await?;
        if video.id.is_empty() {
            return Err(ProviderError::new(
                ErrorKind::UpstreamError,
                "openai answered a video create call without an id",
            ));
        }
        Ok(VideoJob { job_id: video.id })
    }

    async fn poll_video(&self, job_id: &str) -> Result<JobStatus, ProviderError> {
        let video = self.get_video(job_id).await?;
        let mut status = status(&video);
        if status.state == JobState::Succeeded {
            status.output_urls = vec![self.download(job_id).await?];
        }
        Ok(status)
    }

    async fn cancel_video(&self, job_id: &str) -> Result<(), ProviderError> {
        let path = format!("/videos/{job_id}");
        let call = self.request(reqwest::Method::DELETE, &path).await?;
        let response = self.ctx.http.send(call, &self.ctx.timeouts).await?;
        let _ = upstream::read_limited(response, self.ctx.timeouts.total).await;
        Ok(())
    }
}
