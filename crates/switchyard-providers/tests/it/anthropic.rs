//! The `anthropic` adapter against a scripted upstream replaying Anthropic's wire bytes:
//! the exact request, responses, streams (text, tools, thinking), the usage corpus,
//! every error kind, broken streams, pacing, and the wire types' serde round trips. (The
//! round trips through the gateway's Anthropic surface are tested beside that surface.)

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{MockUpstream, Reply};
use futures::StreamExt;
use serde_json::{Value, json};
use switchyard_providers::anthropic::{AnthropicOptions, JsonMode, convert, wire};
use switchyard_providers::{BuildError, ChatProvider, HttpClient, ProviderError, Target, build};
use switchyard_types::chat::{
    ChatRequest, ContentPart, FinishReason, Message, MessageRole, Reasoning, ReasoningEffort,
    ResponseFormat, StreamEvent, Tool, ToolCall, ToolChoice, Usage, UsageSource,
};
use switchyard_types::{ErrorKind, Provider, ProviderKind, Secret};

const KEY: &str = "sk-ant-api03-test-key";
const T: Target<'static> = Target {
    model: "claude-sonnet",
    upstream_model: "claude-sonnet-4-5",
};

fn provider_row(base_url: &str, options: Value) -> Provider {
    Provider {
        id: "p-anthropic".into(),
        name: "anthropic-main".into(),
        kind: ProviderKind::Anthropic,
        base_url: Some(base_url.into()),
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

fn chat_with(base_url: &str, options: Value, key: Option<&str>) -> Arc<dyn ChatProvider> {
    let key = key.map(|k| Secret::new(k.to_string()));
    let adapters = build(
        &provider_row(base_url, options),
        key,
        &HttpClient::new().unwrap(),
    )
    .unwrap();
    assert!(adapters.embeddings.is_none() && adapters.images.is_none());
    adapters.chat.unwrap()
}

/// An adapter that never retries (so one scripted reply = one outcome).
fn chat(upstream: &MockUpstream) -> Arc<dyn ChatProvider> {
    chat_with(&upstream.base_url, json!({"max_retries": 0}), Some(KEY))
}

fn data(name: &str) -> String {
    let path = format!("{}/tests/data/anthropic/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json_reply(status: u16, body: &str) -> Reply {
    Reply::json(status, body).header("request-id", "req_011CWdepJvA2D819tdYYq4h7")
}

fn sse_reply(transcript: &str, gap: Duration) -> Reply {
    Reply::sse_transcript(transcript, gap)
        .header("request-id", "req_011CWdepJvA2D819tdYYq4h7")
        .header("cache-control", "no-cache")
}

fn ask(text: &str) -> ChatRequest {
    ChatRequest {
        model: "claude-sonnet".into(),
        messages: vec![Message::text(MessageRole::User, text)],
        ..ChatRequest::default()
    }
}

fn weather_tool() -> Tool {
    Tool {
        name: "get_weather".into(),
        description: Some("Get weather".into()),
        parameters: json!({"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}),
    }
}

/// Every item of a stream, errors included.
async fn drain(
    chat: &Arc<dyn ChatProvider>,
    req: &ChatRequest,
) -> Vec<Result<StreamEvent, ProviderError>> {
    chat.chat_stream(T, req).await.unwrap().collect().await
}

/// A conversation using every feature the adapter translates.
fn full_request() -> ChatRequest {
    ChatRequest {
        model: "claude-sonnet".into(),
        messages: vec![
            Message::text(MessageRole::System, "You are terse."),
            Message {
                role: MessageRole::User,
                content: vec![
                    ContentPart::Text {
                        text: "What's in this image?".into(),
                    },
                    ContentPart::ImageBase64 {
                        media_type: "image/png".into(),
                        data: "iVBORw0KGgo=".into(),
                    },
                    ContentPart::ImageUrl {
                        url: "https://example.com/a.jpg".into(),
                        detail: None,
                    },
                ],
                tool_calls: vec![],
                tool_call_id: None,
            },
            Message {
                role: MessageRole::Assistant,
                content: vec![
                    ContentPart::Reasoning {
                        text: "Check the weather.".into(),
                        signature: Some("EqQBCgIYAhIM".into()),
                    },
                    ContentPart::Text {
                        text: "Let me check.".into(),
                    },
                ],
                tool_calls: vec![ToolCall {
                    id: "toolu_01".into(),
                    name: "get_weather".into(),
                    arguments: r#"{"location":"Paris"}"#.into(),
                }],
                tool_call_id: None,
            },
            Message {
                role: MessageRole::Tool,
                content: vec![ContentPart::Text {
                    text: "18C sunny".into(),
                }],
                tool_calls: vec![],
                tool_call_id: Some("toolu_01".into()),
            },
            Message::text(MessageRole::User, "And tomorrow?"),
        ],
        tools: vec![weather_tool()],
        tool_choice: Some(ToolChoice::Function {
            name: "get_weather".into(),
        }),
        temperature: Some(0.7),

        max_output_tokens: Some(1024),
        stop: vec!["END".into()],
        user: Some("u-123".into()),
        ..ChatRequest::default()
    }
}

#[tokio::test]
async fn chat_sends_the_exact_request_and_maps_the_response() {
    let upstream = MockUpstream::start(vec![
        json_reply(200, &data("message_tool_use.json"))
            .header("anthropic-ratelimit-requests-remaining", "49"),
    ])
    .await;
    let r = chat(&upstream).chat(T, &full_request()).await.unwrap();

    let sent = &upstream.requests()[0];
    assert_eq!(
        (sent.method.as_str(), sent.uri.as_str()),
        ("POST", "/v1/messages")
    );
    assert_eq!(sent.header("x-api-key"), Some(KEY));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(sent.header("authorization"), None);
    assert_eq!(
        sent.json(),
        json!({
            "model": "claude-sonnet-4-5", "max_tokens": 1024,
            "system": "You are terse.",
            "messages": [
                {"role": "user", "content": [
                    {"type": "text", "text": "What's in this image?"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
                    {"type": "image", "source": {"type": "url", "url": "https://example.com/a.jpg"}}]},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "Check the weather.", "signature": "EqQBCgIYAhIM"},
                    {"type": "text", "text": "Let me check."},
                    {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"location": "Paris"}}]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_01", "content": "18C sunny"},
                    {"type": "text", "text": "And tomorrow?"}]}],
            "tools": [{"name": "get_weather", "description": "Get weather",
                "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}],
            "tool_choice": {"type": "tool", "name": "get_weather"},
            "temperature": 0.7, "stop_sequences": ["END"],
            "metadata": {"user_id": "u-123"}
        })
    );

    assert_eq!(r.id, "msg_013Zva2CMHLNnXjNJJKqJ2EF");
    assert_eq!(r.model, "claude-sonnet", "the public name is echoed");
    assert_eq!(r.finish_reason, FinishReason::ToolCalls);
    assert_eq!(r.message.role, MessageRole::Assistant);
    assert_eq!(r.message.joined_text(), "Hi! I'm Claude.");
    assert_eq!(
        r.message.tool_calls,
        vec![ToolCall {
            id: "toolu_01A09q90qw90lq917835lq9".into(),
            name: "get_weather".into(),
            arguments: r#"{"location":"Paris"}"#.into()
        }]
    );
    assert_eq!(
        r.usage,
        Usage {
            input_tokens: 2095,
            output_tokens: 503,
            source: UsageSource::Provider,
            ..Usage::default()
        }
    );
}

#[tokio::test]
async fn thinking_and_redacted_thinking_become_signed_reasoning() {
    let upstream = MockUpstream::start(vec![json_reply(200, &data("message_thinking.json"))]).await;
    let r = chat(&upstream)
        .chat(T, &ask("GCD of 1071 and 462?"))
        .await
        .unwrap();
    assert!(matches!(&r.message.content[0],
        ContentPart::Reasoning { text, signature: Some(s) } if text.contains("147 = 7 x 21") && s == "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"));
    assert!(matches!(&r.message.content[1],
        ContentPart::Reasoning { text, signature: Some(s) } if text.is_empty() && s.starts_with(convert::REDACTED_THINKING_PREFIX)));
    assert_eq!(
        r.message.joined_text(),
        "The greatest common divisor of 1071 and 462 is **21**."
    );
    // Replayed in the next turn, both blocks go back exactly as received.
    let mut next = ask("thanks");
    next.messages.insert(0, r.message.clone());
    next.messages
        .insert(0, Message::text(MessageRole::User, "GCD?"));
    let wire = convert::request(T, &next, &AnthropicOptions::default(), false).unwrap();
    let original: Value = serde_json::from_str(&data("message_thinking.json")).unwrap();
    let sent = serde_json::to_value(&wire.messages[1]).unwrap();
    assert_eq!(sent["content"], original["content"]);
}

#[tokio::test]
async fn stream_yields_text_then_tool_call_start_and_argument_deltas() {
    let upstream = MockUpstream::start(vec![sse_reply(
        &data("stream_tool_use.sse"),
        Duration::ZERO,
    )])
    .await;
    let chat = chat(&upstream);
    let mut req = ask("Weather in Paris?");
    req.tools = vec![weather_tool()];
    let events: Vec<StreamEvent> = drain(&chat, &req)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(upstream.requests()[0].json()["stream"], json!(true));
    assert_eq!(
        upstream.requests()[0].json()["max_tokens"],
        json!(4096),
        "the default max_tokens"
    );
    assert_eq!(
        events,
        vec![
            StreamEvent::TextDelta {
                text: "I'll check the weather.".into()
            },
            StreamEvent::ToolCallStart {
                index: 0,
                id: "toolu_01NRLabsLyVHZPKxbKvkfSMn".into(),
                name: "get_weather".into()
            },
            StreamEvent::ToolCallDelta {
                index: 0,
                arguments: "{\"locati".into()
            },
            StreamEvent::ToolCallDelta {
                index: 0,
                arguments: "on\": \"Paris\"}".into()
            },
            StreamEvent::Finish {
                reason: FinishReason::ToolCalls
            },
            StreamEvent::Usage {
                usage: Usage {
                    input_tokens: 377,
                    output_tokens: 65,
                    source: UsageSource::Provider,
                    ..Usage::default()
                }
            },
        ]
    );
}

#[tokio::test]
async fn stream_with_thinking_yields_reasoning_then_text_then_tool_call() {
    let upstream = MockUpstream::start(vec![sse_reply(
        &data("stream_thinking_tool_use.sse"),
        Duration::ZERO,
    )])
    .await;
    let events: Vec<StreamEvent> = drain(&chat(&upstream), &ask("Weather?"))
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        events[..6],
        [
            StreamEvent::ReasoningDelta {
                text: "The user wants the weather in Paris.".into()
            },
            StreamEvent::ReasoningDelta {
                text: " I should call get_weather.".into()
            },
            StreamEvent::TextDelta {
                text: "Let me look that up.".into()
            },
            StreamEvent::ToolCallStart {
                index: 0,
                id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6".into(),
                name: "get_weather".into()
            },
            StreamEvent::ToolCallDelta {
                index: 0,
                arguments: "{\"location\": \"Par".into()
            },
            StreamEvent::ToolCallDelta {
                index: 0,
                arguments: "is, France\"}".into()
            },
        ]
    );
}

/// Each recorded stream under tests/data/anthropic/ with its exact expected usage.
#[tokio::test]
async fn usage_golden_corpus() {
    let dir = format!("{}/tests/data/anthropic", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|n| n.strip_suffix(".sse").map(str::to_string))
        .collect();
    names.sort();
    assert!(names.len() >= 8, "{names:?}");
    for name in names {
        let expected: Value =
            serde_json::from_str(&data(&format!("{name}.expected.json"))).unwrap();
        let upstream = MockUpstream::start(vec![sse_reply(
            &data(&format!("{name}.sse")),
            Duration::ZERO,
        )])
        .await;
        let events: Vec<StreamEvent> = drain(&chat(&upstream), &ask("hi"))
            .await
            .into_iter()
            .map(|e| e.unwrap_or_else(|e| panic!("{name}: {e}")))
            .collect();
        let n = events.len();
        let StreamEvent::Finish { reason } = &events[n - 2] else {
            panic!("{name}: {events:?}")
        };
        let StreamEvent::Usage { usage } = &events[n - 1] else {
            panic!("{name}: {events:?}")
        };
        assert_eq!(json!(reason), expected["finish_reason"], "{name}");
        let expected_usage: Usage = serde_json::from_value(expected["usage"].clone()).unwrap();
        assert_eq!(usage, &expected_usage, "{name}");
    }
}

async fn error_for(reply: Reply) -> ProviderError {
    let upstream = MockUpstream::start(vec![reply]).await;
    let e = chat(&upstream).chat(T, &ask("hi")).await.unwrap_err();
    assert_eq!(upstream.requests().len(), 1, "max_retries 0: one attempt");
    e
}

#[tokio::test]
async fn each_upstream_error_maps_to_its_kind() {
    let body = |t: &str, m: &str| {
        format!(
            r#"{{"type":"error","error":{{"type":"{t}","message":"{m}"}},"request_id":"req_011CWdepJvA2D819tdYYq4h7"}}"#
        )
    };
    let cases = [
        (
            401,
            body("authentication_error", "invalid x-api-key"),
            ErrorKind::Auth,
        ),
        (
            403,
            body(
                "permission_error",
                "Your API key does not have permission to use the specified resource.",
            ),
            ErrorKind::Auth,
        ),
        (
            402,
            body(
                "billing_error",
                "Your credit balance is too low to access the Anthropic API.",
            ),
            ErrorKind::Auth,
        ),
        (
            404,
            body("not_found_error", "model: claude-nope"),
            ErrorKind::NotFound,
        ),
        (
            400,
            body(
                "invalid_request_error",
                "prompt is too long: 208656 tokens > 200000 maximum",
            ),
            ErrorKind::ContextLengthExceeded,
        ),
        (
            400,
            body("invalid_request_error", "max_tokens: Field required"),
            ErrorKind::BadRequest,
        ),
        (
            413,
            body(
                "request_too_large",
                "Request exceeds the maximum allowed number of bytes.",
            ),
            ErrorKind::BadRequest,
        ),
        (
            500,
            body("api_error", "Internal server error"),
            ErrorKind::UpstreamError,
        ),
        (
            504,
            body("timeout_error", "Request timeout"),
            ErrorKind::Timeout,
        ),
        (
            529,
            body("overloaded_error", "Overloaded"),
            ErrorKind::Overloaded,
        ),
        // The body's type refines a status that says less.
        (
            500,
            body("overloaded_error", "Overloaded"),
            ErrorKind::Overloaded,
        ),
        (
            502,
            "<html><body>Bad Gateway</body></html>".to_string(),
            ErrorKind::UpstreamError,
        ),
    ];
    for (status, body, kind) in cases {
        let e = error_for(json_reply(status, &body)).await;
        assert_eq!((e.kind, e.status), (kind, Some(status)), "{status} {body}");
        assert!(!e.message.contains(KEY));
    }
    let e = error_for(json_reply(529, &body("overloaded_error", "Overloaded"))).await;
    assert_eq!(e.message, "Overloaded");
}

#[tokio::test]
async fn rate_limits_carry_the_wait() {
    let body = r#"{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}"#;
    let e = error_for(
        json_reply(429, body)
            .header("retry-after", "7")
            .header("anthropic-ratelimit-tokens-remaining", "0")
            .header("anthropic-ratelimit-tokens-reset", "2025-08-21T12:40:59Z"),
    )
    .await;
    assert_eq!(
        (e.kind, e.retry_after),
        (ErrorKind::RateLimited, Some(Duration::from_secs(7)))
    );
    // Without retry-after, a reset instant in the past means no wait.
    let e = error_for(
        json_reply(429, body)
            .header("anthropic-ratelimit-tokens-remaining", "0")
            .header("anthropic-ratelimit-tokens-reset", "2025-08-21T12:40:59Z"),
    )
    .await;
    assert_eq!((e.kind, e.retry_after), (ErrorKind::RateLimited, None));
}

#[tokio::test]
async fn overloaded_is_retried_then_succeeds() {
    let overloaded =
        r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
    let upstream = MockUpstream::start(vec![
        json_reply(529, overloaded),
        json_reply(200, &data("message_tool_use.json")),
    ])
    .await;
    let chat = chat_with(&upstream.base_url, json!({"max_retries": 1}), Some(KEY));
    assert!(chat.chat(T, &ask("hi")).await.is_ok());
    assert_eq!(upstream.requests().len(), 2);
    assert_eq!(upstream.requests()[0].body, upstream.requests()[1].body);
}

#[tokio::test]
async fn a_malformed_body_is_an_upstream_error() {
    for body in [
        "{\"id\":\"msg_1\",\"content\":[{\"type\":\"text\"}]}",
        "not json",
        "{\"id\":\"msg_1\",\"content\":[{\"type\":\"tool_use\"",
        "",
    ] {
        let e = error_for(json_reply(200, body)).await;
        assert_eq!(e.kind, ErrorKind::UpstreamError, "{body}");
    }
}

#[tokio::test]
async fn stream_errors_before_the_first_byte_are_returned_by_chat_stream() {
    let upstream = MockUpstream::start(vec![json_reply(
        401,
        r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
    )])
    .await;
    let Err(e) = chat(&upstream).chat_stream(T, &ask("hi")).await else {
        panic!("expected an error")
    };
    assert_eq!(e.kind, ErrorKind::Auth);
}

const HEAD: &str = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\nevent: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n";

/// The stream's items: the text delta, then exactly one error, then the end.
async fn broken_stream(reply: Reply) -> ProviderError {
    let upstream = MockUpstream::start(vec![reply]).await;
    let mut items = drain(&chat(&upstream), &ask("hi")).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(
        items.remove(0).unwrap(),
        StreamEvent::TextDelta { text: "Hel".into() }
    );
    items.remove(0).unwrap_err()
}

#[tokio::test]
async fn an_error_event_mid_stream_is_an_err_item_of_its_kind() {
    let text = format!(
        "{HEAD}event: error\ndata: {{\"type\":\"error\",\"error\":{{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}}}\n\n"
    );
    let e = broken_stream(sse_reply(&text, Duration::ZERO)).await;
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorKind::Overloaded, "Overloaded")
    );
    let text = format!(
        "{HEAD}event: error\ndata: {{\"type\":\"error\",\"error\":{{\"type\":\"api_error\",\"message\":\"Internal server error\"}}}}\n\n"
    );
    assert_eq!(
        broken_stream(sse_reply(&text, Duration::ZERO)).await.kind,
        ErrorKind::UpstreamError
    );
}

