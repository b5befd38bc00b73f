//! Start-up wiring of media and tasks: where stored media files live, and the key
//! that signs task webhooks.

use std::path::PathBuf;

use switchyard_core::secrets::SecretBox;
use switchyard_types::Secret;

use crate::config::Config;

/// The media directory: `server.media_dir`, else `media` inside `server.data_dir`.
pub fn media_dir(config: &Config) -> PathBuf {
    match &config.server.media_dir {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(&config.server.data_dir).join("media"),
    }
}

/// The webhook signing key: `security.webhook_secret`, else one derived from the master
/// key (the same on every replica, but unknown to receivers: set the option to let
/// them verify signatures).
pub fn webhook_secret(config: &Config, secrets: &SecretBox) -> Secret<String> {
    if let Some(secret) = &config.security.webhook_secret {
        return secret.clone();
    }
    let derived = secrets
        .master()
        .derive(switchyard_core::tasks::webhooks::derived_key);
    Secret::new(derived.iter().map(|b| format!("{b:02x}")).collect())
}
