//! Start-up steps shared by `serve` and the CLI: open and migrate the store, load the
//! master key, seed the catalog from the config file, and make sure an admin key exists.

use std::path::Path;

use anyhow::Context;
use switchyard_core::keys;
use switchyard_core::secrets::{MasterKey, SecretBox};
use switchyard_store::{NewGroup, NewModel, NewProvider, NewUser, ProviderSecret, Store};
use switchyard_types::{Role, Secret};

use crate::config::{ApiKeySource, Config};

/// Name of the user that owns the bootstrap admin key.
pub const ADMIN_USER: &str = "admin";
/// File in the data dir holding a generated master key.
pub const MASTER_KEY_FILE: &str = "master.key";

/// Connect to the configured database and apply migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database.url, config.database.max_connections)
        .await
        .with_context(|| {
            format!(
                "cannot open database `{}`",
                redact_url(&config.database.url)
            )
        })?;
    store.migrate().await.context("database migration failed")?;
    Ok(store)
}

/// A database URL with any password replaced, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The master key from the config, else from (or generated into) the data dir.
pub fn master_key(config: &Config) -> anyhow::Result<MasterKey> {
    if let Some(key) = &config.security.master_key {
        return MasterKey::from_base64(key.expose()).context("SWITCHYARD_MASTER_KEY");
    }
    let dir = Path::new(&config.server.data_dir);
    let path = dir.join(MASTER_KEY_FILE);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        return MasterKey::from_base64(&text)
            .with_context(|| format!("{} does not hold a valid master key", path.display()));
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let key = MasterKey::generate();
    write_private(&path, key.to_base64().expose())?;
    tracing::warn!(
        path = %path.display(),
        "no SWITCHYARD_MASTER_KEY set: generated one into the data dir; back it up, \
         provider secrets cannot be decrypted without it"
    );
    Ok(key)
}

