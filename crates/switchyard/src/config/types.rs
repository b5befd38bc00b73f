//! The configuration file's types: the settings sections, with defaults.
//! The JSON Schema printed by `switchyard config-schema` is derived from these types.

use std::net::{AddrParseError, SocketAddr};
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use switchyard_types::Secret;

use super::{GroupConfig, HealthConfig, ModelConfig, ProviderConfig, RoutingConfig};

/// Switchyard configuration: defaults, overridden by the TOML file, overridden by the environment.
/// Build it with [`super::load`] or [`super::load_str`]: they check what serde alone cannot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields, title = "Switchyard configuration")]
pub struct Config {
    /// HTTP server.
    #[serde(default)]
    pub server: ServerConfig,
    /// Database holding keys, usage, tasks and the provider/model/group catalog.
    #[serde(default)]
    pub database: DatabaseConfig,
    /// Redis for shared cache, rate limits and pub/sub across replicas; unset: in-process equivalents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "RedisConfig")]
    pub redis: Option<RedisConfig>,
    /// Logging.
    #[serde(default)]
    pub log: LogConfig,
    /// Bootstrap admin key and the master key that encrypts provider secrets at rest.
    #[serde(default)]
    pub security: SecurityConfig,
    /// Budgets, alerts and access tokens.
    #[serde(default)]
    pub governance: GovernanceConfig,
    /// Attempts and concurrency queueing.
    #[serde(default)]
    pub routing: RoutingConfig,
    /// Health monitoring, probes and circuit breakers.
    #[serde(default)]
    pub health: HealthConfig,
    /// Durable media tasks: leases, concurrency, polling, deadline, webhooks.
    #[serde(default)]
    pub tasks: super::TasksConfig,
    /// Upstream AI services. When the file defines no providers, models or groups, the built-in `mock` provider is used.
    #[serde(default)]
    pub providers: Vec<ProviderConfig>,
    /// Public model names and the provider serving each.
    #[serde(default)]
    pub models: Vec<ModelConfig>,
    /// Named sets of models a client may ask for as if each were one model.
    #[serde(default)]
    pub groups: Vec<GroupConfig>,
}

impl Default for Config {
    /// The configuration used with no file and no environment: default settings and the built-in mock catalog.
    fn default() -> Self {
        let (provider, models) = super::builtin_mock();
        Self {
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            redis: None,
            log: LogConfig::default(),
            security: SecurityConfig::default(),
            governance: GovernanceConfig::default(),
            routing: RoutingConfig::default(),
            health: HealthConfig::default(),
            tasks: super::TasksConfig::default(),
            providers: vec![provider],
            models,
            groups: Vec::new(),
        }
    }
}

/// HTTP server settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to bind, `IP:PORT` (environment: `SWITCHYARD_LISTEN`).
    pub listen: String,
    /// Largest accepted request body, in bytes.
    #[schemars(range(min = 1))]
    pub request_body_limit_bytes: u64,
    /// Longest a request may take end to end, in milliseconds.
    #[schemars(range(min = 1))]
    pub request_timeout_ms: u64,
    /// How long shutdown waits for in-flight requests and streams, in milliseconds.
    pub shutdown_grace_ms: u64,
    /// Directory for generated files (the master key when none is configured, media outputs).
    pub data_dir: String,
    /// Where generated media files are stored; unset: `media` inside `data_dir`. Share it between replicas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_dir: Option<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".to_string(),
            request_body_limit_bytes: 10_485_760,
            request_timeout_ms: 600_000,
            shutdown_grace_ms: 30_000,
            data_dir: "switchyard-data".to_string(),
            media_dir: None,
        }
    }
}

impl ServerConfig {
    /// `listen` parsed; always `Ok` on a configuration returned by `load`.
    pub fn listen_addr(&self) -> Result<SocketAddr, AddrParseError> {
        self.listen.parse()
    }

    /// `request_timeout_ms` as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    /// `shutdown_grace_ms` as a duration.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_millis(self.shutdown_grace_ms)
    }
}

/// Database settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` (created if missing) or `postgres://…` (environment: `SWITCHYARD_DATABASE_URL`).
    pub url: String,
    /// Size of the connection pool.
    #[schemars(range(min = 1))]
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://switchyard.db".to_string(),
            max_connections: 16,
        }
    }
}

impl DatabaseConfig {
    /// True for a `sqlite://` URL, false for PostgreSQL.
    pub fn is_sqlite(&self) -> bool {
        self.url.starts_with("sqlite:")
    }
}

