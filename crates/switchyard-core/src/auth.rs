//! Authentication: a presented API key becomes an [`Identity`]. Verified keys are
//! cached briefly so the request path does not query the database every time.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use switchyard_store::{Store, StoreError};
use switchyard_types::{ApiKey, Identity, now_millis};
use tokio_util::task::TaskTracker;

use crate::keys;

/// How long a verified key is trusted without asking the database again.
const CACHE_TTL: Duration = Duration::from_secs(30);
/// Upper bound on cached keys, so a flood of distinct keys cannot grow memory.
const CACHE_MAX: usize = 10_000;
/// `last_used_at` is written at most this often per key, off the request path.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// Why a request is not authenticated (always a 401).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("missing API key: send `Authorization: Bearer <key>` or `x-api-key`")]
    Missing,
    #[error("invalid API key")]
    Invalid,
    #[error("API key has expired")]
    Expired,
    #[error("API key is disabled")]
    Disabled,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A verified key: who it is, when the key expires, and when it was verified.
type CachedKey = (Identity, Option<i64>, Instant);

/// Verifies API keys against the store, with a small in-memory cache.
pub struct Authenticator {
    store: Store,
    cache: RwLock<HashMap<Vec<u8>, CachedKey>>,
    /// When each key's `last_used_at` was last written by this process.
    touched: Mutex<HashMap<String, Instant>>,
    tracker: TaskTracker,
}

impl Authenticator {
    /// An authenticator over the given store; `last_used_at` updates run on `tracker`.
    pub fn new(store: Store, tracker: TaskTracker) -> Self {
        Self {
            store,
            cache: RwLock::new(HashMap::new()),
            touched: Mutex::new(HashMap::new()),
            tracker,
        }
    }

    /// Note that `key_id` was used: its `last_used_at` is written in the background,
    /// at most once a minute per key, so the request path never waits for it.
    fn touch(&self, key_id: &str) {
        let now = Instant::now();
        {
            let Ok(mut touched) = self.touched.lock() else {
                return;
            };
            if touched
                .get(key_id)
                .is_some_and(|at| now.duration_since(*at) < TOUCH_EVERY)
            {
                return;
            }
            if touched.len() >= CACHE_MAX {
                touched.retain(|_, at| now.duration_since(*at) < TOUCH_EVERY);
            }
            touched.insert(key_id.to_string(), now);
        }
        let store = self.store.clone();
        let key_id = key_id.to_string();
        self.tracker.spawn(async move {
            if let Err(error) = store
                .api_keys()
                .touch_last_used(&key_id, now_millis())
                .await
            {
                tracing::warn!(%error, key = %key_id, "cannot record a key's last use");
            }
        });
    }

    /// Resolve a presented key to the caller's identity.
    pub async fn authenticate(&self, presented: &str) -> Result<Identity, AuthError> {
        let identity = self.verify(presented).await?;
        self.touch(&identity.key_id);
        Ok(identity)
    }

    async fn verify(&self, presented: &str) -> Result<Identity, AuthError> {
        if presented.is_empty() {
            return Err(AuthError::Missing);
        }
        let digest = keys::hash(presented);
        if let Some(identity) = self.cached(&digest) {
            return identity;
        }
        for (key, stored_hash) in self
            .store
            .api_keys()
            .find_by_prefix(keys::lookup_prefix(presented))
            .await?
        {
            if !keys::verify(presented, &stored_hash) {
                continue;
            }
            if !key.enabled {
                return Err(AuthError::Disabled);
            }
            if key.expires_at.is_some_and(|t| t <= now_millis()) {
                return Err(AuthError::Expired);
            }
            let expires_at = key.expires_at;
            let identity = self.identity_of(key).await?;
            self.remember(digest, identity.clone(), expires_at);
            return Ok(identity);
        }
        Err(AuthError::Invalid)
    }

    /// The identity behind a verified JWT: the key it was issued for must still be
    /// enabled and unexpired, and its current role (not the token's) applies.
    pub async fn authenticate_key_id(&self, key_id: &str) -> Result<Identity, AuthError> {
        let identity = self.verify_key_id(key_id).await?;
        self.touch(&identity.key_id);
        Ok(identity)
    }

    async fn verify_key_id(&self, key_id: &str) -> Result<Identity, AuthError> {
        let digest = format!("jwt:{key_id}").into_bytes();
        if let Some(identity) = self.cached(&digest) {
            return identity;
        }
        let key = self
            .store
            .api_keys()
            .get(key_id)
            .await?
            .ok_or(AuthError::Invalid)?;
        if !key.enabled {
            return Err(AuthError::Disabled);
        }
        if key.expires_at.is_some_and(|t| t <= now_millis()) {
            return Err(AuthError::Expired);
        }
        let expires_at = key.expires_at;
        let identity = self.identity_of(key).await?;
        self.remember(digest, identity.clone(), expires_at);
        Ok(identity)
    }

    async fn identity_of(&self, key: ApiKey) -> Result<Identity, AuthError> {
        let team_id = match self.store.users().get(&key.user_id).await? {
            Some(user) => user.team_id,
            None => return Err(AuthError::Invalid),
        };
        Ok(Identity {
            key_id: key.id,
            user_id: key.user_id,
            team_id,
            role: key.role,
            allowed_models: key.allowed_models,
            rate_limit_rpm: key.rate_limit_rpm,
            rate_limit_tpm: key.rate_limit_tpm,
        })
    }

    /// Forget every cached key (after any change to keys or users).
    pub fn invalidate(&self) {
        if let Ok(mut cache) = self.cache.write() {
            cache.clear();
        }
    }

    fn cached(&self, digest: &[u8]) -> Option<Result<Identity, AuthError>> {
        let cache = self.cache.read().ok()?;
        let (identity, expires_at, at) = cache.get(digest)?;
        if at.elapsed() > CACHE_TTL {
            return None;
        }
        if expires_at.is_some_and(|t| t <= now_millis()) {
            return Some(Err(AuthError::Expired));
        }
        Some(Ok(identity.clone()))
    }

    fn remember(&self, digest: Vec<u8>, identity: Identity, expires_at: Option<i64>) {
        if let Ok(mut cache) = self.cache.write() {
            if cache.len() >= CACHE_MAX {
                cache.retain(|_, (_, _, at)| at.elapsed() <= CACHE_TTL);
                if cache.len() >= CACHE_MAX {
                    cache.clear();
                }
            }
            cache.insert(digest, (identity, expires_at, Instant::now()));
        }
    }
}
