//! Semantic validation: names, references and value ranges, every problem collected.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use switchyard_types::{ModelKind, ProviderKind};

use super::builtin::task_type_kind;
use super::env::Origins;
use super::error::Problems;
use super::parse::Layout;
use super::{Config, GroupConfig, ModelConfig, ProviderConfig};

/// Check everything that types alone cannot.
pub(crate) fn validate(
    config: &Config,
    origins: &Origins,
    layout: &Layout,
    problems: &mut Problems,
) {
    settings(config, origins, problems);
    config.tasks.check(problems);
    providers(config, layout, problems);
    models(config, layout, problems);
    groups(config, layout, problems);
    super::reliability::validate(config, layout, problems);
}

fn settings(config: &Config, origins: &Origins, p: &mut Problems) {
    let server = &config.server;
    if let Err(e) = server.listen.parse::<SocketAddr>() {
        p.push(
            origins.listen,
            format!("`{}` is not an IP:PORT address ({e})", server.listen),
        );
    }
    if server.request_body_limit_bytes == 0 {
        p.push("server.request_body_limit_bytes", "must be greater than 0");
    }
    if server.request_timeout_ms == 0 {
        p.push("server.request_timeout_ms", "must be greater than 0");
    }
    if server.data_dir.trim().is_empty() {
        p.push("server.data_dir", "must not be empty");
    }

    let db = &config.database.url;
    let db_ok = ["sqlite:", "postgres://", "postgresql://"]
        .iter()
        .any(|scheme| db.starts_with(scheme) && db.len() > scheme.len());
    if !db_ok {
        p.push(
            origins.database_url,
            "must start with sqlite:// or postgres:// (or postgresql://)",
        );
    }
    if config.database.max_connections == 0 {
        p.push("database.max_connections", "must be at least 1");
    }

    if let Some(redis) = &config.redis {
        let ok = ["redis://", "rediss://"].iter().any(|s| {
            redis
                .url
                .strip_prefix(s)
                .is_some_and(|rest| !rest.is_empty())
        });
        if !ok {
            p.push(
                origins.redis_url,
                "must be a redis:// or rediss:// URL with a host",
            );
        }
    }

    if let Err(e) = tracing_subscriber::EnvFilter::try_new(&config.log.filter) {
        p.push(origins.log_filter, format!("invalid log filter: {e}"));
    }

    for (i, pattern) in config.log.redact_patterns.iter().enumerate() {
        if let Err(e) = regex::Regex::new(pattern) {
            p.push(
                format!("log.redact_patterns[{i}]"),
                format!("invalid regular expression: {e}"),
            );
        }
    }
    let governance = &config.governance;
    for (i, t) in governance.alert_thresholds.iter().enumerate() {
        if !t.is_finite() || *t <= 0.0 || *t > 10.0 {
            p.push(
                format!("governance.alert_thresholds[{i}]"),
                "must be a fraction of the limit in (0, 10]",
            );
        }
    }
    if let Some(url) = &governance.alert_webhook_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        p.push(
            "governance.alert_webhook_url".to_string(),
            "must be an http:// or https:// URL",
        );
    }
    if governance.access_token_ttl_s == 0
        || governance.refresh_token_ttl_s < governance.access_token_ttl_s
    {
        p.push("governance.refresh_token_ttl_s".to_string(), "tokens must live at least a second, and refresh tokens at least as long as access tokens");
    }
    if governance.token_audience.trim().is_empty() {
        p.push("governance.token_audience".to_string(), "must not be empty");
    }

    for (i, key) in config.security.previous_master_keys.iter().enumerate() {
        if let Err(e) = decode_master_key(key.expose()) {
            p.push(format!("security.previous_master_keys[{i}]"), e);
        }
    }
    let security = &config.security;
    if security
        .admin_key
        .as_ref()
        .is_some_and(|k| k.expose().chars().count() < 16)
    {
        p.push(origins.admin_key, "must be at least 16 characters");
    }
    if let Some(Err(e)) = security
        .master_key
        .as_ref()
        .map(|k| decode_master_key(k.expose()))
    {
        p.push(origins.master_key, e);
    }
}