#[tokio::test]
async fn a_dropped_connection_mid_stream_is_an_err_item() {
    // Gaps let the bytes before the cut reach the client (the scripted server may lose
    // the piece written just before it resets the connection, hence the trailing ping).
    let text = format!("{HEAD}event: ping\ndata: {{\"type\": \"ping\"}}\n\n");
    let e = broken_stream(sse_reply(&text, Duration::from_millis(30)).then_disconnect()).await;
    assert_eq!(e.kind, ErrorKind::UpstreamError);
}

#[tokio::test]
async fn a_stream_without_message_stop_is_truncated() {
    let text = format!(
        "{HEAD}event: content_block_stop\ndata: {{\"type\":\"content_block_stop\",\"index\":0}}\n\nevent: message_delta\ndata: {{\"type\":\"message_delta\",\"delta\":{{\"stop_reason\":\"end_turn\",\"stop_sequence\":null}},\"usage\":{{\"output_tokens\":5}}}}\n\n"
    );
    let e = broken_stream(sse_reply(&text, Duration::ZERO)).await;
    assert_eq!(e.kind, ErrorKind::UpstreamError);
    assert!(e.message.contains("truncated"), "{}", e.message);
}

#[tokio::test]
async fn malformed_json_mid_stream_is_an_err_item() {
    let text = format!(
        "{HEAD}event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\n\n"
    );
    assert_eq!(
        broken_stream(sse_reply(&text, Duration::ZERO)).await.kind,
        ErrorKind::UpstreamError
    );
}

