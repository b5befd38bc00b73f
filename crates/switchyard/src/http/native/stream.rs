//! Native SSE: one `data:` line per canonical event, then a `done` event.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use futures::StreamExt;
use serde_json::json;
use switchyard_core::llm::Served;
use switchyard_providers::EventStream;
use switchyard_types::chat::StreamEvent;

use super::wire::Routing;

fn sse(value: &serde_json::Value) -> Bytes {
    Bytes::from(format!("data: {value}\n\n"))
}

/// The streaming HTTP response.
pub fn response(events: EventStream, served: Served, routing: Routing) -> Response {
    let routing = json!(routing);
    let body = futures::stream::unfold(
        (events, None, false),
        move |(mut events, mut usage, done)| {
            let served = served.clone();
            let routing = routing.clone();
            async move {
                if done {
                    return None;
                }
                match events.next().await {
                    Some(Ok(event)) => {
                        if let StreamEvent::Usage { usage: u } = &event {
                            usage = Some(super::usage(&served, u));
                        }
                        let value = serde_json::to_value(&event).unwrap_or_default();
                        Some((
                            Ok::<_, std::convert::Infallible>(sse(&value)),
                            (events, usage, false),
                        ))
                    }
                    Some(Err(e)) => {
                        let value = json!({"type": "error", "kind": e.kind, "message": e.message});
                        Some((Ok(sse(&value)), (events, usage, true)))
                    }
                    None => {
                        let value = json!({"type": "done", "routing": routing, "usage": usage});
                        Some((Ok(sse(&value)), (events, usage, true)))
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
    response
}
