//! Canonical image and video generation types.

use serde::{Deserialize, Serialize};

/// How generated images come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageFormat {
    #[default]
    Url,
    B64Json,
}

/// Canonical image generation request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImageRequest {
    pub model: String,
    pub prompt: String,
    /// How many images (at least 1).
    pub n: u32,
    /// `WIDTHxHEIGHT`, e.g. `1024x1024`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    #[serde(default)]
    pub response_format: ImageFormat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// One generated image: a URL, or base64 bytes, or both.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GeneratedImage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b64_json: Option<String>,
    /// Media type of `b64_json` (e.g. `image/png`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revised_prompt: Option<String>,
}

/// Canonical image generation response.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImageResponse {
    pub created_at: crate::Millis,
    pub images: Vec<GeneratedImage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<crate::chat::Usage>,
}

/// Canonical video generation request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct VideoRequest {
    pub model: String,
    pub prompt: String,
    /// An image to animate (URL or data URI), for image-to-video models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<u32>,
    /// `WIDTHxHEIGHT` or a ratio such as `1280:720`, as the provider takes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
}

/// A provider-side video job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VideoJob {
    pub job_id: String,
}

/// Normalised state of a provider-side job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// A poll of a provider-side job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobStatus {
    pub state: JobState,
    /// 0–100 when the provider reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<u8>,
    /// Where the results can be fetched, when done.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A file the gateway stored for a result that came back as bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaFile {
    pub id: String,
    /// Owner; only they (and admins) may fetch it.
    pub user_id: Option<String>,
    /// The task that produced it, if any.
    pub task_id: Option<String>,
    /// `image/png`, `video/mp4`, …
    pub media_type: String,
    pub size_bytes: u64,
    /// Name of the file inside the media directory.
    pub file_name: String,
    pub created_at: crate::Millis,
}
