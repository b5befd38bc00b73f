//! The `openai_compatible` adapter (Ollama, vLLM, llama.cpp, Groq, DeepSeek, OpenRouter,
//! Mistral) against a scripted upstream: the request differences, tolerance of missing
//! or `null` envelope fields, each server's usage shape, its error bodies, and the
//! reusable client with an asynchronous auth hook.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::common::{MockUpstream, Reply};
use async_trait::async_trait;
use futures::StreamExt;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde_json::json;
use switchyard_providers::openai::{Auth, Call, Credentials, Flavor, OpenAiClient};
use switchyard_providers::{
    Adapters, ChatProvider, HttpClient, ProviderContext, ProviderError, Target, build,
};
use switchyard_types::chat::{
    ChatRequest, ContentPart, EmbeddingRequest, FinishReason, Message, MessageRole, StreamEvent,
    ToolCall, Usage, UsageSource,
};
use switchyard_types::{ErrorKind, Provider, ProviderKind, Secret};

const T: Target<'static> = Target {
    model: "local-chat",
    upstream_model: "llama3.2",
};

fn provider(up: &MockUpstream, options: serde_json::Value) -> Provider {
    Provider {
        id: "p2".into(),
        name: "local".into(),
        kind: ProviderKind::OpenAiCompatible,
        base_url: Some(format!("{}/v1/", up.base_url)),
        has_api_key: false,
        timeout_ms: 10_000,
        max_concurrency: 10,
        free_tier: true,
        enabled: true,
        options,
        created_at: 0,
        updated_at: 0,
    }
}

fn compatible(up: &MockUpstream, options: serde_json::Value, key: Option<&str>) -> Adapters {
    let key = key.map(|k| Secret::new(k.to_string()));
    build(&provider(up, options), key, &HttpClient::new().unwrap()).unwrap()
}

fn ask(text: &str) -> ChatRequest {
    ChatRequest {
        model: "local-chat".into(),
        messages: vec![Message::text(MessageRole::User, text)],
        ..ChatRequest::default()
    }
}