/// Decode a master key: base64 (standard or URL-safe, padded or not) of exactly 32 bytes.
pub(crate) fn decode_master_key(text: &str) -> Result<[u8; 32], String> {
    let text = text.trim();
    let bytes = [STANDARD, URL_SAFE, STANDARD_NO_PAD, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .ok_or_else(|| "must be base64 of exactly 32 bytes (try `openssl rand -base64 32`); it is not valid base64".to_string())?;
    let len = bytes.len();
    <[u8; 32]>::try_from(bytes).map_err(|_| {
        format!("must be base64 of exactly 32 bytes (try `openssl rand -base64 32`); it decodes to {len} bytes")
    })
}

fn at(list: &str, index: &[usize], i: usize) -> String {
    format!("{list}[{}]", index.get(i).copied().unwrap_or(i))
}

fn providers(config: &Config, layout: &Layout, p: &mut Problems) {
    let mut seen = HashSet::new();
    for (i, provider) in config.providers.iter().enumerate() {
        let path = at("providers", &layout.providers, i);
        provider_name(provider, &path, p);
        if !seen.insert(provider.name.as_str()) || layout.failed_providers.contains(&provider.name)
        {
            p.push(
                format!("{path}.name"),
                format!("duplicate provider name `{}`", provider.name),
            );
        }
        if let Some(Err(e)) = provider
            .base_url
            .as_ref()
            .map(|u| check_base_url(u, provider.kind))
        {
            p.push(format!("{path}.base_url"), e);
        }
        if provider
            .api_key
            .as_ref()
            .is_some_and(|k| k.expose().trim().is_empty())
        {
            p.push(
                format!("{path}.api_key"),
                "must not be empty (omit it for no key)",
            );
        }
        if provider.timeout_ms == 0 {
            p.push(format!("{path}.timeout_ms"), "must be greater than 0");
        }
        if provider.max_concurrency == 0 {
            p.push(format!("{path}.max_concurrency"), "must be at least 1");
        }
    }
}

fn provider_name(provider: &ProviderConfig, path: &str, p: &mut Problems) {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-';
    if provider.name.is_empty() {
        p.push(format!("{path}.name"), "must not be empty");
    } else if !provider.name.chars().all(ok) {
        let msg = format!("`{}` must match [a-z0-9_-]+", provider.name);
        p.push(format!("{path}.name"), msg);
    }
}

/// `http://HOST…` or `https://HOST…` (and `mock://…` for the mock).
fn check_base_url(url: &str, kind: ProviderKind) -> Result<(), String> {
    let rest = ["http://", "https://"]
        .iter()
        .find_map(|s| url.strip_prefix(s))
        .or_else(|| {
            url.strip_prefix("mock://")
                .filter(|_| kind == ProviderKind::Mock)
        });
    let Some(rest) = rest else {
        return Err(format!("`{url}` must start with http:// or https://"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') || url.chars().any(char::is_whitespace) {
        return Err(format!("`{url}` is not a valid URL with a host"));
    }
    Ok(())
}

/// Model and group names: non-empty; letters, digits, `.`, `:`, `-`, `_`.
fn public_name(name: &str, path: &str, p: &mut Problems) {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '_');
    if name.is_empty() {
        p.push(format!("{path}.name"), "must not be empty");
    } else if name.contains('/') {
        let msg = format!("`{name}` must not contain `/` (`provider/model` is the qualified form)");
        p.push(format!("{path}.name"), msg);
    } else if !name.chars().all(ok) {
        let msg = format!("`{name}` may only contain letters, digits, `.`, `:`, `-` and `_`");
        p.push(format!("{path}.name"), msg);
    }
}

fn models(config: &Config, layout: &Layout, p: &mut Problems) {
    let providers: HashSet<&str> = config.providers.iter().map(|x| x.name.as_str()).collect();
    let mut seen = HashSet::new();
    for (i, model) in config.models.iter().enumerate() {
        let path = at("models", &layout.models, i);
        public_name(&model.name, &path, p);
        if !providers.contains(model.provider.as_str())
            && !layout.failed_providers.contains(&model.provider)
        {
            let msg = format!("unknown provider `{}`", model.provider);
            p.push(format!("{path}.provider"), msg);
        }
        if !seen.insert((model.provider.as_str(), model.name.as_str())) {
            let msg = format!(
                "duplicate model `{}` at provider `{}`",
                model.name, model.provider
            );
            p.push(format!("{path}.name"), msg);
        }
        if model
            .upstream_name
            .as_ref()
            .is_some_and(|u| u.trim().is_empty())
        {
            p.push(
                format!("{path}.upstream_name"),
                "must not be empty (omit it to use `name`)",
            );
        }
        model_values(model, &path, p);
    }
}

fn model_values(model: &ModelConfig, path: &str, p: &mut Problems) {
    if model.kinds.is_empty() {
        p.push(format!("{path}.kinds"), "must name at least one kind");
    }
    for (j, task) in model.task_types.iter().enumerate() {
        let needs = task_type_kind(*task);
        if !model.kinds.is_empty() && !model.kinds.contains(&needs) {
            let msg =
                format!("task type `{task}` needs kind `{needs}`, which the model's kinds lack");
            p.push(format!("{path}.task_types[{j}]"), msg);
        }
    }
    if model.context_window == 0 {
        p.push(format!("{path}.context_window"), "must be at least 1");
    }
    if model.kinds.contains(&ModelKind::Chat) {
        if model.max_output_tokens == 0 {
            p.push(format!("{path}.max_output_tokens"), "must be at least 1");
        } else if model.context_window > 0 && model.max_output_tokens > model.context_window {
            let msg = format!(
                "{} exceeds context_window ({})",
                model.max_output_tokens, model.context_window
            );
            p.push(format!("{path}.max_output_tokens"), msg);
        }
    }
    let costs = [
        ("input_cost_per_mtok", Some(model.input_cost_per_mtok)),
        ("output_cost_per_mtok", Some(model.output_cost_per_mtok)),
        (
            "cached_input_cost_per_mtok",
            model.cached_input_cost_per_mtok,
        ),
        ("cost_per_image", model.cost_per_image),
        ("cost_per_video_second", model.cost_per_video_second),
    ];
    for (key, value) in costs {
        match value {
            Some(v) if !(v.is_finite() && v >= 0.0) => {
                p.push(
                    format!("{path}.{key}"),
                    format!("must be a finite number ≥ 0, got {v}"),
                );
            }
            _ => {}
        }
    }
    if !(1..=5).contains(&model.quality_tier) {
        let msg = format!("must be between 1 and 5, got {}", model.quality_tier);
        p.push(format!("{path}.quality_tier"), msg);
    }
}

fn groups(config: &Config, layout: &Layout, p: &mut Problems) {
    let model_names: HashSet<&str> = config.models.iter().map(|m| m.name.as_str()).collect();
    let qualified: HashSet<String> = config
        .models
        .iter()
        .map(ModelConfig::qualified_name)
        .collect();
    let group_names: HashSet<&str> = config.groups.iter().map(|g| g.name.as_str()).collect();
    let mut seen = HashSet::new();
    for (i, group) in config.groups.iter().enumerate() {
        let path = at("groups", &layout.groups, i);
        public_name(&group.name, &path, p);
        if !seen.insert(group.name.as_str()) || layout.failed_groups.contains(&group.name) {
            p.push(
                format!("{path}.name"),
                format!("duplicate group name `{}`", group.name),
            );
        }
        if model_names.contains(group.name.as_str()) || layout.failed_models.contains(&group.name) {
            let msg = format!(
                "`{}` is also a model name; a group needs a name of its own",
                group.name
            );
            p.push(format!("{path}.name"), msg);
        }
        let known = |member: &str| match member.split_once('/') {
            Some((provider, name)) => {
                qualified.contains(member)
                    || layout.failed_models.contains(name)
                    || layout.failed_providers.contains(provider)
            }
            None => model_names.contains(member) || layout.failed_models.contains(member),
        };
        members(group, &path, known, p);
        for (j, fallback) in group.fallback_groups.iter().enumerate() {
            let fpath = format!("{path}.fallback_groups[{j}]");
            if *fallback == group.name {
                p.push(fpath, "a group cannot fall back to itself");
            } else if !group_names.contains(fallback.as_str())
                && !layout.failed_groups.contains(fallback)
            {
                p.push(fpath, format!("unknown group `{fallback}`"));
            }
        }
        if !(1..=10).contains(&group.max_attempts) {
            let msg = format!("must be between 1 and 10, got {}", group.max_attempts);
            p.push(format!("{path}.max_attempts"), msg);
        }
    }
}

fn members(group: &GroupConfig, path: &str, known: impl Fn(&str) -> bool, p: &mut Problems) {
    if group.members.is_empty() {
        p.push(format!("{path}.members"), "must list at least one model");
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (j, member) in group.members.iter().enumerate() {
        let mpath = format!("{path}.members[{j}]");
        if !known(&member.model) {
            let msg = format!(
                "unknown model `{}` (expected a model name or provider/model)",
                member.model
            );
            p.push(format!("{mpath}.model"), msg);
        }
        let first = *seen.entry(member.model.as_str()).or_insert(j);
        if first != j {
            let msg = format!("`{}` is already members[{first}]", member.model);
            p.push(format!("{mpath}.model"), msg);
        }
        if member.weight == 0 {
            p.push(format!("{mpath}.weight"), "must be at least 1");
        }
    }
}
