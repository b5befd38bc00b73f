//! The environment layer: `SWITCHYARD_*` overrides (README, "Configuration") and `env:VAR` secret references.

use switchyard_types::Secret;

use super::error::Problems;
use super::parse::Layout;
use super::{Config, LogFormat, RedisConfig};

/// Reads an environment variable; `load` takes one so tests stay hermetic.
pub(crate) type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Where each overridable setting came from: its key path, or the variable that set it.
/// Problems with a setting are reported at its origin.
#[derive(Debug, Clone)]
pub(crate) struct Origins {
    pub listen: &'static str,
    pub database_url: &'static str,
    pub redis_url: &'static str,
    pub admin_key: &'static str,
    pub master_key: &'static str,
    pub log_filter: &'static str,
}

impl Default for Origins {
    fn default() -> Self {
        Self {
            listen: "server.listen",
            database_url: "database.url",
            redis_url: "redis.url",
            admin_key: "security.admin_key",
            master_key: "security.master_key",
            log_filter: "log.filter",
        }
    }
}

/// A variable's value, with empty (or all-blank) values treated as unset.
fn var(env: Env<'_>, name: &str) -> Option<String> {
    env(name).filter(|v| !v.trim().is_empty())
}

/// Apply the `SWITCHYARD_*` variables over `config`.
pub(crate) fn apply_overrides(
    config: &mut Config,
    env: Env<'_>,
    problems: &mut Problems,
) -> Origins {
    let mut origins = Origins::default();
    if let Some(v) = var(env, "SWITCHYARD_LISTEN") {
        config.server.listen = v;
        origins.listen = "SWITCHYARD_LISTEN";
    }
    if let Some(v) = var(env, "SWITCHYARD_DATABASE_URL") {
        config.database.url = v;
        origins.database_url = "SWITCHYARD_DATABASE_URL";
    }
    if let Some(url) = var(env, "SWITCHYARD_REDIS_URL") {
        config.redis = Some(RedisConfig { url });
        origins.redis_url = "SWITCHYARD_REDIS_URL";
    }
    if let Some(v) = var(env, "SWITCHYARD_ADMIN_KEY") {
        config.security.admin_key = Some(Secret::new(v));
        origins.admin_key = "SWITCHYARD_ADMIN_KEY";
    }
    if let Some(v) = var(env, "SWITCHYARD_MASTER_KEY") {
        config.security.master_key = Some(Secret::new(v));
        origins.master_key = "SWITCHYARD_MASTER_KEY";
    }
    if let Some(v) = var(env, "SWITCHYARD_MASTER_KEY_PREVIOUS") {
        config.security.previous_master_keys = v
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| Secret::new(k.to_string()))
            .collect();
    }
    if let Some(v) = var(env, "SWITCHYARD_LOG") {
        config.log.filter = v;
        origins.log_filter = "SWITCHYARD_LOG";
    }
    if let Some(v) = var(env, "SWITCHYARD_LOG_FORMAT") {
        match v.trim().to_ascii_lowercase().parse::<LogFormat>() {
            Ok(format) => config.log.format = format,
            Err(msg) => problems.push("SWITCHYARD_LOG_FORMAT", msg),
        }
    }
    origins
}

/// The variable named by an `env:VAR` reference; `None` for a literal.
/// `Some(Err)` when the name after `env:` is not a valid variable name.
pub(crate) fn env_reference(value: &str) -> Option<Result<&str, String>> {
    let name = value.strip_prefix("env:")?;
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    Some(if valid {
        Ok(name)
    } else {
        Err(format!(
            "`env:` must be followed by a variable name ([A-Za-z_][A-Za-z0-9_]*), got `{name}`"
        ))
    })
}

/// Resolve `secret` if it is an `env:VAR` reference. `Err` carries the problem message.
fn resolve(secret: &Secret<String>, env: Env<'_>) -> Result<Secret<String>, String> {
    match env_reference(secret.expose()) {
        None => Ok(secret.clone()),
        Some(Err(msg)) => Err(msg),
        Some(Ok(name)) => var(env, name)
            .map(Secret::new)
            .ok_or_else(|| format!("environment variable `{name}` is not set")),
    }
}

/// Replace `env:VAR` security keys by their values, and fill every provider's
/// `resolved_api_key`. Unset variables are problems, except for disabled providers.
pub(crate) fn resolve_secrets(
    config: &mut Config,
    origins: &Origins,
    layout: &Layout,
    env: Env<'_>,
    problems: &mut Problems,
) {
    let security = &mut config.security;
    for (slot, origin) in [
        (&mut security.admin_key, origins.admin_key),
        (&mut security.master_key, origins.master_key),
        (&mut security.webhook_secret, "security.webhook_secret"),
    ] {
        if let Some(secret) = slot.as_ref() {
            match resolve(secret, env) {
                Ok(value) => *slot = Some(value),
                Err(msg) => {
                    problems.push(origin, msg);
                    *slot = None;
                }
            }
        }
    }

    for (i, provider) in config.providers.iter_mut().enumerate() {
        let Some(key) = provider.api_key.as_ref() else {
            continue;
        };
        let index = layout.providers.get(i).copied().unwrap_or(i);
        match resolve(key, env) {
            Ok(value) => provider.resolved_api_key = Some(value),
            Err(_)
                if !provider.enabled && env_reference(key.expose()).is_some_and(|r| r.is_ok()) =>
            {
                provider.resolved_api_key = None;
            }
            Err(msg) => problems.push(format!("providers[{index}].api_key"), msg),
        }
    }
}