/// Redis settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://HOST:PORT[/DB]` or `rediss://…` (environment: `SWITCHYARD_REDIS_URL`).
    pub url: String,
}

/// Logging settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields)]
pub struct LogConfig {
    /// Log filter in `tracing` syntax: `info`, `switchyard=debug,tower_http=info` (environment: `SWITCHYARD_LOG`).
    pub filter: String,
    /// Output format (environment: `SWITCHYARD_LOG_FORMAT`).
    pub format: LogFormat,
    /// Log each request's prompt at debug level (after redaction). Off by default.
    pub log_prompts: bool,
    /// Regular expressions whose matches are replaced by `[REDACTED]` in logged prompts
    /// (defaults: email addresses, phone numbers, payment card numbers).
    pub redact_patterns: Vec<String>,
}

/// Default PII patterns for logged prompts: emails, phone numbers, card numbers.
pub fn default_redact_patterns() -> Vec<String> {
    vec![
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}".to_string(),
        r"\+?\d[\d ().-]{7,}\d".to_string(),
        r"\b(?:\d[ -]?){13,19}\b".to_string(),
    ]
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            filter: "info".to_string(),
            format: LogFormat::Auto,
            log_prompts: false,
            redact_patterns: default_redact_patterns(),
        }
    }
}

/// Budgets, alerts and access tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields)]
pub struct GovernanceConfig {
    /// Fractions of a quota's limit at which a budget alert fires, once per period.
    pub alert_thresholds: Vec<f64>,
    /// URL that budget alerts are POSTed to (JSON); unset: alerts are only logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert_webhook_url: Option<String>,
    /// Lifetime of JWT access tokens, in seconds.
    pub access_token_ttl_s: u64,
    /// Lifetime of JWT refresh tokens, in seconds.
    pub refresh_token_ttl_s: u64,
    /// The `aud` claim tokens are issued for and checked against.
    pub token_audience: String,
}

impl Default for GovernanceConfig {
    fn default() -> Self {
        Self {
            alert_thresholds: vec![0.8, 1.0],
            alert_webhook_url: None,
            access_token_ttl_s: 900,
            refresh_token_ttl_s: 7 * 24 * 3600,
            token_audience: "switchyard".to_string(),
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// `pretty` when stdout is a terminal, else `json`.
    #[default]
    Auto,
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Pretty,
}

impl LogFormat {
    /// The format's name in the file and the environment.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Json => "json",
            Self::Pretty => "pretty",
        }
    }

    /// Whether to write JSON, given whether stdout is a terminal.
    pub fn use_json(self, stdout_is_terminal: bool) -> bool {
        match self {
            Self::Auto => !stdout_is_terminal,
            Self::Json => true,
            Self::Pretty => false,
        }
    }
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "json" => Ok(Self::Json),
            "pretty" => Ok(Self::Pretty),
            other => Err(format!(
                "unknown log format `{other}`, expected json, pretty or auto"
            )),
        }
    }
}

/// Keys. After `load`, `env:VAR` values here are replaced by the variable's value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields)]
pub struct SecurityConfig {
    /// Bootstrap admin API key, at least 16 characters, or `env:VAR` (environment: `SWITCHYARD_ADMIN_KEY`). Unset: generated on first start.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub admin_key: Option<Secret<String>>,
    /// Base64 of exactly 32 bytes, or `env:VAR`; encrypts provider secrets at rest (environment: `SWITCHYARD_MASTER_KEY`). Unset: generated into the data dir.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub master_key: Option<Secret<String>>,
    /// Master keys being rotated out: secrets sealed with them can still be opened
    /// (environment: `SWITCHYARD_MASTER_KEY_PREVIOUS`, comma-separated). See
    /// `switchyard rotate-master-key`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<String>")]
    pub previous_master_keys: Vec<Secret<String>>,
    /// Key of the HMAC-SHA256 signature on task webhooks (`x-switchyard-signature`), or `env:VAR`. Unset: generated into the data dir (`webhook.secret`). Give every replica the same one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub webhook_secret: Option<Secret<String>>,
}

impl SecurityConfig {
    /// The decoded master key; `None` when unset (always valid on a configuration returned by `load`).
    pub fn master_key_bytes(&self) -> Option<Secret<[u8; 32]>> {
        let key = self.master_key.as_ref()?;
        super::validate::decode_master_key(key.expose())
            .ok()
            .map(Secret::new)
    }
}
