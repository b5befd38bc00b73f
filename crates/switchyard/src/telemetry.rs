//! Logging: JSON or pretty lines, each carrying the request's span fields (request id).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::config::{LogConfig, LogFormat};

/// Install the global subscriber; a bad filter falls back to `info` with a warning.
pub fn init(log: &LogConfig) {
    let (filter, bad_filter) = match EnvFilter::try_new(&log.filter) {
        Ok(f) => (f, false),
        Err(_) => (EnvFilter::new("info"), true),
    };
    let json = match log.format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => !std::io::stdout().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::NONE);
    let installed = if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
    if installed.is_ok() && bad_filter {
        tracing::warn!(filter = %log.filter, "invalid log filter, using `info`");
    }
}
