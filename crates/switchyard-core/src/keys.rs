//! API key material: generation, hashing and constant-time verification.
//! A key is shown once; the database keeps its SHA-256 and a short lookup prefix.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use switchyard_store::{NewApiKey, Store, StoreError};
use switchyard_types::{ApiKey, Millis, Role, Secret};

/// Every generated key starts with this, so leaked keys are easy to recognise.
pub const KEY_PREFIX: &str = "sy-";
/// How many leading characters of a key are stored in clear for lookup.
pub const LOOKUP_LEN: usize = 12;
/// Shortest key accepted (also for a configured bootstrap admin key).
pub const MIN_KEY_LEN: usize = 16;

/// A newly generated key: the secret to show once, and what to store.
#[derive(Debug)]
pub struct NewKeyMaterial {
    pub secret: Secret<String>,
    pub prefix: String,
    pub hash: Vec<u8>,
}

/// Generate a fresh random key (240 bits of entropy).
pub fn generate() -> NewKeyMaterial {
    let mut bytes = [0u8; 30];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    material_for(&secret)
}

/// The stored form (prefix and hash) of a given key text.
pub fn material_for(secret: &str) -> NewKeyMaterial {
    NewKeyMaterial {
        prefix: lookup_prefix(secret).to_string(),
        hash: hash(secret),
        secret: Secret::new(secret.to_string()),
    }
}

/// The clear-text lookup prefix of a presented key.
pub fn lookup_prefix(secret: &str) -> &str {
    let end = secret
        .char_indices()
        .nth(LOOKUP_LEN)
        .map_or(secret.len(), |(i, _)| i);
    &secret[..end]
}

/// SHA-256 of a key; keys are high-entropy, so a fast hash is the right tool.
pub fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// What a new key is for; everything but the secret, which [`issue`] adds.
#[derive(Debug, Clone)]
pub struct KeySpec {
    pub name: String,
    pub role: Role,
    pub user_id: String,
    pub expires_at: Option<Millis>,
    /// Models or groups the key may use; empty means all.
    pub allowed_models: Vec<String>,
    pub rate_limit_rpm: Option<u32>,
    pub rate_limit_tpm: Option<u32>,
}

impl KeySpec {
    /// An unrestricted, non-expiring key.
    pub fn new(name: impl Into<String>, role: Role, user_id: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            role,
            user_id: user_id.into(),
            expires_at: None,
            allowed_models: Vec::new(),
            rate_limit_rpm: None,
            rate_limit_tpm: None,
        }
    }
}

/// Store a key (its prefix and hash only) and return its record with the secret,
/// which is shown to the caller this once.
pub async fn issue(
    store: &Store,
    spec: KeySpec,
    material: NewKeyMaterial,
) -> Result<(ApiKey, Secret<String>), StoreError> {
    let key = store
        .api_keys()
        .create(&NewApiKey {
            name: spec.name,
            prefix: material.prefix,
            hash: material.hash,
            role: spec.role,
            user_id: spec.user_id,
            expires_at: spec.expires_at,
            allowed_models: spec.allowed_models,
            enabled: true,
            rate_limit_rpm: spec.rate_limit_rpm,
            rate_limit_tpm: spec.rate_limit_tpm,
        })
        .await?;
    Ok((key, material.secret))
}

/// Compare a presented key against a stored hash in constant time.
pub fn verify(presented: &str, stored_hash: &[u8]) -> bool {
    hash(presented).ct_eq(stored_hash).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_verify_and_differ() {
        let a = generate();
        let b = generate();
        assert!(a.secret.expose().starts_with(KEY_PREFIX));
        assert_eq!(a.secret.expose().len(), 43);
        assert_ne!(a.secret.expose(), b.secret.expose());
        assert!(verify(a.secret.expose(), &a.hash));
        assert!(!verify(b.secret.expose(), &a.hash));
        assert_eq!(a.prefix, &a.secret.expose()[..LOOKUP_LEN]);
    }

    #[test]
    fn prefix_of_a_short_or_multibyte_key_does_not_panic() {
        assert_eq!(lookup_prefix("abc"), "abc");
        assert_eq!(lookup_prefix("ééééééééééééééé").chars().count(), LOOKUP_LEN);
    }
}
