//! Anthropic stream events → canonical [`StreamEvent`]s, one upstream event at a time.
//! `Finish` and `Usage` are emitted at `message_stop` (the terminator); a stream that ends
//! before it is an `Err` (truncated), an `error` event is an `Err` of its classified kind.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use futures::StreamExt;
use switchyard_types::ErrorKind;
use switchyard_types::chat::StreamEvent;

use super::wire::{self, BlockDelta, ContentBlock};
use super::{convert, errors};
use crate::sse::{self, SseStreamError};
use crate::{EventStream, ProviderError, upstream};

/// What an open content block (by Anthropic's index) is.
#[derive(Debug, Clone, Copy)]
enum Block {
    ToolUse { index: u32 },
    Other,
}

/// Decoder state across one stream.
#[derive(Debug, Default)]
pub struct Decoder {
    blocks: HashMap<u32, Block>,
    next_tool: u32,
    usage: wire::Usage,
    saw_usage: bool,
    stop_reason: Option<wire::StopReason>,
    finished: bool,
}

impl Decoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `message_stop` arrived.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Decode one event's `data` into the canonical events it yields.
    pub fn on_data(&mut self, data: &str) -> Result<Vec<StreamEvent>, ProviderError> {
        let event: wire::StreamEvent = upstream::parse_json(data.as_bytes())?;
        self.on_event(event)
    }

    /// Translate one upstream event; an `error` event becomes `Err`.
    pub fn on_event(
        &mut self,
        event: wire::StreamEvent,
    ) -> Result<Vec<StreamEvent>, ProviderError> {
        let mut out = Vec::new();
        match event {
            wire::StreamEvent::MessageStart { message } => {
                self.usage = message.usage;
                self.saw_usage = true;
            }
            wire::StreamEvent::ContentBlockStart {
                index,
                content_block,
            } => self.block_start(index, content_block, &mut out),
            wire::StreamEvent::ContentBlockDelta { index, delta } => match delta {
                BlockDelta::TextDelta { text } if !text.is_empty() => {
                    out.push(StreamEvent::TextDelta { text });
                }
                BlockDelta::ThinkingDelta { thinking } if !thinking.is_empty() => {
                    out.push(StreamEvent::ReasoningDelta { text: thinking });
                }
                BlockDelta::InputJsonDelta { partial_json } if !partial_json.is_empty() => {
                    if let Some(Block::ToolUse { index }) = self.blocks.get(&index) {
                        out.push(StreamEvent::ToolCallDelta {
                            index: *index,
                            arguments: partial_json,
                        });
                    }
                }
                // The canonical stream has no place for a thinking signature yet (see the
                // adapter's notes); citations are not modelled.
                _ => {}
            },
            wire::StreamEvent::ContentBlockStop { index } => {
                self.blocks.remove(&index);
            }
            wire::StreamEvent::MessageDelta { delta, usage } => {
                if delta.stop_reason.is_some() {
                    self.stop_reason = delta.stop_reason;
                }
                self.usage.output_tokens = usage.output_tokens;
                if let Some(n) = usage.input_tokens {
                    self.usage.input_tokens = n;
                }
                if let Some(n) = usage.cache_creation_input_tokens {
                    self.usage.cache_creation_input_tokens = Some(n);
                }
                if let Some(n) = usage.cache_read_input_tokens {
                    self.usage.cache_read_input_tokens = Some(n);
                }
                if usage.output_tokens_details.is_some() {
                    self.usage.output_tokens_details = usage.output_tokens_details;
                }
                self.saw_usage = true;
            }
            wire::StreamEvent::MessageStop => {
                self.finished = true;
                out.push(StreamEvent::Finish {
                    reason: convert::finish_reason(self.stop_reason),
                });
                if self.saw_usage {
                    out.push(StreamEvent::Usage {
                        usage: convert::usage(&self.usage),
                    });
                }
            }
            wire::StreamEvent::Error { error } => return Err(errors::from_stream_event(&error)),
            wire::StreamEvent::Ping | wire::StreamEvent::Unknown => {}
        }
        Ok(out)
    }

    fn block_start(&mut self, index: u32, block: ContentBlock, out: &mut Vec<StreamEvent>) {
        let kind = match block {
            ContentBlock::ToolUse {
                id, name, input, ..
            } => {
                let tool = self.next_tool;
                self.next_tool += 1;
                out.push(StreamEvent::ToolCallStart {
                    index: tool,
                    id,
                    name,
                });
                // The start block normally has `input: {}` and the arguments follow as
                // deltas; pass on anything it already holds.
                if input.as_object().is_some_and(|o| !o.is_empty()) {
                    out.push(StreamEvent::ToolCallDelta {
                        index: tool,
                        arguments: input.to_string(),
                    });
                }
                Block::ToolUse { index: tool }
            }
            ContentBlock::Text { text, .. } => {
                if !text.is_empty() {
                    out.push(StreamEvent::TextDelta { text });
                }
                Block::Other
            }
            ContentBlock::Thinking { thinking, .. } => {
                if !thinking.is_empty() {
                    out.push(StreamEvent::ReasoningDelta { text: thinking });
                }
                Block::Other
            }
            _ => Block::Other,
        };
        self.blocks.insert(index, kind);
    }
}

/// The canonical event stream of an accepted (2xx) streaming response.
pub fn events(response: reqwest::Response, idle: Duration) -> EventStream {
    let sse = Box::pin(sse::events(upstream::body_stream(response, idle)));
    let state = (sse, Decoder::new(), VecDeque::new(), false);
    Box::pin(futures::stream::unfold(
        state,
        |(mut sse, mut decoder, mut pending, mut done)| async move {
            loop {
                if let Some(item) = pending.pop_front() {
                    return Some((item, (sse, decoder, pending, done)));
                }
                if done {
                    return None;
                }
                match sse.next().await {
                    None => {
                        done = true;
                        if !decoder.finished() {
                            pending.push_back(Err(ProviderError::new(
                                ErrorKind::UpstreamError,
                                "upstream stream was truncated: it ended before `message_stop`",
                            )));
                        }
                    }
                    Some(Err(SseStreamError::Transport(e))) => {
                        done = true;
                        pending.push_back(Err(e));
                    }
                    Some(Err(e @ SseStreamError::Protocol(_))) => {
                        done = true;
                        pending.push_back(Err(ProviderError::new(
                            ErrorKind::UpstreamError,
                            e.to_string(),
                        )));
                    }
                    Some(Ok(event)) if event.data.trim().is_empty() => {}
                    Some(Ok(event)) => match decoder.on_data(&event.data) {
                        Ok(events) => {
                            pending.extend(events.into_iter().map(Ok));
                            done = decoder.finished();
                        }
                        Err(e) => {
                            done = true;
                            pending.push_back(Err(e));
                        }
                    },
                }
            }
        },
    ))
}
