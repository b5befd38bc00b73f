//! The `openai` adapter against a scripted upstream replaying OpenAI's wire bytes:
//! exact requests, responses, streams, usage, errors, failures mid-stream, the wire
//! types' serde round trips. (Round trips through the gateway's OpenAI surface are
//! tested beside that surface.)

use std::time::{Duration, Instant};

use crate::common::{MockUpstream, Reply};
use futures::StreamExt;
use serde_json::json;
use switchyard_providers::openai::{convert, wire};
use switchyard_providers::{Adapters, EventStream, HttpClient, ProviderError, Target, build};
use switchyard_types::chat::{
    ChatRequest, ChatResponse, ContentPart, EmbeddingRequest, FinishReason, Message, MessageRole,
    Reasoning, ResponseFormat, StreamEvent, Tool, ToolCall, ToolChoice, Usage, UsageSource,
};
use switchyard_types::media::{ImageFormat, ImageRequest};
use switchyard_types::{ErrorKind, Provider, ProviderKind, Secret};

const KEY: &str = "sk-test-secret-123";
const T: Target<'static> = Target {
    model: "gpt-4o",
    upstream_model: "gpt-4o-2024-08-06",
};

fn openai(up: &MockUpstream, options: serde_json::Value) -> Adapters {
    let provider = Provider {
        id: "p1".into(),
        name: "openai".into(),
        kind: ProviderKind::OpenAi,
        base_url: Some(format!("{}/v1", up.base_url)),
        has_api_key: true,
        timeout_ms: 10_000,
        max_concurrency: 10,
        free_tier: false,
        enabled: true,
        options,
        created_at: 0,
        updated_at: 0,
    };
    let key = Some(Secret::new(KEY.to_string()));
    build(&provider, key, &HttpClient::new().unwrap()).unwrap()
}

