//! The `runway` adapter: video generation as Runway tasks. A request with an
//! `image_url` creates an image-to-video task, otherwise text-to-video; the task is
//! polled at `GET /v1/tasks/{id}` and cancelled with `DELETE /v1/tasks/{id}`. Every
//! call carries the API key and the pinned `X-Runway-Version`.
//!
//! Options (unknown keys are refused): `api_version` (default `2024-11-06`),
//! `default_ratio` (used when a request gives no size; default `1280:720`), plus the
//! generic `max_retries`, `first_byte_timeout_ms`, `idle_timeout_ms`.

pub mod wire;

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::Deserialize;
use switchyard_types::ErrorKind;
use switchyard_types::media::{JobStatus, VideoJob, VideoRequest};

use self::wire::{CreateVideo, Created, RunwayTask};
use crate::jobs::{self, create_with_retry};
use crate::{
    Adapters, BuildError, ProviderContext, ProviderError, Target, VideoProvider, upstream,
};

/// The API version pinned when the options name none (the SDK's default).
pub const DEFAULT_API_VERSION: &str = "2024-11-06";

/// Settings of a Runway provider (its `options` table).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunwayOptions {
    /// Sent as `X-Runway-Version`.
    pub api_version: String,
    /// Ratio used when a request gives no size.
    pub default_ratio: String,
    /// Read by the shared retry policy.
    pub max_retries: Option<u64>,
    /// Read by the shared deadlines.
    pub first_byte_timeout_ms: Option<u64>,
    /// Read by the shared deadlines.
    pub idle_timeout_ms: Option<u64>,
}

impl Default for RunwayOptions {
    fn default() -> Self {
        Self {
            api_version: DEFAULT_API_VERSION.to_string(),
            default_ratio: "1280:720".to_string(),
            max_retries: None,
            first_byte_timeout_ms: None,
            idle_timeout_ms: None,
        }
    }
}

/// Build Runway's adapters: videos only. An API key is required at call time.
pub fn adapters(ctx: ProviderContext) -> Result<Adapters, BuildError> {
    let invalid = |message: String| BuildError::InvalidOptions {
        name: ctx.name.clone(),
        message,
    };
    let options: RunwayOptions = if ctx.options.is_null() {
        RunwayOptions::default()
    } else {
        serde_path_to_error::deserialize(ctx.options.clone())
            .map_err(|e| invalid(format!("{}: {}", e.path(), e.inner())))?
    };
    let version = HeaderValue::from_str(&options.api_version)
        .map_err(|_| invalid("api_version: not a valid header value".into()))?;
    let headers = headers(&ctx, version);
    Ok(Adapters {
        videos: Some(Arc::new(Runway {
            ctx,
            options,
            headers,
        })),
        ..Adapters::default()
    })
}

/// The headers of every call, or the `auth` error every call fails with.
fn headers(ctx: &ProviderContext, version: HeaderValue) -> Result<HeaderMap, ProviderError> {
    let key = ctx.require_key()?;
    let mut bearer = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
        ProviderError::new(
            ErrorKind::Auth,
            format!(
                "provider `{}`: the API key is not a valid header value",
                ctx.name
            ),
        )
    })?;
    bearer.set_sensitive(true);
    let mut map = HeaderMap::new();
    map.insert(AUTHORIZATION, bearer);
    map.insert("x-runway-version", version);
    Ok(map)
}

/// The Runway adapter.
pub struct Runway {
    ctx: ProviderContext,
    options: RunwayOptions,
    headers: Result<HeaderMap, ProviderError>,
}

impl Runway {
    /// The create body for a canonical request (exposed for tests).
    pub fn create_body(&self, target: Target<'_>, request: &VideoRequest) -> CreateVideo {
        CreateVideo {
            model: target.upstream_model.to_string(),
            prompt_image: request.image_url.clone(),
            prompt_text: Some(request.prompt.clone()).filter(|p| !p.is_empty()),
            ratio: request.size.as_deref().map_or_else(
                || self.options.default_ratio.clone(),
                |s| s.replace('x', ":"),
            ),
            duration: request.duration_seconds,
            seed: None,
        }
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> Result<reqwest::RequestBuilder, ProviderError> {
        Ok(self
            .ctx
            .http
            .client()
            .request(method, self.ctx.url(path))
            .headers(self.headers.clone()?))
    }
}

#[async_trait]
impl VideoProvider for Runway {
    async fn submit_video(
        &self,
        target: Target<'_>,
        request: &VideoRequest,
    ) -> Result<VideoJob, ProviderError> {
        let path = if request.image_url.is_some() {
            "/v1/image_to_video"
        } else {
            "/v1/text_to_video"
        };
        let body = self.create_body(target, request);
        let created: Created = create_with_retry(&self.ctx.retry, || async {
            let call = self
                .request(reqwest::Method::POST, path)?
                .header(CONTENT_TYPE, "application/json")
                .json(&body);
            self.ctx.http.json(call, &self.ctx.timeouts).await
        })
        .await?;
        if created.id.is_empty() {
            return Err(ProviderError::new(
                ErrorKind::UpstreamError,
                "runway answered a create call without a task id",
            ));
        }
        Ok(VideoJob { job_id: created.id })
    }

    async fn poll_video(&self, job_id: &str) -> Result<JobStatus, ProviderError> {
        let path = format!("/v1/tasks/{job_id}");
        let task: RunwayTask = self
            .ctx
            .retry
            .run(|| async {
                let call = self.request(reqwest::Method::GET, &path)?;
                self.ctx.http.json(call, &self.ctx.timeouts).await
            })
            .await?;
        Ok(status(task))
    }

    async fn cancel_video(&self, job_id: &str) -> Result<(), ProviderError> {
        let path = format!("/v1/tasks/{job_id}");
        let call = self.request(reqwest::Method::DELETE, &path)?;
        let response = self.ctx.http.send(call, &self.ctx.timeouts).await?;
        // Drain the (empty) body so the connection goes back to the pool.
        let _ = upstream::read_limited(response, self.ctx.timeouts.total).await;
        Ok(())
    }
}

/// The normalised status of a polled task.
pub fn status(task: RunwayTask) -> JobStatus {
    let error = match (task.failure, task.failure_code) {
        (Some(f), Some(code)) if jobs::is_safety_failure(&code) => Some(format!(
            "content filtered by the provider's safety system ({code}): {f}"
        )),
        (Some(f), Some(code)) => Some(format!("{f} ({code})")),
        (Some(f), None) => Some(f),
        (None, Some(code)) => Some(format!("runway failure code {code}")),
        (None, None) => None,
    };
    jobs::job_status(
        &task.status,
        task.progress.map(|p| jobs::percent(p, true)),
        task.output.unwrap_or_default(),
        error,
    )
}
