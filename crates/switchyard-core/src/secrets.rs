//! Provider secrets at rest: envelope encryption. Each secret gets a fresh AES-256-GCM
//! data key; the data key is wrapped by the master key (`SWITCHYARD_MASTER_KEY`, README "Governance").
//! Plaintext exists only in memory.
//!
//! Sealed layout (v2): `2 | key_id(4) | wrap_nonce(12) | wrapped_key(32+16) | nonce(12) |
//! ciphertext+tag`, where `key_id` names the master key (first bytes of its SHA-256).
//! v1 (no key id) is still read. Rotation re-wraps only the data keys: the box holds the
//! current master key and any previous ones, opens with whichever sealed a secret, and
//! [`SecretBox::rewrap`] moves a secret to the current key.

use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use switchyard_types::Secret;

const V1: u8 = 1;
const V2: u8 = 2;
const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = 12;
const WRAPPED_LEN: usize = 32 + 16;
const ENVELOPE_LEN: usize = NONCE_LEN + WRAPPED_LEN + NONCE_LEN;

/// Why a secret could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("master key must be base64 of exactly 32 bytes")]
    BadMasterKey,
    #[error("sealed secret is malformed")]
    Malformed,
    #[error("sealed secret cannot be opened with this master key")]
    WrongKey,
    #[error("encryption failed")]
    Encrypt,
}

/// The master key that wraps every data key.
#[derive(Clone)]
pub struct MasterKey(Secret<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([REDACTED])")
    }
}

impl MasterKey {
    /// Decode a base64 master key; it must be exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, SecretError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| SecretError::BadMasterKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| SecretError::BadMasterKey)?;
        Ok(Self(Secret::new(key)))
    }

    /// A fresh random master key.
    pub fn generate() -> Self {
        let key = Aes256Gcm::generate_key(OsRng);
        Self(Secret::new(key.into()))
    }

    /// The key as base64, for writing it to the key file once.
    pub fn to_base64(&self) -> Secret<String> {
        Secret::new(STANDARD.encode(self.0.expose()))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(self.0.expose()))
    }

    /// A short public id of the key, stored with each secret it seals.
    pub fn id(&self) -> [u8; KEY_ID_LEN] {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(self.0.expose());
        [digest[0], digest[1], digest[2], digest[3]]
    }

    /// The raw key, for deriving other keys (e.g. the JWT signing key) only.
    pub fn derive(&self, purpose: fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
        purpose(self.0.expose())
    }
}

/// Seals and opens provider secrets with envelope encryption.
#[derive(Debug, Clone)]
pub struct SecretBox {
    master: MasterKey,
    previous: Vec<MasterKey>,
}

impl SecretBox {
    /// A box over the given master key.
    pub fn new(master: MasterKey) -> Self {
        Self {
            master,
            previous: Vec::new(),
        }
    }

    /// Also accept secrets sealed with these older master keys (during a rotation).
    pub fn with_previous(mut self, previous: Vec<MasterKey>) -> Self {
        self.previous = previous;
        self
    }

    /// The current master key.
    pub fn master(&self) -> &MasterKey {
        &self.master
    }

    /// Whether `sealed` is already under the current master key.
    pub fn is_current(&self, sealed: &[u8]) -> bool {
        sealed.first() == Some(&V2) && sealed.get(1..1 + KEY_ID_LEN) == Some(&self.master.id()[..])
    }

    /// Re-wrap a secret's data key with the current master key; the body is untouched.
    pub fn rewrap(&self, sealed: &[u8]) -> Result<Vec<u8>, SecretError> {
        let (master, envelope) = self.split(sealed)?;
        let (wrap_nonce, rest) = envelope.split_at(NONCE_LEN);
        let (wrapped, rest) = rest.split_at(WRAPPED_LEN);
        let data_key = master
            .cipher()
            .decrypt(Nonce::from_slice(wrap_nonce), wrapped)
            .map_err(|_| SecretError::WrongKey)?;
        let new_nonce = Aes256Gcm::generate_nonce(OsRng);
        let rewrapped = self
            .master
            .cipher()
            .encrypt(&new_nonce, data_key.as_slice())
            .map_err(|_| SecretError::Encrypt)?;
        let mut out = Vec::with_capacity(sealed.len() + KEY_ID_LEN);
        out.push(V2);
        out.extend_from_slice(&self.master.id());
        out.extend_from_slice(&new_nonce);
        out.extend_from_slice(&rewrapped);
        out.extend_from_slice(rest);
        Ok(out)
    }

