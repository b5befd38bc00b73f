//! Snapshots of the upstream HTTP request each adapter builds for one representative
//! chat request (and embeddings and images where the adapter has them, a video for
//! Runway): method, path and query, headers with secrets and ports redacted, JSON body.
//! They pin the wire shape, so a change to a converter shows in review.

use serde_json::{Map, Value, json};
use switchyard_providers::{Adapters, Target};
use switchyard_types::ProviderKind;
use switchyard_types::chat::{ChatRequest, EmbeddingRequest, Message, MessageRole, Tool};
use switchyard_types::media::{ImageFormat, ImageRequest, VideoRequest};

use crate::common::{MockUpstream, Recorded, Reply, adapters, provider_row};

const KEY: &str = "sk-snapshot-secret-0123456789";

const CHAT: Target<'static> = Target {
    model: "chat",
    upstream_model: "upstream-chat-model",
};
const EMBED: Target<'static> = Target {
    model: "embed",
    upstream_model: "upstream-embed-model",
};
const IMAGE: Target<'static> = Target {
    model: "image",
    upstream_model: "upstream-image-model",
};

const OPENAI_REPLY: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"upstream-chat-model","choices":[{"index":0,"message":{"role":"assistant","content":"Sunny."},"finish_reason":"stop"}],"usage":{"prompt_tokens":20,"completion_tokens":2,"total_tokens":22}}"#;
const ANTHROPIC_REPLY: &str = r#"{"id":"msg_1","type":"message","role":"assistant","model":"upstream-chat-model","content":[{"type":"text","text":"Sunny."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":20,"output_tokens":2}}"#;
const GEMINI_REPLY: &str = r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"Sunny."}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":20,"candidatesTokenCount":2,"totalTokenCount":22},"modelVersion":"upstream-chat-model","responseId":"r1"}"#;

/// System and user messages, sampling settings and one tool: what most clients send.
fn chat_request() -> ChatRequest {
    ChatRequest {
        model: "chat".into(),
        messages: vec![
            Message::text(MessageRole::System, "You are terse."),
            Message::text(MessageRole::User, "Weather in Paris?"),
        ],
        temperature: Some(0.2),
        max_output_tokens: Some(64),
        tools: vec![Tool {
            name: "get_weather".into(),
            description: Some("Get the weather".into()),
            parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
        }],
        ..ChatRequest::default()
    }
}

fn embedding_request() -> EmbeddingRequest {
    EmbeddingRequest {
        model: "embed".into(),
        input: vec!["first text".into(), "second text".into()],
        dimensions: None,
    }
}

fn image_request() -> ImageRequest {
    ImageRequest {
        model: "image".into(),
        prompt: "a lighthouse at dawn".into(),
        n: 1,
        size: Some("1024x1024".into()),
        quality: None,
        style: None,
        response_format: ImageFormat::B64Json,
        user: None,
    }
}

/// A recorded request as a snapshot shows it: the key, local ports, request ids and the
/// crate version redacted, the `host` header (it names the port) left out.
fn shown(r: &Recorded) -> Value {
    let port = regex::Regex::new(r"127\.0\.0\.1:\d+").unwrap();
    let uuid =
        regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
    let version = format!("switchyard/{}", env!("CARGO_PKG_VERSION"));
    let redact = |s: &str| {
        let s = s
            .replace(KEY, "[key]")
            .replace(&version, "switchyard/[version]");
        let s = port.replace_all(&s, "127.0.0.1:[port]");
        uuid.replace_all(&s, "[uuid]").into_owned()
    };
    let mut headers = Map::new();
    for (name, value) in &r.headers {
        if name == "host" {
            continue;
        }
        let value = redact(value.to_str().unwrap());
        headers.insert(name.to_string(), Value::String(value));
    }
    let body = if r.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&r.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&r.body).into_owned()))
    };
    json!({"method": r.method, "uri": redact(&r.uri), "headers": headers, "body": body})
}

/// Options of a provider, given the scripted upstream's base URL.
type Options = fn(&str) -> Value;

fn no_retries(_: &str) -> Value {
    json!({"max_retries": 0})
}

fn build(kind: ProviderKind, up: &MockUpstream, base: &str, options: Options) -> Adapters {
    let row = provider_row(
        kind,
        &format!("{}{base}", up.base_url),
        options(&up.base_url),
    );
    adapters(&row, Some(KEY))
}

/// The chat request, sent to an upstream answering `reply`, as the upstream saw it.
async fn chat_sent(kind: ProviderKind, base: &str, options: Options, reply: Reply) -> Value {
    let up = MockUpstream::start(vec![reply]).await;
    let chat = build(kind, &up, base, options).chat.unwrap();
    let answer = chat.chat(CHAT, &chat_request()).await;
    assert!(answer.is_ok(), "{answer:?}");
    let sent = up.requests();
    assert_eq!(sent.len(), 1, "one upstream request");
    shown(&sent[0])
}

