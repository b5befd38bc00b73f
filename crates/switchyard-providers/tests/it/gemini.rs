//! The `gemini` adapter against a scripted upstream replaying Gemini's wire bytes
//! (recorded shapes in `tests/data/gemini/`, CRLF-framed SSE as Google sends it).

use std::time::{Duration, Instant};

use crate::common::{MockUpstream, Recorded, Reply};
use futures::StreamExt;
use serde_json::{Value, json};
use switchyard_providers::{Adapters, EventStream, HttpClient, ProviderError, Target, build};
use switchyard_types::chat::{
    CacheBreakpoint, CacheTarget, ChatRequest, ContentPart, EmbeddingRequest, FinishReason,
    Message, MessageRole, Reasoning, ReasoningEffort, ResponseFormat, StreamEvent, Tool, ToolCall,
    ToolChoice, Usage, UsageSource,
};
use switchyard_types::media::{ImageFormat, ImageRequest};
use switchyard_types::{ErrorKind, Provider, ProviderKind, Secret};

const KEY: &str = "AIzaSyTEST-not-a-real-key_0123456789";

const T: Target<'static> = Target {
    model: "gemini-flash",
    upstream_model: "gemini-2.0-flash",
};

fn provider(base_url: &str, options: Value) -> Provider {
    Provider {
        id: "p1".into(),
        name: "google".into(),
        kind: ProviderKind::Gemini,
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

fn gemini(upstream: &MockUpstream, options: Value) -> Adapters {
    let p = provider(&upstream.base_url, options);
    build(
        &p,
        Some(Secret::new(KEY.to_string())),
        &HttpClient::new().unwrap(),
    )
    .unwrap()
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/data/gemini/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Headers Google's front end sends with a JSON answer.
fn google_json(status: u16, body: &str) -> Reply {
    let mut reply = Reply::json(status, body);
    reply.headers[0].1 = "application/json; charset=UTF-8".into();
    reply
        .header("vary", "Origin, X-Origin, Referer")
        .header("server", "scaffolding on HTTPServer2")
        .header("x-xss-protection", "0")
        .header("x-frame-options", "SAMEORIGIN")
        .header("x-content-type-options", "nosniff")
}

/// An SSE answer, one CRLF-terminated event per chunk, `gap` before each.
fn google_sse(text: &str, gap: Duration) -> Reply {
    let pieces: Vec<&str> = text.split_inclusive("\r\n\r\n").collect();
    Reply::sse(&pieces, gap)
        .header("content-disposition", "attachment")
        .header("vary", "Origin, X-Origin, Referer")
        .header("server", "scaffolding on HTTPServer2")
        .header("server-timing", "gfet4t7; dur=431")
}

fn chunk(json: &str) -> String {
    format!("data: {json}\r\n\r\n")
}

fn ask(text: &str) -> ChatRequest {
    ChatRequest {
        model: "gemini-flash".into(),
        messages: vec![Message::text(MessageRole::User, text)],
        ..ChatRequest::default()
    }
}

async fn collect(mut s: EventStream) -> Vec<Result<StreamEvent, ProviderError>> {
    let mut out = Vec::new();
    while let Some(item) = s.next().await {
        out.push(item);
    }
    out
}

fn only(upstream: &MockUpstream) -> Recorded {
    let mut requests = upstream.requests();
    assert_eq!(requests.len(), 1, "exactly one upstream request");
    requests.remove(0)
}

#[tokio::test]
async fn plain_chat_sends_the_documented_request_and_maps_the_answer() {
    let upstream = MockUpstream::start(vec![google_json(200, &fixture("text.json"))]).await;
    let chat = gemini(&upstream, json!({})).chat.unwrap();
    let mut req = ask("Hello");
    req.messages
        .insert(0, Message::text(MessageRole::System, "You are terse."));
    req.temperature = Some(0.2);
    req.max_output_tokens = Some(64);
    let r = chat.chat(T, &req).await.unwrap();

    let sent = only(&upstream);
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.uri, "/v1beta/models/gemini-2.0-flash:generateContent");
    assert_eq!(sent.header("x-goog-api-key"), Some(KEY));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(sent.header("authorization"), None);
    assert_eq!(
        sent.json(),
        json!({
            "contents": [{"role": "user", "parts": [{"text": "Hello"}]}],
            "systemInstruction": {"parts": [{"text": "You are terse."}]},
            "generationConfig": {"temperature": 0.2, "maxOutputTokens": 64}
        })
    );
    assert_eq!(r.id, "Hx7caK7oBYuY1MkPkcSxqAo");
    assert_eq!(r.model, "gemini-flash");
    assert_eq!(r.message.role, MessageRole::Assistant);
    assert_eq!(r.message.joined_text(), "Hello! How can I help you today?");
    assert_eq!(r.finish_reason, FinishReason::Stop);
    assert_eq!(
        r.usage,
        Usage {
            input_tokens: 9,
            output_tokens: 10,
            source: UsageSource::Provider,
            ..Usage::default()
        }
    );
}

#[tokio::test]
async fn a_recorded_function_call_becomes_a_canonical_tool_call() {
    let upstream =
        MockUpstream::start(vec![google_json(200, &fixture("function_call.json"))]).await;
    let chat = gemini(&upstream, json!({})).chat.unwrap();
    let r = chat.chat(T, &ask("What is 1 + 2? Use sum.")).await.unwrap();
    assert_eq!(
        r.finish_reason,
        FinishReason::ToolCalls,
        "Gemini says STOP after a call"
    );
    let call = &r.message.tool_calls[0];
    assert_eq!(call.name, "sum");
    assert!(call.id.starts_with("call_"), "{}", call.id);
    assert_eq!(
        serde_json::from_str::<Value>(&call.arguments).unwrap(),
        json!({"a": 1, "b": 2})
    );
    assert_eq!((r.usage.input_tokens, r.usage.output_tokens), (28, 5));
}

#[tokio::test]
async fn stream_yields_text_then_whole_tool_calls_then_finish_and_usage() {
    let upstream =
        MockUpstream::start(vec![google_sse(&fixture("tool_call.sse"), Duration::ZERO)]).await;
    let chat = gemini(&upstream, json!({})).chat.unwrap();
    let items = collect(
        chat.chat_stream(T, &ask("Weather in Paris and Tokyo?"))
            .await
            .unwrap(),
    )
    .await;
    let sent = only(&upstream);
    assert_eq!(
        sent.uri,
        "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse"
    );
    assert_eq!(sent.header("accept"), Some("text/event-stream"));

    let events: Vec<StreamEvent> = items.into_iter().map(Result::unwrap).collect();
    let ids: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::ToolCallStart { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    assert_eq!(
        events,
        vec![
            StreamEvent::TextDelta {
                text: "Let me look up the weather in both cities.".into()
            },
            StreamEvent::ToolCallStart {
                index: 0,
                id: ids[0].clone(),
                name: "get_weather".into()
            },
            StreamEvent::ToolCallDelta {
                index: 0,
                arguments: r#"{"city":"Paris","unit":"celsius"}"#.into()
            },
            StreamEvent::ToolCallStart {
                index: 1,
                id: ids[1].clone(),
                name: "get_weather".into()
            },
            StreamEvent::ToolCallDelta {
                index: 1,
                arguments: r#"{"city":"Tokyo","unit":"celsius"}"#.into()
            },
            StreamEvent::Finish {
                reason: FinishReason::ToolCalls
            },
            StreamEvent::Usage {
                usage: Usage {
                    input_tokens: 95,
                    output_tokens: 85,
                    reasoning_tokens: 61,
                    source: UsageSource::Provider,
                    ..Usage::default()
                }
            },
        ]
    );
}

/// Each recorded-shape stream with the exact canonical usage it must produce:
/// input = promptTokenCount (+ toolUsePromptTokenCount), output = candidatesTokenCount +
/// thoughtsTokenCount, cached = cachedContentTokenCount, reasoning = thoughtsTokenCount.
#[tokio::test]
async fn usage_golden_corpus() {
    let usage = |input, output, cached, reasoning| Usage {
        input_tokens: input,
        output_tokens: output,
        cached_input_tokens: cached,
        cache_creation_input_tokens: 0,
        reasoning_tokens: reasoning,
        source: UsageSource::Provider,
    };
    let corpus = [
        ("text.sse", usage(8, 7, 0, 0), FinishReason::Stop),
        ("thinking.sse", usage(28, 1817, 0, 1174), FinishReason::Stop),
        ("cached.sse", usage(2100, 35, 2048, 0), FinishReason::Stop),
        (
            "tool_call.sse",
            usage(95, 85, 0, 61),
            FinishReason::ToolCalls,
        ),
        (
            "tool_use_prompt.sse",
            usage(130, 40, 0, 0),
            FinishReason::Stop,
        ),
    ];
    for (file, expected, reason) in corpus {
        let upstream = MockUpstream::start(vec![google_sse(&fixture(file), Duration::ZERO)]).await;
        let chat = gemini(&upstream, json!({})).chat.unwrap();
        let events: Vec<StreamEvent> = collect(chat.chat_stream(T, &ask("q")).await.unwrap())
            .await
            .into_iter()
            .map(|e| e.unwrap_or_else(|e| panic!("{file}: {e}")))
            .collect();
        let n = events.len();
        assert_eq!(events[n - 2], StreamEvent::Finish { reason }, "{file}");
        assert_eq!(
            events[n - 1],
            StreamEvent::Usage { usage: expected },
            "{file}"
        );
    }
}

#[tokio::test]
async fn thought_parts_stream_as_reasoning() {
    let upstream =
        MockUpstream::start(vec![google_sse(&fixture("thinking.sse"), Duration::ZERO)]).await;
    let chat = gemini(&upstream, json!({"include_thoughts": true}))
        .chat
        .unwrap();
    let events = collect(
        chat.chat_stream(T, &ask("Sum of the first 50 primes?"))
            .await
            .unwrap(),
    )
    .await;
    assert!(
        matches!(&events[0], Ok(StreamEvent::ReasoningDelta { text }) if text.starts_with("**Calculating"))
    );
    assert!(
        matches!(&events[1], Ok(StreamEvent::TextDelta { text }) if text.starts_with("To find"))
    );
    let sent = only(&upstream).json();
    assert_eq!(
        sent["generationConfig"],
        json!({"thinkingConfig": {"includeThoughts": true}})
    );
}

fn rpc(code: u16, status: &str, message: &str) -> String {
    json!({"error": {"code": code, "message": message, "status": status}}).to_string()
}

#[tokio::test]
async fn upstream_errors_map_to_kinds_and_retry_hints() {
    let cases = [
        (
            google_json(400, &fixture("api_key_invalid.json")),
            ErrorKind::Auth,
            None,
        ),
        (
            google_json(
                403,
                &rpc(
                    403,
                    "PERMISSION_DENIED",
                    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
                ),
            ),
            ErrorKind::Auth,
            None,
        ),
        (
            google_json(
                404,
                &rpc(
                    404,
                    "NOT_FOUND",
                    "models/gemini-9.0-flash is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.",
                ),
            ),
            ErrorKind::NotFound,
            None,
        ),
        (
            google_json(429, &fixture("rate_limited.json")),
            ErrorKind::RateLimited,
            Some(Duration::from_secs(47)),
        ),
        (
            google_json(429, &fixture("rate_limited.json")).header("retry-after", "7"),
            ErrorKind::RateLimited,
            Some(Duration::from_secs(7)),
        ),
        (
            google_json(
                400,
                &rpc(
                    400,
                    "INVALID_ARGUMENT",
                    "The input token count (1200293) exceeds the maximum number of tokens allowed (1048576).",
                ),
            ),
            ErrorKind::ContextLengthExceeded,
            None,
        ),
        (
            google_json(
                400,
                &rpc(
                    400,
                    "INVALID_ARGUMENT",
                    "Invalid JSON payload received. Unknown name \"foo\": Cannot find field.",
                ),
            ),
            ErrorKind::BadRequest,
            None,
        ),
        (
            google_json(
                503,
                &rpc(
                    503,
                    "UNAVAILABLE",
                    "The model is overloaded. Please try again later.",
                ),
            ),
            ErrorKind::Overloaded,
            None,
        ),
        (
            google_json(
                500,
                &rpc(
                    500,
                    "INTERNAL",
                    "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
                ),
            ),
            ErrorKind::UpstreamError,
            None,
        ),
        (
            google_json(
                504,
                &rpc(
                    504,
                    "DEADLINE_EXCEEDED",
                    "Deadline expired before operation could complete.",
                ),
            ),
            ErrorKind::Timeout,
            None,
        ),
    ];
    for (reply, kind, retry_after) in cases {
        let status = reply.status;
        let upstream = MockUpstream::start(vec![reply]).await;
        let chat = gemini(&upstream, json!({"max_retries": 0})).chat.unwrap();
        let e = chat.chat(T, &ask("x")).await.unwrap_err();
        assert_eq!(
            (e.kind, e.status, e.retry_after),
            (kind, Some(status), retry_after),
            "{e}"
        );
        assert!(!e.message.contains(KEY));
        let Err(e) = chat.chat_stream(T, &ask("x")).await else {
            panic!("a stream must not open on HTTP {status}");
        };
        assert_eq!(e.kind, kind);
    }
}

#[tokio::test]
async fn retryable_failures_are_retried_before_a_response_is_accepted() {
    let overloaded = google_json(
        503,
        &rpc(
            503,
            "UNAVAILABLE",
            "The model is overloaded. Please try again later.",
        ),
    );
    let upstream =
        MockUpstream::start(vec![overloaded, google_json(200, &fixture("text.json"))]).await;
    let chat = gemini(&upstream, json!({"max_retries": 1})).chat.unwrap();
    let r = chat.chat(T, &ask("Hello")).await.unwrap();
    assert_eq!(r.finish_reason, FinishReason::Stop);
    assert_eq!(upstream.requests().len(), 2);
}

#[tokio::test]
async fn malformed_bodies_and_chunks_are_upstream_errors() {
    for body in [
        "<html>502 Bad Gateway</html>",
        r#"{"candidates": "nope"}"#,
        r#"{"candidates": []}"#,
    ] {
        let upstream = MockUpstream::start(vec![google_json(200, body)]).await;
        let chat = gemini(&upstream, json!({"max_retries": 0})).chat.unwrap();
        assert_eq!(
            chat.chat(T, &ask("x")).await.unwrap_err().kind,
            ErrorKind::UpstreamError,
            "{body}"
        );
    }
    let text = fixture("text.sse");
    let first = text.split_inclusive("\r\n\r\n").next().unwrap();
    let upstream = MockUpstream::start(vec![Reply::sse(
        &[first, "data: {\"candidates\": [{\"content\r\n\r\n"],
        Duration::ZERO,
    )])
    .await;
    let chat = gemini(&upstream, json!({})).chat.unwrap();
    let items = collect(chat.chat_stream(T, &ask("x")).await.unwrap()).await;
    assert!(matches!(&items[0], Ok(StreamEvent::TextDelta { .. })));
    assert_eq!(
        items[1].as_ref().unwrap_err().kind,
        ErrorKind::UpstreamError
    );
    assert_eq!(items.len(), 2);
}

#[tokio::test]
async fn a_dropped_connection_mid_stream_is_an_error_item() {
    let text = fixture("text.sse");
    let pieces: Vec<&str> = text.split_inclusive("\r\n\r\n").take(2).collect();
    let upstream =
        MockUpstream::start(vec![Reply::sse(&pieces, Duration::ZERO).then_disconnect()]).await;
    let chat = gemini(&upstream, json!({})).chat.unwrap();
    let items = collect(chat.chat_stream(T, &ask("x")).await.unwrap()).await;
    // The server may abort before flushing its last piece; what arrived is passed on.
    let (last, before) = items.split_last().unwrap();
    assert!(
        !before.is_empty() && before.iter().all(Result::is_ok),
        "{items:?}"
    );
    assert_eq!(last.as_ref().unwrap_err().kind, ErrorKind::UpstreamError);
}

#[tokio::test]
async fn a_stream_closed_before_its_finish_reason_is_truncated() {
    let text = fixture("text.sse");
    let pieces: Vec<&str> = text.split_inclusive("\r\n\r\n").take(2).collect();
    let upstream = MockUpstream::start(vec![Reply::sse(&pieces, Duration::ZERO)]).await;
    let chat = gemini(&upstream, json!({})).chat.unwrap();
    let items = collect(chat.chat_stream(T, &ask("x")).await.unwrap()).await;
    assert_eq!(items.len(), 3);
    let e = items[2].as_ref().unwrap_err();
    assert_eq!(e.kind, ErrorKind::UpstreamError);
    assert!(e.message.contains("truncated"), "{}", e.message);
}

#[tokio::test]
async fn events_are_passed_on_as_they_arrive() {
    let gap = Duration::from_millis(300);
    let upstream = MockUpstream::start(vec![google_sse(&fixture("text.sse"), gap)]).await;
    let chat = gemini(&upstream, json!({})).chat.unwrap();
    let started = Instant::now();
    let mut s = chat.chat_stream(T, &ask("x")).await.unwrap();
    let first = s.next().await.unwrap().unwrap();
    let first_at = started.elapsed();
    assert!(matches!(first, StreamEvent::TextDelta { .. }));
    while s.next().await.is_some() {}
    let total = started.elapsed();
    // Two more gaps of 300 ms follow the first chunk.
    assert!(
        total - first_at >= Duration::from_millis(500),
        "{first_at:?} vs {total:?}"
    );
}

#[tokio::test]
async fn blocked_prompts_and_safety_stops_are_content_filtering() {
    let upstream =
        MockUpstream::start(vec![google_json(200, &fixture("blocked_prompt.json"))]).await;
    let chat = gemini(&upstream, json!({})).chat.unwrap();
    assert_eq!(
        chat.chat(T, &ask("x")).await.unwrap_err().kind,
        ErrorKind::ContentFiltered
    );

    let blocked = chunk(
        r#"{"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},"usageMetadata": {"promptTokenCount": 12,"totalTokenCount": 12},"modelVersion": "gemini-2.0-flash","responseId": "x1"}"#,
    );
    let safety = chunk(
        r#"{"candidates": [{"content": {"parts": [{"text": "I can"}],"role": "model"},"finishReason": "SAFETY","index": 0,"safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT","probability": "HIGH","blocked": true}]}],"usageMetadata": {"promptTokenCount": 12,"candidatesTokenCount": 2,"totalTokenCount": 14},"modelVersion": "gemini-2.0-flash","responseId": "x2"}"#,
    );
    let upstream = MockUpstream::start(vec![
        Reply::sse(&[blocked.as_str()], Duration::ZERO),
        Reply::sse(&[safety.as_str()], Duration::ZERO),
    ])
    .await;
    let chat = gemini(&upstream, json!({})).chat.unwrap();
    let items = collect(chat.chat_stream(T, &ask("x")).await.unwrap()).await;
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0].as_ref().unwrap_err().kind,
        ErrorKind::ContentFiltered
    );
    let items = collect(chat.chat_stream(T, &ask("x")).await.unwrap()).await;
    assert_eq!(
        items[1].as_ref().unwrap(),
        &StreamEvent::Finish {
            reason: FinishReason::ContentFilter
        }
    );

    let budget_spent = r#"{"candidates": [{"content": {"role": "model"},"finishReason": "MAX_TOKENS","index": 0}],"usageMetadata": {"promptTokenCount": 27,"totalTokenCount": 226,"thoughtsTokenCount": 199},"modelVersion": "gemini-2.5-flash","responseId": "x3"}"#;
    let upstream = MockUpstream::start(vec![google_json(200, budget_spent)]).await;
    let r = gemini(&upstream, json!({}))
        .chat
        .unwrap()
        .chat(T, &ask("x"))
        .await
        .unwrap();
    assert_eq!(r.finish_reason, FinishReason::Length);
    assert!(r.message.content.is_empty());
    assert_eq!(
        (r.usage.output_tokens, r.usage.reasoning_tokens),
        (199, 199)
    );
}

#[tokio::test]
async fn an_error_inside_the_stream_is_classified() {
    let text = fixture("text.sse");
    let first = text.split_inclusive("\r\n\r\n").next().unwrap();
    let error = chunk(&rpc(
        503,
        "UNAVAILABLE",
        "The model is overloaded. Please try again later.",
    ));
    let upstream =
        MockUpstream::start(vec![Reply::sse(&[first, error.as_str()], Duration::ZERO)]).await;
    let chat = gemini(&upstream, json!({})).chat.unwrap();
    let items = collect(chat.chat_stream(T, &ask("x")).await.unwrap()).await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[1].as_ref().unwrap_err().kind, ErrorKind::Overloaded);
}

