//! The `runway` adapter against a scripted upstream replaying Runway's wire shapes:
//! create bodies and headers, every task status normalised, cancel, error bodies, and
//! the creation retry rule (answered failures only).

use std::time::Duration;

use crate::common::{MockUpstream, Reply};
use serde_json::json;
use switchyard_providers::{Adapters, BuildError, HttpClient, Target, build};
use switchyard_types::media::{JobState, VideoRequest};
use switchyard_types::{ErrorKind, Provider, ProviderKind, Secret};

const KEY: &str = "key_runway_secret_123";
const T: Target<'static> = Target {
    model: "runway-video",
    upstream_model: "gen4_turbo",
};

fn provider(base_url: &str, options: serde_json::Value) -> Provider {
    Provider {
        id: "p1".into(),
        name: "runway".into(),
        kind: ProviderKind::Runway,
        base_url: Some(base_url.to_string()),
        has_api_key: true,
        timeout_ms: 10_000,
        max_concurrency: 10,
        free_tier: false,
        enabled: true,
        options,
        created_at: 0,
        updated_at: 0,
    }
}

fn runway(up: &MockUpstream, options: serde_json::Value) -> Adapters {
    let key = Some(Secret::new(KEY.to_string()));
    build(
        &provider(&up.base_url, options),
        key,
        &HttpClient::new().unwrap(),
    )
    .unwrap()
}

fn video(prompt: &str) -> VideoRequest {
    VideoRequest {
        model: "runway-video".into(),
        prompt: prompt.into(),
        ..VideoRequest::default()
    }
}