/// The embeddings and image requests, as the upstream saw them (the answers are not
/// looked at: only what was sent matters here).
async fn media_sent(kind: ProviderKind, base: &str, options: Options) -> Value {
    let up = MockUpstream::start(vec![Reply::json(400, r#"{"error":"unused"}"#)]).await;
    let built = build(kind, &up, base, options);
    let mut out = Map::new();
    if let Some(embed) = built.embeddings {
        let _ = embed.embed(EMBED, &embedding_request()).await;
        out.insert("embeddings".into(), shown(up.requests().last().unwrap()));
    }
    if let Some(images) = built.images {
        let _ = images.generate_image(IMAGE, &image_request()).await;
        out.insert("images".into(), shown(up.requests().last().unwrap()));
    }
    Value::Object(out)
}

#[tokio::test]
async fn openai_requests() {
    let chat = chat_sent(
        ProviderKind::OpenAi,
        "/v1",
        no_retries,
        Reply::json(200, OPENAI_REPLY),
    )
    .await;
    let media = media_sent(ProviderKind::OpenAi, "/v1", no_retries).await;
    insta::assert_json_snapshot!(json!({"chat": chat, "media": media}));
}

#[tokio::test]
async fn openai_compatible_requests() {
    let chat = chat_sent(
        ProviderKind::OpenAiCompatible,
        "/v1",
        no_retries,
        Reply::json(200, OPENAI_REPLY),
    )
    .await;
    let media = media_sent(ProviderKind::OpenAiCompatible, "/v1", no_retries).await;
    insta::assert_json_snapshot!(json!({"chat": chat, "media": media}));
}

#[tokio::test]
async fn anthropic_requests() {
    let chat = chat_sent(
        ProviderKind::Anthropic,
        "",
        no_retries,
        Reply::json(200, ANTHROPIC_REPLY),
    )
    .await;
    insta::assert_json_snapshot!(json!({"chat": chat}));
}

#[tokio::test]
async fn gemini_requests() {
    let chat = chat_sent(
        ProviderKind::Gemini,
        "",
        no_retries,
        Reply::json(200, GEMINI_REPLY),
    )
    .await;
    let media = media_sent(ProviderKind::Gemini, "", no_retries).await;
    insta::assert_json_snapshot!(json!({"chat": chat, "media": media}));
}

fn huggingface_options(base_url: &str) -> Value {
    json!({"max_retries": 0, "task_endpoint_base": format!("{base_url}/hf-inference/models")})
}

#[tokio::test]
async fn huggingface_requests() {
    let chat = chat_sent(
        ProviderKind::HuggingFace,
        "/v1",
        huggingface_options,
        Reply::json(200, OPENAI_REPLY),
    )
    .await;
    let media = media_sent(ProviderKind::HuggingFace, "/v1", huggingface_options).await;
    insta::assert_json_snapshot!(json!({"chat": chat, "media": media}));
}

#[tokio::test]
async fn copilot_requests() {
    let up = MockUpstream::start(vec![]).await;
    let expires_at = 4_102_444_800_i64;
    let token = json!({
        "endpoints": {"api": up.base_url},
        "expires_at": expires_at, "refresh_in": 1500,
        "token": format!("tid=snap;exp={expires_at};sku=free_limited_copilot"),
    });
    up.script(vec![
        Reply::json(200, &token.to_string()),
        Reply::json(200, OPENAI_REPLY),
    ]);
    let options: Options = |base_url| json!({"max_retries": 0, "token_url": format!("{base_url}/copilot_internal/v2/token")});
    let chat = build(ProviderKind::Copilot, &up, "", options).chat.unwrap();
    let answer = chat.chat(CHAT, &chat_request()).await;
    assert!(answer.is_ok(), "{answer:?}");
    let sent: Vec<Value> = up.requests().iter().map(shown).collect();
    assert_eq!(sent.len(), 2, "a token exchange, then the chat");
    insta::assert_json_snapshot!(json!({"token": sent[0], "chat": sent[1]}));
}

#[tokio::test]
async fn runway_requests() {
    let up = MockUpstream::start(vec![Reply::json(
        200,
        r#"{"id":"17f20503-6c24-4c16-946b-35dbbce2af2f"}"#,
    )])
    .await;
    let videos = build(ProviderKind::Runway, &up, "", |_| json!({}))
        .videos
        .unwrap();
    let target = Target {
        model: "video",
        upstream_model: "gen4_turbo",
    };
    let request = VideoRequest {
        model: "video".into(),
        prompt: "a calico cat playing piano".into(),
        duration_seconds: Some(5),
        size: Some("1280x720".into()),
        ..VideoRequest::default()
    };
    let job = videos.submit_video(target, &request).await.unwrap();
    assert_eq!(job.job_id, "17f20503-6c24-4c16-946b-35dbbce2af2f");
    let sent = up.requests();
    assert_eq!(sent.len(), 1, "one upstream request");
    insta::assert_json_snapshot!(json!({"video": shown(&sent[0])}));
}
