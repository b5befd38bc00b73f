//! JWT access and refresh tokens: an API key is exchanged for a short-lived access token
//! and a longer-lived refresh token. HS256 only (the algorithm is pinned: `none` and
//! every other algorithm are refused, so no algorithm confusion), signed with a key
//! derived from the master key; audience, issuer, expiry and token type are checked.

use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use switchyard_types::Role;

/// The `iss` claim of every token this gateway issues.
pub const ISSUER: &str = "switchyard";

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenUse {
    Access,
    Refresh,
}

/// The claims inside a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The API key the token was issued for.
    pub sub: String,
    /// The key's owner.
    pub uid: String,
    pub role: Role,
    #[serde(rename = "use")]
    pub token_use: TokenUse,
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

/// An issued pair, as returned by `POST /api/v1/auth/token`.
#[derive(Debug, Clone, Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub refresh_expires_in: u64,
}

/// Why a token is not accepted.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("token has expired")]
    Expired,
    #[error("a {0:?} token cannot be used here")]
    WrongUse(TokenUse),
}

/// Issues and verifies tokens.
pub struct JwtIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    audience: String,
    access_ttl_s: u64,
    refresh_ttl_s: u64,
}

/// Derive the signing key from the master key (HMAC-SHA256 with a fixed label), so
/// tokens need no extra secret and a master-key rotation invalidates them.
pub fn signing_key(master: &[u8]) -> Vec<u8> {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(master) {
        Ok(m) => m,
        // HMAC accepts keys of any length; this branch cannot be taken.
        Err(_) => return master.to_vec(),
    };
    mac.update(b"switchyard jwt signing key v1");
    mac.finalize().into_bytes().to_vec()
}

impl JwtIssuer {
    /// An issuer signing with `secret`.
    pub fn new(secret: &[u8], audience: &str, access_ttl_s: u64, refresh_ttl_s: u64) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            audience: audience.to_string(),
            access_ttl_s,
            refresh_ttl_s,
        }
    }

    fn sign(
        &self,
        key_id: &str,
        user_id: &str,
        role: Role,
        token_use: TokenUse,
        ttl: u64,
    ) -> Result<String, JwtError> {
        let now = switchyard_types::now_millis() / 1000;
        let claims = Claims {
            sub: key_id.to_string(),
            uid: user_id.to_string(),
            role,
            token_use,
            aud: self.audience.clone(),
            iss: ISSUER.to_string(),
            iat: now,
            exp: now + i64::try_from(ttl).unwrap_or(i64::MAX / 2),
            jti: uuid::Uuid::now_v7().simple().to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| JwtError::Invalid(e.to_string()))
    }

    /// A fresh access + refresh pair for an API key.
    pub fn issue(&self, key_id: &str, user_id: &str, role: Role) -> Result<TokenPair, JwtError> {
        Ok(TokenPair {
            access_token: self.sign(key_id, user_id, role, TokenUse::Access, self.access_ttl_s)?,
            refresh_token: self.sign(
                key_id,
                user_id,
                role,
                TokenUse::Refresh,
                self.refresh_ttl_s,
            )?,
            token_type: "Bearer",
            expires_in: self.access_ttl_s,
            refresh_expires_in: self.refresh_ttl_s,
        })
    }

    /// Verify signature (HS256 only), issuer, audience, expiry and use.
    pub fn verify(&self, token: &str, expected: TokenUse) -> Result<Claims, JwtError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_audience(&[self.audience.as_str()]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        validation.leeway = 5;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map_err(
            |e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => JwtError::Expired,
                other => JwtError::Invalid(format!("{other:?}")),
            },
        )?;
        if data.claims.token_use != expected {
            return Err(JwtError::WrongUse(data.claims.token_use));
        }
        Ok(data.claims)
    }
}

/// Whether a presented credential looks like a JWT rather than an API key.
pub fn looks_like_jwt(credential: &str) -> bool {
    credential.starts_with("eyJ") && credential.matches('.').count() == 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn issuer() -> JwtIssuer {
        JwtIssuer::new(
            &signing_key(b"master-key-bytes-0123456789abcdef"),
            "switchyard",
            60,
            600,
        )
    }

    #[test]
    fn issued_tokens_verify_for_their_use_only() {
        let pair = issuer().issue("key1", "user1", Role::User).unwrap();
        assert!(looks_like_jwt(&pair.access_token));
        let claims = issuer()
            .verify(&pair.access_token, TokenUse::Access)
            .unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.uid.as_str(), claims.role),
            ("key1", "user1", Role::User)
        );
        assert!(matches!(
            issuer().verify(&pair.access_token, TokenUse::Refresh),
            Err(JwtError::WrongUse(_))
        ));
        assert!(
            issuer()
                .verify(&pair.refresh_token, TokenUse::Refresh)
                .is_ok()
        );
    }

    #[test]
    fn forged_none_and_foreign_tokens_are_refused() {
        let pair = issuer().issue("key1", "user1", Role::User).unwrap();
        let other = JwtIssuer::new(b"another secret entirely", "switchyard", 60, 600);
        assert!(
            other.verify(&pair.access_token, TokenUse::Access).is_err(),
            "wrong key"
        );
        let wrong_aud = JwtIssuer::new(
            &signing_key(b"master-key-bytes-0123456789abcdef"),
            "elsewhere",
            60,
            600,
        );
        assert!(
            wrong_aud
                .verify(&pair.access_token, TokenUse::Access)
                .is_err(),
            "wrong audience"
        );

        // alg=none with an escalated role and no signature.
        let parts: Vec<&str> = pair.access_token.split('.').collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        claims["role"] = "admin".into();
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(claims.to_string());
        assert!(
            issuer()
                .verify(&format!("{none_header}.{body}."), TokenUse::Access)
                .is_err()
        );
        // The original signature over tampered claims.
        assert!(
            issuer()
                .verify(
                    &format!("{}.{body}.{}", parts[0], parts[2]),
                    TokenUse::Access
                )
                .is_err()
        );
        // HS512 is not accepted even with the right secret.
        let key = EncodingKey::from_secret(&signing_key(b"master-key-bytes-0123456789abcdef"));
        let hs512 = jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims, &key).unwrap();
        assert!(issuer().verify(&hs512, TokenUse::Access).is_err());
    }

    #[test]
    fn expired_tokens_are_refused() {
        let short = JwtIssuer::new(b"k", "switchyard", 0, 0);
        let mut claims = Claims {
            sub: "k".into(),
            uid: "u".into(),
            role: Role::User,
            token_use: TokenUse::Access,
            aud: "switchyard".into(),
            iss: ISSUER.into(),
            iat: 0,
            exp: 1,
            jti: "j".into(),
        };
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"k"),
        )
        .unwrap();
        assert!(matches!(
            short.verify(&token, TokenUse::Access),
            Err(JwtError::Expired)
        ));
        claims.exp = i64::MAX / 4;
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"k"),
        )
        .unwrap();
        assert!(short.verify(&token, TokenUse::Access).is_ok());
    }
}