#[tokio::test]
async fn events_arrive_as_the_upstream_sends_them() {
    let gap = Duration::from_millis(120);
    let upstream = MockUpstream::start(vec![sse_reply(&data("stream_basic.sse"), gap)]).await;
    let started = Instant::now();
    let mut s = chat(&upstream).chat_stream(T, &ask("hi")).await.unwrap();
    let mut first = None;
    while let Some(e) = s.next().await {
        if matches!(e.unwrap(), StreamEvent::TextDelta { .. }) {
            first.get_or_insert(started.elapsed());
        }
    }
    let total = started.elapsed();
    // Five more pieces (each after a gap) follow the first text delta.
    assert!(
        total - first.unwrap() >= gap * 4,
        "first {first:?}, total {total:?}"
    );
}

#[tokio::test]
async fn bad_tool_arguments_and_missing_keys_fail_before_sending() {
    let upstream = MockUpstream::start(vec![json_reply(200, &data("message_tool_use.json"))]).await;
    let mut req = full_request();
    req.messages[2].tool_calls[0].arguments = "{\"location\": \"Par".into();
    let e = chat(&upstream).chat(T, &req).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadRequest);
    assert!(
        e.message.contains("toolu_01") && e.message.contains("get_weather"),
        "{}",
        e.message
    );
    req.messages[2].tool_calls[0].arguments = "[1, 2]".into();
    assert_eq!(
        chat(&upstream).chat(T, &req).await.unwrap_err().kind,
        ErrorKind::BadRequest
    );
    let e = chat_with(&upstream.base_url, json!({}), None)
        .chat(T, &ask("hi"))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth);
    assert!(upstream.requests().is_empty());
}

