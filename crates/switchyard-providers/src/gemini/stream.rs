//! Gemini's `streamGenerateContent?alt=sse` → canonical [`StreamEvent`]s, each emitted
//! as its chunk arrives. Every `data:` is a whole `GenerateContentResponse` holding the
//! new text; function calls arrive whole (→ `ToolCallStart` + one `ToolCallDelta`);
//! usage is cumulative. There is no terminator event: the chunk carrying a
//! `finishReason` is the last one, so a stream that ends before it is truncated.

use std::collections::VecDeque;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use serde_json::json;
use switchyard_types::ErrorKind;
use switchyard_types::chat::StreamEvent;

use super::errors;
use super::response::{finish_reason, id_tag, no_candidates, tool_call_id, usage};
use super::wire::{GenerateContentResponse, UsageMetadata};
use crate::sse::{self, SseStreamError};
use crate::{EventStream, ProviderError};

type Item = Result<StreamEvent, ProviderError>;

/// Translates chunks one at a time; after a terminal item it is `done`.
#[derive(Debug, Default)]
pub struct Translator {
    tag: Option<String>,
    tool_calls: u32,
    usage: Option<UsageMetadata>,
    done: bool,
}

impl Translator {
    /// A translator for a new stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the stream has ended (finished, or failed).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The events one `data:` payload produces.
    pub fn chunk(&mut self, data: &str) -> Vec<Item> {
        if self.done || data.trim().is_empty() {
            return Vec::new();
        }
        let chunk: GenerateContentResponse = match crate::upstream::parse_json(data.as_bytes()) {
            Ok(c) => c,
            Err(e) => return self.fail(e),
        };
        if let Some(rpc) = &chunk.error {
            return self.fail(errors::from_stream(rpc));
        }
        if chunk.candidates.is_empty() {
            let blocked = chunk
                .prompt_feedback
                .as_ref()
                .is_some_and(|f| f.block_reason.is_some());
            if blocked {
                return self.fail(no_candidates(&chunk));
            }
        }
        if let Some(meta) = chunk.usage_metadata {
            self.usage = Some(meta);
        }
        let tag = self
            .tag
            .get_or_insert_with(|| id_tag(chunk.response_id.as_deref()))
            .clone();
        let mut out = Vec::new();
        let Some(candidate) = chunk.candidates.into_iter().next() else {
            return out;
        };
        for part in candidate.content.map(|c| c.parts).unwrap_or_default() {
            if let Some(call) = part.function_call {
                let index = self.tool_calls;
                self.tool_calls += 1;
                let sig = part.thought_signature.as_deref();
                out.push(Ok(StreamEvent::ToolCallStart {
                    index,
                    id: tool_call_id(call.id.as_deref(), &tag, index, sig),
                    name: call.name,
                }));
                out.push(Ok(StreamEvent::ToolCallDelta {
                    index,
                    arguments: call.args.unwrap_or_else(|| json!({})).to_string(),
                }));
            } else if let Some(text) = part.text.filter(|t| !t.is_empty()) {
                out.push(Ok(if part.thought == Some(true) {
                    StreamEvent::ReasoningDelta { text }
                } else {
                    StreamEvent::TextDelta { text }
                }));
            }
        }
        if let Some(reason) = candidate.finish_reason {
            out.push(Ok(StreamEvent::Finish {
                reason: finish_reason(&reason, self.tool_calls > 0),
            }));
            if let Some(meta) = &self.usage {
                out.push(Ok(StreamEvent::Usage { usage: usage(meta) }));
            }
            self.done = true;
        }
        out
    }

    /// The item for the end of the body: an error unless the last chunk was seen.
    pub fn end(&mut self) -> Option<Item> {
        if self.done {
            return None;
        }
        self.done = true;
        Some(Err(ProviderError::new(
            ErrorKind::UpstreamError,
            "upstream stream was truncated: it ended before a chunk with a finishReason",
        )))
    }

    fn fail(&mut self, error: ProviderError) -> Vec<Item> {
        self.done = true;
        vec![Err(error)]
    }
}

/// Canonical events from a streamed body; stops reading once the stream is done.
pub fn events<S>(body: S) -> EventStream
where
    S: Stream<Item = Result<Bytes, ProviderError>> + Send + Unpin + 'static,
{
    let state = (
        Box::pin(sse::events(body)),
        Translator::new(),
        VecDeque::<Item>::new(),
    );
    Box::pin(futures::stream::unfold(
        state,
        |(mut sse, mut translator, mut ready)| async move {
            loop {
                if let Some(item) = ready.pop_front() {
                    return Some((item, (sse, translator, ready)));
                }
                if translator.is_done() {
                    return None;
                }
                match sse.next().await {
                    Some(Ok(event)) => ready.extend(translator.chunk(&event.data)),
                    Some(Err(SseStreamError::Transport(e))) => {
                        translator.done = true;
                        ready.push_back(Err(ProviderError {
                            message: format!("stream interrupted: {}", e.message),
                            ..e
                        }));
                    }
                    Some(Err(SseStreamError::Protocol(e))) => {
                        translator.done = true;
                        ready.push_back(Err(ProviderError::new(
                            ErrorKind::UpstreamError,
                            format!("malformed event stream: {e}"),
                        )));
                    }
                    None => ready.extend(translator.end()),
                }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_after_the_finish_are_ignored_and_truncation_is_reported() {
        let mut t = Translator::new();
        let first =
            t.chunk(r#"{"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"}}]}"#);
        assert!(matches!(&first[..], [Ok(StreamEvent::TextDelta { .. })]));
        assert!(matches!(t.end(), Some(Err(e)) if e.kind == ErrorKind::UpstreamError));
        assert!(t.chunk(r#"{"candidates":[]}"#).is_empty());
        let mut t = Translator::new();
        assert!(
            matches!(&t.chunk("{not json")[..], [Err(e)] if e.kind == ErrorKind::UpstreamError)
        );
        assert!(t.is_done());
    }
}
