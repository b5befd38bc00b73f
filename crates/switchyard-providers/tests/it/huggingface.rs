//! The `huggingface` adapter against a scripted upstream: router chat and streams
//! (through the shared OpenAI-dialect client), the usage corpus of router streams, the
//! classic task endpoints (summarization, feature-extraction, text-to-image), the
//! "model is loading" 503 waited out within the deadline, and error bodies.

use std::time::{Duration, Instant};

use crate::common::{MockUpstream, Reply};
use futures::StreamExt;
use serde_json::json;
use switchyard_providers::{Adapters, BuildError, HttpClient, ProviderError, Target, build};
use switchyard_types::chat::{
    ChatRequest, ContentPart, EmbeddingRequest, FinishReason, Message, MessageRole, ResponseFormat,
    StreamEvent, Tool, ToolCall, ToolChoice, Usage, UsageSource,
};
use switchyard_types::media::{ImageFormat, ImageRequest};
use switchyard_types::{ErrorKind, Provider, ProviderKind, Secret};

const CHAT: Target<'static> = Target {
    model: "llama",
    upstream_model: "meta-llama/Llama-3.1-8B-Instruct",
};
const SUMMARIZER: Target<'static> = Target {
    model: "bart",
    upstream_model: "facebook/bart-large-cnn",
};
const EMBEDDER: Target<'static> = Target {
    model: "minilm",
    upstream_model: "sentence-transformers/all-MiniLM-L6-v2",
};
const PAINTER: Target<'static> = Target {
    model: "flux",
    upstream_model: "black-forest-labs/FLUX.1-schnell",
};

fn provider(up: &MockUpstream, options: serde_json::Value, timeout_ms: u64) -> Provider {
    let mut options = options;
    if options.get("task_endpoint_base").is_none() {
        options["task_endpoint_base"] = json!(format!("{}/hf-inference/models", up.base_url));
    }
    Provider {
        id: "hf".into(),
        name: "hf".into(),
        kind: ProviderKind::HuggingFace,
        base_url: Some(format!("{}/v1", up.base_url)),
        has_api_key: true,
        timeout_ms,
        max_concurrency: 10,
        free_tier: false,
        enabled: true,
        options,
        created_at: 0,
        updated_at: 0,
    }
}

fn hf_with(up: &MockUpstream, options: serde_json::Value, timeout_ms: u64) -> Adapters {
    let key = Some(Secret::new("hf_test_token".to_string()));
    build(
        &provider(up, options, timeout_ms),
        key,
        &HttpClient::new().unwrap(),
    )
    .unwrap()
}

fn hf(up: &MockUpstream) -> Adapters {
    hf_with(
        up,
        json!({"task_models": {"facebook/bart-large-cnn": "summarization"}, "max_retries": 0}),
        10_000,
    )
}

fn ask(text: &str) -> ChatRequest {
    ChatRequest {
        model: "llama".into(),
        messages: vec![Message::text(MessageRole::User, text)],
        ..ChatRequest::default()
    }
}

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/data/huggingface/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).unwrap()
}

async fn stream_items(adapters: &Adapters) -> Vec<Result<StreamEvent, ProviderError>> {
    let chat = adapters.chat.as_ref().unwrap();
    chat.chat_stream(CHAT, &ask("x"))
        .await
        .unwrap()
        .collect()
        .await
}