#[tokio::test]
async fn options_are_validated_and_applied() {
    let upstream = MockUpstream::start(vec![json_reply(200, &data("message_tool_use.json"))]).await;
    let base = format!("{}/v1", upstream.base_url);
    let options = json!({"default_max_tokens": 512, "anthropic_version": "2026-10-21", "anthropic_beta": ["a-1", "b-2"], "max_retries": 0});
    chat_with(&base, options, Some(KEY))
        .chat(T, &ask("hi"))
        .await
        .unwrap();
    let sent = &upstream.requests()[0];
    assert_eq!(
        sent.uri, "/v1/messages",
        "a base URL ending in /v1 is accepted"
    );
    assert_eq!(sent.header("anthropic-version"), Some("2026-10-21"));
    assert_eq!(sent.header("anthropic-beta"), Some("a-1,b-2"));
    assert_eq!(sent.json()["max_tokens"], json!(512));
    for bad in [
        json!({"max_token": 5}),
        json!({"default_max_tokens": 0}),
        json!({"json_mode": "tools"}),
    ] {
        let r = build(
            &provider_row("http://x", bad.clone()),
            None,
            &HttpClient::new().unwrap(),
        );
        assert!(matches!(r, Err(BuildError::InvalidOptions { .. })), "{bad}");
    }
}

