//! The built-in mock: deterministic replies, paced streams, failures on demand.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;
use switchyard_providers::{Adapters, HttpClient, Target, build};
use switchyard_types::chat::{
    ChatRequest, EmbeddingRequest, FinishReason, Message, MessageRole, StreamEvent, Tool,
};
use switchyard_types::media::{ImageFormat, ImageRequest, JobState, VideoRequest};
use switchyard_types::{ErrorKind, Provider, ProviderKind};

fn mock(options: serde_json::Value) -> Adapters {
    let provider = Provider {
        id: "p1".into(),
        name: "mock".into(),
        kind: ProviderKind::Mock,
        base_url: None,
        has_api_key: false,
        timeout_ms: 10_000,
        max_concurrency: 10,
        free_tier: true,
        enabled: true,
        options,
        created_at: 0,
        updated_at: 0,
    };
    build(&provider, None, &HttpClient::new().unwrap()).unwrap()
}

const T: Target<'static> = Target {
    model: "mock-chat",
    upstream_model: "mock-chat",
};

fn ask(text: &str) -> ChatRequest {
    ChatRequest {
        model: "mock-chat".into(),
        messages: vec![Message::text(MessageRole::User, text)],
        ..ChatRequest::default()
    }
}

#[tokio::test]
async fn chat_is_deterministic_and_quotes_the_input() {
    let chat = mock(json!({})).chat.unwrap();
    let a = chat.chat(T, &ask("hello there")).await.unwrap();
    let b = chat.chat(T, &ask("hello there")).await.unwrap();
    assert_eq!((a.id.clone(), a.message.clone()), (b.id, b.message));
    assert!(a.message.joined_text().contains("hello there"));
    assert_eq!(a.finish_reason, FinishReason::Stop);
    assert_ne!(a.id, chat.chat(T, &ask("other")).await.unwrap().id);
}

#[tokio::test]
async fn stream_is_paced_and_its_text_matches_the_whole_reply() {
    let chat = mock(json!({"stream_chunks": 5, "chunk_delay_ms": 60, "latency_ms": 10}))
        .chat
        .unwrap();
    let whole = chat
        .chat(T, &ask("stream me"))
        .await
        .unwrap()
        .message
        .joined_text();
    let started = Instant::now();
    let mut s = chat.chat_stream(T, &ask("stream me")).await.unwrap();
    let mut text = String::new();
    let mut first_at = None;
    let mut events = Vec::new();
    while let Some(e) = s.next().await {
        let e = e.unwrap();
        if let StreamEvent::TextDelta { text: t } = &e {
            first_at.get_or_insert(started.elapsed());
            text.push_str(t);
        }
        events.push(e);
    }
    let total = started.elapsed();
    assert_eq!(text, whole);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, StreamEvent::TextDelta { .. }))
            .count(),
        5
    );
    assert!(matches!(
        events[events.len() - 2],
        StreamEvent::Finish {
            reason: FinishReason::Stop
        }
    ));
    assert!(matches!(events.last(), Some(StreamEvent::Usage { .. })));
    // The first chunk arrives long before the last (4 gaps of 60 ms follow it).
    assert!(
        total - first_at.unwrap() >= Duration::from_millis(200),
        "{first_at:?} vs {total:?}"
    );
}