/// The secret box: the current master key plus any being rotated out.
pub fn secret_box(config: &Config) -> anyhow::Result<SecretBox> {
    let previous = config
        .security
        .previous_master_keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            MasterKey::from_base64(k.expose())
                .with_context(|| format!("security.previous_master_keys[{i}]"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(SecretBox::new(master_key(config)?).with_previous(previous))
}

/// Re-wrap every stored provider secret under the current master key. Returns how many
/// were re-wrapped. Safe to run while gateways serve, when they accept both keys.
pub async fn rotate_master_key(store: &Store, secrets: &SecretBox) -> anyhow::Result<usize> {
    let mut rewrapped = 0;
    for provider in store.providers().list_all().await? {
        let Some(ProviderSecret::Encrypted(sealed)) =
            store.providers().secret(&provider.id).await?
        else {
            continue;
        };
        if secrets.is_current(&sealed) {
            continue;
        }
        let fresh = secrets.rewrap(&sealed).with_context(|| {
            format!(
                "provider `{}`: its key cannot be opened with the configured master keys",
                provider.name
            )
        })?;
        let patch = switchyard_store::ProviderPatch {
            api_key: Some(Some(ProviderSecret::Encrypted(fresh))),
            ..Default::default()
        };
        store.providers().update(&provider.id, &patch).await?;
        rewrapped += 1;
    }
    Ok(rewrapped)
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Upsert the config file's providers, models and groups by name.
pub async fn seed(store: &Store, secrets: &SecretBox, config: &Config) -> anyhow::Result<()> {
    for p in &config.providers {
        let api_key = match p.api_key_source() {
            None => None,
            Some(ApiKeySource::Env(var)) => Some(ProviderSecret::Env(var)),
            Some(ApiKeySource::Literal(key)) => Some(ProviderSecret::Encrypted(
                secrets
                    .seal(key.expose())
                    .context("cannot encrypt a provider key")?,
            )),
        };
        store
            .providers()
            .upsert_by_name(&NewProvider {
                name: p.name.clone(),
                kind: p.kind,
                base_url: p.base_url.clone(),
                api_key,
                timeout_ms: p.timeout_ms,
                max_concurrency: p.max_concurrency,
                free_tier: p.free_tier,
                enabled: p.enabled,
                options: serde_json::Value::Object(p.options.clone()),
            })
            .await
            .with_context(|| format!("cannot seed provider `{}`", p.name))?;
    }
    for m in &config.models {
        let provider = store
            .providers()
            .get_by_name(&m.provider)
            .await?
            .with_context(|| format!("model `{}`: provider `{}` missing", m.name, m.provider))?;
        store
            .models()
            .upsert(&NewModel {
                provider_id: provider.id,
                name: m.name.clone(),
                upstream_name: m.effective_upstream_name().to_string(),
                kinds: m.kinds.clone(),
                capabilities: m.capabilities.clone(),
                task_types: m.task_types.clone(),
                context_window: m.context_window,
                max_output_tokens: m.max_output_tokens,
                pricing: m.pricing(),
                quality_tier: m.quality_tier,
                time_to_first_token_ms: m.time_to_first_token_ms,
                enabled: m.enabled,
            })
            .await
            .with_context(|| format!("cannot seed model `{}`", m.name))?;
    }
    for g in &config.groups {
        store
            .groups()
            .upsert_by_name(&NewGroup {
                name: g.name.clone(),
                strategy: g.strategy,
                members: g.members.clone(),
                fallback_groups: g.fallback_groups.clone(),
                max_attempts: g.max_attempts,
                enabled: g.enabled,
            })
            .await
            .with_context(|| format!("cannot seed group `{}`", g.name))?;
    }
    Ok(())
}

/// The user called `name`, created with `role` if missing.
pub async fn ensure_user(store: &Store, name: &str, role: Role) -> anyhow::Result<String> {
    if let Some(user) = store.users().get_by_name(name).await? {
        return Ok(user.id);
    }
    let user = store
        .users()
        .create(&NewUser {
            name: name.to_string(),
            email: None,
            team_id: None,
            role,
        })
        .await?;
    Ok(user.id)
}

/// Store a key for `user_id` and return the secret.
pub async fn create_key(
    store: &Store,
    name: &str,
    role: Role,
    user_id: String,
    material: keys::NewKeyMaterial,
) -> anyhow::Result<Secret<String>> {
    let (_, secret) = keys::issue(store, keys::KeySpec::new(name, role, user_id), material).await?;
    Ok(secret)
}

/// Make sure an admin can get in. A configured `SWITCHYARD_ADMIN_KEY` is registered
/// (hashed) if new; with none configured and no admin key stored, one is generated and
/// returned so the caller prints it once.
pub async fn ensure_admin_key(
    store: &Store,
    config: &Config,
) -> anyhow::Result<Option<Secret<String>>> {
    if let Some(configured) = &config.security.admin_key {
        let secret = configured.expose();
        let known = store
            .api_keys()
            .find_by_prefix(keys::lookup_prefix(secret))
            .await?
            .into_iter()
            .any(|(_, hash)| keys::verify(secret, &hash));
        if !known {
            let user_id = ensure_user(store, ADMIN_USER, Role::Admin).await?;
            create_key(
                store,
                "bootstrap-admin",
                Role::Admin,
                user_id,
                keys::material_for(secret),
            )
            .await?;
        }
        return Ok(None);
    }
    if store.api_keys().count_by_role(Role::Admin).await? > 0 {
        return Ok(None);
    }
    let user_id = ensure_user(store, ADMIN_USER, Role::Admin).await?;
    let secret = create_key(
        store,
        "bootstrap-admin",
        Role::Admin,
        user_id,
        keys::generate(),
    )
    .await?;
    Ok(Some(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_database_urls() {
        assert_eq!(
            redact_url("postgres://bob:hunter2@db:5432/x"),
            "postgres://bob:***@db:5432/x"
        );
        assert_eq!(
            redact_url("sqlite://switchyard.db"),
            "sqlite://switchyard.db"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
    }
}
