//! The `switchyard` command line (README, "Commands").

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use switchyard_core::keys;
use switchyard_types::Role;

use crate::{bootstrap, config, serve, telemetry};

/// Switchyard: one gateway between applications and many AI providers.
#[derive(Debug, Parser)]
#[command(name = "switchyard", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway.
    Serve(ConfigArg),
    /// Apply database migrations and exit.
    Migrate(ConfigArg),
    /// Validate a configuration; print every problem with its path.
    CheckConfig(ConfigArg),
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Print the JSON Schema of the configuration file.
    ConfigSchema,
    /// Re-wrap every stored provider secret under the current master key
    /// (SWITCHYARD_MASTER_KEY), opening them with SWITCHYARD_MASTER_KEY_PREVIOUS.
    RotateMasterKey(ConfigArg),
}

/// `--config FILE`.
#[derive(Debug, clap::Args)]
pub struct ConfigArg {
    /// Configuration file (else SWITCHYARD_CONFIG, else ./switchyard.toml if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `keys` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create an API key and print its secret once.
    Create {
        /// A label for the key.
        #[arg(long)]
        name: String,
        /// admin, service or user.
        #[arg(long)]
        role: Role,
        /// Owner (user id or name); default: a user named after the key.
        #[arg(long)]
        user: Option<String>,
        #[command(flatten)]
        config: ConfigArg,
    },
}

/// Exit code for an invalid configuration.
pub const EXIT_BAD_CONFIG: i32 = 2;

fn load(arg: &ConfigArg) -> Result<config::Config, i32> {
    config::load(arg.config.as_deref(), &config::process_env).map_err(|errors| {
        eprintln!("configuration is invalid:\n{errors}");
        EXIT_BAD_CONFIG
    })
}

/// Run a parsed command; returns the process exit code.
#[expect(clippy::print_stdout, reason = "CLI output")]
pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::ConfigSchema => {
            println!("{}", serde_json::to_string_pretty(&config::json_schema())?);
            Ok(0)
        }
        Command::CheckConfig(arg) => Ok(match load(&arg) {
            Ok(c) => {
                println!(
                    "configuration is valid: {} provider(s), {} model(s), {} group(s)",
                    c.providers.len(),
                    c.models.len(),
                    c.groups.len()
                );
                0
            }
            Err(code) => code,
        }),
        Command::Serve(arg) => {
            let config = match load(&arg) {
                Ok(c) => c,
                Err(code) => return Ok(code),
            };
            let _log = telemetry::init(&config.log);
            serve::run(config).await?;
            Ok(0)
        }
        Command::Migrate(arg) => {
            let config = match load(&arg) {
                Ok(c) => c,
                Err(code) => return Ok(code),
            };
            let _log = telemetry::init(&config.log);
            bootstrap::open_store(&config).await?.close().await;
            println!("migrations applied");
            Ok(0)
        }
        Command::RotateMasterKey(arg) => {
            let config = match load(&arg) {
                Ok(c) => c,
                Err(code) => return Ok(code),
            };
            let store = bootstrap::open_store(&config).await?;
            let secrets = bootstrap::secret_box(&config)?;
            let n = bootstrap::rotate_master_key(&store, &secrets).await?;
            store.close().await;
            println!("re-wrapped {n} provider secret(s) under the current master key");
            Ok(0)
        }
        Command::Keys {
            command:
                KeysCommand::Create {
                    name,
                    role,
                    user,
                    config: arg,
                },
        } => {
            let config = match load(&arg) {
                Ok(c) => c,
                Err(code) => return Ok(code),
            };
            let store = bootstrap::open_store(&config).await?;
            let user_id = match user {
                Some(u) => match store.users().get(&u).await? {
                    Some(found) => found.id,
                    None => {
                        store
                            .users()
                            .get_by_name(&u)
                            .await?
                            .with_context(|| format!("no user with id or name `{u}`"))?
                            .id
                    }
                },
                None => bootstrap::ensure_user(&store, &name, role).await?,
            };
            let secret =
                bootstrap::create_key(&store, &name, role, user_id, keys::generate()).await?;
            store.close().await;
            eprintln!("created {role} key `{name}`; the secret below is shown only once:");
            println!("{}", secret.expose());
            Ok(0)
        }
    }
}