fn tool(name: &str, parameters: Value) -> Tool {
    Tool {
        name: name.into(),
        description: Some(format!("{name} of two numbers")),
        parameters,
    }
}

fn assistant(content: Vec<ContentPart>, tool_calls: Vec<ToolCall>) -> Message {
    Message {
        role: MessageRole::Assistant,
        content,
        tool_calls,
        tool_call_id: None,
    }
}

fn tool_result(id: &str, text: &str) -> Message {
    Message {
        tool_call_id: Some(id.into()),
        ..Message::text(MessageRole::Tool, text)
    }
}

fn call(id: &str, name: &str, arguments: &str) -> ToolCall {
    ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: arguments.into(),
    }
}

#[tokio::test]
async fn a_full_request_is_translated_to_gemini_faithfully() {
    let upstream = MockUpstream::start(vec![google_json(200, &fixture("text.json"))]).await;
    let safety = json!([{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}]);
    let chat = gemini(
        &upstream,
        json!({"include_thoughts": true, "safety_settings": safety}),
    )
    .chat
    .unwrap();
    let numbers = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
        "additionalProperties": false
    });
    let req = ChatRequest {
        reasoning: None,
        cache_breakpoints: Vec::new(),
        model: "gemini-flash".into(),
        messages: vec![
            Message::text(MessageRole::System, "You are terse."),
            Message {
                content: vec![
                    ContentPart::Text {
                        text: "Describe these images".into(),
                    },
                    ContentPart::ImageBase64 {
                        media_type: "image/png".into(),
                        data: "iVBORw0KGgo=".into(),
                    },
                    ContentPart::ImageUrl {
                        url: "data:image/jpeg;base64,/9j/4AAQ".into(),
                        detail: None,
                    },
                    ContentPart::ImageUrl {
                        url: "https://example.com/cat.webp?size=large".into(),
                        detail: Some("high".into()),
                    },
                ],
                ..Message::text(MessageRole::User, "")
            },
            assistant(
                vec![
                    ContentPart::Reasoning {
                        text: "Two sums.".into(),
                        signature: Some("c2lnMQ==".into()),
                    },
                    ContentPart::Reasoning {
                        text: "unsigned, dropped".into(),
                        signature: None,
                    },
                    ContentPart::Text {
                        text: "Let me compute.".into(),
                    },
                ],
                vec![
                    call("call_abc_0", "sum", r#"{"a":1,"b":2}"#),
                    call("call_abc_1", "product", r#"{"a":1,"b":2}"#),
                ],
            ),
            tool_result("call_abc_0", r#"{"sum":3}"#),
            tool_result("call_abc_1", "2"),
            Message::text(MessageRole::User, "Thanks. Now answer in JSON."),
        ],
        tools: vec![
            tool("sum", numbers.clone()),
            tool("product", numbers),
            Tool {
                name: "now".into(),
                description: None,
                parameters: json!({"type": "object", "properties": {}}),
            },
        ],
        tool_choice: Some(ToolChoice::Function { name: "sum".into() }),
        response_format: Some(ResponseFormat::JsonSchema {
            name: "answer".into(),
            schema: json!({"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"], "additionalProperties": false}),
            strict: true,
        }),
        temperature: Some(0.5),
        top_p: Some(0.9),
        max_output_tokens: Some(256),
        stop: vec!["END".into()],
        seed: Some(7),
        stream: false,
        user: Some("user-42".into()),
    };
    chat.chat(T, &req).await.unwrap();
    let int_params = json!({"type": "OBJECT", "properties": {"a": {"type": "INTEGER"}, "b": {"type": "INTEGER"}}, "required": ["a", "b"]});
    assert_eq!(
        only(&upstream).json(),
        json!({
            "systemInstruction": {"parts": [{"text": "You are terse."}]},
            "contents": [
                {"role": "user", "parts": [
                    {"text": "Describe these images"},
                    {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
                    {"inlineData": {"mimeType": "image/jpeg", "data": "/9j/4AAQ"}},
                    {"fileData": {"mimeType": "image/webp", "fileUri": "https://example.com/cat.webp?size=large"}}
                ]},
                {"role": "model", "parts": [
                    {"text": "Two sums.", "thought": true, "thoughtSignature": "c2lnMQ=="},
                    {"text": "Let me compute."},
                    {"functionCall": {"name": "sum", "args": {"a": 1, "b": 2}}},
                    {"functionCall": {"name": "product", "args": {"a": 1, "b": 2}}}
                ]},
                {"role": "user", "parts": [
                    {"functionResponse": {"name": "sum", "response": {"sum": 3}}},
                    {"functionResponse": {"name": "product", "response": {"output": 2}}}
                ]},
                {"role": "user", "parts": [{"text": "Thanks. Now answer in JSON."}]}
            ],
            "tools": [{"functionDeclarations": [
                {"name": "sum", "description": "sum of two numbers", "parameters": int_params},
                {"name": "product", "description": "product of two numbers", "parameters": int_params},
                {"name": "now"}
            ]}],
            "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["sum"]}},
            "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}],
            "generationConfig": {
                "temperature": 0.5, "topP": 0.9, "maxOutputTokens": 256, "stopSequences": ["END"], "seed": 7,
                "responseMimeType": "application/json",
                "responseSchema": {"type": "OBJECT", "properties": {"answer": {"type": "INTEGER"}}, "required": ["answer"]},
                "thinkingConfig": {"includeThoughts": true}
            }
        })
    );
}

#[tokio::test]
async fn tool_choices_and_json_mode_map_to_gemini_modes() {
    let upstream = MockUpstream::start(vec![google_json(200, &fixture("text.json"))]).await;
    let chat = gemini(&upstream, json!({})).chat.unwrap();
    for (choice, mode) in [
        (ToolChoice::Auto, "AUTO"),
        (ToolChoice::None, "NONE"),
        (ToolChoice::Required, "ANY"),
    ] {
        let mut req = ask("x");
        req.tools = vec![tool(
            "sum",
            json!({"type": "object", "properties": {"a": {"type": "number"}}}),
        )];
        req.tool_choice = Some(choice);
        req.response_format = Some(ResponseFormat::JsonObject);
        chat.chat(T, &req).await.unwrap();
        let sent = upstream.requests().pop().unwrap().json();
        assert_eq!(
            sent["toolConfig"],
            json!({"functionCallingConfig": {"mode": mode}})
        );
        assert_eq!(
            sent["generationConfig"],
            json!({"responseMimeType": "application/json"})
        );
    }
}

#[tokio::test]
async fn streamed_tool_calls_round_trip_with_their_thought_signature() {
    let upstream = MockUpstream::start(vec![
        google_sse(&fixture("tool_call.sse"), Duration::ZERO),
        google_json(200, &fixture("text.json")),
    ])
    .await;
    let chat = gemini(&upstream, json!({})).chat.unwrap();
    let mut req = ask("Weather in Paris and Tokyo?");
    let mut text = String::new();
    let mut calls: Vec<ToolCall> = Vec::new();
    for event in collect(chat.chat_stream(T, &req).await.unwrap()).await {
        match event.unwrap() {
            StreamEvent::TextDelta { text: t } => text.push_str(&t),
            StreamEvent::ToolCallStart { id, name, .. } => calls.push(call(&id, &name, "")),
            StreamEvent::ToolCallDelta { index, arguments } => {
                calls[index as usize].arguments.push_str(&arguments)
            }
            _ => {}
        }
    }
    let (paris, tokyo) = (calls[0].id.clone(), calls[1].id.clone());
    req.messages
        .push(assistant(vec![ContentPart::Text { text }], calls));
    req.messages
        .push(tool_result(&paris, r#"{"temperature": 18}"#));
    req.messages.push(tool_result(&tokyo, "sunny, 24 degrees"));
    chat.chat(T, &req).await.unwrap();
    let sent = upstream.requests().pop().unwrap().json();
    assert_eq!(
        sent["contents"],
        json!([
            {"role": "user", "parts": [{"text": "Weather in Paris and Tokyo?"}]},
            {"role": "model", "parts": [
                {"text": "Let me look up the weather in both cities."},
                {"functionCall": {"name": "get_weather", "args": {"city": "Paris", "unit": "celsius"}}, "thoughtSignature": "CiQB0e2Kb+Wd/3xq9ZUe1kB3sQ=="},
                {"functionCall": {"name": "get_weather", "args": {"city": "Tokyo", "unit": "celsius"}}}
            ]},
            {"role": "user", "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"temperature": 18}}},
                {"functionResponse": {"name": "get_weather", "response": {"output": "sunny, 24 degrees"}}}
            ]}
        ])
    );
    assert!(
        paris
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        "{paris}"
    );

    req.messages.push(tool_result("call_unknown", "?"));
    let e = chat.chat(T, &req).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadRequest);
    assert_eq!(
        upstream.requests().len(),
        2,
        "nothing is sent for a bad request"
    );
}

#[tokio::test]
async fn embeddings_use_embed_content_for_one_input_and_batch_for_several() {
    let upstream = MockUpstream::start(vec![
        google_json(200, r#"{"embedding": {"values": [0.0123, -0.045, 0.5]}}"#),
        google_json(
            200,
            r#"{"embeddings": [{"values": [0.1, 0.2]}, {"values": [0.3, 0.4]}]}"#,
        ),
    ])
    .await;
    let embed = gemini(
        &upstream,
        json!({"embedding_task_type": "RETRIEVAL_DOCUMENT"}),
    )
    .embeddings
    .unwrap();
    let target = Target {
        model: "embed",
        upstream_model: "gemini-embedding-001",
    };
    let one = EmbeddingRequest {
        model: "embed".into(),
        input: vec!["Hello".into()],
        dimensions: Some(768),
    };
    let r = embed.embed(target, &one).await.unwrap();
    assert_eq!(r.embeddings, vec![vec![0.0123, -0.045, 0.5]]);
    assert_eq!(r.model, "embed");
    assert_eq!(r.usage.source, UsageSource::Estimated);
    let two = EmbeddingRequest {
        model: "embed".into(),
        input: vec!["a".into(), "b".into()],
        dimensions: None,
    };
    let r = embed.embed(target, &two).await.unwrap();
    assert_eq!(r.embeddings, vec![vec![0.1, 0.2], vec![0.3, 0.4]]);

    let sent = upstream.requests();
    assert_eq!(
        sent[0].uri,
        "/v1beta/models/gemini-embedding-001:embedContent"
    );
    assert_eq!(sent[0].header("x-goog-api-key"), Some(KEY));
    assert_eq!(
        sent[0].json(),
        json!({"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "Hello"}]},
               "taskType": "RETRIEVAL_DOCUMENT", "outputDimensionality": 768})
    );
    assert_eq!(
        sent[1].uri,
        "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    );
    assert_eq!(
        sent[1].json(),
        json!({"requests": [
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "a"}]}, "taskType": "RETRIEVAL_DOCUMENT"},
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "b"}]}, "taskType": "RETRIEVAL_DOCUMENT"}
        ]})
    );

    let short = MockUpstream::start(vec![google_json(
        200,
        r#"{"embeddings": [{"values": [0.1]}]}"#,
    )])
    .await;
    let embed = gemini(&short, json!({})).embeddings.unwrap();
    assert_eq!(
        embed.embed(target, &two).await.unwrap_err().kind,
        ErrorKind::UpstreamError
    );
}

