//! Logging: JSON or pretty lines, each carrying the request's span fields (request id).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::config::{LogConfig, LogFormat};

/// Keeps the background log writer alive; drop it last so queued lines are flushed.
pub type LogGuard = Option<tracing_appender::non_blocking::WorkerGuard>;

/// Install the global subscriber; a bad filter falls back to `info` with a warning.
/// Lines are written by a background thread in batches (never dropped: a full buffer
/// makes the logging call wait), so request handlers do not pay a write syscall each.
pub fn init(log: &LogConfig) -> LogGuard {
    let (filter, bad_filter) = match EnvFilter::try_new(&log.filter) {
        Ok(f) => (f, false),
        Err(_) => (EnvFilter::new("info"), true),
    };
    let json = match log.format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => !std::io::stdout().is_terminal(),
    };
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
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
    installed.is_ok().then_some(guard)
}

/// Replaces configured patterns (PII, things that look like keys) with `[REDACTED]`
/// in text that is about to be logged, such as prompts.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    patterns: Vec<regex::Regex>,
}

/// Things that look like API keys or bearer tokens, always redacted.
const KEY_PATTERN: &str =
    r"\b(?:sk|sy|pk|rk|hf|gh[pousr])[-_][A-Za-z0-9_-]{16,}\b|\bBearer\s+[A-Za-z0-9._~+/-]{16,}=*";

impl Redactor {
    /// Compile the patterns; invalid ones were already refused by config validation and
    /// are skipped here.
    pub fn new(patterns: &[String]) -> Self {
        let patterns = std::iter::once(KEY_PATTERN)
            .chain(patterns.iter().map(String::as_str))
            .filter_map(|p| regex::Regex::new(p).ok())
            .collect();
        Self { patterns }
    }

    /// `text` with every match replaced.
    pub fn redact(&self, text: &str) -> String {
        let mut out = std::borrow::Cow::Borrowed(text);
        for p in &self.patterns {
            if let std::borrow::Cow::Owned(s) = p.replace_all(&out, "[REDACTED]") {
                out = std::borrow::Cow::Owned(s);
            }
        }
        out.into_owned()
    }
}

/// Logs each chat prompt (redacted) at debug level when `log.log_prompts` is on: an
/// observer of the request pipeline, so every surface logs prompts the same way.
pub struct PromptLog {
    redactor: Redactor,
}

impl PromptLog {
    /// A prompt logger scrubbing with `redactor`.
    pub fn new(redactor: Redactor) -> Self {
        Self { redactor }
    }
}

impl switchyard_core::gateway::Observer for PromptLog {
    fn chat_request(&self, endpoint: &str, request: &switchyard_types::chat::ChatRequest) {
        let prompt: Vec<String> = request
            .messages
            .iter()
            .map(|m| format!("{:?}: {}", m.role, m.joined_text()))
            .collect();
        tracing::debug!(prompt = %self.redactor.redact(&prompt.join("\n")), model = %request.model, endpoint, "prompt");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pii_and_keys_are_redacted() {
        let r = Redactor::new(&crate::config::default_redact_patterns());
        let text = "Mail ada@example.com or call +1 (555) 010-9999, card 4111 1111 1111 1111, key sk-abcdefghijklmnopqrstu";
        let out = r.redact(text);
        for secret in ["ada@example.com", "555", "4111", "sk-abcdefghijklmnopqrstu"] {
            assert!(!out.contains(secret), "{secret} leaked: {out}");
        }
        assert!(
            out.starts_with("Mail [REDACTED] or call [REDACTED]"),
            "{out}"
        );
        assert_eq!(r.redact("nothing to hide here"), "nothing to hide here");
    }
}
