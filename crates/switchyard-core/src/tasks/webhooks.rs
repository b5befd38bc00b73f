//! Signed webhooks: each task event goes to the task's `callback_url` as a JSON POST
//! with `x-switchyard-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`
//! under the gateway's webhook secret. Deliveries of one task run in order in a tracked
//! worker, never on the executor's path; failures are retried with exponential backoff,
//! and an event still undelivered when a newer one arrives gives way to the newer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use switchyard_providers::HttpClient;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{TaskEvent, TaskSettings};

/// Header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-switchyard-signature";
/// Header carrying the event name (`task.running`, `task.succeeded`, …).
pub const EVENT_HEADER: &str = "x-switchyard-event";

const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

type Queue = mpsc::UnboundedSender<(String, TaskEvent)>;

/// Delivers task events to callback URLs; cheap to clone.
#[derive(Clone)]
pub struct Webhooks {
    inner: Arc<Inner>,
}

struct Inner {
    http: HttpClient,
    secret: Vec<u8>,
    max_attempts: u32,
    timeout: Duration,
    tracker: TaskTracker,
    stop: CancellationToken,
    /// One ordered queue (and worker) per task with deliveries pending.
    queues: Mutex<HashMap<String, Queue>>,
}

impl Webhooks {
    /// Deliveries signed with `settings.webhook_secret`, run on `tracker`, abandoned
    /// when `stop` fires.
    pub(crate) fn new(
        http: HttpClient,
        settings: &TaskSettings,
        tracker: TaskTracker,
        stop: CancellationToken,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                http,
                secret: settings.webhook_secret.expose().as_bytes().to_vec(),
                max_attempts: settings.webhook_max_attempts.max(1),
                timeout: settings.webhook_timeout,
                tracker,
                stop,
                queues: Mutex::default(),
            }),
        }
    }

    /// Queue `event` of task `task_id` for `url`; returns at once.
    pub fn deliver(&self, task_id: &str, url: &str, event: &TaskEvent) {
        let Ok(mut queues) = self.inner.queues.lock() else {
            return;
        };
        let item = (url.to_string(), event.clone());
        let item = match queues.get(task_id) {
            Some(queue) => match queue.send(item) {
                Ok(()) => return,
                Err(mpsc::error::SendError(item)) => item,
            },
            None => item,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        if tx.send(item).is_err() {
            return;
        }
        queues.insert(task_id.to_string(), tx);
        let inner = self.inner.clone();
        let task_id = task_id.to_string();
        self.inner.tracker.spawn(worker(inner, task_id, rx));
    }
}

/// Deliver a task's events in order, each superseded by a newer one still queued.
async fn worker(
    inner: Arc<Inner>,
    task_id: String,
    mut rx: mpsc::UnboundedReceiver<(String, TaskEvent)>,
) {
    loop {
        let mut latest = None;
        while let Ok(item) = rx.try_recv() {
            latest = Some(item);
        }
        let Some((url, event)) = latest else {
            // Idle: leave, unless something arrived while we took the lock.
            let Ok(mut queues) = inner.queues.lock() else {
                return;
            };
            if rx.is_empty() {
                queues.remove(&task_id);
                return;
            }
            continue;
        };
        send(&inner, &task_id, &url, &event, &rx).await;
    }
}