#[tokio::test]
async fn images_use_imagen_predict() {
    let upstream = MockUpstream::start(vec![google_json(
        200,
        r#"{"predictions": [{"bytesBase64Encoded": "iVBORw0KGgo=", "mimeType": "image/png"}, {"bytesBase64Encoded": "iVBORw0KGgp=", "mimeType": "image/png"}]}"#,
    )])
    .await;
    let images = gemini(&upstream, json!({})).images.unwrap();
    let req = ImageRequest {
        model: "imagen".into(),
        prompt: "a cat on a piano".into(),
        n: 2,
        size: Some("1792x1024".into()),
        response_format: ImageFormat::B64Json,
        ..ImageRequest::default()
    };
    let target = Target {
        model: "imagen",
        upstream_model: "imagen-4.0-generate-001",
    };
    let r = images.generate_image(target, &req).await.unwrap();
    assert_eq!(r.images.len(), 2);
    assert_eq!(r.images[0].b64_json.as_deref(), Some("iVBORw0KGgo="));
    assert_eq!(r.images[0].media_type.as_deref(), Some("image/png"));
    assert_eq!(r.images[0].url, None);
    let sent = only(&upstream);
    assert_eq!(sent.uri, "/v1beta/models/imagen-4.0-generate-001:predict");
    assert_eq!(
        sent.json(),
        json!({"instances": [{"prompt": "a cat on a piano"}], "parameters": {"sampleCount": 2, "aspectRatio": "16:9"}})
    );

    let filtered = MockUpstream::start(vec![google_json(200, "{}")]).await;
    let images = gemini(&filtered, json!({})).images.unwrap();
    assert_eq!(
        images.generate_image(target, &req).await.unwrap_err().kind,
        ErrorKind::ContentFiltered
    );
}