fn ask(text: &str) -> ChatRequest {
    ChatRequest {
        model: "gpt-4o".into(),
        messages: vec![Message::text(MessageRole::User, text)],
        ..ChatRequest::default()
    }
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/data/openai/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

async fn collect(stream: EventStream) -> Vec<Result<StreamEvent, ProviderError>> {
    stream.collect().await
}

fn ok_events(items: Vec<Result<StreamEvent, ProviderError>>) -> Vec<StreamEvent> {
    items.into_iter().map(Result::unwrap).collect()
}

fn weather_tool() -> Tool {
    Tool {
        name: "get_weather".into(),
        description: Some("Get weather".into()),
        parameters: json!({"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}),
    }
}

/// A request using every field the canonical model carries.
fn full_request() -> ChatRequest {
    ChatRequest {
        reasoning: None,
        cache_breakpoints: Vec::new(),
        model: "gpt-4o".into(),
        messages: vec![
            Message::text(MessageRole::System, "You are terse."),
            Message {
                role: MessageRole::User,
                content: vec![
                    ContentPart::Text {
                        text: "What is in this image?".into(),
                    },
                    ContentPart::ImageUrl {
                        url: "https://example.com/a.jpg".into(),
                        detail: Some("auto".into()),
                    },
                    ContentPart::ImageBase64 {
                        media_type: "image/png".into(),
                        data: "iVBORw0KGgo=".into(),
                    },
                ],
                tool_calls: vec![],
                tool_call_id: None,
            },
            Message {
                role: MessageRole::Assistant,
                content: vec![],
                tool_calls: vec![ToolCall {
                    id: "call_abc".into(),
                    name: "get_weather".into(),
                    arguments: r#"{"location":"Boston"}"#.into(),
                }],
                tool_call_id: None,
            },
            Message {
                role: MessageRole::Tool,
                content: vec![ContentPart::Text {
                    text: r#"{"temp_c":18}"#.into(),
                }],
                tool_calls: vec![],
                tool_call_id: Some("call_abc".into()),
            },
        ],
        tools: vec![weather_tool()],
        tool_choice: Some(ToolChoice::Function {
            name: "get_weather".into(),
        }),
        response_format: Some(ResponseFormat::JsonSchema {
            name: "answer".into(),
            schema: json!({"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}),
            strict: true,
        }),
        temperature: Some(0.7),
        top_p: Some(1.0),
        max_output_tokens: Some(512),
        stop: vec!["\n\n".into()],
        seed: Some(42),
        stream: false,
        user: Some("u-123".into()),
    }
}

const COMPLETION: &str = r#"{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I assist you today?","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_50cad350e4"}"#;

fn completion_reply() -> Reply {
    Reply::json(200, COMPLETION)
        .header("x-request-id", "req_9f1c2e3d4b5a69788796a5b4c3d2e1f0")
        .header("openai-processing-ms", "412")
        .header("x-ratelimit-remaining-requests", "9999")
}

#[tokio::test]
async fn chat_sends_the_exact_request_and_reads_the_response() {
    let up = MockUpstream::start(vec![completion_reply()]).await;
    let chat = openai(&up, json!({"organization":"org-abc","project":"proj_xyz"}))
        .chat
        .unwrap();
    let r = chat.chat(T, &full_request()).await.unwrap();

    let reqs = up.requests();
    assert_eq!(reqs.len(), 1);
    let sent = &reqs[0];
    assert_eq!(
        (sent.method.as_str(), sent.uri.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(sent.header("openai-organization"), Some("org-abc"));
    assert_eq!(sent.header("openai-project"), Some("proj_xyz"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(
        sent.json(),
        json!({
            "model": "gpt-4o-2024-08-06",
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": [
                    {"type": "text", "text": "What is in this image?"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg", "detail": "auto"}},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_abc", "type": "function", "function": {"name": "get_weather", "arguments": "{\"location\":\"Boston\"}"}}]},
                {"role": "tool", "tool_call_id": "call_abc", "content": "{\"temp_c\":18}"}
            ],
            "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Get weather",
                "parameters": {"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}}],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
            "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "strict": true,
                "schema": {"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}}},
            "temperature": 0.7, "top_p": 1.0, "max_completion_tokens": 512, "stop": ["\n\n"], "seed": 42, "user": "u-123"
        })
    );

    assert_eq!(r.id, "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT");
    assert_eq!(r.model, "gpt-4o", "the public name is echoed");
    assert_eq!(r.message.role, MessageRole::Assistant);
    assert_eq!(
        r.message.joined_text(),
        "Hello! How can I assist you today?"
    );
    assert_eq!(r.finish_reason, FinishReason::Stop);
    assert_eq!(r.created_at, 1_741_569_952_000);
    assert_eq!(
        r.usage,
        Usage {
            input_tokens: 19,
            output_tokens: 10,
            source: UsageSource::Provider,
            ..Usage::default()
        }
    );
}

#[tokio::test]
async fn chat_reads_tool_calls() {
    let body = r#"{"id":"chatcmpl-C3q1","object":"chat.completion","created":1754999000,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_Q2w","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Boston\"}"}}],"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":82,"completion_tokens":17,"total_tokens":99,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_50cad350e4"}"#;
    let up = MockUpstream::start(vec![Reply::json(200, body)]).await;
    let chat = openai(&up, json!({})).chat.unwrap();
    let mut req = ask("weather in Boston?");
    req.tools = vec![weather_tool()];
    let r = chat.chat(T, &req).await.unwrap();
    assert_eq!(r.finish_reason, FinishReason::ToolCalls);
    assert!(r.message.content.is_empty());
    assert_eq!(
        r.message.tool_calls,
        vec![ToolCall {
            id: "call_Q2w".into(),
            name: "get_weather".into(),
            arguments: r#"{"location":"Boston"}"#.into()
        }]
    );
    assert_eq!(
        up.requests()[0].json()["tools"][0]["function"]["name"],
        "get_weather"
    );
}

#[tokio::test]
async fn stream_passes_text_then_finish_then_usage() {
    let up = MockUpstream::start(vec![
        Reply::sse_transcript(&fixture("openai_text.sse"), Duration::ZERO)
            .header("x-request-id", "req_1"),
    ])
    .await;
    let chat = openai(&up, json!({})).chat.unwrap();
    let events = ok_events(collect(chat.chat_stream(T, &ask("Hi")).await.unwrap()).await);
    let sent = up.requests()[0].json();
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["stream_options"], json!({"include_usage": true}));
    assert_eq!(
        events,
        vec![
            StreamEvent::TextDelta {
                text: "Hello".into()
            },
            StreamEvent::TextDelta { text: "!".into() },
            StreamEvent::TextDelta {
                text: " How can I help?".into()
            },
            StreamEvent::Finish {
                reason: FinishReason::Stop
            },
            StreamEvent::Usage {
                usage: Usage {
                    input_tokens: 19,
                    output_tokens: 10,
                    ..Usage::default()
                }
            },
        ]
    );
}

#[tokio::test]
async fn stream_passes_parallel_tool_call_argument_deltas() {
    let up = MockUpstream::start(vec![Reply::sse_transcript(
        &fixture("openai_cached_tools.sse"),
        Duration::ZERO,
    )])
    .await;
    let chat = openai(&up, json!({})).chat.unwrap();
    let events = ok_events(
        collect(
            chat.chat_stream(T, &ask("weather and time?"))
                .await
                .unwrap(),
        )
        .await,
    );
    assert_eq!(
        events[..6],
        [
            StreamEvent::ToolCallStart {
                index: 0,
                id: "call_DdmO9pD3xa9XTPNJ32zg2hcA".into(),
                name: "get_weather".into()
            },
            StreamEvent::ToolCallDelta {
                index: 0,
                arguments: "{\"location\":".into()
            },
            StreamEvent::ToolCallDelta {
                index: 0,
                arguments: " \"Boston\"}".into()
            },
            StreamEvent::ToolCallStart {
                index: 1,
                id: "call_Nq2cXw8k3V1bF5yTzL0aR9sE".into(),
                name: "get_time".into()
            },
            StreamEvent::ToolCallDelta {
                index: 1,
                arguments: "{\"tz\": \"America/New_York\"}".into()
            },
            StreamEvent::Finish {
                reason: FinishReason::ToolCalls
            },
        ]
    );
    assert!(matches!(events[6], StreamEvent::Usage { .. }));
    assert_eq!(events.len(), 7);
}

/// Recorded-shape OpenAI streams and the exact usage each must yield.
#[tokio::test]
async fn usage_golden_corpus() {
    let cases = [
        (
            "openai_text.sse",
            Usage {
                input_tokens: 19,
                output_tokens: 10,
                ..Usage::default()
            },
        ),
        (
            "openai_cached_tools.sse",
            Usage {
                input_tokens: 2006,
                output_tokens: 52,
                cached_input_tokens: 1920,
                ..Usage::default()
            },
        ),
        (
            "openai_reasoning.sse",
            Usage {
                input_tokens: 1180,
                output_tokens: 219,
                cached_input_tokens: 1024,
                reasoning_tokens: 192,
                ..Usage::default()
            },
        ),
    ];
    for (file, expected) in cases {
        let up =
            MockUpstream::start(vec![Reply::sse_transcript(&fixture(file), Duration::ZERO)]).await;
        let chat = openai(&up, json!({})).chat.unwrap();
        let events = ok_events(collect(chat.chat_stream(T, &ask("x")).await.unwrap()).await);
        let last = events.last().cloned();
        assert_eq!(last, Some(StreamEvent::Usage { usage: expected }), "{file}");
        assert_eq!(
            events
                .iter()
                .filter(|e| matches!(e, StreamEvent::Finish { .. }))
                .count(),
            1,
            "{file}"
        );
    }
}

async fn error_for(reply: Reply) -> ProviderError {
    let up = MockUpstream::start(vec![reply]).await;
    let chat = openai(&up, json!({"max_retries": 0})).chat.unwrap();
    chat.chat(T, &ask("x")).await.unwrap_err()
}

#[tokio::test]
async fn upstream_errors_are_classified() {
    let e = error_for(Reply::json(401, r#"{"error":{"message":"Incorrect API key provided: sk-test***-123. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#)).await;
    assert_eq!((e.kind, e.status), (ErrorKind::Auth, Some(401)));
    assert!(!e.message.contains(KEY));

    let e = error_for(Reply::json(404, r#"{"error":{"message":"The model `gpt-9` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#)).await;
    assert_eq!(e.kind, ErrorKind::NotFound);

    let rate = r#"{"error":{"message":"Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29937, Requested 385. Please try again in 644ms. Visit https://platform.openai.com/account/rate-limits to learn more.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}"#;
    let e = error_for(Reply::json(429, rate).header("retry-after", "2")).await;
    assert_eq!(
        (e.kind, e.retry_after),
        (ErrorKind::RateLimited, Some(Duration::from_secs(2)))
    );
    let e = error_for(
        Reply::json(429, rate)
            .header("x-ratelimit-reset-requests", "6m0s")
            .header("x-ratelimit-reset-tokens", "644ms"),
    )
    .await;
    assert_eq!(e.retry_after, Some(Duration::from_millis(644)));
    assert!(e.message.starts_with("Rate limit reached"));

    let e = error_for(Reply::json(400, r#"{"error":{"message":"This model's maximum context length is 8192 tokens. However, your messages resulted in 8227 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#)).await;
    assert_eq!(e.kind, ErrorKind::ContextLengthExceeded);

    let e = error_for(Reply::json(400, r#"{"error":{"message":"Invalid value for 'temperature': expected a number.","type":"invalid_request_error","param":"temperature","code":"invalid_type"}}"#)).await;
    assert_eq!(e.kind, ErrorKind::BadRequest);

    let e = error_for(Reply::json(500, r#"{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}"#)).await;
    assert_eq!(e.kind, ErrorKind::UpstreamError);

    let e = error_for(Reply::json(503, r#"{"error":{"message":"The engine is currently overloaded, please try again later","type":"server_error","param":null,"code":null}}"#)).await;
    assert_eq!(e.kind, ErrorKind::Overloaded);

    let e = error_for(Reply::raw(
        502,
        "text/html",
        b"<html><body>502 Bad Gateway</body></html>",
    ))
    .await;
    assert_eq!(e.kind, ErrorKind::UpstreamError);
}

#[tokio::test]
async fn a_stream_refused_before_its_first_byte_is_an_error_not_a_stream() {
    let up = MockUpstream::start(vec![Reply::json(429, r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#).header("retry-after", "20")]).await;
    let chat = openai(&up, json!({})).chat.unwrap();
    let e = chat.chat_stream(T, &ask("x")).await.err().unwrap();
    assert_eq!(
        (e.kind, e.retry_after),
        (ErrorKind::RateLimited, Some(Duration::from_secs(20)))
    );
    assert_eq!(
        up.requests().len(),
        1,
        "a Retry-After beyond the backoff cap is not waited for"
    );
}

#[tokio::test]
async fn retryable_failures_are_retried_before_the_response_is_accepted() {
    let up = MockUpstream::start(vec![
        Reply::json(
            503,
            r#"{"error":{"message":"Slow Down","type":"server_error","param":null,"code":null}}"#,
        ),
        completion_reply(),
    ])
    .await;
    let chat = openai(&up, json!({"max_retries": 1})).chat.unwrap();
    let r = chat.chat(T, &ask("x")).await.unwrap();
    assert_eq!(
        r.message.joined_text(),
        "Hello! How can I assist you today?"
    );
    assert_eq!(up.requests().len(), 2);
}

#[tokio::test]
async fn malformed_bodies_are_upstream_errors() {
    for body in [
        r#"{"id":"chatcmpl-1","choices":[{"message":"#,
        r#"{"choices":"nope"}"#,
        r#"{"choices":[]}"#,
    ] {
        let up = MockUpstream::start(vec![Reply::json(200, body)]).await;
        let chat = openai(&up, json!({"max_retries": 0})).chat.unwrap();
        let e = chat.chat(T, &ask("x")).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::UpstreamError, "{body}");
    }
    let up = MockUpstream::start(vec![Reply::sse(
        &[
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"content\":5}}]}\n\n",
            "data: [DONE]\n\n",
        ],
        Duration::ZERO,
    )])
    .await;
    let chat = openai(&up, json!({})).chat.unwrap();
    let items = collect(chat.chat_stream(T, &ask("x")).await.unwrap()).await;
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0].as_ref().unwrap(),
        &StreamEvent::TextDelta { text: "ok".into() }
    );
    assert_eq!(
        items[1].as_ref().unwrap_err().kind,
        ErrorKind::UpstreamError
    );
}

fn text_chunk(text: &str) -> String {
    format!(
        "data: {{\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1754989130,\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{text}\"}},\"logprobs\":null,\"finish_reason\":null}}],\"usage\":null}}\n\n"
    )
}

#[tokio::test]
async fn an_error_event_mid_stream_ends_it_with_a_classified_error() {
    let a = text_chunk("Hel");
    let err = "data: {\"error\":{\"message\":\"The server had an error while processing your request. Sorry about that!\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n";
    let up = MockUpstream::start(vec![Reply::sse(
        &[&a, err, "data: [DONE]\n\n"],
        Duration::ZERO,
    )])
    .await;
    let chat = openai(&up, json!({})).chat.unwrap();
    let items = collect(chat.chat_stream(T, &ask("x")).await.unwrap()).await;
    assert_eq!(items.len(), 2);
    let e = items[1].as_ref().unwrap_err();
    assert_eq!(e.kind, ErrorKind::UpstreamError);
    assert!(e.message.contains("server had an error"));
}

#[tokio::test]
async fn a_dropped_connection_mid_stream_is_an_error_item() {
    let (a, b) = (text_chunk("Hel"), text_chunk("lo"));
    let gap = Duration::from_millis(30);
    let up = MockUpstream::start(vec![Reply::sse(&[&a, &b], gap).then_disconnect()]).await;
    let chat = openai(&up, json!({})).chat.unwrap();
    let items = collect(chat.chat_stream(T, &ask("x")).await.unwrap()).await;
    assert!(items[0].is_ok(), "{items:?}");
    let e = items.last().unwrap().as_ref().unwrap_err();
    assert_eq!(e.kind, ErrorKind::UpstreamError);
    assert!(
        items.iter().filter(|i| i.is_err()).count() == 1,
        "{items:?}"
    );
}

#[tokio::test]
async fn a_stream_without_done_is_truncated_not_finished() {
    let a = text_chunk("Hello");
    let finish = "data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1754989130,\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":null}\n\n";
    let up = MockUpstream::start(vec![Reply::sse(&[&a, finish], Duration::ZERO)]).await;
    let chat = openai(&up, json!({})).chat.unwrap();
    let items = collect(chat.chat_stream(T, &ask("x")).await.unwrap()).await;
    let e = items.last().unwrap().as_ref().unwrap_err();
    assert_eq!(e.kind, ErrorKind::UpstreamError);
    assert!(e.message.contains("truncated"), "{}", e.message);
}

#[tokio::test]
async fn events_arrive_as_the_upstream_sends_them() {
    let pieces: Vec<String> = ["one ", "two ", "three ", "four"]
        .iter()
        .map(|t| text_chunk(t))
        .collect();
    let mut refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
    refs.push("data: [DONE]\n\n");
    let gap = Duration::from_millis(200);
    let up = MockUpstream::start(vec![Reply::sse(&refs, gap)]).await;
    let chat = openai(&up, json!({})).chat.unwrap();
    let started = Instant::now();
    let mut stream = chat.chat_stream(T, &ask("x")).await.unwrap();
    let first = stream.next().await.unwrap().unwrap();
    let first_at = started.elapsed();
    assert_eq!(
        first,
        StreamEvent::TextDelta {
            text: "one ".into()
        }
    );
    let rest: Vec<_> = stream.collect().await;
    let end_at = started.elapsed();
    assert!(rest.iter().all(Result::is_ok));
    assert!(
        end_at >= first_at + gap * 3,
        "the first event came at {first_at:?}, before the last chunks were sent (end {end_at:?})"
    );
}

#[tokio::test]
async fn a_missing_key_fails_without_calling_the_upstream() {
    let up = MockUpstream::start(vec![completion_reply()]).await;
    let provider = Provider {
        id: "p1".into(),
        name: "openai".into(),
        kind: ProviderKind::OpenAi,
        base_url: Some(up.base_url.clone()),
        has_api_key: false,
        timeout_ms: 5_000,
        max_concurrency: 1,
        free_tier: false,
        enabled: true,
        options: json!({}),
        created_at: 0,
        updated_at: 0,
    };
    let chat = build(&provider, None, &HttpClient::new().unwrap())
        .unwrap()
        .chat
        .unwrap();
    let e = chat.chat(T, &ask("x")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth);
    assert!(up.requests().is_empty());
    let mut bad = provider.clone();
    bad.options = json!({"organisation": "typo"});
    assert!(build(&bad, None, &HttpClient::new().unwrap()).is_err());
}

#[test]
fn the_sent_request_reads_back_as_the_same_wire_request() {
    let wire_req =
        convert::chat_request("gpt-4o", &full_request(), &convert::Flavor::openai(), false);
    let text = serde_json::to_string(&wire_req).unwrap();
    let parsed: wire::ChatCompletionRequest = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed, wire_req);
}

#[test]
fn a_completion_with_reasoning_tools_and_cache_reads_is_read_whole() {
    let original = ChatResponse {
        id: "chatcmpl-rt".into(),
        model: "gpt-4o".into(),
        message: Message {
            role: MessageRole::Assistant,
            content: vec![
                ContentPart::Reasoning {
                    text: "think".into(),
                    signature: None,
                },
                ContentPart::Text {
                    text: "Calling the tool.".into(),
                },
            ],
            tool_calls: vec![ToolCall {
                id: "call_1".into(),
                name: "get_weather".into(),
                arguments: r#"{"location":"Oslo"}"#.into(),
            }],
            tool_call_id: None,
        },
        finish_reason: FinishReason::ToolCalls,
        usage: Usage {
            input_tokens: 100,
            output_tokens: 40,
            cached_input_tokens: 64,
            reasoning_tokens: 12,
            ..Usage::default()
        },
        created_at: 1_754_999_000_000,
    };
    let text = r#"{"id":"chatcmpl-rt","object":"chat.completion","created":1754999000,"model":"gpt-4o",
        "choices":[{"index":0,"message":{"role":"assistant","content":"Calling the tool.","reasoning_content":"think",
            "tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Oslo\"}"}}]},
            "finish_reason":"tool_calls"}],
        "usage":{"prompt_tokens":100,"completion_tokens":40,"total_tokens":140,
            "prompt_tokens_details":{"cached_tokens":64},"completion_tokens_details":{"reasoning_tokens":12}}}"#;
    let parsed: wire::ChatCompletion = serde_json::from_str(text).unwrap();
    let back = convert::chat_response(parsed, "gpt-4o", &ask("x")).unwrap();
    assert_eq!(back, original);
}

#[tokio::test]
async fn embeddings_send_floats_and_come_back_in_input_order() {
    let body = r#"{"object":"list","data":[{"object":"embedding","index":1,"embedding":[0.5,-0.25]},{"object":"embedding","index":0,"embedding":[0.0023064255,-0.009327292]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}"#;
    let up = MockUpstream::start(vec![Reply::json(200, body)]).await;
    let embed = openai(&up, json!({})).embeddings.unwrap();
    let target = Target {
        model: "embed-small",
        upstream_model: "text-embedding-3-small",
    };
    let req = EmbeddingRequest {
        model: "embed-small".into(),
        input: vec!["The quick brown fox".into(), "jumped".into()],
        dimensions: Some(2),
    };
    let r = embed.embed(target, &req).await.unwrap();
    let sent = &up.requests()[0];
    assert_eq!(sent.uri, "/v1/embeddings");
    assert_eq!(
        sent.json(),
        json!({"model":"text-embedding-3-small","input":["The quick brown fox","jumped"],"encoding_format":"float","dimensions":2})
    );
    assert_eq!(r.model, "embed-small");
    assert_eq!(
        r.embeddings,
        vec![vec![0.002_306_425_5, -0.009_327_292], vec![0.5, -0.25]]
    );
    assert_eq!(
        r.usage,
        Usage {
            input_tokens: 8,
            ..Usage::default()
        }
    );

    up.script(vec![Reply::json(200, r#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[1.0]}],"model":"m","usage":{"prompt_tokens":1,"total_tokens":1}}"#)]);
    let e = embed.embed(target, &req).await.unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::UpstreamError,
        "one vector for two inputs"
    );
}

#[tokio::test]
async fn dall_e_3_images_come_back_as_urls_or_base64() {
    let body = r#"{"created":1713833628,"data":[{"url":"https://oaidalleapiprodscus.blob.core.windows.net/private/img-abc.png?sig=x","revised_prompt":"A baby sea otter floating on its back"}]}"#;
    let up = MockUpstream::start(vec![Reply::json(200, body)]).await;
    let images = openai(&up, json!({})).images.unwrap();
    let target = Target {
        model: "dall-e-3",
        upstream_model: "dall-e-3",
    };
    let mut req = ImageRequest {
        model: "dall-e-3".into(),
        prompt: "A cute baby sea otter".into(),
        n: 1,
        size: Some("1024x1024".into()),
        quality: Some("standard".into()),
        style: Some("vivid".into()),
        response_format: ImageFormat::Url,
        user: None,
    };
    let r = images.generate_image(target, &req).await.unwrap();
    let sent = &up.requests()[0];
    assert_eq!(sent.uri, "/v1/images/generations");
    assert_eq!(
        sent.json(),
        json!({"model":"dall-e-3","prompt":"A cute baby sea otter","n":1,"size":"1024x1024","quality":"standard","style":"vivid","response_format":"url"})
    );
    assert_eq!(r.created_at, 1_713_833_628_000);
    assert_eq!(
        r.images[0].url.as_deref(),
        Some("https://oaidalleapiprodscus.blob.core.windows.net/private/img-abc.png?sig=x")
    );
    assert_eq!(
        r.images[0].revised_prompt.as_deref(),
        Some("A baby sea otter floating on its back")
    );
    assert_eq!(r.usage, None);

    up.script(vec![Reply::json(200, r#"{"created":1713833628,"data":[{"b64_json":"iVBORw0KGgo=","revised_prompt":"An otter"}]}"#)]);
    req.response_format = ImageFormat::B64Json;
    let r = images.generate_image(target, &req).await.unwrap();
    assert_eq!(up.requests()[1].json()["response_format"], "b64_json");
    assert_eq!(r.images[0].b64_json.as_deref(), Some("iVBORw0KGgo="));
    assert_eq!(r.images[0].media_type.as_deref(), Some("image/png"));
}

#[tokio::test]
async fn gpt_image_1_is_always_base64_and_reports_usage() {
    let body = r#"{"created":1713833628,"data":[{"b64_json":"UklGRg=="}],"background":"opaque","output_format":"webp","size":"1024x1024","quality":"medium","usage":{"total_tokens":100,"input_tokens":50,"output_tokens":50,"input_tokens_details":{"text_tokens":10,"image_tokens":40}}}"#;
    let up = MockUpstream::start(vec![Reply::json(200, body)]).await;
    let images = openai(&up, json!({})).images.unwrap();
    let target = Target {
        model: "gpt-image-1",
        upstream_model: "gpt-image-1",
    };
    let req = ImageRequest {
        model: "gpt-image-1".into(),
        prompt: "A cute baby sea otter".into(),
        n: 1,
        size: Some("1024x1024".into()),
        quality: Some("medium".into()),
        style: Some("vivid".into()),
        response_format: ImageFormat::Url,
        user: Some("u-1".into()),
    };
    let r = images.generate_image(target, &req).await.unwrap();
    assert_eq!(
        up.requests()[0].json(),
        json!({"model":"gpt-image-1","prompt":"A cute baby sea otter","n":1,"size":"1024x1024","quality":"medium","user":"u-1"}),
        "no response_format or style for GPT image models"
    );
    assert_eq!(
        r.images[0].url.as_deref(),
        Some("data:image/webp;base64,UklGRg=="),
        "a URL was asked for"
    );
    assert_eq!(
        r.usage,
        Some(Usage {
            input_tokens: 50,
            output_tokens: 50,
            ..Usage::default()
        })
    );
}

#[test]
fn reasoning_becomes_reasoning_effort_for_openai_only() {
    let mut req = ask("think");
    for (reasoning, sent) in [
        (Reasoning::from_effort_name("medium"), Some("medium")),
        (
            Some(Reasoning {
                effort: None,
                budget_tokens: Some(20_000),
            }),
            Some("high"),
        ),
        (Reasoning::from_effort_name("none"), None),
        (None, None),
    ] {
        req.reasoning = reasoning;
        let w = convert::chat_request("o3", &req, &convert::Flavor::openai(), false);
        assert_eq!(
            serde_json::to_value(&w).unwrap().get("reasoning_effort"),
            sent.map(|s| json!(s)).as_ref()
        );
        let w = convert::chat_request("o3", &req, &convert::Flavor::compatible(), false);
        assert_eq!(w.reasoning_effort, None);
    }
    // An effort level is sent by its name.
    req.reasoning = Reasoning::from_effort_name("low");
    let w = convert::chat_request("o3", &req, &convert::Flavor::openai(), false);
    assert_eq!(w.reasoning_effort.as_deref(), Some("low"));
}