/// One event with retries; gives up early on shutdown, on `410 Gone`, or when a newer
/// event is waiting.
async fn send(
    inner: &Inner,
    task_id: &str,
    url: &str,
    event: &TaskEvent,
    rx: &mpsc::UnboundedReceiver<(String, TaskEvent)>,
) {
    let body = match serde_json::to_vec(event) {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, "cannot encode a webhook body");
            return;
        }
    };
    let delivery = uuid::Uuid::now_v7().to_string();
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=inner.max_attempts {
        let now = switchyard_types::now_millis() / 1000;
        let request = inner
            .http
            .client()
            .post(url)
            .timeout(inner.timeout)
            .header("content-type", "application/json")
            .header(EVENT_HEADER, event.event.as_str())
            .header("x-switchyard-task-id", task_id)
            .header("x-switchyard-delivery", delivery.as_str())
            .header(SIGNATURE_HEADER, sign(&inner.secret, now, &body))
            .body(body.clone());
        let outcome = tokio::select! {
            r = request.send() => r,
            () = inner.stop.cancelled() => return,
        };
        match outcome {
            Ok(response) if response.status().is_success() => return,
            Ok(response) if response.status().as_u16() == 410 => {
                tracing::info!(task_id, "webhook receiver answered 410 Gone; not retrying");
                return;
            }
            Ok(response) => {
                let status = response.status().as_u16();
                tracing::warn!(task_id, status, attempt, "webhook delivery refused");
            }
            Err(error) => {
                // The error names the URL, which may carry a token: log its kind only.
                let timeout = error.is_timeout();
                tracing::warn!(task_id, timeout, attempt, "webhook delivery failed");
            }
        }
        if attempt == inner.max_attempts || !rx.is_empty() {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = inner.stop.cancelled() => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
        if !rx.is_empty() {
            break;
        }
    }
    if rx.is_empty() {
        tracing::warn!(task_id, event = %event.event, "webhook event not delivered");
    }
}

/// The signature header value for `body` sent at `timestamp` (Unix seconds).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex(&mac(secret, timestamp, body)))
}

/// Whether `header` is a valid signature of `body` under `secret`, made at most
/// `tolerance_s` seconds from `now` (Unix seconds). Constant-time comparison.
pub fn verify(secret: &[u8], header: &str, body: &[u8], now: i64, tolerance_s: i64) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.push(v.to_string()),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return false;
    };
    if (now - timestamp).abs() > tolerance_s {
        return false;
    }
    signatures.iter().any(|s| {
        let Some(bytes) = unhex(s) else { return false };
        let Ok(mut m) = Hmac::<Sha256>::new_from_slice(secret) else {
            return false;
        };
        m.update(format!("{timestamp}.").as_bytes());
        m.update(body);
        m.verify_slice(&bytes).is_ok()
    })
}

/// A webhook key derived from the master key (HMAC-SHA256 of a fixed label), for
/// gateways that configure none: the same on every replica sharing the master key.
pub fn derived_key(master: &[u8]) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(master) {
        Ok(mut m) => {
            m.update(b"switchyard webhook signing key v1");
            m.finalize().into_bytes().to_vec()
        }
        // HMAC takes keys of any length; this branch cannot be reached.
        Err(_) => master.to_vec(),
    }
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mut m) => {
            m.update(format!("{timestamp}.").as_bytes());
            m.update(body);
            m.finalize().into_bytes().to_vec()
        }
        // HMAC takes keys of any length; this branch cannot be reached.
        Err(_) => Vec::new(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_reject_tampering() {
        let secret = b"whsec_test";
        let body = br#"{"event":"task.succeeded"}"#;
        let header = sign(secret, 1_700_000_000, body);
        assert!(header.starts_with("t=1700000000,v1="));
        assert_eq!(header.len(), "t=1700000000,v1=".len() + 64);
        assert!(verify(secret, &header, body, 1_700_000_010, 300));
        assert!(
            !verify(secret, &header, b"{}", 1_700_000_010, 300),
            "body changed"
        );
        assert!(
            !verify(b"other", &header, body, 1_700_000_010, 300),
            "wrong secret"
        );
        assert!(
            !verify(secret, &header, body, 1_700_009_999, 300),
            "too old"
        );
        assert!(
            !verify(secret, "v1=00", body, 1_700_000_000, 300),
            "no timestamp"
        );
        // Known answers, computed independently (Python's hmac module).
        assert_eq!(
            sign(b"key", 0, b""),
            "t=0,v1=85841b4efc3cd7776c3c8f9b7cca9e281c550e5d19889d78e9e669c6337f000d"
        );
        assert_eq!(
            sign(secret, 1_700_000_000, br#"{"a":1}"#),
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }
}