    /// The master key that sealed `sealed`, and the envelope after the header.
    fn split<'a>(&'a self, sealed: &'a [u8]) -> Result<(&'a MasterKey, &'a [u8]), SecretError> {
        match sealed.first() {
            Some(&V2) if sealed.len() >= 1 + KEY_ID_LEN + ENVELOPE_LEN => {
                let id = &sealed[1..1 + KEY_ID_LEN];
                let master = std::iter::once(&self.master)
                    .chain(&self.previous)
                    .find(|k| k.id()[..] == *id)
                    .ok_or(SecretError::WrongKey)?;
                Ok((master, &sealed[1 + KEY_ID_LEN..]))
            }
            Some(&V1) if sealed.len() > ENVELOPE_LEN => {
                // v1 carries no key id: find the key whose unwrap succeeds.
                let envelope = &sealed[1..];
                let (wrap_nonce, rest) = envelope.split_at(NONCE_LEN);
                let wrapped = &rest[..WRAPPED_LEN];
                let master = std::iter::once(&self.master)
                    .chain(&self.previous)
                    .find(|k| {
                        k.cipher()
                            .decrypt(Nonce::from_slice(wrap_nonce), wrapped)
                            .is_ok()
                    })
                    .ok_or(SecretError::WrongKey)?;
                Ok((master, envelope))
            }
            _ => Err(SecretError::Malformed),
        }
    }

    /// Encrypt `plaintext` under a new data key wrapped by the master key.
    pub fn seal(&self, plaintext: &str) -> Result<Vec<u8>, SecretError> {
        let data_key = Aes256Gcm::generate_key(OsRng);
        let wrap_nonce = Aes256Gcm::generate_nonce(OsRng);
        let wrapped = self
            .master
            .cipher()
            .encrypt(&wrap_nonce, data_key.as_slice())
            .map_err(|_| SecretError::Encrypt)?;
        let nonce = Aes256Gcm::generate_nonce(OsRng);
        let body = Aes256Gcm::new(&data_key)
            .encrypt(&nonce, plaintext.as_bytes())
            .map_err(|_| SecretError::Encrypt)?;
        let mut out = Vec::with_capacity(1 + KEY_ID_LEN + ENVELOPE_LEN + body.len());
        out.push(V2);
        out.extend_from_slice(&self.master.id());
        out.extend_from_slice(&wrap_nonce);
        out.extend_from_slice(&wrapped);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Decrypt a sealed secret back to its plaintext (kept in memory only).
    pub fn open(&self, sealed: &[u8]) -> Result<Secret<String>, SecretError> {
        let (master, envelope) = self.split(sealed)?;
        let (wrap_nonce, rest) = envelope.split_at(NONCE_LEN);
        let (wrapped, rest) = rest.split_at(WRAPPED_LEN);
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let data_key = master
            .cipher()
            .decrypt(Nonce::from_slice(wrap_nonce), wrapped)
            .map_err(|_| SecretError::WrongKey)?;
        let plain = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&data_key))
            .decrypt(Nonce::from_slice(nonce), body)
            .map_err(|_| SecretError::Malformed)?;
        String::from_utf8(plain)
            .map(Secret::new)
            .map_err(|_| SecretError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_then_open_round_trips_and_hides_plaintext() {
        let b = SecretBox::new(MasterKey::generate());
        let sealed = b.seal("sk-very-secret").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(b.open(&sealed).unwrap().expose(), "sk-very-secret");
        // Two seals of the same text differ (fresh data key and nonces).
        assert_ne!(sealed, b.seal("sk-very-secret").unwrap());
    }

    #[test]
    fn wrong_master_key_and_tampering_are_refused() {
        let b = SecretBox::new(MasterKey::generate());
        let sealed = b.seal("x").unwrap();
        let other = SecretBox::new(MasterKey::generate());
        assert!(matches!(other.open(&sealed), Err(SecretError::WrongKey)));
        let mut bad = sealed.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(b.open(&bad).is_err());
        assert!(matches!(b.open(&[1, 2, 3]), Err(SecretError::Malformed)));
    }

    #[test]
    fn rotation_rewraps_data_keys_and_accepts_both_keys_meanwhile() {
        let old = MasterKey::generate();
        let new = MasterKey::generate();
        let before = SecretBox::new(old.clone());
        let sealed = before.seal("sk-rotate-me").unwrap();
        // During the rotation: new key current, old key still accepted.
        let during = SecretBox::new(new.clone()).with_previous(vec![old.clone()]);
        assert_eq!(during.open(&sealed).unwrap().expose(), "sk-rotate-me");
        assert!(!during.is_current(&sealed));
        let rewrapped = during.rewrap(&sealed).unwrap();
        assert!(during.is_current(&rewrapped));
        // The body (ciphertext of the secret) is unchanged; only the envelope moved.
        assert_eq!(
            sealed[sealed.len() - 20..],
            rewrapped[rewrapped.len() - 20..]
        );
        // After: the new key alone opens it, the old one no longer does.
        assert_eq!(
            SecretBox::new(new).open(&rewrapped).unwrap().expose(),
            "sk-rotate-me"
        );
        assert!(matches!(
            before.open(&rewrapped),
            Err(SecretError::WrongKey)
        ));
    }

    #[test]
    fn master_key_must_be_32_bytes_of_base64() {
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
        let k = MasterKey::generate();
        let again = MasterKey::from_base64(k.to_base64().expose()).unwrap();
        let sealed = SecretBox::new(k).seal("y").unwrap();
        assert_eq!(SecretBox::new(again).open(&sealed).unwrap().expose(), "y");
    }
}