#[tokio::test]
async fn configuration_key_and_urls() {
    let upstream = MockUpstream::start(vec![google_json(200, &fixture("text.json"))]).await;
    let p = provider(&upstream.base_url, json!({}));
    let keyless = build(&p, None, &HttpClient::new().unwrap())
        .unwrap()
        .chat
        .unwrap();
    let e = keyless.chat(T, &ask("x")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth);
    assert!(upstream.requests().is_empty());

    let versioned = provider(&format!("{}/v1", upstream.base_url), json!({}));
    let chat = build(
        &versioned,
        Some(Secret::new(KEY.into())),
        &HttpClient::new().unwrap(),
    )
    .unwrap()
    .chat
    .unwrap();
    chat.chat(
        Target {
            model: "m",
            upstream_model: "models/gemini-2.5-pro",
        },
        &ask("x"),
    )
    .await
    .unwrap();
    assert_eq!(
        upstream.requests()[0].uri,
        "/v1/models/gemini-2.5-pro:generateContent"
    );
    let chat = gemini(&upstream, json!({"api_version": "v1alpha"}))
        .chat
        .unwrap();
    chat.chat(T, &ask("x")).await.unwrap();
    assert_eq!(
        upstream.requests()[1].uri,
        "/v1alpha/models/gemini-2.0-flash:generateContent"
    );

    for bad in [
        json!({"api_version": "beta"}),
        json!({"temperature": 1}),
        json!({"safety_settings": {}}),
    ] {
        let p = provider(&upstream.base_url, bad.clone());
        assert!(
            build(&p, None, &HttpClient::new().unwrap()).is_err(),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn reasoning_becomes_the_thinking_budget() {
    let cases = [
        (Some((None, Some(2048))), json!({"thinkingBudget": 2048})),
        (
            Some((Some(ReasoningEffort::Medium), None)),
            json!({"thinkingBudget": 4096}),
        ),
        (Some((None, Some(0))), json!({"thinkingBudget": 0})),
        (Some((None, None)), json!({"thinkingBudget": -1})),
    ];
    for (reasoning, config) in cases {
        let upstream = MockUpstream::start(vec![google_json(200, &fixture("text.json"))]).await;
        let chat = gemini(&upstream, json!({"thinking_budget": 512}))
            .chat
            .unwrap();
        let mut req = ask("Hello");
        req.reasoning = reasoning.map(|(effort, budget_tokens)| Reasoning {
            effort,
            budget_tokens,
        });
        // Cache hints are not sent: Gemini caches prefixes implicitly.
        req.cache_breakpoints = vec![CacheBreakpoint {
            at: CacheTarget::Message { index: 0 },
            ttl: None,
        }];
        chat.chat(T, &req).await.unwrap();
        let sent = only(&upstream).json();
        assert_eq!(sent["generationConfig"], json!({"thinkingConfig": config}));
        assert_eq!(
            sent["contents"],
            json!([{"role": "user", "parts": [{"text": "Hello"}]}])
        );
    }
    // Without a request setting, the provider's configured budget applies.
    let upstream = MockUpstream::start(vec![google_json(200, &fixture("text.json"))]).await;
    let chat = gemini(&upstream, json!({"thinking_budget": 512}))
        .chat
        .unwrap();
    chat.chat(T, &ask("Hello")).await.unwrap();
    assert_eq!(
        only(&upstream).json()["generationConfig"],
        json!({"thinkingConfig": {"thinkingBudget": 512}})
    );
}