fn full_request() -> ChatRequest {
    ChatRequest {
        reasoning: None,
        cache_breakpoints: Vec::new(),
        model: "llama".into(),
        messages: vec![
            Message::text(MessageRole::System, "You are terse."),
            Message {
                role: MessageRole::User,
                content: vec![
                    ContentPart::Text {
                        text: "Weather where this photo was taken?".into(),
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
                    id: "call_1".into(),
                    name: "get_weather".into(),
                    arguments: r#"{"location":"Paris"}"#.into(),
                }],
                tool_call_id: None,
            },
            Message {
                role: MessageRole::Tool,
                content: vec![ContentPart::Text {
                    text: r#"{"temp_c":18}"#.into(),
                }],
                tool_calls: vec![],
                tool_call_id: Some("call_1".into()),
            },
        ],
        tools: vec![Tool {
            name: "get_weather".into(),
            description: Some("Get weather".into()),
            parameters: json!({"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}),
        }],
        tool_choice: Some(ToolChoice::Function {
            name: "get_weather".into(),
        }),
        response_format: Some(ResponseFormat::JsonObject),
        temperature: Some(0.2),
        top_p: None,
        max_output_tokens: Some(128),
        stop: vec!["\n\n".into()],
        seed: Some(7),
        stream: false,
        user: Some("u-1".into()),
    }
}

const ROUTER_REPLY: &str = r#"{"id":"chatcmpl-9f4e2c1b","object":"chat.completion","created":1755002901,"model":"meta-llama/Llama-3.1-8B-Instruct","system_fingerprint":"3.3.4-sha-9f38d93","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"chatcmpl-tool-5b2a","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Lyon\"}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":233,"completion_tokens":18,"total_tokens":251}}"#;

#[tokio::test]
async fn router_chat_sends_the_openai_dialect_and_reads_tool_calls_back() {
    let up = MockUpstream::start(vec![Reply::json(200, ROUTER_REPLY)]).await;
    let adapters = hf_with(&up, json!({"bill_to": "acme-org"}), 10_000);
    let r = adapters
        .chat
        .unwrap()
        .chat(CHAT, &full_request())
        .await
        .unwrap();
    let sent = &up.requests()[0];
    assert_eq!(
        (sent.method.as_str(), sent.uri.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(sent.header("authorization"), Some("Bearer hf_test_token"));
    assert_eq!(sent.header("x-hf-bill-to"), Some("acme-org"));
    assert_eq!(
        sent.json(),
        json!({"model":"meta-llama/Llama-3.1-8B-Instruct","messages":[
            {"role":"system","content":"You are terse."},
            {"role":"user","content":[{"type":"text","text":"Weather where this photo was taken?"},
                {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]},
            {"role":"assistant","content":"","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}}]},
            {"role":"tool","tool_call_id":"call_1","content":"{\"temp_c\":18}"}],
            "tools":[{"type":"function","function":{"name":"get_weather","description":"Get weather",
                "parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}}],
            "tool_choice":{"type":"function","function":{"name":"get_weather"}},
            "response_format":{"type":"json_object"},
            "temperature":0.2,"max_tokens":128,"stop":["\n\n"],"seed":7})
    );
    assert_eq!(r.model, "llama");
    assert_eq!(r.finish_reason, FinishReason::ToolCalls);
    assert_eq!(
        r.message.tool_calls,
        vec![ToolCall {
            id: "chatcmpl-tool-5b2a".into(),
            name: "get_weather".into(),
            arguments: r#"{"location":"Lyon"}"#.into(),
        }]
    );
    assert_eq!(
        r.usage,
        Usage {
            input_tokens: 233,
            output_tokens: 18,
            source: UsageSource::Provider,
            ..Usage::default()
        }
    );
}

#[tokio::test]
async fn router_streams_text_reasoning_and_tool_calls_as_they_come() {
    let up = MockUpstream::start(vec![Reply::sse_transcript(
        &fixture("router_groq_tools.sse"),
        Duration::ZERO,
    )])
    .await;
    let adapters = hf(&up);
    let events: Vec<StreamEvent> = stream_items(&adapters)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        events,
        [
            StreamEvent::ReasoningDelta {
                text: "Need the weather tool.".into()
            },
            StreamEvent::ToolCallStart {
                index: 0,
                id: "fc_3a9d1e6b-2c4f-4b8e-9d7a-1f5e0c2b8a64".into(),
                name: "get_weather".into()
            },
            StreamEvent::ToolCallDelta {
                index: 0,
                arguments: "{\"location\":\"Paris\"}".into()
            },
            StreamEvent::Finish {
                reason: FinishReason::ToolCalls
            },
            StreamEvent::Usage {
                usage: Usage {
                    input_tokens: 171,
                    output_tokens: 38,
                    reasoning_tokens: 12,
                    source: UsageSource::Provider,
                    ..Usage::default()
                }
            },
        ]
    );
    let body = up.requests()[0].json();
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));

    up.script(vec![Reply::sse_transcript(
        &fixture("router_tgi_text.sse"),
        Duration::ZERO,
    )]);
    let texts: Vec<StreamEvent> = stream_items(&adapters)
        .await
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| matches!(e, StreamEvent::TextDelta { .. }))
        .collect();
    assert_eq!(texts.len(), 3, "one text event per content chunk");
}

fn usage(input: u64, output: u64) -> Usage {
    Usage {
        input_tokens: input,
        output_tokens: output,
        source: UsageSource::Provider,
        ..Usage::default()
    }
}

/// Router streams of several downstream providers and the exact usage each yields.
#[tokio::test]
async fn usage_golden_corpus() {
    let cases = [
        ("router_tgi_text.sse", Some(usage(42, 9))),
        (
            "router_novita_reasoning.sse",
            Some(Usage {
                reasoning_tokens: 180,
                ..usage(19, 211)
            }),
        ),
        (
            "router_cerebras_cached.sse",
            Some(Usage {
                cached_input_tokens: 1152,
                ..usage(1210, 4)
            }),
        ),
        (
            "router_groq_tools.sse",
            Some(Usage {
                reasoning_tokens: 12,
                ..usage(171, 38)
            }),
        ),
        ("router_sambanova_no_usage.sse", None),
    ];
    for (file, expected) in cases {
        let up =
            MockUpstream::start(vec![Reply::sse_transcript(&fixture(file), Duration::ZERO)]).await;
        let events: Vec<StreamEvent> = stream_items(&hf(&up))
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let usages: Vec<&Usage> = events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::Usage { usage } => Some(usage),
                _ => None,
            })
            .collect();
        assert_eq!(usages, expected.iter().collect::<Vec<_>>(), "{file}");
        let last_but_usage = events.len() - 1 - usize::from(expected.is_some());
        assert!(
            matches!(events[last_but_usage], StreamEvent::Finish { .. }),
            "{file}: finish comes last but for usage"
        );
    }
}

#[tokio::test]
async fn broken_streams_end_with_an_error_item() {
    let pieces = [
        "data: {\"object\":\"chat.completion.chunk\",\"id\":\"\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n",
        "data: {\"object\":\"chat.completion.chunk\",\"id\":\"\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":null}]}\n\n",
    ];
    let up = MockUpstream::start(vec![Reply::sse(&pieces, Duration::ZERO)]).await;
    let adapters = hf(&up);
    let items = stream_items(&adapters).await;
    assert_eq!(items.len(), 3);
    let e = items[2].as_ref().unwrap_err();
    assert_eq!(e.kind, ErrorKind::UpstreamError);
    assert!(e.message.contains("truncated"), "{}", e.message);

    up.script(vec![
        Reply::sse(&pieces, Duration::from_millis(50)).then_disconnect(),
    ]);
    let items = stream_items(&adapters).await;
    assert!(items[0].is_ok());
    assert!(
        items.last().unwrap().is_err(),
        "a dropped connection is an error"
    );

    up.script(vec![Reply::sse(
        &["data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"\n\n"],
        Duration::ZERO,
    )]);
    let items = stream_items(&adapters).await;
    assert_eq!(
        items.last().unwrap().as_ref().unwrap_err().kind,
        ErrorKind::UpstreamError
    );

    up.script(vec![Reply::sse(
        &["data: {\"error\":\"Input validation error: `inputs` tokens + `max_new_tokens` must be <= 8192. Given: 8100 `inputs` tokens and 512 `max_new_tokens`\",\"error_type\":\"validation\"}\n\n"],
        Duration::ZERO,
    )]);
    let items = stream_items(&adapters).await;
    assert!(
        items.last().unwrap().is_err(),
        "a TGI error event ends the stream"
    );
}

#[tokio::test]
async fn the_first_event_arrives_long_before_a_slow_stream_ends() {
    let pieces = [
        "data: {\"id\":\"a\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"first\"},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"a\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
        "data: [DONE]\n\n",
    ];
    let up = MockUpstream::start(vec![Reply::sse(&pieces, Duration::from_millis(400))]).await;
    let adapters = hf(&up);
    let started = Instant::now();
    let mut stream = adapters
        .chat
        .unwrap()
        .chat_stream(CHAT, &ask("x"))
        .await
        .unwrap();
    let first = stream.next().await.unwrap().unwrap();
    let first_at = started.elapsed();
    assert_eq!(
        first,
        StreamEvent::TextDelta {
            text: "first".into()
        }
    );
    while stream.next().await.is_some() {}
    let end_at = started.elapsed();
    assert!(
        end_at >= first_at + Duration::from_millis(600),
        "first event at {first_at:?}, end at {end_at:?}"
    );
}

async fn chat_error(up: &MockUpstream, target: Target<'_>) -> ProviderError {
    hf(up)
        .chat
        .unwrap()
        .chat(target, &ask("some text"))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn error_bodies_are_classified_on_both_paths() {
    let cases = [
        (
            Reply::json(
                401,
                r#"{"error":"Invalid credentials in Authorization header"}"#,
            ),
            ErrorKind::Auth,
        ),
        (
            Reply::json(
                404,
                r#"{"error":"Model facebook/bart-large-cnn does not exist"}"#,
            ),
            ErrorKind::NotFound,
        ),
        (
            Reply::json(
                400,
                r#"{"error":"This model's maximum context length is 8192 tokens. However, you requested 9000 tokens."}"#,
            ),
            ErrorKind::ContextLengthExceeded,
        ),
        (
            Reply::json(
                422,
                r#"{"error":"Input validation error: `inputs` tokens + `max_new_tokens` must be <= 8192. Given: 8100 `inputs` tokens and 512 `max_new_tokens`","error_type":"validation"}"#,
            ),
            ErrorKind::ContextLengthExceeded,
        ),
        (
            Reply::json(
                422,
                r#"{"error":"Error in `parameters`: unexpected keyword argument","warnings":[]}"#,
            ),
            ErrorKind::BadRequest,
        ),
        (
            Reply::json(
                402,
                r#"{"error":"You have exceeded your monthly included credits for Inference Providers. Subscribe to PRO to get 20x more monthly included credits."}"#,
            ),
            ErrorKind::RateLimited,
        ),
        (
            Reply::json(503, r#"{"error":"Service Unavailable"}"#),
            ErrorKind::Overloaded,
        ),
        (
            Reply::raw(500, "text/plain", b"Internal Server Error"),
            ErrorKind::UpstreamError,
        ),
    ];
    for (reply, kind) in cases {
        for target in [CHAT, SUMMARIZER] {
            let up = MockUpstream::start(vec![reply.clone()]).await;
            let e = chat_error(&up, target).await;
            assert_eq!(
                e.kind, kind,
                "{} via {}: {}",
                reply.status, target.model, e.message
            );
            assert_eq!(e.status, Some(reply.status));
            assert_eq!(up.requests().len(), 1, "max_retries 0: one attempt");
        }
    }
    let e = chat_error(
        &MockUpstream::start(vec![Reply::json(
            401,
            r#"{"error":"Invalid credentials in Authorization header"}"#,
        )])
        .await,
        SUMMARIZER,
    )
    .await;
    assert_eq!(e.message, "Invalid credentials in Authorization header");

    for target in [CHAT, SUMMARIZER] {
        let up = MockUpstream::start(vec![
            Reply::json(
                429,
                r#"{"error":"Rate limit reached. Please retry later."}"#,
            )
            .header("retry-after", "17"),
        ])
        .await;
        let e = chat_error(&up, target).await;
        assert_eq!(e.kind, ErrorKind::RateLimited);
        assert_eq!(e.retry_after, Some(Duration::from_secs(17)));
    }
}

#[tokio::test]
async fn malformed_bodies_are_upstream_errors() {
    for target in [CHAT, SUMMARIZER] {
        let up = MockUpstream::start(vec![Reply::json(200, r#"{"choices":[{"message""#)]).await;
        assert_eq!(chat_error(&up, target).await.kind, ErrorKind::UpstreamError);
        let up = MockUpstream::start(vec![Reply::json(200, r#"[{"generated_text":"x"}]"#)]).await;
        assert_eq!(chat_error(&up, target).await.kind, ErrorKind::UpstreamError);
    }
}

#[tokio::test]
async fn summarization_models_answer_chat_through_the_task_endpoint() {
    let up = MockUpstream::start(vec![Reply::json(
        200,
        r#"[{"summary_text":"The tower is 324 metres tall, about the same height as an 81-storey building."}]"#,
    )])
    .await;
    let chat = hf(&up).chat.unwrap();
    let mut req = ask("ignored earlier turn");
    req.messages
        .push(Message::text(MessageRole::Assistant, "ok"));
    req.messages.push(Message::text(
        MessageRole::User,
        "The tower is 324 metres (1,063 ft) tall, about the same height as an 81-storey building.",
    ));
    req.max_output_tokens = Some(60);
    req.temperature = Some(0.0);
    let r = chat.chat(SUMMARIZER, &req).await.unwrap();
    let sent = &up.requests()[0];
    assert_eq!(sent.uri, "/hf-inference/models/facebook/bart-large-cnn");
    assert_eq!(sent.header("authorization"), Some("Bearer hf_test_token"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(
        sent.json(),
        json!({"inputs":"The tower is 324 metres (1,063 ft) tall, about the same height as an 81-storey building.",
            "parameters":{"generate_parameters":{"max_new_tokens":60,"do_sample":false}}})
    );
    assert_eq!(r.model, "bart");
    assert_eq!(
        r.message.joined_text(),
        "The tower is 324 metres tall, about the same height as an 81-storey building."
    );
    assert_eq!(r.finish_reason, FinishReason::Stop);
    assert_eq!(r.usage.source, UsageSource::Estimated);

    up.script(vec![Reply::json(200, r#"[{"summary_text":"Short."}]"#)]);
    let events: Vec<StreamEvent> = chat
        .chat_stream(SUMMARIZER, &ask("Long text."))
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(
        events,
        [
            StreamEvent::TextDelta {
                text: "Short.".into()
            },
            StreamEvent::Finish {
                reason: FinishReason::Stop
            }
        ]
    );
    assert_eq!(up.requests()[1].json(), json!({"inputs":"Long text."}));

    let e = chat
        .chat(SUMMARIZER, &ChatRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadRequest, "no user text to summarize");
}

#[tokio::test]
async fn feature_extraction_reads_every_answer_shape() {
    let embed_req = |inputs: &[&str]| EmbeddingRequest {
        model: "minilm".into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        dimensions: None,
    };
    let cases = [
        (
            vec!["a", "b"],
            "[[0.5,-0.25],[0.125,1.0]]",
            vec![vec![0.5, -0.25], vec![0.125, 1.0]],
        ),
        (vec!["a"], "[0.5,-0.25]", vec![vec![0.5, -0.25]]),
        (
            vec!["a", "b"],
            "[[[1.0,2.0],[3.0,4.0]],[[0.5,0.5]]]",
            vec![vec![2.0, 3.0], vec![0.5, 0.5]],
        ),
    ];
    for (inputs, body, expected) in cases {
        let up = MockUpstream::start(vec![Reply::json(200, body)]).await;
        let r = hf(&up)
            .embeddings
            .unwrap()
            .embed(EMBEDDER, &embed_req(&inputs))
            .await
            .unwrap();
        assert_eq!(r.embeddings, expected, "{body}");
        assert_eq!(r.model, "minilm");
        assert_eq!(r.usage.source, UsageSource::Estimated);
        let sent = &up.requests()[0];
        assert_eq!(
            sent.uri,
            "/hf-inference/models/sentence-transformers/all-MiniLM-L6-v2/pipeline/feature-extraction"
        );
        assert_eq!(sent.json(), json!({"inputs": inputs}));
    }
    let up = MockUpstream::start(vec![Reply::json(200, "[[0.1],[0.2],[0.3]]")]).await;
    let e = hf(&up)
        .embeddings
        .unwrap()
        .embed(EMBEDDER, &embed_req(&["a", "b"]))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::UpstreamError);
}

#[tokio::test]
async fn text_to_image_returns_the_raw_bytes_as_base64_or_a_data_url() {
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";
    let up = MockUpstream::start(vec![Reply::raw(200, "image/png", png)]).await;
    let images = hf(&up).images.unwrap();
    let mut req = ImageRequest {
        model: "flux".into(),
        prompt: "a lake at sunset".into(),
        n: 1,
        size: Some("768x512".into()),
        response_format: ImageFormat::B64Json,
        ..ImageRequest::default()
    };
    let r = images.generate_image(PAINTER, &req).await.unwrap();
    let sent = &up.requests()[0];
    assert_eq!(
        sent.uri,
        "/hf-inference/models/black-forest-labs/FLUX.1-schnell"
    );
    assert_eq!(sent.header("accept"), Some("image/png"));
    assert_eq!(sent.header("x-use-cache"), None);
    assert_eq!(
        sent.json(),
        json!({"inputs":"a lake at sunset","parameters":{"width":768,"height":512}})
    );
    assert_eq!(r.images.len(), 1);
    assert_eq!(
        r.images[0].b64_json.as_deref(),
        Some("iVBORw0KGgoAAAANSUhEUg==")
    );
    assert_eq!(r.images[0].media_type.as_deref(), Some("image/png"));

    up.script(vec![Reply::raw(200, "image/jpeg", b"\xff\xd8\xff")]);
    req.n = 2;
    req.size = None;
    req.response_format = ImageFormat::Url;
    let r = images.generate_image(PAINTER, &req).await.unwrap();
    assert_eq!(r.images.len(), 2);
    assert_eq!(
        r.images[1].url.as_deref(),
        Some("data:image/jpeg;base64,/9j/")
    );
    let reqs = up.requests();
    assert_eq!(reqs.len(), 3, "one call per image");
    assert_eq!(reqs[1].header("x-use-cache"), Some("false"));
    assert_eq!(reqs[2].json(), json!({"inputs":"a lake at sunset"}));

    up.script(vec![Reply::json(200, r#"{"error":"unexpected"}"#)]);
    req.n = 1;
    let e = images.generate_image(PAINTER, &req).await.unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::UpstreamError,
        "JSON where an image was due"
    );

    req.size = Some("huge".into());
    let e = images.generate_image(PAINTER, &req).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadRequest);
}

const LOADING: &str =
    r#"{"error":"Model facebook/bart-large-cnn is currently loading","estimated_time":0.3}"#;

#[tokio::test]
async fn a_loading_model_is_waited_for_within_the_deadline() {
    let up = MockUpstream::start(vec![
        Reply::json(503, LOADING),
        Reply::json(200, r#"[{"summary_text":"Done."}]"#),
    ])
    .await;
    let started = Instant::now();
    let r = hf(&up)
        .chat
        .unwrap()
        .chat(SUMMARIZER, &ask("text"))
        .await
        .unwrap();
    assert_eq!(r.message.joined_text(), "Done.");
    assert_eq!(up.requests().len(), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "waited for estimated_time"
    );

    let up = MockUpstream::start(vec![
        Reply::json(503, LOADING),
        Reply::json(200, "[[0.5,0.5]]"),
    ])
    .await;
    let req = EmbeddingRequest {
        model: "minilm".into(),
        input: vec!["a".into()],
        dimensions: None,
    };
    let r = hf(&up)
        .embeddings
        .unwrap()
        .embed(EMBEDDER, &req)
        .await
        .unwrap();
    assert_eq!(r.embeddings, vec![vec![0.5, 0.5]]);
}

#[tokio::test]
async fn a_load_longer_than_the_deadline_fails_as_overloaded() {
    let long =
        r#"{"error":"Model facebook/bart-large-cnn is currently loading","estimated_time":20.0}"#;
    let up = MockUpstream::start(vec![Reply::json(503, long)]).await;
    let adapters = hf_with(
        &up,
        json!({"task_models": {"facebook/bart-large-cnn": "summarization"}}),
        1_000,
    );
    let started = Instant::now();
    let e = adapters
        .chat
        .unwrap()
        .chat(SUMMARIZER, &ask("text"))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "no hopeless wait"
    );
    assert_eq!(e.kind, ErrorKind::Overloaded);
    assert_eq!(e.status, Some(503));
    assert_eq!(e.retry_after, Some(Duration::from_secs(20)));
    assert!(e.message.contains("currently loading"), "{}", e.message);
    assert_eq!(up.requests().len(), 1);

    // Still loading at every poll: the waits stop at the deadline.
    let up = MockUpstream::start(vec![Reply::json(503, LOADING)]).await;
    let adapters = hf_with(
        &up,
        json!({"task_models": {"facebook/bart-large-cnn": "summarization"}}),
        1_000,
    );
    let started = Instant::now();
    let e = adapters
        .chat
        .unwrap()
        .chat(SUMMARIZER, &ask("text"))
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.kind, ErrorKind::Overloaded);
    assert!(
        took < Duration::from_millis(1_200),
        "within the deadline: {took:?}"
    );
    let polls = up.requests().len();
    assert!((2..=4).contains(&polls), "{polls} polls");
}

#[tokio::test]
async fn configuration_problems_fail_calls_or_the_build_never_panics() {
    let up = MockUpstream::start(vec![Reply::json(200, ROUTER_REPLY)]).await;
    let p = provider(&up, json!({"task_models": {"m": "summarization"}}), 5_000);
    let adapters = build(&p, None, &HttpClient::new().unwrap()).unwrap();
    let e = adapters
        .chat
        .as_ref()
        .unwrap()
        .chat(CHAT, &ask("x"))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth);
    let e = adapters
        .chat
        .unwrap()
        .chat(
            Target {
                model: "m",
                upstream_model: "m",
            },
            &ask("x"),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth);
    assert!(up.requests().is_empty(), "nothing sent without a token");

    for bad in [
        json!({"task_models": {"m": "translation"}}),
        json!({"task_endpoint_base": "ftp://x"}),
        json!({"unknown": 1}),
        json!({"headers": {"bad header": "x"}}),
    ] {
        let p = provider(&up, bad.clone(), 5_000);
        let r = build(&p, None, &HttpClient::new().unwrap());
        assert!(matches!(r, Err(BuildError::InvalidOptions { .. })), "{bad}");
    }
}