fn with_tool_history() -> ChatRequest {
    let mut req = ask("weather in Paris?");
    req.messages.push(Message {
        role: MessageRole::Assistant,
        content: vec![],
        tool_calls: vec![ToolCall {
            id: "call_1".into(),
            name: "get_weather".into(),
            arguments: r#"{"location":"Paris"}"#.into(),
        }],
        tool_call_id: None,
    });
    req.messages.push(Message {
        role: MessageRole::Tool,
        content: vec![ContentPart::Text { text: "18C".into() }],
        tool_calls: vec![],
        tool_call_id: Some("call_1".into()),
    });
    req.max_output_tokens = Some(64);
    req.user = Some("u-1".into());
    req
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/data/openai/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

async fn stream_of(chat: &dyn ChatProvider) -> Vec<Result<StreamEvent, ProviderError>> {
    chat.chat_stream(T, &ask("x"))
        .await
        .unwrap()
        .collect()
        .await
}

const OLLAMA_REPLY: &str = r#"{"id":"chatcmpl-290","object":"chat.completion","created":1754998400,"model":"llama3.2","system_fingerprint":"fp_ollama","choices":[{"index":0,"message":{"role":"assistant","content":"It is 18C."},"finish_reason":"stop"}],"usage":{"prompt_tokens":48,"completion_tokens":7,"total_tokens":55}}"#;

#[tokio::test]
async fn compatible_requests_use_max_tokens_no_key_and_a_string_for_empty_content() {
    let up = MockUpstream::start(vec![Reply::json(200, OLLAMA_REPLY)]).await;
    let chat = compatible(&up, json!(null), None).chat.unwrap();
    let r = chat.chat(T, &with_tool_history()).await.unwrap();
    let sent = &up.requests()[0];
    assert_eq!(
        sent.uri, "/v1/chat/completions",
        "a trailing slash in base_url is dropped"
    );
    assert_eq!(sent.header("authorization"), None);
    assert_eq!(
        sent.json(),
        json!({"model":"llama3.2","messages":[
            {"role":"user","content":"weather in Paris?"},
            {"role":"assistant","content":"","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}}]},
            {"role":"tool","tool_call_id":"call_1","content":"18C"}],
            "max_tokens":64})
    );
    assert_eq!(r.message.joined_text(), "It is 18C.");
    assert_eq!(r.usage.input_tokens, 48);
}

#[tokio::test]
async fn options_adjust_the_dialect_and_add_headers() {
    let up = MockUpstream::start(vec![Reply::sse_transcript(
        &fixture("groq_x_groq.sse"),
        Duration::ZERO,
    )])
    .await;
    let options = json!({"stream_usage": false, "max_tokens_field": "max_completion_tokens",
        "tool_call_content": "omit", "send_user": true,
        "headers": {"HTTP-Referer": "https://switchyard.example", "X-Title": "Switchyard"}});
    let chat = compatible(&up, options, Some("gsk_test")).chat.unwrap();
    let _ = chat
        .chat_stream(T, &with_tool_history())
        .await
        .unwrap()
        .collect::<Vec<_>>()
        .await;
    let sent = &up.requests()[0];
    assert_eq!(sent.header("authorization"), Some("Bearer gsk_test"));
    assert_eq!(
        sent.header("http-referer"),
        Some("https://switchyard.example")
    );
    assert_eq!(sent.header("x-title"), Some("Switchyard"));
    let body = sent.json();
    assert_eq!(body["stream"], true);
    assert!(
        body.get("stream_options").is_none(),
        "Mistral refuses stream_options"
    );
    assert_eq!(body["max_completion_tokens"], 64);
    assert_eq!(body["user"], "u-1");
    assert!(body["messages"][1].get("content").is_none());

    let bad = provider(&up, json!({"max_tokens_field": "tokens"}));
    assert!(build(&bad, None, &HttpClient::new().unwrap()).is_err());
}

fn usage(input: u64, output: u64) -> Usage {
    Usage {
        input_tokens: input,
        output_tokens: output,
        source: UsageSource::Provider,
        ..Usage::default()
    }
}

/// Recorded-shape streams of compatible servers and the exact usage each must yield.
#[tokio::test]
async fn usage_golden_corpus() {
    let cases = [
        (
            "deepseek_reasoner.sse",
            Some(Usage {
                cached_input_tokens: 64,
                reasoning_tokens: 120,
                ..usage(96, 131)
            }),
        ),
        (
            "openrouter_cache_write.sse",
            Some(Usage {
                cache_creation_input_tokens: 1812,
                ..usage(2140, 9)
            }),
        ),
        (
            "llamacpp_timings.sse",
            Some(Usage {
                cached_input_tokens: 16,
                ..usage(27, 3)
            }),
        ),
        ("groq_x_groq.sse", Some(usage(41, 3))),
        ("vllm_continuous_usage.sse", Some(usage(22, 2))),
        ("ollama_tools_no_usage.sse", None),
    ];
    for (file, expected) in cases {
        let up =
            MockUpstream::start(vec![Reply::sse_transcript(&fixture(file), Duration::ZERO)]).await;
        let chat = compatible(&up, json!({}), None).chat.unwrap();
        let events: Vec<StreamEvent> = stream_of(chat.as_ref())
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
        assert_eq!(
            usages,
            expected.iter().collect::<Vec<_>>(),
            "{file}: one usage, the last reported"
        );
        let finish = events
            .iter()
            .position(|e| matches!(e, StreamEvent::Finish { .. }));
        let at_end = if expected.is_some() {
            events.len() - 2
        } else {
            events.len() - 1
        };
        assert_eq!(
            finish,
            Some(at_end),
            "{file}: finish comes last but for usage"
        );
    }
}

#[tokio::test]
async fn reasoning_deltas_and_whole_tool_calls_are_passed_through() {
    let up = MockUpstream::start(vec![Reply::sse_transcript(
        &fixture("deepseek_reasoner.sse"),
        Duration::ZERO,
    )])
    .await;
    let chat = compatible(&up, json!({}), Some("sk-ds")).chat.unwrap();
    let events: Vec<StreamEvent> = stream_of(chat.as_ref())
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        events[..4],
        [
            StreamEvent::ReasoningDelta {
                text: "The user asks 9.11 vs 9.8.".into()
            },
            StreamEvent::ReasoningDelta {
                text: " 0.8 > 0.11.".into()
            },
            StreamEvent::TextDelta {
                text: "9.8 is greater.".into()
            },
            StreamEvent::Finish {
                reason: FinishReason::Stop
            },
        ]
    );

    let up = MockUpstream::start(vec![Reply::sse_transcript(
        &fixture("ollama_tools_no_usage.sse"),
        Duration::ZERO,
    )])
    .await;
    let chat = compatible(&up, json!({}), None).chat.unwrap();
    let events: Vec<StreamEvent> = stream_of(chat.as_ref())
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
                id: "call_x2mq9a1f".into(),
                name: "get_weather".into()
            },
            StreamEvent::ToolCallDelta {
                index: 0,
                arguments: "{\"location\":\"Paris\"}".into()
            },
            StreamEvent::Finish {
                reason: FinishReason::ToolCalls
            },
        ],
        "Ollama says `stop` after a tool call"
    );
}

