//! OpenAI videos (Sora) against a scripted upstream: the create body, polling with
//! progress, the download of a finished video as a `data:` URL, failures (moderation
//! included) normalised, cancel, and no videos for `openai_compatible`.

use crate::common::{MockUpstream, Reply};
use base64::Engine as _;
use serde_json::json;
use switchyard_providers::{Adapters, HttpClient, Target, build};
use switchyard_types::media::{JobState, VideoRequest};
use switchyard_types::{ErrorKind, Provider, ProviderKind, Secret};

const KEY: &str = "sk-test-video-key";
const T: Target<'static> = Target {
    model: "sora",
    upstream_model: "sora-2",
};

fn adapters(up: &MockUpstream, kind: ProviderKind) -> Adapters {
    let provider = Provider {
        id: "p1".into(),
        name: "openai".into(),
        kind,
        base_url: Some(format!("{}/v1", up.base_url)),
        has_api_key: true,
        timeout_ms: 10_000,
        max_concurrency: 10,
        free_tier: false,
        enabled: true,
        options: json!({"organization": "org-1"}),
        created_at: 0,
        updated_at: 0,
    };
    let key = Some(Secret::new(KEY.to_string()));
    build(&provider, key, &HttpClient::new().unwrap()).unwrap()
}

fn video_object(status: &str, progress: u32, extra: &str) -> String {
    format!(
        r#"{{"id":"video_123","object":"video","model":"sora-2","status":"{status}","progress":{progress},"created_at":1712697600,"completed_at":null,"expires_at":null,"size":"1280x720","seconds":"8","prompt":"A calico cat playing a piano","remixed_from_video_id":null{extra}}}"#
    )
}

#[tokio::test]
async fn create_sends_sora_fields_and_returns_the_video_id() {
    let up = MockUpstream::start(vec![Reply::json(
        200,
        &video_object("queued", 0, r#","error":null"#),
    )])
    .await;
    let videos = adapters(&up, ProviderKind::OpenAi).videos.unwrap();
    let request = VideoRequest {
        model: "sora".into(),
        prompt: "A calico cat playing a piano".into(),
        image_url: Some("https://example.test/ref.png".into()),
        duration_seconds: Some(8),
        size: Some("1280:720".into()),
    };
    let job = videos.submit_video(T, &request).await.unwrap();
    assert_eq!(job.job_id, "video_123");
    let sent = &up.requests()[0];
    assert_eq!(
        (sent.method.as_str(), sent.uri.as_str()),
        ("POST", "/v1/videos")
    );
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(sent.header("openai-organization"), Some("org-1"));
    assert_eq!(
        sent.json(),
        json!({"model":"sora-2","prompt":"A calico cat playing a piano","seconds":"8","size":"1280x720","input_reference":{"image_url":"https://example.test/ref.png"}})
    );
}

#[tokio::test]
async fn polling_reports_progress_then_downloads_the_finished_video() {
    let mp4 = b"\x00\x00\x00\x18ftypmp42 fake video bytes";
    let up = MockUpstream::start(vec![
        Reply::json(200, &video_object("queued", 0, "")),
        Reply::json(200, &video_object("in_progress", 42, "")),
        Reply::json(200, &video_object("completed", 100, "")),
        Reply::raw(200, "video/mp4", mp4),
    ])
    .await;
    let videos = adapters(&up, ProviderKind::OpenAi).videos.unwrap();
    let queued = videos.poll_video("video_123").await.unwrap();
    assert_eq!((queued.state, queued.progress), (JobState::Queued, Some(0)));
    let running = videos.poll_video("video_123").await.unwrap();
    assert_eq!(
        (running.state, running.progress),
        (JobState::Running, Some(42))
    );
    let done = videos.poll_video("video_123").await.unwrap();
    assert_eq!(done.state, JobState::Succeeded);
    let expected = format!(
        "data:video/mp4;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(mp4)
    );
    assert_eq!(done.output_urls, vec![expected]);
    let uris: Vec<_> = up.requests().iter().map(|r| r.uri.clone()).collect();
    assert_eq!(
        uris,
        [
            "/v1/videos/video_123",
            "/v1/videos/video_123",
            "/v1/videos/video_123",
            "/v1/videos/video_123/content?variant=video"
        ]
    );
    assert!(
        up.requests()
            .iter()
            .all(|r| r.header("authorization").is_some())
    );
}

#[tokio::test]
async fn failures_are_normalised_with_their_reason() {
    let up = MockUpstream::start(vec![
        Reply::json(
            200,
            &video_object(
                "failed",
                30,
                r#","error":{"code":"moderation_blocked","message":"Your request was blocked by our moderation system."}"#,
            ),
        ),
        Reply::json(
            200,
            &video_object("failed", 10, r#","error":{"code":"internal_error","message":"Video generation failed."}"#),
        ),
        Reply::json(200, &video_object("expired", 100, "")),
    ])
    .await;
    let videos = adapters(&up, ProviderKind::OpenAi).videos.unwrap();
    let blocked = videos.poll_video("video_123").await.unwrap();
    assert_eq!(blocked.state, JobState::Failed);
    let reason = blocked.error.unwrap();
    assert!(
        reason.contains("safety") && reason.contains("moderation system"),
        "{reason}"
    );
    let failed = videos.poll_video("video_123").await.unwrap();
    assert_eq!(
        failed.error.as_deref(),
        Some("Video generation failed. (internal_error)")
    );
    let expired = videos.poll_video("video_123").await.unwrap();
    assert_eq!(expired.state, JobState::Failed);
    assert_eq!(
        expired.error.as_deref(),
        Some("the provider expired the job")
    );
}

#[tokio::test]
async fn cancel_deletes_and_errors_are_classified() {
    let up = MockUpstream::start(vec![
        Reply::json(200, r#"{"id":"video_123","object":"video.deleted","deleted":true}"#),
        Reply::json(
            404,
            r#"{"error":{"message":"Video not found","type":"invalid_request_error","param":null,"code":null}}"#,
        ),
    ])
    .await;
    let videos = adapters(&up, ProviderKind::OpenAi).videos.unwrap();
    videos.cancel_video("video_123").await.unwrap();
    let sent = &up.requests()[0];
    assert_eq!(
        (sent.method.as_str(), sent.uri.as_str()),
        ("DELETE", "/v1/videos/video_123")
    );
    let err = videos.poll_video("nope").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert_eq!(err.message, "Video not found");
}

#[tokio::test]
async fn openai_compatible_servers_offer_no_videos() {
    let up = MockUpstream::start(vec![Reply::json(200, "{}")]).await;
    assert!(
        adapters(&up, ProviderKind::OpenAiCompatible)
            .videos
            .is_none()
    );
    assert!(adapters(&up, ProviderKind::OpenAi).videos.is_some());
}
