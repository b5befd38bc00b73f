//! OpenAI-style SSE chunks → canonical [`StreamEvent`]s, each as it arrives. Text,
//! reasoning and tool-call fragments pass straight through; `Finish` goes out when the
//! finish reason arrives, `Usage` (the last usage seen) just before the end. The stream
//! is complete only at `data: [DONE]`: anything else ending it is an `Err`.

use std::collections::VecDeque;
use std::time::Duration;

use futures::{Stream, StreamExt};
use serde_json::Value;
use switchyard_types::ErrorKind;
use switchyard_types::chat::{ChatRequest, ContentPart, FinishReason, StreamEvent, Usage};

use super::{convert, wire};
use crate::sse::{SseEvent, SseStreamError};
use crate::{EventStream, ProviderError, classify, sse, upstream};

type Item = Result<StreamEvent, ProviderError>;

/// The canonical events of an accepted (2xx) streaming response.
pub fn events(response: reqwest::Response, idle: Duration) -> EventStream {
    from_sse(sse::events(upstream::body_stream(response, idle)))
}

/// Whether an accepted response is an event stream (some servers ignore `stream` and
/// answer with one JSON body).
pub fn is_event_stream(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| !t.trim_start().starts_with("application/json"))
}

/// The events of a whole JSON answer to a streaming request: a completion replayed as
/// events, or an `{"error":…}` body as the classified error.
pub fn from_whole_body(body: &[u8], request: &ChatRequest) -> Result<EventStream, ProviderError> {
    let value: Value = upstream::parse_json(body)?;
    if let Some(error) = value.get("error").filter(|e| !e.is_null()) {
        return Err(error_event(error));
    }
    let completion: wire::ChatCompletion = upstream::parse_json(body)?;
    let reported = completion.usage.is_some();
    let r = convert::chat_response(completion, "", request)?;
    let mut events = Vec::new();
    for part in r.message.content {
        match part {
            ContentPart::Reasoning { text, .. } => {
                events.push(StreamEvent::ReasoningDelta { text })
            }
            ContentPart::Text { text } if !text.is_empty() => {
                events.push(StreamEvent::TextDelta { text });
            }
            _ => {}
        }
    }
    for (i, call) in r.message.tool_calls.into_iter().enumerate() {
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        events.push(StreamEvent::ToolCallStart {
            index,
            id: call.id,
            name: call.name,
        });
        events.push(StreamEvent::ToolCallDelta {
            index,
            arguments: call.arguments,
        });
    }
    events.push(StreamEvent::Finish {
        reason: r.finish_reason,
    });
    if reported {
        events.push(StreamEvent::Usage { usage: r.usage });
    }
    Ok(Box::pin(futures::stream::iter(events.into_iter().map(Ok))))
}

/// The canonical events of any OpenAI-style SSE event stream.
pub fn from_sse<S>(events: S) -> EventStream
where
    S: Stream<Item = Result<SseEvent, SseStreamError<ProviderError>>> + Send + 'static,
{
    let state = (Box::pin(events), ChunkDecoder::default(), VecDeque::new());
    Box::pin(futures::stream::unfold(
        state,
        |(mut events, mut decoder, mut ready)| async move {
            loop {
                if let Some(item) = ready.pop_front() {
                    return Some((item, (events, decoder, ready)));
                }
                if decoder.is_over() {
                    return None;
                }
                match events.next().await {
                    Some(Ok(event)) => decoder.feed(&event.data, &mut ready),
                    Some(Err(SseStreamError::Transport(e))) => decoder.fail(e, &mut ready),
                    Some(Err(SseStreamError::Protocol(e))) => decoder.fail(
                        ProviderError::new(ErrorKind::UpstreamError, format!("upstream {e}")),
                        &mut ready,
                    ),
                    None => decoder.fail(
                        ProviderError::new(
                            ErrorKind::UpstreamError,
                            "upstream stream was truncated: it ended without `data: [DONE]`",
                        ),
                        &mut ready,
                    ),
                }
            }
        },
    ))
}

/// A tool call seen in the stream.
#[derive(Debug, Default)]
struct Call {
    index: u32,
    id: Option<String>,
    started: bool,
    /// Argument fragments that came before the call's name.
    pending: String,
}

/// The per-stream state: which tool calls started, whether the finish went out, the
/// latest usage, and whether the stream is over.
#[derive(Debug, Default)]
pub struct ChunkDecoder {
    calls: Vec<Call>,
    finished: bool,
    usage: Option<Usage>,
    over: bool,
}

impl ChunkDecoder {
    /// Whether the stream ended (at `[DONE]` or with an error).
    pub fn is_over(&self) -> bool {
        self.over
    }

    /// End the stream with an error.
    pub fn fail(&mut self, error: ProviderError, out: &mut VecDeque<Item>) {
        out.push_back(Err(error));
        self.over = true;
    }