#[test]
fn response_format_is_emulated_or_sent_as_output_config() {
    let schema = json!({"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"additionalProperties":false});
    let mut req = ask("give me JSON");
    req.messages
        .insert(0, Message::text(MessageRole::System, "Be exact."));
    req.response_format = Some(ResponseFormat::JsonObject);
    let w = convert::request(T, &req, &AnthropicOptions::default(), false).unwrap();
    assert_eq!(
        serde_json::to_value(&w.system).unwrap(),
        json!([{"type":"text","text":"Be exact."},{"type":"text","text":convert::JSON_INSTRUCTION}])
    );
    req.response_format = Some(ResponseFormat::JsonSchema {
        name: "a".into(),
        schema: schema.clone(),
        strict: true,
    });
    let w = convert::request(T, &req, &AnthropicOptions::default(), false).unwrap();
    let Some(wire::SystemPrompt::Blocks(blocks)) = &w.system else {
        panic!("{:?}", w.system)
    };
    assert_eq!(
        blocks[1],
        wire::ContentBlock::text(convert::schema_instruction(&schema))
    );
    assert!(w.output_config.is_none());
    let native = AnthropicOptions {
        json_mode: JsonMode::OutputConfig,
        ..AnthropicOptions::default()
    };
    let w = convert::request(T, &req, &native, false).unwrap();
    assert_eq!(
        serde_json::to_value(&w.output_config).unwrap(),
        json!({"format":{"type":"json_schema","schema":schema}})
    );
    assert_eq!(w.system, Some(wire::SystemPrompt::Text("Be exact.".into())));
}

#[test]
fn the_sent_request_reads_back_as_the_same_wire_request() {
    let w = convert::request(T, &full_request(), &AnthropicOptions::default(), true).unwrap();
    let back: wire::MessagesRequest =
        serde_json::from_value(serde_json::to_value(&w).unwrap()).unwrap();
    assert_eq!(back, w);
    assert_eq!(back.stream, Some(true));
}

#[test]
fn tool_choices_turns_images_and_sampling_reach_the_wire() {
    for (choice, wire_choice) in [
        (ToolChoice::Auto, json!({"type":"auto"})),
        (ToolChoice::Required, json!({"type":"any"})),
        (ToolChoice::None, json!({"type":"none"})),
    ] {
        let mut r = full_request();
        r.tool_choice = Some(choice.clone());
        let w = convert::request(T, &r, &AnthropicOptions::default(), false).unwrap();
        assert_eq!(serde_json::to_value(&w.tool_choice).unwrap(), wire_choice);
    }
    let mut r = ask("one");
    r.messages.push(Message::text(MessageRole::User, "two"));
    r.messages.push(Message {
        role: MessageRole::User,
        content: vec![ContentPart::ImageUrl {
            url: "data:image/webp;base64,UklGRg==".into(),
            detail: Some("low".into()),
        }],
        tool_calls: vec![],
        tool_call_id: None,
    });
    r.temperature = Some(1.6);
    let w = convert::request(T, &r, &AnthropicOptions::default(), false).unwrap();
    assert_eq!(
        serde_json::to_value(&w.messages).unwrap(),
        json!([{"role":"user","content":[{"type":"text","text":"one"},{"type":"text","text":"two"},
            {"type":"image","source":{"type":"base64","media_type":"image/webp","data":"UklGRg=="}}]}])
    );
    assert_eq!(w.temperature, Some(1.0));
    // Only one of temperature and top_p reaches Anthropic; temperature wins.
    r.top_p = Some(0.9);
    let w = convert::request(T, &r, &AnthropicOptions::default(), false).unwrap();
    assert_eq!((w.temperature, w.top_p), (Some(1.0), None));
    r.temperature = None;
    let w = convert::request(T, &r, &AnthropicOptions::default(), false).unwrap();
    assert_eq!((w.temperature, w.top_p), (None, Some(0.9)));
}

#[test]
fn usage_maps_anthropic_cache_figures_into_the_canonical_total() {
    let w = wire::Usage {
        input_tokens: 4,
        output_tokens: 87,
        cache_creation_input_tokens: Some(10),
        cache_read_input_tokens: Some(2048),
        ..wire::Usage::default()
    };
    assert_eq!(
        convert::usage(&w),
        Usage {
            input_tokens: 2062,
            output_tokens: 87,
            cached_input_tokens: 2048,
            cache_creation_input_tokens: 10,
            reasoning_tokens: 0,
            source: UsageSource::Provider,
        }
    );
}

#[test]
fn stream_events_serialize_as_anthropic_sends_them() {
    for line in data("stream_thinking_tool_use.sse")
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
    {
        let event: wire::StreamEvent = serde_json::from_str(line).unwrap();
        let again: Value = serde_json::to_value(&event).unwrap();
        let original: Value = serde_json::from_str(line).unwrap();
        assert_eq!(again, original);
        assert_eq!(again["type"], json!(event.event_name()));
    }
    let unknown: wire::StreamEvent =
        serde_json::from_str(r#"{"type":"future_event","x":1}"#).unwrap();
    assert_eq!(unknown, wire::StreamEvent::Unknown);
}

#[test]
fn reasoning_becomes_a_thinking_budget() {
    // An effort level becomes a budget; max_tokens grows past it; sampling knobs go.
    let mut req = ask("hi");
    req.max_output_tokens = Some(1000);
    req.temperature = Some(0.2);
    req.reasoning = Some(Reasoning {
        effort: Some(ReasoningEffort::High),
        budget_tokens: None,
    });
    let w = convert::request(T, &req, &AnthropicOptions::default(), false).unwrap();
    assert_eq!(
        serde_json::to_value(&w.thinking).unwrap(),
        json!({"type": "enabled", "budget_tokens": 16384})
    );
    assert_eq!((w.max_tokens, w.temperature), (17384, None));
    req.reasoning = Some(Reasoning {
        effort: None,
        budget_tokens: Some(0),
    });
    let w = convert::request(T, &req, &AnthropicOptions::default(), false).unwrap();
    assert_eq!(
        serde_json::to_value(&w.thinking).unwrap(),
        json!({"type": "disabled"})
    );
    assert_eq!((w.max_tokens, w.temperature), (1000, Some(0.2)));
}
