//! Canonical stream events → Anthropic's Messages event sequence: `message_start`,
//! one `content_block_start` / `_delta`… / `_stop` run per block (text, thinking,
//! tool_use with `input_json_delta`), `message_delta` with the stop reason and usage,
//! `message_stop`. An upstream failure mid-stream becomes an `error` event.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use futures::StreamExt;
use serde_json::json;
use switchyard_providers::EventStream;
use switchyard_types::chat::{FinishReason, StreamEvent, Usage};
use switchyard_types::{ErrorCode, ErrorKind};

use super::convert;
use super::wire::{
    BlockDelta, DeltaUsage, MessageDeltaBody, MessagesResponse, ResponseBlock, Role, StreamError,
    StreamEvent as Wire, Usage as WireUsage,
};

/// Which kind of block is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Text,
    Thinking,
    Tool(u32),
}

/// The encoder's state between events.
struct Encoder {
    next_index: u32,
    open: Option<(Open, u32)>,
    finish: Option<FinishReason>,
    usage: Option<Usage>,
}

impl Encoder {
    /// Events that close the open block (if it is not `want`) and open `want`.
    fn ensure(
        &mut self,
        want: Open,
        start: impl FnOnce() -> ResponseBlock,
        out: &mut Vec<Wire>,
    ) -> u32 {
        if let Some((open, index)) = self.open {
            if open == want {
                return index;
            }
            out.push(Wire::ContentBlockStop { index });
        }
        let index = self.next_index;
        self.next_index += 1;
        out.push(Wire::ContentBlockStart {
            index,
            content_block: start(),
        });
        self.open = Some((want, index));
        index
    }

    fn close(&mut self, out: &mut Vec<Wire>) {
        if let Some((_, index)) = self.open.take() {
            out.push(Wire::ContentBlockStop { index });
        }
    }

    fn event(&mut self, event: StreamEvent, out: &mut Vec<Wire>) {
        match event {
            StreamEvent::TextDelta { text } => {
                let index = self.ensure(
                    Open::Text,
                    || ResponseBlock::Text {
                        text: String::new(),
                    },
                    out,
                );
                out.push(Wire::ContentBlockDelta {
                    index,
                    delta: BlockDelta::TextDelta { text },
                });
            }
            StreamEvent::ReasoningDelta { text } => {
                let index = self.ensure(
                    Open::Thinking,
                    || ResponseBlock::Thinking {
                        thinking: String::new(),
                        signature: String::new(),
                    },
                    out,
                );
                out.push(Wire::ContentBlockDelta {
                    index,
                    delta: BlockDelta::ThinkingDelta { thinking: text },
                });
            }
            StreamEvent::ToolCallStart {
                index: call,
                id,
                name,
            } => {
                // A new call always opens a new block, even after another tool call.
                self.close(out);
                self.ensure(
                    Open::Tool(call),
                    || ResponseBlock::ToolUse {
                        id,
                        name,
                        input: json!({}),
                    },
                    out,
                );
            }
            StreamEvent::ToolCallDelta {
                index: call,
                arguments,
            } => {
                if let Some((Open::Tool(open_call), index)) = self.open
                    && open_call == call
                {
                    out.push(Wire::ContentBlockDelta {
                        index,
                        delta: BlockDelta::InputJsonDelta {
                            partial_json: arguments,
                        },
                    });
                }
            }
            StreamEvent::Finish { reason } => self.finish = Some(reason),
            StreamEvent::Usage { usage } => self.usage = Some(usage),
            StreamEvent::Error { kind, message } => {
                out.push(error_event(kind, message));
            }
        }
    }

    fn end(&mut self, out: &mut Vec<Wire>) {
        self.close(out);
        let usage = self
            .usage
            .take()
            .map(|u| convert::usage(&u))
            .unwrap_or_default();
        out.push(Wire::MessageDelta {
            delta: MessageDeltaBody {
                stop_reason: Some(convert::stop_reason(
                    self.finish.unwrap_or(FinishReason::Stop),
                )),
                stop_sequence: None,
            },
            usage: DeltaUsage {
                output_tokens: usage.output_tokens,
                input_tokens: Some(usage.input_tokens),
                cache_creation_input_tokens: usage.cache_creation_input_tokens,
                cache_read_input_tokens: usage.cache_read_input_tokens,
                output_tokens_details: usage.output_tokens_details,
            },
        });
        out.push(Wire::MessageStop);
    }
}

/// An `error` event, typed from the error table.
fn error_event(kind: ErrorKind, message: String) -> Wire {
    Wire::Error {
        error: StreamError {
            kind: ErrorCode::from(kind).row().anthropic_type,
            message,
        },
    }
}

fn sse(events: &[Wire]) -> Bytes {
    let mut out = Vec::with_capacity(events.len() * 160);
    for e in events {
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(e.event_name().as_bytes());
        out.extend_from_slice(b"\ndata: ");
        let _ = serde_json::to_writer(&mut out, e);
        out.extend_from_slice(b"\n\n");
    }
    Bytes::from(out)
}

/// The opening event: an empty assistant message (SDKs build the final message on it).
fn message_start(id: String, model: String) -> Wire {
    Wire::MessageStart {
        message: MessagesResponse {
            id,
            kind: "message",
            role: Role::Assistant,
            model,
            content: Vec::new(),
            stop_reason: None,
            stop_sequence: None,
            usage: WireUsage::default(),
        },
    }
}

/// The streaming HTTP response for a canonical event stream.
pub fn response(id: String, model: String, events: EventStream) -> Response {
    let start = message_start(id, model);
    let encoder = Encoder {
        next_index: 0,
        open: None,
        finish: None,
        usage: None,
    };
    let first =
        futures::stream::once(async move { Ok::<_, std::convert::Infallible>(sse(&[start])) });
    let rest = futures::stream::unfold(
        (events, encoder, false),
        |(mut events, mut enc, done)| async move {
            if done {
                return None;
            }
            let mut out = Vec::new();
            let mut finished = false;
            while out.is_empty() && !finished {
                match events.next().await {
                    Some(Ok(event)) => enc.event(event, &mut out),
                    Some(Err(e)) => {
                        tracing::warn!(kind = %e.kind, error = %e.message, "upstream stream failed after it started");
                        out.push(error_event(e.kind, e.message));
                        finished = true;
                    }
                    None => {
                        enc.end(&mut out);
                        finished = true;
                    }
                }
            }
            Some((Ok(sse(&out)), (events, enc, finished)))
        },
    );
    let mut response = Response::new(Body::from_stream(first.chain(rest)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {

    use serde_json::json;

    use super::*;

    #[test]
    fn the_stream_opens_with_an_empty_assistant_message() {
        let start = message_start("msg_1".into(), "claude".into());
        assert_eq!(start.event_name(), "message_start");
        assert_eq!(
            serde_json::to_value(&start).unwrap(),
            json!({"type": "message_start", "message": {
                "id": "msg_1", "type": "message", "role": "assistant", "model": "claude",
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": 0, "output_tokens": 0}}})
        );
    }
}
