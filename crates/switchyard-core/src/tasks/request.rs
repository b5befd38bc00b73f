//! The media request a task runs and what it costs. The manager prices a submission
//! with it and the poller prices the result, so it is a leaf among the task modules:
//! neither of them needs the other for it.

use switchyard_types::Pricing;
use switchyard_types::media::{ImageRequest, VideoRequest};

use super::DEFAULT_VIDEO_SECONDS;
use crate::llm::Served;

/// The media request a task runs.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaRequest {
    Image(ImageRequest),
    Video(VideoRequest),
}

/// USD a request costs at `pricing` (free tier: nothing): per image × n, or per second
/// of video (the requested duration, else [`DEFAULT_VIDEO_SECONDS`]).
pub(crate) fn cost_of(pricing: &Pricing, free_tier: bool, request: &MediaRequest) -> f64 {
    if free_tier {
        return 0.0;
    }
    match request {
        MediaRequest::Image(r) => pricing.cost_per_image.unwrap_or(0.0) * f64::from(r.n.max(1)),
        MediaRequest::Video(r) => {
            let seconds = r.duration_seconds.unwrap_or(DEFAULT_VIDEO_SECONDS);
            pricing.cost_per_video_second.unwrap_or(0.0) * f64::from(seconds)
        }
    }
}

/// USD a request costs on the prices of the model that `served` it.
pub(crate) fn estimate_cost(served: &Served, request: &MediaRequest) -> f64 {
    cost_of(&served.pricing, served.free_tier, request)
}
