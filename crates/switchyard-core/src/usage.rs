//! Usage accounting off the request path: each served request hands one
//! [`UsageRecord`] to a bounded queue; a writer task stores them in batches and drains
//! the queue on shutdown, so no record is lost and no request waits on the database.

use std::time::Duration;

use futures::FutureExt;

use switchyard_store::Store;
use switchyard_types::UsageRecord;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Records waiting to be written before senders are slowed down.
const QUEUE: usize = 16_384;
/// Most records written in one batch.
const BATCH: usize = 500;
/// Longest a record waits for its batch to fill.
const LINGER: Duration = Duration::from_millis(200);

/// The sending side, cheap to clone into request handlers.
#[derive(Clone, Debug)]
pub struct UsageSink {
    tx: mpsc::Sender<UsageRecord>,
    tracker: TaskTracker,
}

impl UsageSink {
    /// Start the writer on `tracker`; it drains and stops when `shutdown` fires.
    pub fn start(store: Store, tracker: &TaskTracker, shutdown: CancellationToken) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tracker.spawn(writer(store, rx, shutdown));
        Self {
            tx,
            tracker: tracker.clone(),
        }
    }

    /// Run follow-up work of a request (settling quotas) on the tracked task set, so
    /// shutdown waits for it.
    pub fn spawn<F: std::future::Future<Output = ()> + Send + 'static>(&self, work: F) {
        self.tracker.spawn(work);
    }

    /// Wait for room in the queue and hold it: the request that holds the slot can then
    /// queue its record at the end without waiting or failing. This is where a writer
    /// that falls behind slows requests down instead of letting memory grow.
    pub async fn reserve_slot(&self) -> Option<mpsc::OwnedPermit<UsageRecord>> {
        self.tx.clone().reserve_owned().await.ok()
    }

    /// Queue a record. Never blocks the caller: when the queue is full the record waits
    /// in a tracked task instead of being dropped.
    pub fn record(&self, record: UsageRecord) {
        match self.tx.try_send(record) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(record)) => {
                let tx = self.tx.clone();
                self.tracker.spawn(async move {
                    if tx.send(record).await.is_err() {
                        tracing::error!("usage writer stopped; one usage record lost");
                    }
                });
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::error!("usage writer stopped; one usage record lost");
            }
        }
    }
}

async fn writer(store: Store, mut rx: mpsc::Receiver<UsageRecord>, shutdown: CancellationToken) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let first = tokio::select! {
            r = rx.recv() => r,
            () = shutdown.cancelled() => {
                rx.close();
                rx.recv().await
            }
        };
        let Some(first) = first else { break };
        batch.push(first);
        let deadline = tokio::time::Instant::now() + LINGER;
        while batch.len() < BATCH {
            // Take whatever is queued at once; wait (up to the linger) only when empty.
            let room = BATCH - batch.len();
            if rx
                .recv_many(&mut batch, room)
                .now_or_never()
                .is_some_and(|n| n > 0)
            {
                continue;
            }
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(r)) => batch.push(r),
                Ok(None) | Err(_) => break,
            }
        }
        write(&store, &mut batch, &shutdown).await;
    }
    if !batch.is_empty() {
        write(&store, &mut batch, &shutdown).await;
    }
}

/// Write a batch, retrying with backoff; inserts are idempotent by record id, so a
/// retry after a lost acknowledgement cannot double count.
async fn write(store: &Store, batch: &mut Vec<UsageRecord>, shutdown: &CancellationToken) {
    let mut delay = Duration::from_millis(100);
    for attempt in 1.. {
        match store.usage().insert_batch(batch).await {
            Ok(_) => {
                batch.clear();
                return;
            }
            Err(error) if shutdown.is_cancelled() && attempt >= 5 => {
                tracing::error!(%error, lost = batch.len(), "cannot write usage records at shutdown");
                batch.clear();
                return;
            }
            Err(error) => {
                tracing::warn!(%error, pending = batch.len(), attempt, "usage write failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}
