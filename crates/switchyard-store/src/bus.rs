//! Pub/sub between the parts of a gateway and across replicas. Subscribers always read
//! an in-process broadcast channel per topic; with Redis configured, publishes go
//! through Redis (`PUBLISH switchyard:<topic>`) and one listener per process feeds
//! what arrives into the local channels — so every replica, this one included, sees
//! every message once. Without Redis the local channels are the whole bus.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::{RedisLink, StoreError};

/// Prefix of every Redis channel the gateway uses.
const PREFIX: &str = "switchyard:";
/// Messages a slow subscriber may fall behind by before it misses some.
const CAPACITY: usize = 1024;

type Topics = Arc<Mutex<HashMap<String, broadcast::Sender<String>>>>;

/// The message bus; clone it freely.
#[derive(Clone)]
pub struct Bus {
    topics: Topics,
    redis: Option<redis::aio::ConnectionManager>,
    _listener: Option<Arc<ListenerGuard>>,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus")
            .field("redis", &self.redis.is_some())
            .finish()
    }
}

/// Stops the Redis listener when the last clone of the bus is dropped.
struct ListenerGuard(CancellationToken);

impl Drop for ListenerGuard {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

fn deliver(topics: &Topics, topic: &str, payload: String) {
    if let Ok(topics) = topics.lock()
        && let Some(tx) = topics.get(topic)
    {
        // No receivers is fine: nobody is listening to that topic right now.
        let _ = tx.send(payload);
    }
}

impl Bus {
    /// A bus inside this process only.
    pub fn in_process() -> Self {
        Self {
            topics: Arc::default(),
            redis: None,
            _listener: None,
        }
    }

    /// A bus shared through Redis. Fails if Redis cannot be reached now; later outages
    /// are retried in the background (messages published meanwhile are lost, which
    /// subscribers tolerate: registry refreshes are also periodic, task events are
    /// also persisted).
    pub async fn redis(url: &str) -> Result<Self, StoreError> {
        Ok(Self::over(&RedisLink::connect(url).await?).await)
    }

    /// A bus over an established Redis link (publishes share its connection).
    pub async fn over(link: &RedisLink) -> Self {
        let (client, manager) = (link.client.clone(), link.manager.clone());
        let topics: Topics = Arc::default();
        let stop = CancellationToken::new();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        #[expect(
            clippy::disallowed_methods,
            reason = "the listener lives as long as the bus and stops when its guard drops; there is nothing to drain"
        )]
        tokio::spawn(listen(client, topics.clone(), stop.clone(), Some(ready_tx)));
        // Wait until the subscription is active so no early publish is missed.
        let _ = tokio::time::timeout(Duration::from_secs(5), ready_rx).await;
        Self {
            topics,
            redis: Some(manager),
            _listener: Some(Arc::new(ListenerGuard(stop))),
        }
    }

    /// Whether messages reach other replicas.
    pub fn is_shared(&self) -> bool {
        self.redis.is_some()
    }

    /// Send `payload` to every subscriber of `topic`, on every replica.
    pub async fn publish(&self, topic: &str, payload: &str) -> Result<(), StoreError> {
        match &self.redis {
            Some(manager) => {
                let mut conn = manager.clone();
                redis::cmd("PUBLISH")
                    .arg(format!("{PREFIX}{topic}"))
                    .arg(payload)
                    .query_async::<i64>(&mut conn)
                    .await
                    .map_err(|e| StoreError::Config(format!("redis publish failed: {e}")))?;
            }
            None => deliver(&self.topics, topic, payload.to_string()),
        }
        Ok(())
    }

    /// Receive what is published on `topic` from now on.
    pub fn subscribe(&self, topic: &str) -> broadcast::Receiver<String> {
        match self.topics.lock() {
            Ok(mut topics) => topics
                .entry(topic.to_string())
                .or_insert_with(|| broadcast::channel(CAPACITY).0)
                .subscribe(),
            // A poisoned lock means a panic elsewhere; a closed receiver is the honest answer.
            Err(_) => broadcast::channel(1).1,
        }
    }
}

/// Keep one pattern subscription alive, reconnecting with backoff.
async fn listen(
    client: redis::Client,
    topics: Topics,
    stop: CancellationToken,
    mut ready: Option<tokio::sync::oneshot::Sender<()>>,
) {
    let mut delay = Duration::from_millis(200);
    while !stop.is_cancelled() {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => {
                if let Err(error) = pubsub.psubscribe(format!("{PREFIX}*")).await {
                    tracing::warn!(%error, "redis subscribe failed");
                } else {
                    delay = Duration::from_millis(200);
                    if let Some(tx) = ready.take() {
                        let _ = tx.send(());
                    }
                    let mut messages = pubsub.on_message();
                    loop {
                        tokio::select! {
                            () = stop.cancelled() => return,
                            msg = messages.next() => match msg {
                                Some(msg) => {
                                    let channel = msg.get_channel_name().to_string();
                                    if let (Some(topic), Ok(payload)) =
                                        (channel.strip_prefix(PREFIX), msg.get_payload::<String>())
                                    {
                                        deliver(&topics, topic, payload);
                                    }
                                }
                                None => break,
                            }
                        }
                    }
                    tracing::warn!("redis pub/sub connection lost; reconnecting");
                }
            }
            Err(error) => tracing::warn!(%error, "cannot open redis pub/sub connection"),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn in_process_bus_delivers_to_every_subscriber_of_the_topic() {
        let bus = Bus::in_process();
        let mut a = bus.subscribe("registry");
        let mut b = bus.subscribe("registry");
        let mut other = bus.subscribe("tasks");
        bus.publish("registry", "changed").await.unwrap();
        assert_eq!(a.recv().await.unwrap(), "changed");
        assert_eq!(b.recv().await.unwrap(), "changed");
        assert!(other.try_recv().is_err());
    }

    #[tokio::test]
    async fn redis_bus_crosses_replicas() {
        let url = std::env::var("SWITCHYARD_TEST_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        let (one, two) = match (Bus::redis(&url).await, Bus::redis(&url).await) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => {
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("Redis unreachable under CI: {e}");
                }
                eprintln!("skipped: Redis unreachable: {e}");
                return;
            }
        };
        assert!(one.is_shared());
        let topic = format!("test-{}", uuid::Uuid::now_v7().simple());
        let mut on_one = one.subscribe(&topic);
        let mut on_two = two.subscribe(&topic);
        one.publish(&topic, "hello replicas").await.unwrap();
        let got = tokio::time::timeout(Duration::from_secs(5), on_two.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, "hello replicas");
        let own = tokio::time::timeout(Duration::from_secs(5), on_one.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            own, "hello replicas",
            "the publisher's own subscribers hear it once"
        );
        assert!(on_one.try_recv().is_err());
    }
}