#[tokio::test]
async fn whole_responses_missing_envelope_fields_are_accepted() {
    let bare = r#"{"choices":[{"message":{"role":"assistant","content":"hi","tool_calls":null},"finish_reason":null}],"usage":null}"#;
    let up = MockUpstream::start(vec![Reply::json(200, bare)]).await;
    let chat = compatible(&up, json!({}), None).chat.unwrap();
    let r = chat.chat(T, &ask("hello")).await.unwrap();
    assert!(r.id.starts_with("chatcmpl-"));
    assert!(r.created_at > 0);
    assert_eq!(r.message.joined_text(), "hi");
    assert_eq!(r.finish_reason, FinishReason::Stop);
    assert_eq!(
        r.usage.source,
        UsageSource::Estimated,
        "no usage reported: estimated"
    );
    assert!(r.usage.input_tokens > 0);

    let mistral = r#"{"id":"a1b2","object":"chat.completion","model":"magistral-medium-2507","created":1754999100,"choices":[{"index":0,"message":{"role":"assistant","tool_calls":null,"content":[{"type":"thinking","thinking":[{"type":"text","text":"Short answer."}]},{"type":"text","text":"Yes."}]},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"total_tokens":40,"completion_tokens":30}}"#;
    up.script(vec![Reply::json(200, mistral)]);
    let r = chat.chat(T, &ask("?")).await.unwrap();
    assert_eq!(
        r.message.content,
        vec![
            ContentPart::Reasoning {
                text: "Short answer.".into(),
                signature: None
            },
            ContentPart::Text {
                text: "Yes.".into()
            },
        ]
    );

    let object_args = r#"{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"location":"Paris"}}}]},"finish_reason":"tool_calls"}]}"#;
    up.script(vec![Reply::json(200, object_args)]);
    let r = chat.chat(T, &ask("?")).await.unwrap();
    assert_eq!(r.message.tool_calls[0].arguments, r#"{"location":"Paris"}"#);
    assert_eq!(r.message.tool_calls[0].id, "call_0");
    assert_eq!(r.finish_reason, FinishReason::ToolCalls);
}

async fn error_for(status: u16, body: &str) -> ProviderError {
    let up = MockUpstream::start(vec![Reply::json(status, body)]).await;
    let chat = compatible(&up, json!({"max_retries": 0}), None)
        .chat
        .unwrap();
    chat.chat(T, &ask("x")).await.unwrap_err()
}

#[tokio::test]
async fn server_error_bodies_are_classified() {
    let cases = [
        (
            400,
            r#"{"object":"error","message":"This model's maximum context length is 8192 tokens. However, you requested 8203 tokens (7691 in the messages, 512 in the completion). Please reduce the length of the messages or completion.","type":"BadRequestError","param":null,"code":400}"#,
            ErrorKind::ContextLengthExceeded,
        ),
        (
            400,
            r#"{"error":{"code":400,"message":"request (9412 tokens) exceeds the available context size (8192 tokens), try increasing it","type":"exceed_context_size_error","n_prompt_tokens":9412,"n_ctx":8192}}"#,
            ErrorKind::ContextLengthExceeded,
        ),
        (
            503,
            r#"{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}"#,
            ErrorKind::Overloaded,
        ),
        (
            404,
            r#"{"error":{"message":"model \"llama9\" not found, try pulling it first","type":"not_found_error","param":null,"code":null}}"#,
            ErrorKind::NotFound,
        ),
        (
            422,
            r#"{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","stream_options","include_usage"],"msg":"Extra inputs are not permitted","input":true}]},"type":"invalid_request_error","param":null,"code":null}"#,
            ErrorKind::BadRequest,
        ),
        (
            401,
            r#"{"error":{"message":"Invalid API Key","type":"invalid_request_error","code":"invalid_api_key"}}"#,
            ErrorKind::Auth,
        ),
        (
            429,
            r#"{"error":{"message":"Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_01` service tier `on_demand` on tokens per minute (TPM): Limit 6000, Used 5800, Requested 512. Please try again in 3.12s.","type":"tokens","code":"rate_limit_exceeded"}}"#,
            ErrorKind::RateLimited,
        ),
    ];
    for (status, body, kind) in cases {
        assert_eq!(error_for(status, body).await.kind, kind, "{body}");
    }
}

#[tokio::test]
async fn a_mid_stream_error_with_an_integer_code_is_classified() {
    let up = MockUpstream::start(vec![Reply::sse(
        &[
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n",
            "data: {\"error\":{\"message\":\"Too many requests\",\"type\":\"rate_limit\",\"code\":429}}\n\n",
        ],
        Duration::ZERO,
    )])
    .await;
    let chat = compatible(&up, json!({}), None).chat.unwrap();
    let items = stream_of(chat.as_ref()).await;
    let e = items.last().unwrap().as_ref().unwrap_err();
    assert_eq!((e.kind, e.status), (ErrorKind::RateLimited, Some(429)));
}

#[tokio::test]
async fn embeddings_without_usage_are_estimated() {
    let body = r#"{"object":"list","data":[{"object":"embedding","embedding":[0.1,0.2,0.3],"index":0}],"model":"nomic-embed-text"}"#;
    let up = MockUpstream::start(vec![Reply::json(200, body)]).await;
    let embed = compatible(&up, json!({}), None).embeddings.unwrap();
    let target = Target {
        model: "nomic",
        upstream_model: "nomic-embed-text",
    };
    let req = EmbeddingRequest {
        model: "nomic".into(),
        input: vec!["hello world".into()],
        dimensions: None,
    };
    let r = embed.embed(target, &req).await.unwrap();
    assert_eq!(
        up.requests()[0].json(),
        json!({"model":"nomic-embed-text","input":["hello world"]})
    );
    assert_eq!(r.embeddings, vec![vec![0.1, 0.2, 0.3]]);
    assert_eq!(r.usage.source, UsageSource::Estimated);
}

/// An auth hook like Copilot's: a short-lived token fetched per generation, its own
/// base URL, and one refresh after a 401.
struct Rotating {
    base: String,
    generation: AtomicUsize,
    calls: AtomicUsize,
}

#[async_trait]
impl Auth for Rotating {
    async fn credentials(&self, call: Call<'_>) -> Result<Credentials, ProviderError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let Call::Chat { request, stream } = call else {
            return Err(ProviderError::new(ErrorKind::BadRequest, "chat only"));
        };
        let mut headers = HeaderMap::new();
        let token = format!("Bearer tid-{}", self.generation.load(Ordering::SeqCst));
        headers.insert(AUTHORIZATION, HeaderValue::from_str(&token).unwrap());
        let initiator = if request.messages.len() > 1 {
            "agent"
        } else {
            "user"
        };
        headers.insert("x-initiator", HeaderValue::from_static(initiator));
        headers.insert(
            "x-streaming",
            HeaderValue::from_static(if stream { "1" } else { "0" }),
        );
        Ok(Credentials {
            headers,
            base_url: Some(self.base.clone()),
        })
    }

    async fn rejected(&self) -> bool {
        self.generation.fetch_add(1, Ordering::SeqCst);
        true
    }
}

