//! A fast mock OpenAI upstream for load tests: a fixed ~690-byte `chat.completion`, or a
//! stream of 20 chunks and `[DONE]`, on one worker thread (as bench/README.md describes).
//! Usage: bench-upstream <port>

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::post;

const REPLY: &str = r#"{"id":"chatcmpl-bench0000000000000000000000000","object":"chat.completion","created":1730000000,"model":"bench-model","choices":[{"index":0,"message":{"role":"assistant","content":"This is a fixed reply from the benchmark upstream. It is long enough to look like a real short answer from a model, with a few sentences of ordinary text in it.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":31,"completion_tokens":38,"total_tokens":69,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_bench"}"#;

fn stream_body() -> Bytes {
    let mut out = String::new();
    for i in 0..20 {
        let delta = if i == 0 {
            r#"{"role":"assistant","content":""}"#.to_string()
        } else {
            format!(r#"{{"content":"word{i} "}}"#)
        };
        out.push_str(&format!(
            "data: {{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\"model\":\"bench-model\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"logprobs\":null,\"finish_reason\":null}}]}}\n\n"
        ));
    }
    out.push_str("data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\"model\":\"bench-model\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\n");
    out.push_str("data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\"model\":\"bench-model\",\"choices\":[],\"usage\":{\"prompt_tokens\":31,\"completion_tokens\":20,\"total_tokens\":51}}\n\n");
    out.push_str("data: [DONE]\n\n");
    Bytes::from(out)
}

async fn chat(body: Bytes) -> Response {
    // A cheap check instead of parsing: streams ask for `"stream":true`.
    let streaming = body.windows(13).any(|w| w == b"\"stream\":true");
    let (content_type, payload) = if streaming {
        ("text/event-stream", stream_body())
    } else {
        ("application/json", Bytes::from_static(REPLY.as_bytes()))
    };
    let mut response = Response::new(Body::from(payload));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(9101);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let app = axum::Router::new().route("/v1/chat/completions", post(chat));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        axum::serve(listener, app).await
    })
}
