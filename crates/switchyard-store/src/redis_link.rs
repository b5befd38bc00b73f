//! One Redis connection set-up shared by the bus and the counters: a client (for the
//! bus's dedicated pub/sub connection) and a multiplexed, self-reconnecting manager.

use std::time::Duration;

use crate::StoreError;

/// A reachable Redis: its client and one shared connection manager.
#[derive(Clone)]
pub struct RedisLink {
    pub(crate) client: redis::Client,
    pub(crate) manager: redis::aio::ConnectionManager,
}

impl std::fmt::Debug for RedisLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedisLink")
    }
}

impl RedisLink {
    /// Connect; fails if Redis does not answer within 5 s. Later outages are retried
    /// by the connection manager.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let client =
            redis::Client::open(url).map_err(|e| StoreError::Config(format!("redis url: {e}")))?;
        let manager = tokio::time::timeout(Duration::from_secs(5), client.get_connection_manager())
            .await
            .map_err(|_| StoreError::Config("redis did not answer within 5 s".into()))?
            .map_err(|e| StoreError::Config(format!("cannot connect to redis: {e}")))?;
        Ok(Self { client, manager })
    }
}