#[tokio::test]
async fn the_client_is_reusable_with_an_async_auth_hook() {
    let up = MockUpstream::start(vec![
        Reply::json(
            401,
            r#"{"error":{"message":"token expired","type":"authentication_error"}}"#,
        ),
        Reply::json(200, OLLAMA_REPLY),
    ])
    .await;
    let mut p = provider(&up, json!({}));
    p.base_url = Some("http://unused.invalid".into());
    let ctx = ProviderContext::new(&p, None, &HttpClient::new().unwrap());
    let auth = Arc::new(Rotating {
        base: format!("{}/", up.base_url),
        generation: AtomicUsize::new(0),
        calls: AtomicUsize::new(0),
    });
    let client = OpenAiClient::new(ctx, Flavor::compatible(), auth.clone());
    let r = client.chat(T, &ask("hi")).await.unwrap();
    assert_eq!(r.message.joined_text(), "It is 18C.");
    let reqs = up.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[0].uri, "/chat/completions",
        "the hook's base URL, no /v1"
    );
    assert_eq!(reqs[0].header("authorization"), Some("Bearer tid-0"));
    assert_eq!(reqs[1].header("authorization"), Some("Bearer tid-1"));
    assert_eq!(reqs[1].header("x-initiator"), Some("user"));
    assert_eq!(reqs[1].header("x-streaming"), Some("0"));
    assert_eq!(auth.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_server_answering_a_stream_with_one_json_body_is_replayed_as_events() {
    let up = MockUpstream::start(vec![Reply::json(200, OLLAMA_REPLY)]).await;
    let chat = compatible(&up, json!({}), None).chat.unwrap();
    let events: Vec<StreamEvent> = stream_of(chat.as_ref())
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        events,
        [
            StreamEvent::TextDelta {
                text: "It is 18C.".into()
            },
            StreamEvent::Finish {
                reason: FinishReason::Stop
            },
            StreamEvent::Usage {
                usage: usage(48, 7)
            },
        ]
    );
    up.script(vec![Reply::json(
        200,
        r#"{"error":{"message":"model is overloaded","type":"overloaded_error"}}"#,
    )]);
    let e = chat.chat_stream(T, &ask("x")).await.err().unwrap();
    assert_eq!(e.kind, ErrorKind::Overloaded);
}
