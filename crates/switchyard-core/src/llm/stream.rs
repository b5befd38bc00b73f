//! First-byte-aware failover for streams: a candidate is kept once its first event is
//! in hand — within the model's `time_to_first_token_ms`, if it has one — and nothing
//! has reached the client before that, so until then the next candidate may be tried.
//! The chosen stream carries its call guard to the end: its permit and in-flight counts
//! are held while it flows, and how it ends (cleanly, or broken) feeds health.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use switchyard_providers::{EventStream, ProviderError};
use switchyard_types::ErrorKind;
use switchyard_types::chat::ChatRequest;

use super::{LlmError, LlmService, Served, adapters, exhausted, failed, skipped, target};
use crate::estimate;
use crate::health::CallGuard;
use crate::routing::Route;

/// Open the first candidate stream that produces an event.
pub(super) async fn open(
    service: &LlmService,
    route: &Arc<Route>,
    request: &ChatRequest,
) -> Result<(EventStream, Served), LlmError> {
    let mut failures = Vec::new();
    let mut last_error = None;
    let mut calls = 0;
    for candidate in &route.candidates {
        if calls >= route.max_attempts {
            break;
        }
        let entry = route.entry(candidate);
        let Some(chat) = adapters(entry).and_then(|a| a.chat.clone()) else {
            failures.push(skipped(entry, "provider offers no chat adapter".into()));
            continue;
        };
        let mut guard = match service.admit(entry).await {
            Ok(guard) => guard,
            Err(refusal) => {
                failures.push(skipped(entry, refusal.to_string()));
                continue;
            }
        };
        calls += 1;
        let first = async {
            let mut stream = chat.chat_stream(target(entry), request).await?;
            match stream.next().await {
                Some(Ok(event)) => Ok((stream, event)),
                Some(Err(e)) => Err(e),
                None => Err(ProviderError::new(
                    ErrorKind::UpstreamError,
                    "upstream closed the stream before sending anything",
                )),
            }
        };
        let deadline = entry
            .model
            .time_to_first_token_ms
            .map(Duration::from_millis);
        let outcome = match deadline {
            Some(limit) => tokio::time::timeout(limit, first)
                .await
                .unwrap_or_else(|_| {
                    Err(ProviderError::new(
                        ErrorKind::Timeout,
                        format!("no first token within {} ms", limit.as_millis()),
                    ))
                }),
            None => first.await,
        };
        match outcome {
            Ok((rest, event)) => {
                guard.first_event();
                let whole: EventStream =
                    Box::pin(futures::stream::once(async move { Ok(event) }).chain(rest));
                let whole = guarded(whole, guard);
                let whole = estimate::with_usage(whole, entry.model.upstream_name.clone(), request);
                return Ok((whole, Served::new(route, entry, calls, failures)));
            }
            Err(error) => {
                guard.failed(&error);
                if !error.is_retryable() {
                    return Err(error.into());
                }
                failures.push(failed(entry, &error));
                last_error = Some(error);
            }
        }
    }
    Err(exhausted(route, last_error, &failures))
}

/// Pass `stream` through, booking how it ends on `guard` (dropped early: no verdict).
fn guarded(stream: EventStream, guard: CallGuard) -> EventStream {
    Box::pin(futures::stream::unfold(
        (stream, Some(guard)),
        |(mut stream, mut guard)| async move {
            match stream.next().await {
                Some(Ok(event)) => Some((Ok(event), (stream, guard))),
                Some(Err(error)) => {
                    if let Some(g) = guard.take() {
                        g.failed(&error);
                    }
                    Some((Err(error), (stream, guard)))
                }
                None => {
                    if let Some(g) = guard.take() {
                        g.succeeded();
                    }
                    None
                }
            }
        },
    ))
}