    /// Decode one event's `data` and queue what it produced.
    pub fn feed(&mut self, data: &str, out: &mut VecDeque<Item>) {
        let data = data.trim();
        if self.over || data.is_empty() {
            return;
        }
        if data == "[DONE]" {
            if !self.finished {
                let reason = convert::finish(None, self.calls.iter().any(|c| c.started));
                out.push_back(Ok(StreamEvent::Finish { reason }));
            }
            if let Some(usage) = self.usage.take() {
                out.push_back(Ok(StreamEvent::Usage { usage }));
            }
            self.over = true;
            return;
        }
        let chunk: wire::ChatCompletionChunk = match upstream::parse_json(data.as_bytes()) {
            Ok(c) => c,
            Err(e) => return self.fail(e, out),
        };
        if let Some(error) = chunk.error.as_ref().filter(|e| !e.is_null()) {
            return self.fail(error_event(error), out);
        }
        for choice in chunk.choices.iter().filter(|c| c.index == 0) {
            self.choice(choice, out);
        }
        let usage = chunk.usage.or_else(|| chunk.x_groq.and_then(|x| x.usage));
        if let Some(u) = usage {
            self.usage = Some(convert::usage(&u));
        }
    }

    fn choice(&mut self, choice: &wire::ChunkChoice, out: &mut VecDeque<Item>) {
        let delta = &choice.delta;
        let reasoning = delta
            .reasoning_content
            .as_ref()
            .or(delta.reasoning.as_ref());
        if let Some(text) = reasoning.filter(|t| !t.is_empty()) {
            out.push_back(Ok(StreamEvent::ReasoningDelta { text: text.clone() }));
        }
        for text in [&delta.content, &delta.refusal].into_iter().flatten() {
            if !text.is_empty() {
                out.push_back(Ok(StreamEvent::TextDelta { text: text.clone() }));
            }
        }
        for (position, fragment) in delta.tool_calls.iter().enumerate() {
            let index = fragment
                .index
                .unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX));
            self.tool_fragment(index, fragment, out);
        }
        if let Some(reason) = choice.finish_reason.as_deref().filter(|r| !r.is_empty())
            && !self.finished
        {
            let made_calls = self.calls.iter().any(|c| c.started);
            let reason: FinishReason = convert::finish(Some(reason), made_calls);
            out.push_back(Ok(StreamEvent::Finish { reason }));
            self.finished = true;
        }
    }

    fn tool_fragment(
        &mut self,
        index: u32,
        fragment: &wire::ToolCallDelta,
        out: &mut VecDeque<Item>,
    ) {
        let pos = match self.calls.iter().position(|c| c.index == index) {
            Some(p) => p,
            None => {
                self.calls.push(Call {
                    index,
                    ..Call::default()
                });
                self.calls.len() - 1
            }
        };
        let call = &mut self.calls[pos];
        if call.id.is_none() {
            call.id = fragment.id.clone().filter(|id| !id.is_empty());
        }
        let arguments = fragment.function.arguments.as_deref().unwrap_or_default();
        if call.started {
            if !arguments.is_empty() {
                out.push_back(Ok(StreamEvent::ToolCallDelta {
                    index,
                    arguments: arguments.to_string(),
                }));
            }
            return;
        }
        call.pending.push_str(arguments);
        let Some(name) = fragment.function.name.as_ref().filter(|n| !n.is_empty()) else {
            return;
        };
        call.started = true;
        out.push_back(Ok(StreamEvent::ToolCallStart {
            index,
            id: call.id.clone().unwrap_or_else(|| format!("call_{index}")),
            name: name.clone(),
        }));
        if !call.pending.is_empty() {
            out.push_back(Ok(StreamEvent::ToolCallDelta {
                index,
                arguments: std::mem::take(&mut call.pending),
            }));
        }
    }
}

/// Classify a mid-stream `{"error":{…}}` by its `code` / `type` and text.
pub fn error_event(error: &Value) -> ProviderError {
    let text = error.to_string();
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .or_else(|| error.as_str())
        .unwrap_or("upstream reported an error mid-stream")
        .to_string();
    let word = |key: &str| {
        error
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let numeric = error
        .get("code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (400..600).contains(c));
    let status = numeric.unwrap_or_else(|| {
        let (kind, code) = (word("type"), word("code"));
        let any = |words: &[&str]| words.iter().any(|w| kind == *w || code == *w);
        if any(&[
            "rate_limit_exceeded",
            "requests",
            "tokens",
            "insufficient_quota",
            "rate_limit_error",
        ]) {
            429
        } else if any(&[
            "invalid_api_key",
            "authentication_error",
            "permission_error",
        ]) {
            401
        } else if any(&["invalid_request_error", "bad_request"]) {
            400
        } else if any(&[
            "overloaded",
            "overloaded_error",
            "slow_down",
            "unavailable_error",
        ]) {
            503
        } else {
            500
        }
    });
    let mut e = ProviderError::new(
        classify::kind_of(status, &text.to_ascii_lowercase()),
        message,
    );
    e.status = numeric;
    e
}
