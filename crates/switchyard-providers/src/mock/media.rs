//! The mock's images and video jobs. Video jobs are stateless: the job id encodes when
//! the job started and how long it takes, so polling works across gateway restarts.

use async_trait::async_trait;
use switchyard_types::ErrorKind;
use switchyard_types::media::{
    GeneratedImage, ImageFormat, ImageRequest, ImageResponse, JobState, JobStatus, VideoJob,
    VideoRequest,
};

use super::{MockProvider, fnv1a};
use crate::{ImageProvider, ProviderError, Target, VideoProvider};

/// A 1×1 PNG, the mock's every image.
pub const PNG_1X1_BASE64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/// A prompt containing this makes the mock's video job fail halfway, for tests.
pub const FAIL_MARKER: &str = "[mock-fail]";

#[async_trait]
impl ImageProvider for MockProvider {
    async fn generate_image(
        &self,
        _target: Target<'_>,
        request: &ImageRequest,
    ) -> Result<ImageResponse, ProviderError> {
        tokio::time::sleep(self.options.latency()).await;
        self.options.maybe_fail()?;
        let image = match request.response_format {
            ImageFormat::B64Json => GeneratedImage {
                b64_json: Some(PNG_1X1_BASE64.to_string()),
                media_type: Some("image/png".into()),
                revised_prompt: Some(request.prompt.clone()),
                ..GeneratedImage::default()
            },
            ImageFormat::Url => GeneratedImage {
                url: Some(format!("data:image/png;base64,{PNG_1X1_BASE64}")),
                revised_prompt: Some(request.prompt.clone()),
                ..GeneratedImage::default()
            },
        };
        Ok(ImageResponse {
            created_at: switchyard_types::now_millis(),
            images: vec![image; request.n.max(1) as usize],
            usage: None,
        })
    }
}

#[async_trait]
impl VideoProvider for MockProvider {
    async fn submit_video(
        &self,
        _target: Target<'_>,
        request: &VideoRequest,
    ) -> Result<VideoJob, ProviderError> {
        tokio::time::sleep(self.options.latency()).await;
        self.options.maybe_fail()?;
        let fails = u8::from(request.prompt.contains(FAIL_MARKER));
        let job_id = format!(
            "mockvid_{}_{}_{}_{:08x}",
            switchyard_types::now_millis(),
            self.options.video_duration_ms,
            fails,
            fnv1a(request.prompt.as_bytes()) & 0xffff_ffff
        );
        Ok(VideoJob { job_id })
    }

    async fn poll_video(&self, job_id: &str) -> Result<JobStatus, ProviderError> {
        let parts: Vec<&str> = job_id.split('_').collect();
        let parsed = match parts.as_slice() {
            ["mockvid", start, duration, fails, _] => start
                .parse::<i64>()
                .ok()
                .zip(duration.parse::<i64>().ok())
                .map(|(s, d)| (s, d, *fails == "1")),
            _ => None,
        };
        let Some((start, duration, fails)) = parsed else {
            return Err(ProviderError::new(
                ErrorKind::NotFound,
                format!("mock: no video job `{job_id}`"),
            ));
        };
        let elapsed = (switchyard_types::now_millis() - start).max(0);
        let progress = if duration <= 0 {
            100
        } else {
            (elapsed * 100 / duration).min(100)
        };
        let progress = u8::try_from(progress).unwrap_or(100);
        Ok(if fails && progress >= 50 {
            JobStatus {
                state: JobState::Failed,
                progress: Some(50),
                output_urls: Vec::new(),
                error: Some("mock: generation failed (content policy)".into()),
            }
        } else if progress >= 100 {
            JobStatus {
                state: JobState::Succeeded,
                progress: Some(100),
                output_urls: vec![format!("mock://videos/{job_id}.mp4")],
                error: None,
            }
        } else if progress == 0 {
            JobStatus {
                state: JobState::Queued,
                progress: Some(0),
                output_urls: Vec::new(),
                error: None,
            }
        } else {
            JobStatus {
                state: JobState::Running,
                progress: Some(progress),
                output_urls: Vec::new(),
                error: None,
            }
        })
    }

    async fn cancel_video(&self, job_id: &str) -> Result<(), ProviderError> {
        self.poll_video(job_id).await.map(|_| ())
    }
}
