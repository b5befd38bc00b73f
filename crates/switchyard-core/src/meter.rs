//! Per-request accounting: a [`Meter`] follows one AI request from arrival to its last
//! byte and hands exactly one usage record to the [`UsageSink`] — also when the client
//! goes away mid-stream (status 499, with the usage seen so far).

use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use switchyard_providers::EventStream;
use switchyard_types::chat::{StreamEvent, Usage};
use switchyard_types::{ErrorKind, Identity, UsageRecord, now_millis};

use crate::governance::Admission;
use crate::llm::Served;
use crate::usage::UsageSink;

/// Status recorded for a request whose client disconnected before the end (nginx's code).
pub const CLIENT_CLOSED: u16 = 499;

/// Sees every call the gateway pipeline makes (ARCHITECTURE.md, "The request
/// pipeline"): where prompt logging, metrics and caching plug in. Every method defaults
/// to doing nothing.
pub trait Observer: Send + Sync {
    /// A chat request arrived at `endpoint` and is about to be admitted.
    fn chat_request(&self, _endpoint: &str, _request: &switchyard_types::chat::ChatRequest) {}
    /// A request ended and this record is being written.
    fn finished(&self, _record: &UsageRecord) {}
}

/// Accounting for one request; records on `finish`, or on drop if never finished.
pub struct Meter {
    sink: UsageSink,
    record: UsageRecord,
    served: Option<Served>,
    usage: Option<Usage>,
    extra_cost: f64,
    streamed_chars: u64,
    started: Instant,
    finished: bool,
    admission: Option<Admission>,
    slot: Option<tokio::sync::mpsc::OwnedPermit<UsageRecord>>,
    observer: Option<Arc<dyn Observer>>,
}

impl Meter {
    /// Start metering a request for `model` at `endpoint` (e.g. `chat.completions`).
    pub fn start(
        sink: &UsageSink,
        request_id: &str,
        identity: &Identity,
        endpoint: &str,
        model: &str,
    ) -> Self {
        Self {
            sink: sink.clone(),
            record: UsageRecord {
                id: uuid::Uuid::now_v7().to_string(),
                request_id: request_id.to_string(),
                key_id: Some(identity.key_id.clone()),
                user_id: Some(identity.user_id.clone()),
                team_id: identity.team_id.clone(),
                model: model.to_string(),
                provider: String::new(),
                endpoint: endpoint.to_string(),
                input_tokens: 0,
                output_tokens: 0,
                cached_input_tokens: 0,
                reasoning_tokens: 0,
                cost_usd: 0.0,
                latency_ms: 0,
                ttft_ms: None,
                status: 0,
                error_kind: None,
                created_at: now_millis(),
            },
            served: None,
            usage: None,
            extra_cost: 0.0,
            streamed_chars: 0,
            started: Instant::now(),
            finished: false,
            admission: None,
            slot: None,
            observer: None,
        }
    }

    /// Show the record to `observer` when it is written.
    #[must_use]
    pub fn observed_by(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Hold a place in the usage queue for this request's record (waits while the
    /// writer is behind), so recording at the end never waits and never grows memory.
    pub async fn reserve_slot(&mut self) {
        if self.slot.is_none() {
            self.slot = self.sink.reserve_slot().await;
        }
    }

    /// Hold the request's quota reservations; they are settled when the meter records.
    pub fn hold(&mut self, admission: Admission) {
        self.admission = Some(admission);
    }

    /// Which provider and model answered.
    pub fn served(&mut self, served: &Served) {
        self.record.provider = served.provider.clone();
        self.record.model = served.model.clone();
        self.served = Some(served.clone());
    }

    /// The response's usage, as reported or estimated.
    pub fn usage(&mut self, usage: &Usage) {
        self.usage = Some(usage.clone());
    }

    /// Charge `count` generated images at the serving model's per-image price.
    pub fn images(&mut self, count: usize) {
        if let Some(served) = self.served.as_ref().filter(|s| !s.free_tier) {
            self.extra_cost += served.pricing.cost_per_image.unwrap_or(0.0) * count as f64;
        }
    }

    /// Mark the moment the first token reached the client.
    pub fn first_token(&mut self) {
        if self.record.ttft_ms.is_none() {
            self.record.ttft_ms = Some(elapsed_ms(self.started));
        }
    }

    /// Record the outcome now.
    pub fn finish(mut self, status: u16, error_kind: Option<ErrorKind>) {
        self.write(status, error_kind);
    }

    fn write(&mut self, status: u16, error_kind: Option<ErrorKind>) {
        if std::mem::replace(&mut self.finished, true) {
            return;
        }
        let usage = self.usage.take().unwrap_or_else(|| Usage {
            // The stream ended before the provider reported usage: estimate what was sent.
            output_tokens: self.streamed_chars.div_ceil(4),
            ..Usage::default()
        });
        let record = &mut self.record;
        record.input_tokens = usage.input_tokens;
        record.output_tokens = usage.output_tokens;
        record.cached_input_tokens = usage.cached_input_tokens;
        record.reasoning_tokens = usage.reasoning_tokens;
        record.cost_usd = self.served.as_ref().map_or(0.0, |s| s.cost(&usage)) + self.extra_cost;
        record.latency_ms = elapsed_ms(self.started);
        record.status = status;
        record.error_kind = error_kind;
        if let Some(admission) = self.admission.take() {
            let (tokens, cost) = (record.input_tokens + record.output_tokens, record.cost_usd);
            self.sink.spawn(admission.settle(tokens, cost, status));
        }
        if let Some(observer) = &self.observer {
            observer.finished(record);
        }
        match self.slot.take() {
            Some(slot) => {
                slot.send(record.clone());
            }
            None => self.sink.record(record.clone()),
        }
    }

    fn observe(&mut self, event: &StreamEvent) {
        match event {
            StreamEvent::TextDelta { text } | StreamEvent::ReasoningDelta { text } => {
                self.first_token();
                self.streamed_chars += text.len() as u64;
            }
            StreamEvent::ToolCallStart { .. } => self.first_token(),
            StreamEvent::ToolCallDelta { arguments, .. } => {
                self.streamed_chars += arguments.len() as u64;
            }
            StreamEvent::Usage { usage } => self.usage(usage),
            StreamEvent::Finish { .. } | StreamEvent::Error { .. } => {}
        }
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        self.write(CLIENT_CLOSED, None);
    }
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Wrap a stream so the meter sees every event and records when the stream ends —
/// 200, or the error's kind, or 499 if the client drops the stream first (dropping it
/// also drops the upstream connection).
pub fn metered(events: EventStream, meter: Meter) -> EventStream {
    Box::pin(futures::stream::unfold(
        (events, Some(meter)),
        |(mut events, mut meter)| async move {
            let item = events.next().await;
            match (&item, meter.as_mut()) {
                (Some(Ok(event)), Some(m)) => m.observe(event),
                (Some(Err(e)), Some(_)) => {
                    if let Some(m) = meter.take() {
                        m.finish(e.kind.http_status(), Some(e.kind));
                    }
                }
                (None, Some(_)) => {
                    if let Some(m) = meter.take() {
                        m.finish(200, None);
                    }
                }
                _ => {}
            }
            item.map(|i| (i, (events, meter)))
        },
    ))
}
