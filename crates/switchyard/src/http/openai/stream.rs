//! Canonical stream events → OpenAI `chat.completion.chunk` server-sent events, each
//! written as soon as its event arrives. Ends with `data: [DONE]`; an upstream failure
//! mid-stream ends with an `{"error":…}` event instead (what the SDKs raise on).

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use futures::StreamExt;
use serde_json::{Value, json};
use switchyard_providers::EventStream;
use switchyard_types::chat::{StreamEvent, Usage};

use super::convert::{finish_reason, usage_json};

/// Per-stream constants stamped on every chunk.
pub struct ChunkHeader {
    pub id: String,
    pub model: String,
    pub created: i64,
    pub include_usage: bool,
}

impl ChunkHeader {
    fn chunk(&self, delta: Value, finish: Option<&str>) -> Value {
        let mut chunk = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": null,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        });
        if self.include_usage {
            chunk["usage"] = Value::Null;
        }
        chunk
    }

    fn usage_chunk(&self, usage: &Usage) -> Value {
        json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": null,
            "choices": [],
            "usage": usage_json(usage),
        })
    }
}

fn sse(value: &Value) -> Bytes {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"data: ");
    // Serializing a Value cannot fail.
    let _ = serde_json::to_writer(&mut out, value);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// The chunk (if any) that one canonical event becomes.
fn encode(header: &ChunkHeader, event: &StreamEvent, first: &mut bool) -> Option<Value> {
    let mut delta = match event {
        StreamEvent::TextDelta { text } => json!({"content": text}),
        StreamEvent::ReasoningDelta { text } => json!({"reasoning_content": text}),
        StreamEvent::ToolCallStart { index, id, name } => json!({"tool_calls": [
            {"index": index, "id": id, "type": "function", "function": {"name": name, "arguments": ""}}]}),
        StreamEvent::ToolCallDelta { index, arguments } => {
            json!({"tool_calls": [{"index": index, "function": {"arguments": arguments}}]})
        }
        StreamEvent::Finish { reason } => {
            return Some(header.chunk(json!({}), Some(finish_reason(*reason))));
        }
        StreamEvent::Usage { usage } => {
            return header.include_usage.then(|| header.usage_chunk(usage));
        }
        StreamEvent::Error { kind, message } => {
            return Some(
                json!({"error": {"message": message, "type": "server_error", "code": kind.as_str(), "param": null}}),
            );
        }
    };
    if std::mem::take(first) {
        delta["role"] = json!("assistant");
    }
    Some(header.chunk(delta, None))
}

/// The streaming HTTP response for a canonical event stream.
pub fn response(header: ChunkHeader, events: EventStream) -> Response {
    let body = futures::stream::unfold(
        (events, header, true, false),
        |(mut events, header, mut first, done)| async move {
            if done {
                return None;
            }
            loop {
                match events.next().await {
                    Some(Ok(event)) => {
                        if let Some(chunk) = encode(&header, &event, &mut first) {
                            return Some((
                                Ok::<_, std::convert::Infallible>(sse(&chunk)),
                                (events, header, first, false),
                            ));
                        }
                    }
                    Some(Err(e)) => {
                        tracing::warn!(kind = %e.kind, error = %e.message, "upstream stream failed after it started");
                        let chunk = json!({"error": {"message": e.message, "type": "server_error", "code": e.kind.as_str(), "param": null}});
                        return Some((Ok(sse(&chunk)), (events, header, first, true)));
                    }
                    None => {
                        return Some((
                            Ok(Bytes::from_static(b"data: [DONE]\n\n")),
                            (events, header, first, true),
                        ));
                    }
                }
            }
        },
    );
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}
