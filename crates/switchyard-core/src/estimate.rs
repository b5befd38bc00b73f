//! Usage when the upstream reports none, and the context-window check — both from the
//! gateway's own token counts (`switchyard_providers::tokens`).

use futures::StreamExt;
use switchyard_providers::EventStream;
use switchyard_providers::tokens::{self, Tokenizer};
use switchyard_types::chat::{ChatRequest, ChatResponse, StreamEvent, Usage, UsageSource};

/// Fill in an all-zero usage with the gateway's estimate.
pub fn complete_usage(upstream_model: &str, request: &ChatRequest, response: &mut ChatResponse) {
    let u = &response.usage;
    if u.input_tokens > 0 || u.output_tokens > 0 {
        return;
    }
    let tokenizer = Tokenizer::for_model(upstream_model);
    let mut output = tokenizer.count(&response.message.joined_text());
    for call in &response.message.tool_calls {
        output += tokenizer.count(&call.name) + tokenizer.count(&call.arguments);
    }
    response.usage = Usage {
        input_tokens: tokens::prompt_tokens(upstream_model, request),
        output_tokens: output,
        source: UsageSource::Estimated,
        ..Usage::default()
    };
}

/// Pass a stream through; if it ends cleanly without a `Usage` event, add an estimated
/// one before the end, so every stream is accounted.
pub fn with_usage(
    stream: EventStream,
    upstream_model: String,
    request: &ChatRequest,
) -> EventStream {
    struct State {
        stream: EventStream,
        upstream_model: String,
        // Counted only if the upstream turns out not to report usage.
        request: Box<ChatRequest>,
        text: String,
        seen_usage: bool,
        done: bool,
    }
    let state = State {
        stream,
        upstream_model,
        request: Box::new(request.clone()),
        text: String::new(),
        seen_usage: false,
        done: false,
    };
    Box::pin(futures::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        match st.stream.next().await {
            Some(Ok(event)) => {
                if !st.seen_usage {
                    match &event {
                        StreamEvent::TextDelta { text } | StreamEvent::ReasoningDelta { text } => {
                            st.text.push_str(text)
                        }
                        StreamEvent::ToolCallStart { name, .. } => st.text.push_str(name),
                        StreamEvent::ToolCallDelta { arguments, .. } => st.text.push_str(arguments),
                        StreamEvent::Usage { .. } => {
                            st.seen_usage = true;
                            st.text = String::new();
                        }
                        _ => {}
                    }
                }
                Some((Ok(event), st))
            }
            Some(Err(e)) => {
                st.done = true;
                Some((Err(e), st))
            }
            None if st.seen_usage => None,
            None => {
                let tokenizer = Tokenizer::for_model(&st.upstream_model);
                let usage = Usage {
                    input_tokens: tokens::prompt_tokens(&st.upstream_model, &st.request),
                    output_tokens: tokenizer.count(&st.text),
                    source: UsageSource::Estimated,
                    ..Usage::default()
                };
                st.done = true;
                Some((Ok(StreamEvent::Usage { usage }), st))
            }
        }
    }))
}

/// Prompt tokens of `request` for a model, or `None` when a cheap upper bound already
/// shows it fits `room` tokens (the common case: no tokenizer run at all).
pub fn prompt_tokens_if_tight(
    upstream_model: &str,
    request: &ChatRequest,
    room: u64,
) -> Option<u64> {
    if tokens::quick_upper_bound(request) <= room {
        return None;
    }
    Some(tokens::prompt_tokens(upstream_model, request))
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_types::chat::{FinishReason, Message, MessageRole};

    fn request() -> ChatRequest {
        ChatRequest {
            model: "m".into(),
            messages: vec![Message::text(MessageRole::User, "hello world")],
            ..ChatRequest::default()
        }
    }

    async fn collect(s: EventStream) -> Vec<StreamEvent> {
        s.map(|e| e.unwrap()).collect().await
    }

    #[tokio::test]
    async fn a_stream_without_usage_gets_an_estimate_and_one_with_keeps_its_own() {
        let events = vec![
            Ok(StreamEvent::TextDelta {
                text: "hello world".into(),
            }),
            Ok(StreamEvent::Finish {
                reason: FinishReason::Stop,
            }),
        ];
        let out = collect(with_usage(
            Box::pin(futures::stream::iter(events)),
            "gpt-4o".into(),
            &request(),
        ))
        .await;
        let Some(StreamEvent::Usage { usage }) = out.last() else {
            panic!("no usage: {out:?}")
        };
        assert_eq!(usage.output_tokens, 2);
        assert_eq!(
            usage.input_tokens,
            tokens::prompt_tokens("gpt-4o", &request())
        );
        assert_eq!(usage.source, UsageSource::Estimated);

        let reported = Usage {
            input_tokens: 7,
            output_tokens: 9,
            ..Usage::default()
        };
        let events = vec![
            Ok(StreamEvent::TextDelta { text: "x".into() }),
            Ok(StreamEvent::Usage {
                usage: reported.clone(),
            }),
        ];
        let out = collect(with_usage(
            Box::pin(futures::stream::iter(events)),
            "gpt-4o".into(),
            &request(),
        ))
        .await;
        assert_eq!(out.len(), 2);
        assert_eq!(out[1], StreamEvent::Usage { usage: reported });
    }

    #[test]
    fn zero_usage_is_completed_and_real_usage_kept() {
        let mut r = ChatResponse {
            id: "x".into(),
            model: "m".into(),
            message: Message::text(MessageRole::Assistant, "hello world"),
            finish_reason: FinishReason::Stop,
            usage: Usage::default(),
            created_at: 0,
        };
        complete_usage("gpt-4o-mini", &request(), &mut r);
        assert_eq!(r.usage.output_tokens, 2);
        assert_eq!(r.usage.source, UsageSource::Estimated);
        r.usage = Usage {
            input_tokens: 1,
            output_tokens: 1,
            ..Usage::default()
        };
        complete_usage("gpt-4o-mini", &request(), &mut r);
        assert_eq!(r.usage.input_tokens, 1);
    }
}
