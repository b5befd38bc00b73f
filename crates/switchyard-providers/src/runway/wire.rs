//! Runway's JSON: the create bodies of `/v1/text_to_video` and `/v1/image_to_video`,
//! the created-task answer, and the task object `GET /v1/tasks/{id}` returns.

use serde::{Deserialize, Serialize};

/// `POST /v1/text_to_video` and `POST /v1/image_to_video` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateVideo {
    pub model: String,
    /// The first frame (HTTPS URL, Runway upload URI or data URI); image-to-video only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_text: Option<String>,
    /// `WIDTH:HEIGHT`, e.g. `1280:720`.
    pub ratio: String,
    /// Seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// What a create call answers: only the new task's id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Created {
    pub id: String,
}

/// A task as polled.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunwayTask {
    pub id: String,
    /// `PENDING`, `THROTTLED`, `RUNNING`, `SUCCEEDED`, `FAILED` or `CANCELLED`.
    pub status: String,
    /// 0–1 while running.
    #[serde(default)]
    pub progress: Option<f64>,
    /// Output URLs once succeeded (they expire after a day or two).
    #[serde(default)]
    pub output: Option<Vec<String>>,
    /// Human-readable reason of a failure.
    #[serde(default)]
    pub failure: Option<String>,
    /// Machine-readable failure code, e.g. `SAFETY.INPUT.TEXT`.
    #[serde(default)]
    pub failure_code: Option<String>,
}
