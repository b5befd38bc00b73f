//! Configuration (README, "Configuration"): built-in defaults < TOML file < environment, checked once
//! into a typed [`Config`], with every problem reported at its key path.
//!
//! Secrets: a provider's `api_key` is kept exactly as written (`env:VAR` or a literal),
//! so [`ProviderConfig::api_key_source`] tells the store whether to persist the
//! reference or encrypt the literal; `load` also fills
//! [`ProviderConfig::resolved_api_key`] with the value to call the provider with (the
//! variable's value for `env:VAR`). An unset variable is a problem, except on a disabled
//! provider. `security.admin_key` and `security.master_key` may be `env:VAR` too; those
//! are replaced by the variable's value. Empty environment values count as unset.

mod builtin;
mod catalog;
mod env;
mod error;
mod parse;
mod reliability;
mod tasks;
mod types;
mod validate;

use std::path::{Path, PathBuf};

pub use builtin::{MOCK_PROVIDER, builtin_mock, task_type_kind, text_task_types};
pub use catalog::{ApiKeySource, GroupConfig, ModelConfig, ProviderConfig};
pub use error::{ConfigErrors, ConfigProblem};
pub use reliability::{BreakerConfig, HealthConfig, RoutingConfig};
pub use tasks::TasksConfig;
pub use types::{
    Config, DatabaseConfig, LogConfig, LogFormat, RedisConfig, SecurityConfig, ServerConfig,
    default_redact_patterns,
};

use error::Problems;
use parse::Layout;

/// Variable naming the config file when `--config` is not given.
pub const CONFIG_ENV: &str = "SWITCHYARD_CONFIG";

/// File loaded from the working directory when neither `--config` nor `SWITCHYARD_CONFIG` is given.
pub const DEFAULT_CONFIG_FILE: &str = "switchyard.toml";

/// The process environment, for [`load`] outside tests.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The config file `load` reads: `path`, else `$SWITCHYARD_CONFIG`, else `./switchyard.toml` if it exists.
pub fn config_path(path: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    locate(path, env).map(|(file, _)| file)
}

/// The file to read and what to blame if it cannot be read.
fn locate(path: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Option<(PathBuf, String)> {
    if let Some(path) = path {
        return Some((path.to_path_buf(), path.display().to_string()));
    }
    if let Some(path) = env(CONFIG_ENV).filter(|p| !p.trim().is_empty()) {
        return Some((PathBuf::from(path), CONFIG_ENV.to_string()));
    }
    let default = PathBuf::from(DEFAULT_CONFIG_FILE);
    default
        .is_file()
        .then(|| (default, DEFAULT_CONFIG_FILE.to_string()))
}

/// Load the configuration: defaults, then the file (see [`config_path`]), then the `SWITCHYARD_*` variables.
/// A file that was named explicitly (argument or `SWITCHYARD_CONFIG`) must exist.
pub fn load(
    path: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigErrors> {
    match locate(path, env) {
        None => build(None, env),
        Some((file, blame)) => match std::fs::read_to_string(&file) {
            Ok(text) => build(Some(&text), env),
            Err(e) => Err(ConfigErrors::one(
                blame,
                format!("cannot read config file {}: {e}", file.display()),
            )),
        },
    }
}

/// Load from TOML text instead of a file: defaults, then `toml_text`, then the environment.
pub fn load_str(
    toml_text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigErrors> {
    build(Some(toml_text), env)
}

fn build(text: Option<&str>, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigErrors> {
    let mut problems = Problems::default();
    let (mut config, layout) = match text {
        None => {
            let config = Config::default();
            let layout = Layout::identity(&config);
            (config, layout)
        }
        Some(text) => match parse::parse(text, &mut problems) {
            Some(parsed) => parsed,
            None => return problems.finish(Config::default()),
        },
    };
    let origins = env::apply_overrides(&mut config, env, &mut problems);
    env::resolve_secrets(&mut config, &origins, &layout, env, &mut problems);
    validate::validate(&config, &origins, &layout, &mut problems);
    problems.finish(config)
}

/// The JSON Schema (draft 2020-12) of the config file, generated from [`Config`].
pub fn json_schema() -> serde_json::Value {
    schemars::schema_for!(Config).to_value()
}