#[tokio::test]
async fn text_to_video_sends_the_pinned_version_and_returns_the_task_id() {
    let up = MockUpstream::start(vec![Reply::json(
        200,
        r#"{"id":"17f20503-6c24-4c16-946b-35dbbce2af2f"}"#,
    )])
    .await;
    let adapters = runway(&up, json!({}));
    assert!(adapters.chat.is_none() && adapters.images.is_none());
    let videos = adapters.videos.unwrap();
    let mut req = video("a calico cat playing piano");
    req.duration_seconds = Some(8);
    req.size = Some("1280x720".into());
    let job = videos.submit_video(T, &req).await.unwrap();
    assert_eq!(job.job_id, "17f20503-6c24-4c16-946b-35dbbce2af2f");
    let sent = &up.requests()[0];
    assert_eq!(
        (sent.method.as_str(), sent.uri.as_str()),
        ("POST", "/v1/text_to_video")
    );
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(sent.header("x-runway-version"), Some("2024-11-06"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(
        sent.json(),
        json!({"model":"gen4_turbo","promptText":"a calico cat playing piano","ratio":"1280:720","duration":8})
    );
}

#[tokio::test]
async fn an_image_makes_it_image_to_video_with_the_default_ratio() {
    let up = MockUpstream::start(vec![Reply::json(200, r#"{"id":"task-2"}"#)]).await;
    let videos = runway(
        &up,
        json!({"api_version": "2025-01-01", "default_ratio": "960:960"}),
    )
    .videos
    .unwrap();
    let mut req = video("slow dolly in");
    req.image_url = Some("https://example.test/first.jpg".into());
    videos.submit_video(T, &req).await.unwrap();
    let sent = &up.requests()[0];
    assert_eq!(sent.uri, "/v1/image_to_video");
    assert_eq!(sent.header("x-runway-version"), Some("2025-01-01"));
    assert_eq!(
        sent.json(),
        json!({"model":"gen4_turbo","promptImage":"https://example.test/first.jpg","promptText":"slow dolly in","ratio":"960:960"})
    );
}

#[tokio::test]
async fn every_task_status_is_normalised() {
    let created = r#""createdAt":"2024-11-15T03:34:51.751Z""#;
    let up = MockUpstream::start(vec![
        Reply::json(200, &format!(r#"{{"id":"t",{created},"status":"PENDING"}}"#)),
        Reply::json(200, &format!(r#"{{"id":"t",{created},"status":"THROTTLED"}}"#)),
        Reply::json(200, &format!(r#"{{"id":"t",{created},"status":"RUNNING","progress":0.275}}"#)),
        Reply::json(
            200,
            &format!(r#"{{"id":"t",{created},"status":"SUCCEEDED","output":["https://dnznrvs05pmza.cloudfront.net/a.mp4?_jwt=x"]}}"#),
        ),
        Reply::json(
            200,
            &format!(r#"{{"id":"t",{created},"status":"FAILED","failure":"Prompt rejected","failureCode":"SAFETY.INPUT.TEXT"}}"#),
        ),
        Reply::json(
            200,
            &format!(r#"{{"id":"t",{created},"status":"FAILED","failure":"Something broke","failureCode":"INTERNAL.BAD_OUTPUT"}}"#),
        ),
        Reply::json(200, &format!(r#"{{"id":"t",{created},"status":"CANCELLED"}}"#)),
    ])
    .await;
    let videos = runway(&up, json!({})).videos.unwrap();
    let mut seen = Vec::new();
    for _ in 0..7 {
        seen.push(videos.poll_video("t").await.unwrap());
    }
    assert_eq!(up.requests()[0].uri, "/v1/tasks/t");
    assert_eq!(up.requests()[0].method, "GET");
    assert_eq!(
        up.requests()[0].header("x-runway-version"),
        Some("2024-11-06")
    );
    assert_eq!(seen[0].state, JobState::Queued);
    assert_eq!(seen[1].state, JobState::Queued, "throttled is still queued");
    assert_eq!(
        (seen[2].state, seen[2].progress),
        (JobState::Running, Some(28))
    );
    assert_eq!(
        (seen[3].state, seen[3].progress),
        (JobState::Succeeded, Some(100))
    );
    assert_eq!(
        seen[3].output_urls,
        vec!["https://dnznrvs05pmza.cloudfront.net/a.mp4?_jwt=x".to_string()]
    );
    assert_eq!(seen[4].state, JobState::Failed);
    let safety = seen[4].error.clone().unwrap();
    assert!(
        safety.contains("safety") && safety.contains("Prompt rejected"),
        "{safety}"
    );
    assert_eq!(
        seen[5].error.as_deref(),
        Some("Something broke (INTERNAL.BAD_OUTPUT)")
    );
    assert_eq!(seen[6].state, JobState::Cancelled);
}

#[tokio::test]
async fn cancel_deletes_the_task() {
    let up = MockUpstream::start(vec![Reply::raw(204, "text/plain", b"")]).await;
    let videos = runway(&up, json!({})).videos.unwrap();
    videos.cancel_video("task-9").await.unwrap();
    let sent = &up.requests()[0];
    assert_eq!(
        (sent.method.as_str(), sent.uri.as_str()),
        ("DELETE", "/v1/tasks/task-9")
    );
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[tokio::test]
async fn errors_are_classified_and_creation_retries_only_answered_failures() {
    let up = MockUpstream::start(vec![
        Reply::json(
            429,
            r#"{"error":"Your daily task limit has been reached."}"#,
        ),
        Reply::json(200, r#"{"id":"after-retry"}"#),
    ])
    .await;
    let videos = runway(&up, json!({"max_retries": 1})).videos.unwrap();
    let job = videos.submit_video(T, &video("x")).await.unwrap();
    assert_eq!(job.job_id, "after-retry");
    assert_eq!(up.requests().len(), 2, "a 429 created nothing: retried");

    up.script(vec![Reply::json(
        429,
        r#"{"error":"Your daily task limit has been reached."}"#,
    )]);
    let err = runway(&up, json!({"max_retries": 0}))
        .videos
        .unwrap()
        .submit_video(T, &video("x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::RateLimited);
    assert_eq!(err.message, "Your daily task limit has been reached.");

    up.script(vec![Reply::json(401, r#"{"error":"Invalid API key"}"#)]);
    let before = up.requests().len();
    let err = videos.submit_video(T, &video("x")).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Auth);
    assert_eq!(
        up.requests().len(),
        before + 1,
        "auth failures are not retried"
    );

    // No answer in time may still have created a task: never repeated.
    up.script(vec![
        Reply::json(200, r#"{"id":"slow"}"#).delayed(Duration::from_millis(800)),
    ]);
    let before = up.requests().len();
    let slow = runway(&up, json!({"max_retries": 3, "first_byte_timeout_ms": 100}));
    let err = slow
        .videos
        .unwrap()
        .submit_video(T, &video("x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout);
    assert_eq!(up.requests().len(), before + 1);

    up.script(vec![Reply::json(404, r#"{"error":"Task not found"}"#)]);
    let err = videos.poll_video("gone").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
}

#[tokio::test]
async fn a_missing_key_or_bad_options_fail_clearly() {
    let up = MockUpstream::start(vec![Reply::json(200, r#"{"id":"x"}"#)]).await;
    let no_key = build(
        &provider(&up.base_url, json!({})),
        None,
        &HttpClient::new().unwrap(),
    )
    .unwrap();
    let err = no_key
        .videos
        .unwrap()
        .submit_video(T, &video("x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Auth);
    assert!(err.message.contains("`runway`"), "{}", err.message);
    assert!(up.requests().is_empty(), "nothing sent without a key");

    let bad = build(
        &provider(&up.base_url, json!({"ratio": "1:1"})),
        Some(Secret::new(KEY.into())),
        &HttpClient::new().unwrap(),
    );
    match bad {
        Err(BuildError::InvalidOptions { message, .. }) => {
            assert!(message.contains("ratio"), "{message}")
        }
        other => panic!("expected invalid options, got {:?}", other.err()),
    }
}