#[tokio::test]
async fn tools_produce_a_tool_call_with_arguments_from_the_schema() {
    let chat = mock(json!({})).chat.unwrap();
    let mut req = ask("weather in Paris");
    req.tools = vec![Tool {
        name: "get_weather".into(),
        description: None,
        parameters: json!({"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}}),
    }];
    let r = chat.chat(T, &req).await.unwrap();
    assert_eq!(r.finish_reason, FinishReason::ToolCalls);
    let call = &r.message.tool_calls[0];
    assert_eq!(call.name, "get_weather");
    let args: serde_json::Value = serde_json::from_str(&call.arguments).unwrap();
    assert_eq!(args, json!({"city": "weather in Paris", "days": 1}));

    let mut s = chat.chat_stream(T, &req).await.unwrap();
    let mut args = String::new();
    let mut started = false;
    while let Some(e) = s.next().await {
        match e.unwrap() {
            StreamEvent::ToolCallStart { name, .. } => started = name == "get_weather",
            StreamEvent::ToolCallDelta { arguments, .. } => args.push_str(&arguments),
            _ => {}
        }
    }
    assert!(started);
    assert_eq!(args, call.arguments);
}

#[tokio::test]
async fn injected_failures_and_disconnects() {
    let a = mock(
        json!({"error_rate": 1.0, "error_status": 429, "error_kind": "rate_limited", "retry_after_s": 3}),
    );
    let e = a.chat.unwrap().chat(T, &ask("x")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimited);
    assert_eq!(e.status, Some(429));
    assert_eq!(e.retry_after, Some(Duration::from_secs(3)));

    let b = mock(json!({"disconnect_after_chunks": 2, "stream_chunks": 6}));
    let mut s = b
        .chat
        .unwrap()
        .chat_stream(T, &ask("cut me off"))
        .await
        .unwrap();
    let mut items = Vec::new();
    while let Some(item) = s.next().await {
        items.push(item);
    }
    assert_eq!(items.len(), 3);
    assert!(items[..2].iter().all(Result::is_ok));
    assert_eq!(
        items[2].as_ref().unwrap_err().kind,
        ErrorKind::UpstreamError
    );

    let bad = Provider {
        options: json!({"error_rate": 2.0}),
        ..provider_template()
    };
    assert!(build(&bad, None, &HttpClient::new().unwrap()).is_err());
    let unknown = Provider {
        options: json!({"latency": 1}),
        ..provider_template()
    };
    let err = build(&unknown, None, &HttpClient::new().unwrap())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("latency"), "{err}");
}

fn provider_template() -> Provider {
    Provider {
        id: "p".into(),
        name: "m".into(),
        kind: ProviderKind::Mock,
        base_url: None,
        has_api_key: false,
        timeout_ms: 1000,
        max_concurrency: 1,
        free_tier: false,
        enabled: true,
        options: json!({}),
        created_at: 0,
        updated_at: 0,
    }
}

#[tokio::test]
async fn embeddings_images_and_video_jobs() {
    let a = mock(json!({"embedding_dimensions": 8, "video_duration_ms": 300}));
    let req = EmbeddingRequest {
        model: "e".into(),
        input: vec!["a".into(), "b".into()],
        dimensions: None,
    };
    let r = a.embeddings.unwrap().embed(T, &req).await.unwrap();
    assert_eq!(r.embeddings.len(), 2);
    assert_eq!(r.embeddings[0].len(), 8);
    let norm: f32 = r.embeddings[0].iter().map(|x| x * x).sum();
    assert!((norm - 1.0).abs() < 1e-4);

    let img = a
        .images
        .unwrap()
        .generate_image(
            T,
            &ImageRequest {
                model: "i".into(),
                prompt: "cat".into(),
                n: 2,
                response_format: ImageFormat::B64Json,
                ..ImageRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(img.images.len(), 2);
    assert!(
        img.images[0]
            .b64_json
            .as_deref()
            .unwrap()
            .starts_with("iVBOR")
    );

    let videos = a.videos.unwrap();
    let job = videos
        .submit_video(
            T,
            &VideoRequest {
                model: "v".into(),
                prompt: "waves".into(),
                ..VideoRequest::default()
            },
        )
        .await
        .unwrap();
    let early = videos.poll_video(&job.job_id).await.unwrap();
    assert!(matches!(early.state, JobState::Queued | JobState::Running));
    tokio::time::sleep(Duration::from_millis(350)).await;
    let done = videos.poll_video(&job.job_id).await.unwrap();
    assert_eq!(done.state, JobState::Succeeded);
    assert_eq!(done.progress, Some(100));
    assert_eq!(done.output_urls.len(), 1);
    let failing = videos
        .submit_video(
            T,
            &VideoRequest {
                model: "v".into(),
                prompt: "[mock-fail] x".into(),
                ..VideoRequest::default()
            },
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        videos.poll_video(&failing.job_id).await.unwrap().state,
        JobState::Failed
    );
    assert_eq!(
        videos.poll_video("nope").await.unwrap_err().kind,
        ErrorKind::NotFound
    );
}
