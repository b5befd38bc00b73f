//! Small builders shared by the cases.

use switchyard_store::{NewApiKey, NewProvider, NewUser, Store};
use switchyard_types::{Provider, ProviderKind, Role, User};

/// Creates a mock provider called `name`.
pub async fn provider(store: &Store, name: &str) -> Provider {
    store
        .providers()
        .create(&NewProvider::new(name, ProviderKind::Mock))
        .await
        .unwrap()
}

/// Creates a user called `name` with role `user`.
pub async fn user(store: &Store, name: &str) -> User {
    store
        .users()
        .create(&NewUser::new(name, Role::User))
        .await
        .unwrap()
}

/// A key for `user_id` with the given prefix and hash.
pub fn api_key(user_id: &str, prefix: &str, hash: &[u8]) -> NewApiKey {
    NewApiKey {
        name: format!("key {prefix}"),
        prefix: prefix.to_owned(),
        hash: hash.to_vec(),
        role: Role::User,
        user_id: user_id.to_owned(),
        expires_at: None,
        allowed_models: Vec::new(),
        enabled: true,
        rate_limit_rpm: None,
        rate_limit_tpm: None,
    }
}
